"""Speed choices by measurement (translate/accel/autotune.py): `--precision auto` runs bf16 autocast only where
the CPU has bf16 arithmetic and timing the net both ways shows it faster; a speed path left to auto is taken
only where it beat the plain path; both remembered per machine and shape. Both precisions run on any CPU
(bf16 autocast is emulated where the hardware lacks it)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import make_config

from translate.accel import autotune
from translate.nets.spec import build_net, net_spec


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSLATE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "precision.json"


def tiny_net():
    torch.manual_seed(0)
    return build_net(net_spec("resnet_g", in_channels=3, out_channels=3, ngf=4, n_blocks=2, norm="instance"))


def fake_timings(monkeypatch, **seconds) -> list:
    """measure() answers these seconds per candidate ("plain", "winograd", "bf16", ...); calls are counted."""
    calls = []

    def measure(net, shape, training, candidates, bf16):
        calls.append(shape)
        return {k: seconds[k] for k in [*candidates, *(["bf16"] if bf16 else [])]}

    monkeypatch.setattr(autotune, "measure", measure)
    return calls


WINOGRAD = [("winograd", lambda net: 0)]


def test_a_cpu_without_bf16_arithmetic_runs_fp32_without_timing_bf16(monkeypatch, cache):
    monkeypatch.setattr(autotune, "cpu_bf16_flags", lambda: [])
    calls = fake_timings(monkeypatch, plain=1.0, winograd=0.5, bf16=0.1)
    choice = autotune.choose(tiny_net(), (1, 3, 32, 32), training=False)
    assert choice.dtype is None and "no bf16 arithmetic" in choice.reason and calls == []
    choice = autotune.choose(tiny_net(), (1, 3, 32, 32), training=False, auto_paths=WINOGRAD)
    assert choice.dtype is None and choice.paths == {"winograd"} and len(calls) == 1


@pytest.mark.parametrize("plain,winograd,bf16,dtype,paths", [
    (2.0, 1.0, 0.5, torch.bfloat16, set()),  # bf16 beats the best fp32 candidate by 2x
    (2.0, 1.0, 0.95, None, {"winograd"}),  # a near tie stays fp32, with the faster path
    (1.0, 1.2, 3.0, None, set()),  # a path slower than plain is not taken
    (1.0, 0.99, 3.0, None, set()),  # nor one within timing noise of it
])
def test_each_choice_goes_to_what_measured_faster(monkeypatch, cache, plain, winograd, bf16, dtype, paths):
    monkeypatch.setattr(autotune, "cpu_bf16_flags", lambda: ["avx512_bf16"])
    calls = fake_timings(monkeypatch, plain=plain, winograd=winograd, bf16=bf16)
    net = tiny_net()
    choice = autotune.choose(net, (1, 3, 32, 32), training=False, auto_paths=WINOGRAD)
    assert choice.dtype == dtype and choice.paths == paths, choice
    assert "avx512_bf16" in choice.reason or "below 1.15x" in choice.reason
    assert autotune.choose(net, (1, 3, 32, 32), training=False, auto_paths=WINOGRAD) == choice and len(calls) == 1
    autotune.choose(net, (1, 3, 64, 64), training=False, auto_paths=WINOGRAD)  # another shape: its own timing
    autotune.choose(net, (1, 3, 32, 32), training=True, auto_paths=WINOGRAD)
    assert len(calls) == 3 and len(json.loads(cache.read_text())) == 4  # three entries and the format


def test_explicit_fp32_never_times_bf16(monkeypatch, cache):
    monkeypatch.setattr(autotune, "cpu_bf16_flags", lambda: ["amx_bf16"])
    fake_timings(monkeypatch, plain=2.0, winograd=1.0, bf16=0.1)
    choice = autotune.choose(tiny_net(), (1, 3, 32, 32), False, WINOGRAD, precision="fp32")
    assert choice.dtype is None and choice.paths == {"winograd"}


def test_the_real_measurement_times_every_candidate_and_leaves_the_net_and_rng_alone(cache):
    from translate.accel import speed_paths

    net = tiny_net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    timed, fixed = speed_paths(torch.device("cpu"), training=False)
    assert [n for n, _ in timed] == ["winograd", "narrow"] and fixed == []
    candidates = {"plain": [], "winograd": timed[:1], "narrow+winograd": timed}
    torch.manual_seed(5)
    want = torch.rand(3)
    torch.manual_seed(5)
    times = autotune.measure(net, (1, 3, 32, 32), False, candidates, bf16=True)
    assert torch.equal(torch.rand(3), want)  # the caller's RNG stream is untouched
    assert set(times) == {"plain", "winograd", "narrow+winograd", "bf16"} and min(times.values()) > 0
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    assert all(type(m) is torch.nn.Conv2d for m in net.modules() if isinstance(m, torch.nn.Conv2d))
    autotune.measure(net, (1, 3, 32, 32), True, {"plain": []}, bf16=True)  # forward and backward
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
def test_translators_follow_the_measured_choice(bf16_cpu, monkeypatch, cache, cyclegan_bundle):
    import translate

    monkeypatch.setattr(autotune, "cpu_bf16_flags", lambda: ["amx_bf16"] if bf16_cpu else [])
    timings = {"plain": 1.0, "winograd": 0.5, "narrow": 1.0, "narrow+winograd": 0.45, "bf16": 0.2}
    fake_timings(monkeypatch, **timings)
    tr = translate.load(cyclegan_bundle, device="cpu")
    if bf16_cpu:
        assert tr.autocast_dtype == torch.bfloat16 and tr.winograd_layers == 0
        assert tr.precision_reason.startswith("bf16 autocast: measured on this CPU (amx_bf16): bf16 2.25x")
    else:
        assert tr.autocast_dtype is None and tr.winograd_layers > 0
        assert tr.precision_reason.startswith("fp32 with narrow+winograd: measured on this CPU, no bf16")
    fake_timings(monkeypatch, **{**timings, "winograd": 2.0, "narrow+winograd": 2.0, "bf16": 5.0})
    tr = translate.load(cyclegan_bundle, device="cpu", scale=48)  # a new shape: timed again
    assert tr.autocast_dtype is None and tr.winograd_layers == 0  # slower than plain: not taken


@pytest.mark.parametrize("bf16_cpu", [False, True])
def test_training_auto_records_what_ran_and_why(bf16_cpu, monkeypatch, cache, tmp_path, unpaired_root):
    """The plan line names the precision and the measurement; config.json keeps the resolved precision, so a
    resumed run continues in it (bit-exact within a precision)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from translate.config import RunConfig
    from translate.training.trainer import Trainer

    monkeypatch.setattr(autotune, "cpu_bf16_flags", lambda: ["amx_bf16"] if bf16_cpu else [])
    fake_timings(monkeypatch, plain=3.0, winograd=2.0, bf16=1.0)
    cfg = make_config("cyclegan", str(unpaired_root), train={"steps": 2})
    assert cfg.train.precision == "auto"
    said = io.StringIO()
    with redirect_stdout(said), redirect_stderr(said):
        run = Trainer(cfg, tmp_path / "run").fit()
    want = "bf16" if bf16_cpu else "fp32"
    assert RunConfig.from_dict(json.loads((run / "config.json").read_text())).train.precision == want
    plan = next(line for line in said.getvalue().splitlines() if "precision " in line)
    assert ("precision bf16 autocast: measured on this CPU (amx_bf16): bf16 2.00x" in plan if bf16_cpu
            else "precision fp32 with winograd: measured on this CPU, no bf16 arithmetic" in plan), plan
