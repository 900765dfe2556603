"""`--metric domain` on real photos cannot be fooled by the cases that fooled it before (issue 22): a stripe
texture over the whole frame, a photo merely turned grey or blue, a blurred copy, the other domain's colours
and the identity do not count as translated, while the judges still recognise real target-domain photos. Reads
../shared/data (CI has it beside the clone; elsewhere these skip).
Each data set trains its judge once (about 2-3 minutes on 2 cores), into a private cache; horse2zebra also its
texture judge (about as long)."""

from __future__ import annotations

import functools
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


def _root(name: str) -> Path:
    root = SHARED_DATA / name
    if not (root / "trainA").is_dir():
        pytest.skip(f"{root} not present (CI has ../shared/data beside the clone)")
    return root


@functools.cache
def _texture_judge(name: str) -> domain.Judge:
    """The texture judge, trained (or read) and validated once per session: the validation alone runs it
    on 3x3 views of every held-out photo."""
    judge, validation = domain.texture_judge(_root(name))
    assert validation >= domain.TEXTURE_MIN_ACCURACY, f"the texture judge of {name} does not tell its domains apart"
    return judge


def _verdicts(name: str, cases, target: int = 1, size: int = SIZE, texture: bool = False) -> dict:
    """Each case (a function of the source photos and as many real target photos, to take colours from)
    applied to the test photos of the other domain, judged as translations into `target`; by six checks with
    `texture`, else by the first five (the texture judge costs CI minutes to train). A verdict's `target_rate`
    is the first judge's alone whichever checks run."""
    root = _root(name)
    judge = domain.domain_judge(root)
    texture_judge = _texture_judge(name) if texture else None
    tests = domain.split_folders(root, "test")
    x = domain.as_float(domain.load_square(domain.photos(tests[1 - target]), size))
    real_t = domain.as_float(domain.load_square(domain.photos(tests[target]), size))
    held_t = domain.as_float(domain.held_out_photos(root, size)[target])
    palette = real_t[torch.arange(len(x)) % len(real_t)]
    out = {}
    for case, fn in cases.items():
        y = fn(x, palette)
        out[case] = domain.judge_verdict(judge, x, y, target, torch.cat([real_t, held_t]), real_t, texture_judge)
    out["real target rate"] = float((judge.probabilities(real_t).argmax(1) == target).double().mean())
    if texture_judge is not None:
        out["real target rate, texture judge"] = float(
            (texture_judge.probabilities(real_t).argmax(1) == target).double().mean())
    return out


def test_horse2zebra_stripes_and_identity_are_not_zebras(cache):
    v = _verdicts("horse2zebra", {"identity": lambda x, _: x, "stripes": lambda x, _: CASES.stripes(x, period=6)})
    real = v["real target rate"]
    assert real >= 0.7, real
    assert v["stripes"]["target_rate"] > 0.5  # the judge alone is fooled by the texture...
    assert v["stripes"]["translated_rate"] <= 0.05, v["stripes"]  # ...the content check is not
    assert v["identity"]["translated_rate"] == 0.0, v["identity"]  # nothing moved


def test_a_blurred_zebra_is_not_a_horse(cache):
    """Blur (sigma 2 px at 256) wipes the stripes' edges: the judge calls some blurred zebras horses (27%), the
    sharpness check does not let them count. At 256 px, the size figures are given at: at 128 the finest band
    is coarser and a 1 px blur keeps a third of it (docs/evaluation.md)."""
    v = _verdicts("horse2zebra", {"blur": lambda x, _: CASES.blur(x)}, target=0, size=256)
    assert v["real target rate"] >= 0.7, v["real target rate"]
    assert v["blur"]["sharp_rate"] <= 0.05 and v["blur"]["translated_rate"] == 0.0, v["blur"]


def test_summer2winter_grey_blue_and_identity_are_not_winter(cache):
    v = _verdicts("summer2winter_yosemite", {"identity": lambda x, _: x, "grey": lambda x, _: CASES.grey(x),
                                             "blue": lambda x, _: CASES.blue(x)})
    real = v["real target rate"]
    assert real >= 0.55, real
    assert v["identity"]["translated_rate"] == 0.0, v["identity"]
    for case in ("grey", "blue"):
        assert v[case]["translated_rate"] <= 0.3 * real, (case, v[case])


def test_horse2zebra_the_other_domains_colours_are_no_translation(cache):
    """A horse photo with a zebra photo's colours (YCbCr chroma) and a zebra with a horse photo's: shapes and
    stripes unchanged, and the colours no global mapping of the input's own, so the local check passes. The
    colour judge takes some for translations; the texture judge, which sees luminance at the photos' own
    scale, lets none count (docs/evaluation.md, check 6)."""
    for target in (1, 0):
        v = _verdicts("horse2zebra", {"colours": CASES.colours_of}, target=target, size=256, texture=True)
        assert v["real target rate, texture judge"] >= 0.75, v["real target rate, texture judge"]
        colours = v["colours"]
        assert colours["local_rate"] >= 0.5 and colours["content_rate"] >= 0.9, colours  # these do not catch it
        assert colours["target_rate"] >= 0.1, colours  # the colours fool the first judge...
        # measured at 256 px: 0% (zebras) and 17% (horses) to the texture judge, 0% and 5% translated
        assert colours["texture_rate"] <= 0.3 and colours["translated_rate"] <= 0.1, colours


def test_horse2zebra_a_soft_or_faded_zebra_is_still_a_zebra_to_the_texture_judge(cache):
    """A translator working at its 128 px training scale delivers softer detail than a photo at 256, and young
    nets fade their outputs. A texture judge trained on crisp photos alone called such zebras horses: 95% of
    real zebras after a 128 px round trip and 73% at half contrast, so real translations into zebras were
    refused and striped "horses" accepted. Trained with blur and lowered contrast on both classes
    (TEXTURE_RECIPE), measured at 256 px: 65% and 73% of them stay zebras (real: 80%), while horses treated
    the same stay horses (100%, 98%); a judge trained with another seed: 52% and 62% (real: 77%). The bound,
    40%, leaves room for another training and still fails the crisp-trained judge (5% and 27%)."""
    root = _root("horse2zebra")
    texture = _texture_judge("horse2zebra")
    tests = domain.split_folders(root, "test")
    for label in (1, 0):
        real = domain.as_float(domain.load_square(domain.photos(tests[label]), 256))
        for case in (CASES.soft, CASES.faded):
            rate = texture.accuracy(case(real), label)
            assert rate >= (0.4 if label == 1 else 0.85), (domain.domain_names(root)[label], case.__name__, rate)
