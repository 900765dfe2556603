"""The command line as a user meets it: fast help, flag precedence, train -> sample -> eval, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import cli_fails
from PIL import Image

from translate.cli import COMMANDS, HANDLERS, main
from translate.registry import MODELS

HELP_COMMANDS = [[], ["train"], *(["train", "--model", m] for m in MODELS.names()),
                 *([c] for c in HANDLERS)]


def test_help_covers_every_command():
    assert {a[0] for a in HELP_COMMANDS if a} == set(HANDLERS) == set(COMMANDS)


@pytest.mark.parametrize("args", HELP_COMMANDS, ids=lambda a: " ".join(a) or "top")
def test_help_is_complete_and_does_not_import_torch(args):
    code = ("import sys, time; t = time.perf_counter(); from translate.cli import main\n"
            "try:\n    main(sys.argv[1:] + ['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n"
            "print('SECONDS', time.perf_counter() - t)")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    wall = time.perf_counter() - t0
    assert out.returncode == 0, out.stderr
    assert "usage: translate" in out.stdout
    assert float(out.stdout.split("SECONDS")[1]) < 1.0 and wall < 3.0
    assert all(len(line) <= 110 for line in out.stdout.splitlines()), "a help line does not wrap"
    text = " ".join(out.stdout.split())
    if args[:3] == ["train", "--model", "dcgan"]:
        assert "--ngf" in text and "the global batch, split evenly over the processes (default: 128)" in text
    if args[:3] == ["train", "--model", "cyclegan"]:  # --data names the sets that fit this model
        assert "horse2zebra" in text and "facades" not in text.split("--data")[1].split("--root")[0]
    if args[:1] == ["train"]:
        assert "checkpoints/run-NNN-MODEL-DATA" in text and "runs/" not in text
    if args in (["demo"], ["download-weights"]):
        assert "--port PORT port to serve on" in text or "NAME published model name" in text


def test_dry_run_applies_paper_defaults_then_user_flags(capsys):
    assert main(["train", "--model", "dcgan", "--data", "mnist", "--dry-run", "--lr-d", "4e-4",
                 "--betas-g", "0.0", "0.9"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    t = cfg["train"]
    assert t["batch_size"] == 128 and t["lr_g"] == 2e-4  # Radford et al. 2016
    assert t["lr_d"] == 4e-4 and t["betas_g"] == [0.0, 0.9]  # the user's TTUR wins
    assert cfg["model"]["z_dim"] == 100 and cfg["model"]["objective"] == "nonsaturating"


@pytest.mark.parametrize("argv,message", [
    (["train", "--data", "ring8"], "--model is required"),
    (["train", "--model", "gan"], "--data is required"),
    (["train", "--model", "gan", "--data", "ring8", "--d-steps", "0"], "--d-steps must be at least 1"),
    (["train", "--model", "gan", "--data", "nowhere-data", "--root", "/nonexistent"], "neither a known name"),
])
def test_bad_train_arguments_are_one_line_errors(argv, message):
    e_text = cli_fails(argv)
    assert message in e_text


def test_unknown_model_suggests_the_closest():
    cli_fails(["train", "--model", "dcgna", "--data", "mnist"], "Did you mean 'dcgan'")


TINY_CGAN = ["--z-dim", "8", "--ngf", "4", "--ndf", "4", "--batch-size", "16", "--log-every", "1"]


def test_train_sample_eval_round_trip_for_cgan(tmp_path, mnist_root, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "cgan", "--data", "mnist", "--root", str(mnist_root), "--holdout", "50",
                 "--steps", "3", "--out", str(run), *TINY_CGAN]) == 0
    # a second train into the same folder would overwrite it: refused
    cli_fails(["train", "--model", "cgan", "--data", "mnist", "--root", str(mnist_root), "--out", str(run)],
              "already holds a run")
    # resuming may extend the run but not change its recipe
    cli_fails(["train", "--resume", str(run), "--lr-g", "1e-3"], "cannot change --lr-g")
    cli_fails(["train", "--resume", str(run), "--data", "digits"], "cannot change --data")
    # ... and the original command line, repeated with --resume, is accepted (values compared, not spellings)
    assert main(["train", "--resume", str(run), "--model", "cgan", "--data", "mnist", "--root", str(mnist_root),
                 "--holdout", "50", "--steps", "4", *TINY_CGAN]) == 0
    assert main(["train", "--resume", str(run), "--steps", "5", "--lr-decay", "0.8"]) == 0
    assert json.loads((run / "bundle" / "config.json").read_text())["step"] == 5
    assert "new schedule: 4 -> 5 steps; the learning rate at step 4 jumps from 1x to 0.25x" in capsys.readouterr().err

    assert main(["sample", "--checkpoint", str(run), "--n", "20", "--out", str(tmp_path / "grid.png")]) == 0
    grid = Image.open(tmp_path / "grid.png")
    assert grid.size == (2 + 2 * 30, 2 + 10 * 30)  # 2 per class, one row per class, 28 px + 2 px padding
    assert main(["sample", "--checkpoint", str(run / "bundle"), "--n", "5", "--label", "7",
                 "--out", str(tmp_path / "sevens")]) == 0
    assert sorted(p.name for p in (tmp_path / "sevens").iterdir()) == [f"{i:05d}.png" for i in range(5)]
    assert main(["sample", "--checkpoint", str(run), "--interpolate", "--n", "3", "--steps", "5",
                 "--out", str(tmp_path / "walk.png")]) == 0
    assert Image.open(tmp_path / "walk.png").size == (2 + 5 * 30, 2 + 3 * 30)
    cli_fails(["sample", "--checkpoint", str(run), "--label", "cat", "--out", str(tmp_path / "x.png")],
              "unknown label 'cat'")


def test_resume_of_an_epoch_run_changes_its_length_in_epochs(tmp_path, paired_root):
    from conftest import make_config

    run = tmp_path / "run"
    run.mkdir()
    make_config("pix2pix", str(paired_root), train={"epochs": 2, "epochs_decay": 2, "steps": 12}).save(
        run / "config.json")
    cli_fails(["train", "--resume", str(run), "--steps",
              "20"], r"set in epochs \(--epochs 2 --epochs-decay 2\); change those")


def test_gan_points_sample_npy_and_modes_eval(tmp_path, capsys):
    run = tmp_path / "ring"
    assert main(["train", "--model", "gan", "--data", "ring8", "--steps", "3", "--out", str(run),
                 "--g-hidden", "8", "--d-hidden", "8"]) == 0
    assert main(["sample", "--checkpoint", str(run), "--n", "100", "--out", str(tmp_path / "p.npy")]) == 0
    pts = np.load(tmp_path / "p.npy")
    assert pts.shape == (100, 2) and pts.dtype == np.float32
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(run), "--metric", "modes", "--json", str(tmp_path / "m.json")]) == 0
    res = json.loads((tmp_path / "m.json").read_text())
    assert res["n_modes"] == 8 and res["n_samples"] == 2500 and 0 <= res["high_quality"] <= 1
    assert "reverse_kl" in capsys.readouterr().out


def test_parzen_eval_on_mnist_files(tmp_path, mnist_root, capsys):
    run = tmp_path / "dc"
    assert main(["train", "--model", "dcgan", "--data", "mnist", "--root", str(mnist_root), "--holdout", "50",
                 "--steps", "2", "--out", str(run), *TINY_CGAN]) == 0
    assert main(["eval", "--checkpoint", str(run), "--metric", "parzen", "--n", "300",
                 "--json", str(tmp_path / "p.json")]) == 0
    res = json.loads((tmp_path / "p.json").read_text())
    assert res["n_samples"] == 300 and res["n_test"] == 200 and np.isfinite(res["log_likelihood"])
    assert 0.1 <= res["sigma"] <= 1.0


def test_list_shows_registries(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "cgan, cut, cyclegan, dcgan, fastcut, gan, pix2pix" in out and "horse2zebra" in out
    assert "hinge" in out and "wgan-gp" in out and "ring8" in out


def _thp_mode() -> str:
    try:
        text = open("/sys/kernel/mm/transparent_hugepage/enabled").read()
    except OSError:
        return "unavailable"
    return text.split("[")[1].split("]")[0]


def test_import_changes_nothing_in_the_environment():
    """Importing the library (and its heavy parts) sets no environment variable and no warning filter of its
    own (the libraries it builds on are imported first: numpy and torch add filters when imported)."""
    import os

    code = ("import os, warnings\n"
            "import numpy, torch, torchvision, albumentations, kornia, safetensors, PIL.Image  # their own filters\n"
            "before, filters = dict(os.environ), list(warnings.filters)\n"
            "import translate, translate.inference, translate.training.trainer, translate.accel\n"
            "print(dict(os.environ) == before and list(warnings.filters) == filters)")
    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "True", out.stdout + out.stderr


@pytest.mark.parametrize("setting", [None, "0"])
def test_the_command_line_asks_for_huge_pages_unless_told_not_to(setting):
    """The `translate` entry point sets THP_MEM_ALLOC_ENABLE=1 before torch is imported (PyTorch then madvises
    its big CPU buffers into transparent huge pages) without overriding a user's own value; where the kernel
    offers THP, a 64 MB tensor made afterwards really is backed by huge pages."""
    import os

    code = ("import os\n"
            "from translate.cli import enable_huge_pages\n"
            "enable_huge_pages()\n"
            "import torch\n"
            "def huge():\n"
            "    for line in open('/proc/self/smaps_rollup'):\n"
            "        if line.startswith('AnonHugePages:'):\n"
            "            return int(line.split()[1])\n"
            "    return 0\n"
            "before = huge(); t = torch.ones(16 * 1024 * 1024); after = huge()\n"
            "print(os.environ['THP_MEM_ALLOC_ENABLE'], after - before)")
    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    if setting is not None:
        env["THP_MEM_ALLOC_ENABLE"] = setting
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    value, grown_kb = out.stdout.split()
    assert value == (setting or "1")
    if setting is None and _thp_mode() in ("always", "madvise") and os.path.exists("/proc/self/smaps_rollup"):
        assert int(grown_kb) >= 32 * 1024, f"only {grown_kb} KB of the 64 MB tensor in huge pages"
