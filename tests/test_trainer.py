"""The training loop: k-step schedule, TTUR, exact resume, NaN stop, signals, EMA, precision checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import make_config

from translate.errors import TranslateError
from translate.storage.checkpoint import latest_state, list_states, load_checkpoint, load_state
from translate.training.trainer import Trainer


def _adam_steps(opt: torch.optim.Optimizer) -> set[int]:
    return {int(s["step"]) for s in opt.state.values()}


@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_updates_per_generator_update_each_on_a_fresh_batch(tmp_path, k):
    cfg = make_config("gan", "ring8", train={"steps": 5, "d_steps": k})
    tr = Trainer(cfg, tmp_path / "run", quiet=True)
    seen = []
    original = tr.model.d_loss

    def spy(batch, fakes=None):
        seen.append(batch["x"].clone())
        return original(batch, fakes)

    tr.model.d_loss = spy
    tr.fit()
    assert _adam_steps(tr.optimizers["D"]) == {5 * k}
    assert _adam_steps(tr.optimizers["G"]) == {5}
    assert tr.stream.position == 5 * (k + 1)  # k D batches + 1 G batch per step
    assert len(seen) == 5 * k
    assert all(not torch.equal(a, b) for a, b in zip(seen, seen[1:]))  # never the same minibatch twice


def test_ttur_learning_rates_betas_and_linear_decay(tmp_path):
    cfg = make_config("gan", "ring8", train={"steps": 4, "lr_g": 1e-4, "lr_d": 4e-4, "betas_g": (0.0, 0.9),
                                             "betas_d": (0.5, 0.99), "lr_decay": 0.5})
    tr = Trainer(cfg, tmp_path / "run", quiet=True)
    assert tr.optimizers["G"].param_groups[0]["betas"] == (0.0, 0.9)
    assert tr.optimizers["D"].param_groups[0]["betas"] == (0.5, 0.99)
    lrs = []
    original = tr._set_learning_rates

    def record():
        original()
        lrs.append((tr.optimizers["G"].param_groups[0]["lr"], tr.optimizers["D"].param_groups[0]["lr"]))

    tr._set_learning_rates = record
    tr.fit()
    assert lrs == [pytest.approx(v) for v in [(1e-4, 4e-4), (1e-4, 4e-4), (1e-4, 4e-4), (5e-5, 2e-4)]]


def test_sgd_with_momentum(tmp_path):
    tr = Trainer(make_config("gan", "ring8", train={"optim": "sgd", "momentum": 0.8}), tmp_path / "r", quiet=True)
    assert isinstance(tr.optimizers["G"], torch.optim.SGD) and tr.optimizers["D"].defaults["momentum"] == 0.8
    tr.fit()


def _all_state(tr: Trainer) -> dict[str, torch.Tensor]:
    out = dict(tr._weights())
    for role, opt in tr.optimizers.items():
        for i, st in opt.state.items():
            for k, v in st.items():
                out[f"{role}.{id(i)}.{k}"] = v
    return out


@pytest.mark.parametrize("model,data,extra", [
    ("gan", "ring8", {"ema": 0.9, "d_steps": 2}),
    ("cgan", "mnist", {"ema": 0.9}),
    ("dcgan", "mnist", {"lr_decay": 0.5}),
    ("cyclegan", "unpaired_root", {"ema": 0.9}),  # + image pools, random B partners, crops and flips
    ("pix2pix", "paired_root", {"epochs": 1, "epochs_decay": 2}),  # + BatchNorm statistics, dropout, epochs
])
def test_resume_continues_bit_exactly(tmp_path, mnist_root, model, data, extra, request):
    """N steps straight == N/2 steps, stop, resume from disk, N/2 more (weights, EMA, Adam moments)."""
    if data.endswith("_root"):
        data = str(request.getfixturevalue(data))
    train = {"steps": 6, "checkpoint_every": 3, **extra}
    straight = Trainer(make_config(model, data, str(mnist_root), train=train), tmp_path / "a", quiet=True)
    straight.fit()

    # the first half is interrupted the way Ctrl-C does it: during step 3, so step 3 completes and saves
    first = Trainer(make_config(model, data, str(mnist_root), train=train), tmp_path / "b", quiet=True)
    g_loss = first.model.g_loss

    def interrupt_during_step_3(batch, **kwargs):
        if first.step == 2:
            first.stop_requested = "SIGINT"
        return g_loss(batch, **kwargs)

    first.model.g_loss = interrupt_during_step_3
    first.fit()
    resumed = Trainer(make_config(model, data, str(mnist_root), train=train), tmp_path / "b", resume=True,
                      quiet=True)
    assert resumed.step == 3
    resumed.fit()

    a, b = _all_state(straight), _all_state(resumed)
    assert {k for k in a if "." in k} and len(a) == len(b)
    wa, wb = straight._weights(), resumed._weights()
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
    for role in ("G", "D"):
        sa, sb = straight.optimizers[role].state_dict(), resumed.optimizers[role].state_dict()
        for i in sa["state"]:
            for key in sa["state"][i]:
                assert torch.equal(sa["state"][i][key], sb["state"][i][key]), (role, i, key)
    # losses.csv holds one row per step, with no duplicates from the resumed half
    rows = (tmp_path / "b" / "losses.csv").read_text().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == list(range(1, straight.cfg.train.steps + 1))
    # the loop's wall time is summed over both halves and reaches the bundle (for its model card)
    timing = json.loads((tmp_path / "b" / "bundle" / "config.json").read_text())["timing"]
    assert timing["timed_steps"] == 6 and timing["seconds"] > 0 and timing["hardware"][0].startswith("CPU (")


def test_resume_with_a_longer_schedule_equals_a_run_that_had_it_from_the_start(tmp_path):
    """Extending a run (more steps, a decay added) changes only its future: 4 constant-LR steps, then a
    resume as an 8-step run decaying over its second half == 8 such steps straight."""
    longer = {"steps": 8, "lr_decay": 0.5, "checkpoint_every": 4}
    straight = Trainer(make_config("gan", "ring8", train=longer), tmp_path / "a", quiet=True)
    straight.fit()
    Trainer(make_config("gan", "ring8", train={"steps": 4, "lr_decay": 0.0}), tmp_path / "b", quiet=True).fit()
    resumed = Trainer(make_config("gan", "ring8", train=longer), tmp_path / "b", resume=True, quiet=True)
    assert resumed.step == 4
    resumed.fit()
    wa, wb = straight._weights(), resumed._weights()
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    assert resumed.optimizers["G"].param_groups[0]["lr"] == pytest.approx(straight.cfg.train.lr_g / 4)


def test_nan_loss_stops_with_message_and_keeps_last_good_state(tmp_path):
    cfg = make_config("gan", "ring8", train={"steps": 20, "checkpoint_every": 4, "log_every": 2})
    tr = Trainer(cfg, tmp_path / "run", quiet=True)
    original = tr.model.g_loss

    def poisoned(batch):
        out = original(batch)
        if tr.step >= 9:
            out.total = out.total * float("nan")
        return out

    tr.model.g_loss = poisoned
    with pytest.raises(TranslateError, match=r"loss G became nan at step 10.*step-0000008"):
        tr.fit()
    assert [p.name for p in list_states(tmp_path / "run")] == ["step-0000004", "step-0000008"]
    weights, _, meta = load_state(latest_state(tmp_path / "run"))
    assert meta["step"] == 8 and all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point())


def test_sigterm_finishes_the_step_saves_and_exits_zero(tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "translate", "train", "--model", "gan", "--data", "ring8", "--steps", "1000000",
           "--out", str(run), "--g-hidden", "16", "--d-hidden", "16", "--batch-size", "32", "--log-every", "5",
           "--sample-every", "1000000", "--checkpoint-every", "1000000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 120
    while not (run / "losses.csv").exists() or (run / "losses.csv").stat().st_size < 200:
        assert proc.poll() is None and time.time() < deadline, proc.stderr.read() if proc.poll() else "timeout"
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert f"translate train --resume {run}" in err
    state = latest_state(run)
    assert state is not None
    step = load_state(state)[2]["step"]
    assert 0 < step < 1000000
    config, tensors = load_checkpoint(run / "bundle")
    assert config["step"] == step and config["model"] == "gan"


def test_bundle_holds_the_ema_generator(tmp_path):
    tr = Trainer(make_config("gan", "ring8", train={"steps": 3, "ema": 0.5}), tmp_path / "run", quiet=True)
    tr.fit()
    config, tensors = load_checkpoint(tmp_path / "run" / "bundle")
    assert config["ema"] is True
    ema = tr.ema.nets["G"].state_dict()
    live = tr.model.G.state_dict()
    assert all(torch.equal(tensors[f"G.{k}"], v) for k, v in ema.items())
    assert any(not torch.equal(ema[k], live[k]) for k in ema if ema[k].is_floating_point())
    # a run folder resolves to the same EMA weights as its bundle
    _, from_run = load_checkpoint(tmp_path / "run")
    assert from_run.keys() == tensors.keys() and all(torch.equal(from_run[k], tensors[k]) for k in tensors)


def test_run_folder_has_grids_losses_and_plot(tmp_path, mnist_root):
    cfg = make_config("cgan", "mnist", str(mnist_root), train={"steps": 2, "sample_every": 1})
    Trainer(cfg, tmp_path / "run", quiet=True).fit()
    run = tmp_path / "run"
    for name in ("config.json", "reals.png", "fakes_init.png", "losses.csv", "losses.png",
                 "samples/latest.png", "samples/step-0000001.png", "samples/step-0000002.png"):
        assert (run / name).is_file(), name
    from PIL import Image

    grid = Image.open(run / "samples/latest.png")  # cGAN: one row per class (10 classes, 1 per row at n=16)
    assert grid.size[1] > grid.size[0]
    header = (run / "losses.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["step", "D", "G"] and "d_real" in header and "g_adv" in header


def test_fp16_on_cpu_is_refused_and_bf16_runs(tmp_path):
    with pytest.raises(TranslateError, match="fp16 needs a CUDA GPU"):
        Trainer(make_config("gan", "ring8", train={"precision": "fp16", "device": "cpu"}), tmp_path / "a", quiet=True)
    tr = Trainer(make_config("gan", "ring8", train={"precision": "bf16", "device": "cpu", "steps": 2}),
                 tmp_path / "b", quiet=True)
    tr.fit()
    assert torch.isfinite(torch.cat([p.flatten() for p in tr.model.parameters()])).all()


def test_cuda_requested_without_gpu_is_a_clear_error(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(TranslateError, match="no CUDA GPU"):
        Trainer(make_config("gan", "ring8", train={"device": "cuda"}), tmp_path / "a", quiet=True)


def test_resume_as_another_model_names_both(tmp_path, mnist_root):
    Trainer(make_config("dcgan", "mnist", str(mnist_root), train={"steps": 1}), tmp_path / "r", quiet=True).fit()
    with pytest.raises(TranslateError, match="is a 'dcgan' run; it cannot resume as 'cgan'"):
        Trainer(make_config("cgan", "mnist", str(mnist_root)), tmp_path / "r", resume=True, quiet=True)
    with pytest.raises(TranslateError, match="does not fit this architecture.*shape mismatch"):
        Trainer(make_config("dcgan", "mnist", str(mnist_root), model_kw={"ngf": 8}), tmp_path / "r",
                resume=True, quiet=True)


def test_wrong_data_kind_is_explained(tmp_path, mnist_root):
    with pytest.raises(TranslateError, match="needs class labels"):
        Trainer(make_config("cgan", "ring8"), tmp_path / "a", quiet=True)
    with pytest.raises(TranslateError, match="try `model` gan"):
        Trainer(make_config("dcgan", "ring8"), tmp_path / "b", quiet=True)


def test_deterministic_flag_is_honoured(tmp_path):
    try:
        Trainer(make_config("gan", "ring8", train={"deterministic": True, "steps": 2}), tmp_path / "a",
                quiet=True).fit()
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


def test_paths_stay_relative_to_the_run(tmp_path):
    tr = Trainer(make_config("gan", "ring8", train={"steps": 2}), tmp_path / "run", quiet=True)
    assert tr.fit() == Path(tmp_path / "run")


def test_tensorboard_flag_without_the_package_is_explained(tmp_path):
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.raises(TranslateError, match="pip install tensorboard"):
            Trainer(make_config("gan", "ring8", train={"tensorboard": True}), tmp_path / "a", quiet=True).fit()
    else:
        Trainer(make_config("gan", "ring8", train={"tensorboard": True, "steps": 2}), tmp_path / "a", quiet=True).fit()
        assert any((tmp_path / "a" / "tensorboard").iterdir())


def test_ema_warms_up_then_averages_with_its_decay():
    from translate.training.ema import EMA

    live = torch.nn.Linear(1, 1, bias=False)
    ema = EMA({"G": live}, decay=0.9)
    assert ema.decay_at(0) == pytest.approx(0.1) and ema.decay_at(1000) == 0.9
    with torch.no_grad():
        live.weight.fill_(0.0)
        ema.nets["G"].weight.fill_(1.0)
    ema.update(0)  # weight 0.9 on the live value at the first update
    assert ema.nets["G"].weight.item() == pytest.approx(0.1)
    ema.update(1000)
    assert ema.nets["G"].weight.item() == pytest.approx(0.09)


def _losses(run) -> list[list[float]]:
    rows = (run / "losses.csv").read_text().strip().splitlines()[1:]
    return [[float(v) for v in r.split(",")[1:]] for r in rows]


@pytest.mark.parametrize("model,flag,values", [("cyclegan", "channels_last", (False, True)),
                                               ("gan", "compile", (False, True)),
                                               ("cyclegan", "winograd", ("off", "on"))])
def test_speed_flags_train_like_the_plain_path(model, flag, values, unpaired_root, tmp_path):
    """--channels-last and --compile (GPU speed features) run on the CPU too, and --winograd (a CPU one)
    swaps the convolution algorithm: each changes only rounding."""
    from translate.storage.checkpoint import latest_state
    from translate.training.trainer import Trainer

    data = str(unpaired_root) if model == "cyclegan" else "ring8"
    runs = {}
    for on, value in zip((False, True), values):
        cfg = make_config(model, data, train={"steps": 3, flag: value, "precision": "fp32"})
        trainer = Trainer(cfg, tmp_path / f"{flag}-{on}", quiet=True)
        if flag == "winograd":  # "on": the 24 residual 3x3 layers (6 blocks x 2 convs x 2 generators)
            assert trainer.winograd_layers == (24 if on else 0)
        runs[on] = trainer.fit()
    fast, plain = torch.tensor(_losses(runs[True])), torch.tensor(_losses(runs[False]))
    assert torch.allclose(fast[0], plain[0], rtol=1e-5, atol=1e-6)  # the same function at step 1
    # later steps: Adam divides by |g|, so tiny nets magnify rounding; a wrong path would be far off
    assert torch.allclose(fast, plain, rtol=1e-2, atol=1e-4)
    from safetensors.torch import load_file

    keys = [set(load_file(str(latest_state(r) / "weights.safetensors"))) for r in runs.values()]
    assert keys[0] == keys[1]  # compiled or not, the same checkpoint keys


def test_a_translation_grid_names_its_columns_and_the_loss_plot_has_a_panel_per_kind(tmp_path):
    """A CycleGAN grid carries A | G_AB(A) | rec A | B | G_BA(B) | rec B over its columns, and losses.png has
    a panel per kind of loss (a dozen lines in one panel shared colours; a GAN's G and g_adv overlapped)."""
    import numpy as np
    from PIL import Image

    from translate.training.runlog import plot_losses, save_samples

    images = torch.rand(12, 3, 32, 32) * 2 - 1
    save_samples({"A | G_AB(A) | rec A | B | G_BA(B) | rec B": images}, tmp_path / "grid.png", nrow=6)
    save_samples({"samples": images}, tmp_path / "plain.png", nrow=6)
    labelled, plain = Image.open(tmp_path / "grid.png"), Image.open(tmp_path / "plain.png")
    assert labelled.height == plain.height + 14 and labelled.width == plain.width
    strip = np.asarray(labelled.convert("L"))[:14]
    assert (strip < 100).any() and (strip > 250).mean() > 0.7  # black text on white
    csv = tmp_path / "losses.csv"
    csv.write_text("step,D,G,d_real_A,d_fake_A,cycle_A,idt_AB\n" +
                   "".join(f"{i},{1 / i},{5 / i},{0.5 / i},{0.4 / i},{2 / i},{1 / i}\n" for i in range(1, 200)))
    plot_losses(csv, tmp_path / "losses.png")
    assert Image.open(tmp_path / "losses.png").width >= 800  # a panel per kind of loss, side by side
    from translate.training.runlog import loss_panels

    cyclegan = loss_panels("D,G,adv_AB,adv_BA,cycle_A,cycle_B,d_fake_A,d_fake_B,d_real_A,d_real_B,idt_AB,idt_BA"
                           .split(","))
    assert cyclegan == {"discriminator": ["d_fake_A", "d_fake_B", "d_real_A", "d_real_B"],
                        "generator, adversarial": ["adv_AB", "adv_BA"],
                        "generator, reconstruction and other terms": ["cycle_A", "cycle_B", "idt_AB", "idt_BA"]}
    gan = loss_panels(["D", "G", "d_fake", "d_real", "g_adv"])  # G is g_adv: drawn once
    assert gan == {"discriminator": ["d_fake", "d_real"], "generator, adversarial": ["g_adv"]}
