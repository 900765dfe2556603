"""A newcomer's first training run: the plan before step 1, a measured estimate, progress lines in a log
file, the quick CPU recipe when a run would take hours, and a clean stop at any moment (issue 23)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from translate.cli import main
from translate.registry import MODELS, model_config
from translate.storage.checkpoint import latest_state
from translate.training.runlog import RunLog

TINY_GAN = ["--model", "gan", "--data", "ring8", "--g-hidden", "8", "--d-hidden", "8"]


def test_a_log_file_gets_the_plan_a_first_line_an_estimate_and_progress(tmp_path, capsys):
    """stderr here is not a terminal (as under nohup or CI): the run still says what it does."""
    assert main(["train", *TINY_GAN, "--steps", "80", "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    lines = err.splitlines()
    plan = next(i for i, line in enumerate(lines) if line.startswith("plan: gan on ring8"))
    assert "G MLPGenerator" in lines[plan] and "D MLPDiscriminator" in lines[plan]
    assert "80 steps, batch 256" in lines[plan + 1] and "CPU" in lines[plan + 1] and "fp32" in lines[plan + 1]
    first = next(i for i, line in enumerate(lines) if line.startswith("step 1/80 done"))
    estimate = next(i for i, line in enumerate(lines) if line.startswith("measured "))
    assert plan < first < estimate
    assert "steps left, about" in lines[estimate] and "quicker recipe" not in err  # a toy run takes seconds
    assert any(line.startswith("step 80/80  D ") for line in lines)  # the final progress line, with losses


def test_an_epoch_run_states_its_epochs(tmp_path, capsys, unpaired_root):
    assert main(["train", "--model", "cyclegan", "--data", str(unpaired_root), "--size", "32", "--ngf", "4",
                 "--ndf", "4", "--netG", "resnet_6blocks", "--epochs", "1", "--epochs-decay", "1",
                 "--out", str(tmp_path / "run")]) == 0
    plan = [line for line in capsys.readouterr().err.splitlines() if line.startswith(("plan:", "      "))]
    assert "cyclegan on " in plan[0] and "32 px" in plan[0] and "G_AB ResnetGenerator" in plan[0]
    assert "= 1 + 1 decaying epochs of" in plan[1]


def test_a_long_cpu_run_names_the_quick_recipe_once(tmp_path):
    log = RunLog(tmp_path, total_steps=80_000, start_step=0, tensorboard=False, quiet=True,
                 quick_recipe="translate train --model cyclegan --data horse2zebra --size 128")
    long, short = log._estimate(1.1, 10), log._estimate(0.01, 10)
    assert "about 24.4 h" in long and "quicker recipe" in long and "--size 128" in long
    assert "quicker recipe" not in short
    # each recipe is made of flags `translate train` accepts
    for name in ("pix2pix", "cyclegan"):
        recipe = model_config(name).CPU_RECIPE
        assert "--size 128" in recipe
        assert main(["train", "--model", name, "--data", "horse2zebra", *recipe.split(), "--dry-run"]) == 0


@pytest.mark.parametrize("sig,after", [(signal.SIGTERM, 0.3), (signal.SIGINT, 1.0), (signal.SIGTERM, 1.5),
                                       (signal.SIGINT, 2.0), (signal.SIGTERM, 2.5), (signal.SIGINT, 6.0)])
def test_a_stop_at_any_moment_exits_cleanly_and_leaves_nothing_half_written(tmp_path, sig, after):
    """From the command's first moment: before the run folder exists nothing is written; once it exists,
    the stop saves a resumable state. Never a traceback, never a temporary file left behind."""
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "translate", "train", *TINY_GAN, "--steps", "10000000",
                             "--out", str(out)], stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(after)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    # 130 after "interrupted"; or death by SIGINT (-2) after the same message: when the signal lands while
    # torch runs Python source from C++ at import time, CPython marks the KeyboardInterrupt as unhandled
    # and, at exit, re-raises SIGINT on itself (what a shell reports as 130 too)
    assert proc.returncode in (0, 130, -signal.SIGINT), (proc.returncode, err)
    assert "Traceback" not in err, err
    if out.exists():
        assert (out / "config.json").is_file() and latest_state(out) is not None, sorted(out.rglob("*"))
        assert f"continue with: translate train --resume {out}" in err
        for line in err.splitlines():  # every path it names can be opened (a stop before the first grid too)
            if line.strip().startswith(("samples: ", "losses: ", "bundle: ")):
                for path in line.split()[1::2]:
                    assert Path(path).exists(), (path, err)
    leftovers = [p for p in tmp_path.rglob("*") if p.name.startswith(".") or ".tmp" in p.name]
    assert leftovers == []
    if proc.returncode != 0:
        assert err.strip().endswith("translate train: interrupted") and not out.exists()


def test_the_recipe_is_not_named_to_a_run_that_follows_it(unpaired_root):
    import torch
    from conftest import make_config

    from translate.training.runlog import quick_recipe

    cpu = torch.device("cpu")
    recipe = model_config("cyclegan").CPU_RECIPE
    follows = make_config("cyclegan", str(unpaired_root), train={"epochs": 15, "epochs_decay": 15},
                          data_kw={"size": 128, "crop_size": 128, "load_size": 143},
                          model_kw={"netG": "resnet_6blocks", "ngf": 32})
    assert quick_recipe(follows, cpu) == ""
    other = make_config("cyclegan", str(unpaired_root), data_kw={"size": 32})
    assert quick_recipe(other, cpu).endswith(recipe) and quick_recipe(other, torch.device("meta")) == ""


def test_only_translation_models_with_a_measured_night_recipe_name_one():
    """pix2pix and CycleGAN name the recipes of their bundles; CUT and FastCUT none (none measured gives a usable
    model in a night on a CPU, docs/comparison.md), and the toy GANs need none."""
    with_recipe = {n for n in MODELS.names() if model_config(n).CPU_RECIPE}
    assert with_recipe == {"pix2pix", "cyclegan"}


def test_bundled_names_resolve_from_any_folder_and_list_shows_them(tmp_path, monkeypatch, capsys):
    """translate.load, convert -c and the demo find the bundled models wherever the user stands; `translate
    list` shows them with their directions (an installed checkpoint in ./checkpoints is listed too)."""
    import translate
    from translate.demo.app import TASKS, ModelZoo

    monkeypatch.chdir(tmp_path)
    assert translate.load("horse2zebra", direction="BtoA") is not None
    zoo = ModelZoo()
    for directions in TASKS.values():
        for candidates in directions.values():
            assert zoo.find(candidates) is not None, candidates
    (tmp_path / "checkpoints" / "mine").mkdir(parents=True)
    installed = tmp_path / "checkpoints" / "mine"
    from translate.storage.catalog import BUNDLED

    for name in ("config.json", "model.safetensors"):
        (installed / name).write_bytes((BUNDLED / "horse2zebra" / name).read_bytes())
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "  horse2zebra              AtoB horse -> zebra, BtoA zebra -> horse\n" in out
    assert "  summer2winter_yosemite   AtoB summer -> winter, BtoA winter -> summer\n" in out
    assert " bundled with translate, " in out and " your own checkpoints, checkpoints:\n  mine " in out
    assert "your checkpoint, CycleGAN ResNet-6 ngf 32, 128 px, 12,000 steps, 11.1 CPU hours" in out
