"""torchrun on the CPU (gloo, 2 processes on 127.0.0.1): runs finish, ranks agree, 2 processes x B/2 make
the update of 1 process x B, and a run resumes from 2 processes into 1 and back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from translate.cli import main
from translate.storage.checkpoint import latest_state, list_states

WORKER = Path(__file__).with_name("ddp_worker.py")


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    return {**env, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(Path(__file__).parents[1])}


def torchrun(args: list[str], dump: Path, nproc: int = 2) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
           str(WORKER), str(dump), *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=_env())
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


def _cyclegan(root: Path, out: Path, steps: int, *extra: str) -> list[str]:
    # instance norm only, no image pool (its draws are per rank), SGD (Adam's first step divides by |g| and
    # so magnifies float noise in tiny gradients): the setting where 2 x B/2 must equal 1 x B. fp32 and no
    # Winograd, named: `auto` times the candidates per thread count, and this process (2 threads) and the
    # workers (1 each) could pick different ones under load (a 0.006 difference after one step, seen once)
    return ["train", "--model", "cyclegan", "--data", str(root), "--netG", "resnet_6blocks", "--ngf", "4",
            "--ndf", "4", "--load-size", "36", "--crop-size", "32", "--batch-size", "4", "--pool-size", "0",
            "--optim", "sgd", "--lr-g", "0.002", "--lr-d", "0.002", "--steps", str(steps), "--checkpoint-every",
            "1", "--keep-checkpoints", "10", "--sample-every", "1000", "--n-samples", "2", "--log-every", "1",
            "--device", "cpu", "--precision", "fp32", "--winograd", "off", "--out", str(out), *extra]


def _state_weights(run: Path, step: int | None = None) -> dict[str, torch.Tensor]:
    states = {int(p.name.split("-")[1]): p for p in list_states(run)}
    path = states[step] if step is not None else latest_state(run)
    return {k: v for k, v in load_file(str(path / "weights.safetensors")).items() if not k.startswith("extra.")}


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a if a[k].is_floating_point())


def _flat(w: dict) -> torch.Tensor:
    return torch.cat([v.double().flatten() for _, v in sorted(w.items()) if v.is_floating_point()])


def update_error(run: Path, ref: Path, step: int) -> float:
    """|| run's update into `step` - ref's update || / || ref's update ||, both from ref's state at step - 1.

    Updates, not weights: tiny instance-normed nets amplify float rounding (a different thread count
    alone gives 7e-6 here after 2 steps and 4e-3 after 3), so the comparison is kept to where rounding
    is small and the update is what is being checked."""
    before = _flat(_state_weights(ref, step - 1))
    want = _flat(_state_weights(ref, step)) - before
    got = _flat(_state_weights(run, step)) - before
    return float((got - want).norm() / want.norm())


@pytest.fixture(scope="module")
def single_run(unpaired_root, tmp_path_factory) -> Path:
    """One process, global batch 4, 2 steps, states at steps 1 and 2."""
    out = tmp_path_factory.mktemp("single") / "run"
    assert main(_cyclegan(unpaired_root, out, 2)) == 0
    return out


def _truncated_copy(run: Path, dest: Path) -> Path:
    """`run` as it was after step 1."""
    shutil.copytree(run, dest)
    for state in list_states(dest)[1:]:
        shutil.rmtree(state)
    return dest


def test_two_processes_make_the_update_of_one_with_the_whole_batch(unpaired_root, single_run, tmp_path):
    run, dump = tmp_path / "ddp", tmp_path / "dump"
    torchrun(_cyclegan(unpaired_root, run, 2), dump)
    ranks = [load_file(str(dump / f"rank{r}.safetensors")) for r in (0, 1)]
    assert _max_diff(ranks[0], ranks[1]) == 0.0  # identical weights on both ranks
    assert _max_diff(_state_weights(run, 1), _state_weights(single_run, 1)) < 1e-6
    assert update_error(run, single_run, 2) < 1e-4  # measured 9e-6
    # the check can tell: one process with only half the batch makes a very different update
    half = _cyclegan(unpaired_root, tmp_path / "half", 2)
    half[half.index("--batch-size") + 1] = "2"
    assert main(half) == 0
    assert update_error(tmp_path / "half", single_run, 2) > 0.1

    state = json.loads((latest_state(run) / "state.json").read_text())
    assert state["world_size"] == 2 and state["data_position"] == 2
    rows = (run / "losses.csv").read_text().strip().splitlines()
    assert len(rows) == 3  # header + one row per step, written once (by rank 0)

    # a 2-process run continues in one process as one process would have
    resumed = _truncated_copy(run, tmp_path / "resumed")
    assert main(["train", "--resume", str(resumed), "--steps", "2"]) == 0
    assert update_error(resumed, single_run, 2) < 1e-4


def test_a_single_process_run_continues_under_torchrun(single_run, tmp_path):
    run = _truncated_copy(single_run, tmp_path / "continued")
    torchrun(["train", "--resume", str(run), "--steps", "2"], tmp_path / "dump")
    assert update_error(run, single_run, 2) < 1e-4
    assert json.loads((latest_state(run) / "state.json").read_text())["world_size"] == 2


def test_dcgan_under_torchrun_keeps_batchnorm_and_weights_identical_on_every_rank(tmp_path):
    run, dump = tmp_path / "dcgan", tmp_path / "dump"
    res = torchrun(["train", "--model", "dcgan", "--data", "digits", "--steps", "5", "--batch-size", "16",
                    "--ngf", "8", "--ndf", "8", "--z-dim", "8", "--checkpoint-every", "1000", "--sample-every",
                    "1000", "--n-samples", "4", "--log-every", "2", "--device", "cpu", "--out", str(run)], dump)
    ranks = [load_file(str(dump / f"rank{r}.safetensors")) for r in (0, 1)]
    assert _max_diff(ranks[0], ranks[1]) == 0.0
    assert any("running_mean" in k for k in ranks[0])
    assert res.stderr.count("finished at step 5/5") == 1  # rank 0 alone speaks
    assert (run / "bundle" / "model.safetensors").is_file() and (run / "samples" / "latest.png").is_file()


def test_nproc_hands_over_to_torchrun_and_checks_the_batch_split(tmp_path):
    run = tmp_path / "nproc"
    cmd = [sys.executable, "-m", "translate", "train", "--nproc", "2", "--model", "gan", "--data", "ring8",
           "--steps", "3", "--batch-size", "8", "--g-hidden", "8", "--d-hidden", "8", "--device", "cpu",
           "--sample-every", "1000", "--n-samples", "4", "--out", str(run)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=_env())
    assert res.returncode == 0, res.stderr[-3000:]
    assert "running: torchrun --standalone --nproc-per-node=2" in res.stderr
    assert json.loads((latest_state(run) / "state.json").read_text())["world_size"] == 2

    bad = subprocess.run([*cmd[:-2], "--batch-size", "7", "--out", str(tmp_path / "odd")], capture_output=True,
                         text=True, timeout=240, env=_env())
    assert bad.returncode != 0
    assert "--batch-size 7 is the global batch and must split evenly over 2 processes" in bad.stderr
    assert "Traceback" not in bad.stderr and "running: torchrun" not in bad.stderr  # refused before launching


def test_sync_bn_is_refused_on_the_cpu_with_the_reason(tmp_path):
    res = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                          "-m", "translate", "train", "--model", "dcgan", "--data", "digits", "--steps", "1",
                          "--batch-size", "8", "--ngf", "4", "--ndf", "4", "--sync-bn", "--device", "cpu",
                          "--out", str(tmp_path / "r")], capture_output=True, text=True, timeout=240, env=_env())
    assert res.returncode != 0 and "--sync-bn needs CUDA GPUs" in res.stderr


def test_sync_bn_conversion_keeps_checkpoint_keys():
    from translate.nets.unet import UnetGenerator

    net = UnetGenerator(3, 3, 5, ngf=4)
    converted = torch.nn.SyncBatchNorm.convert_sync_batchnorm(UnetGenerator(3, 3, 5, ngf=4))
    assert list(net.state_dict()) == list(converted.state_dict())
    assert any(isinstance(m, torch.nn.SyncBatchNorm) for m in converted.modules())


def test_cut_under_torchrun_averages_all_three_roles(unpaired_root, tmp_path):
    """G, D and CUT's projection head F (built after the process group, from a first forward pass) each
    average their gradients over the ranks: the ranks see different images and sample different patches, yet
    end with identical weights in all three nets, and F has moved from its initial weights."""
    run, dump = tmp_path / "cut", tmp_path / "dump"
    torchrun(["train", "--model", "cut", "--data", str(unpaired_root), "--netG", "resnet_6blocks", "--ngf", "4",
              "--ndf", "4", "--num-patches", "16", "--netf-nc", "8", "--load-size", "36", "--crop-size", "32",
              "--batch-size", "2", "--steps", "2", "--checkpoint-every", "1", "--sample-every", "1000",
              "--n-samples", "2", "--device", "cpu", "--out", str(run)], dump)
    ranks = [load_file(str(dump / f"rank{r}.safetensors")) for r in (0, 1)]
    assert {k.split(".")[0] for k in ranks[0]} == {"G", "D", "F"}
    assert _max_diff(ranks[0], ranks[1]) == 0.0
    first = _state_weights(run, 1)
    assert any(not torch.equal(first[k], ranks[0][k]) for k in first if k.startswith("F."))
