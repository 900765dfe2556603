"""`--precision auto` on the CPU: bf16 autocast only where the CPU has bf16 arithmetic and timing the net both
ways shows it faster, remembered per machine and shape; fp32 everywhere else. Both paths run on any CPU (bf16
autocast is emulated where the hardware lacks it)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import make_config

from translate.accel import precision
from translate.nets.spec import build_net, net_spec


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSLATE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "precision.json"


def tiny_net():
    torch.manual_seed(0)
    return build_net(net_spec("resnet_g", in_channels=3, out_channels=3, ngf=4, n_blocks=2, norm="instance"))


def fake_timings(monkeypatch, fp32: float, bf16: float) -> list:
    calls = []

    def measure(net, shape, training, fp32_path=None):
        calls.append(shape)
        return {"fp32": fp32, "bf16": bf16}

    monkeypatch.setattr(precision, "measure", measure)
    return calls


def test_a_cpu_without_bf16_arithmetic_runs_fp32_without_measuring(monkeypatch, cache):
    monkeypatch.setattr(precision, "cpu_bf16_flags", lambda: [])
    calls = fake_timings(monkeypatch, 9.0, 1.0)
    choice = precision.choose(tiny_net(), (1, 3, 32, 32), training=False)
    assert choice.dtype is None and "no bf16 arithmetic" in choice.reason and calls == []


@pytest.mark.parametrize("fp32,bf16,want", [(2.0, 1.0, torch.bfloat16), (1.1, 1.0, None), (1.0, 3.0, None)])
def test_a_bf16_cpu_takes_bf16_only_where_it_measured_faster(monkeypatch, cache, fp32, bf16, want):
    monkeypatch.setattr(precision, "cpu_bf16_flags", lambda: ["avx512_bf16"])
    calls = fake_timings(monkeypatch, fp32, bf16)
    net = tiny_net()
    choice = precision.choose(net, (1, 3, 32, 32), training=False)
    assert choice.dtype == want and f"bf16 {fp32 / bf16:.2f}x the speed of fp32" in choice.reason
    assert "avx512_bf16" in choice.reason
    assert precision.choose(net, (1, 3, 32, 32), training=False) == choice and len(calls) == 1  # remembered
    precision.choose(net, (1, 3, 64, 64), training=False)  # another shape is measured on its own
    precision.choose(net, (1, 3, 32, 32), training=True)
    assert len(calls) == 3 and len(json.loads(cache.read_text())) == 4  # three entries and the format


def test_the_real_measurement_times_both_paths_and_leaves_the_net_and_rng_alone(cache):
    net = tiny_net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    seen = []

    def fp32_path(copy):
        seen.append(copy)
        assert copy is not net
        return copy

    torch.manual_seed(5)
    timings = precision.measure(net, (1, 3, 32, 32), True, fp32_path)
    assert timings["fp32"] > 0 and timings["bf16"] > 0 and len(seen) == 1
    torch.manual_seed(5)
    want = torch.rand(3)
    torch.manual_seed(5)
    precision.measure(net, (1, 3, 32, 32), False)
    assert torch.equal(torch.rand(3), want)
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())


def test_bf16_inference_stays_within_40_db_of_fp32_on_a_tiny_translator(cyclegan_bundle):
    """The accuracy guard, on any CPU (bf16 is emulated where the hardware lacks it)."""
    import translate

    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-1, 1, (1, 3, 40, 48)).astype(np.float32))
    fp32 = translate.load(cyclegan_bundle, device="cpu", precision="fp32")
    bf16 = translate.load(cyclegan_bundle, device="cpu", precision="bf16")
    assert bf16.autocast_dtype == torch.bfloat16 and bf16.precision_name == "bf16 autocast"
    a, b = fp32.translate_tensor(x), bf16.translate_tensor(x)
    assert a.dtype == b.dtype == torch.float32
    mse = ((a - b) ** 2).mean().item() * (255 / 2) ** 2
    assert 10 * np.log10(255**2 / mse) >= 40


@pytest.mark.parametrize("bf16_cpu", [False, True])
def test_training_auto_records_what_ran_and_why(bf16_cpu, monkeypatch, cache, tmp_path, unpaired_root):
    """The plan line names the precision and the measurement; config.json keeps the resolved precision, so a
    resumed run continues in it (bit-exact within a precision)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from translate.config import RunConfig
    from translate.trainer import Trainer

    monkeypatch.setattr(precision, "cpu_bf16_flags", lambda: ["amx_bf16"] if bf16_cpu else [])
    fake_timings(monkeypatch, 3.0, 1.0)
    cfg = make_config("cyclegan", str(unpaired_root), train={"steps": 2})
    assert cfg.train.precision == "auto"
    said = io.StringIO()
    with redirect_stdout(said), redirect_stderr(said):
        run = Trainer(cfg, tmp_path / "run").fit()
    want = "bf16" if bf16_cpu else "fp32"
    assert RunConfig.from_dict(json.loads((run / "config.json").read_text())).train.precision == want
    plan = next(line for line in said.getvalue().splitlines() if "precision " in line)
    assert ("precision bf16 autocast: measured on this CPU (amx_bf16): bf16 3.00x" in plan if bf16_cpu
            else "precision fp32: this CPU has no bf16 arithmetic" in plan), plan
