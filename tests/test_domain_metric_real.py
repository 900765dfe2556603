"""`--metric domain` on real photos cannot be fooled by the cases that fooled it before (issue 22): a stripe
texture over the whole frame, a photo merely turned grey or blue, a blurred copy and the identity do not count
as translated, while the judge still recognises real target-domain photos. Reads ../shared/data (CI has it
beside the clone; elsewhere these skip).
Each data set trains its judge once (about 2-3 minutes on 2 cores), into a private cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import SHARED_DATA

from translate.metrics import domain

SIZE = 128


def _cases():
    """The fooling cases of bench/domain_cases.py (one definition for the bench and the test)."""
    import importlib.util

    path = Path(__file__).parents[1] / "bench" / "domain_cases.py"
    spec = importlib.util.spec_from_file_location("domain_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _cases()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TRANSLATE_CACHE", str(tmp_path_factory.mktemp("judges")))
    yield
    mp.undo()


def _verdicts(name: str, cases, target: int = 1, size: int = SIZE) -> dict:
    """Each case applied to the test photos of the other domain, judged as translations into `target`."""
    root = SHARED_DATA / name
    if not (root / "trainA").is_dir():
        pytest.skip(f"{root} not present (CI has ../shared/data beside the clone)")
    judge = domain.domain_judge(root)
    tests = domain.split_folders(root, "test")
    train_t = domain.split_folders(root, "train")[target]
    x = domain._float(domain.load_square(domain._images(tests[1 - target]), size))
    real_t = domain._float(domain.load_square(domain._images(tests[target]), size))
    held_t = domain._float(domain.load_square(domain.judge_split(domain._images(train_t))[1], size))
    out = {case: domain.judge_verdict(judge, x, fn(x), target, torch.cat([real_t, held_t]), real_t)
           for case, fn in cases.items()}
    out["real target rate"] = float((judge.probabilities(real_t).argmax(1) == target).double().mean())
    return out


def test_horse2zebra_stripes_and_identity_are_not_zebras(cache):
    v = _verdicts("horse2zebra", {"identity": lambda x: x, "stripes": lambda x: CASES.stripes(x, period=6)})
    real = v["real target rate"]
    assert real >= 0.7, real
    assert v["stripes"]["target_rate"] > 0.5  # the judge alone is fooled by the texture...
    assert v["stripes"]["translated_rate"] <= 0.05, v["stripes"]  # ...the content check is not
    assert v["identity"]["translated_rate"] == 0.0, v["identity"]  # nothing moved


def test_a_blurred_zebra_is_not_a_horse(cache):
    """Blur (sigma 2 px at 256) wipes the stripes' edges: the judge calls some blurred zebras horses (27%), the
    sharpness check does not let them count. At 256 px, the size figures are given at: at 128 the finest band
    is coarser and a 1 px blur keeps a third of it (docs/evaluation.md)."""
    v = _verdicts("horse2zebra", {"blur": CASES.blur}, target=0, size=256)
    assert v["real target rate"] >= 0.7, v["real target rate"]
    assert v["blur"]["sharp_rate"] <= 0.05 and v["blur"]["translated_rate"] == 0.0, v["blur"]


def test_summer2winter_grey_blue_and_identity_are_not_winter(cache):
    v = _verdicts("summer2winter_yosemite", {"identity": lambda x: x, "grey": CASES.grey, "blue": CASES.blue})
    real = v["real target rate"]
    assert real >= 0.55, real
    assert v["identity"]["translated_rate"] == 0.0, v["identity"]
    for case in ("grey", "blue"):
        assert v[case]["translated_rate"] <= 0.3 * real, (case, v[case])
