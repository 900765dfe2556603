"""Hostile files, crafted checkpoints and faults (issue 25): each gives one line naming the file and the
fix, no traceback reaches the user, and nothing outside the named output changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_fails

from translate.cli import main

TINY_GAN = ["--model", "gan", "--data", "ring8", "--g-hidden", "8", "--d-hidden", "8"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- 1, 6: nothing replaced
def test_train_never_writes_into_a_folder_of_the_users(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    cli_fails(["train", *TINY_GAN, "--steps", "1", "--out", str(mine)], "is not empty")
    assert snapshot(mine) == {"notes.txt": b"keep me"}


def test_a_failed_start_gives_its_run_folder_back(tmp_path):
    out = tmp_path / "run"
    cli_fails(["train", "--model", "dcgan", "--data", str(tmp_path / "no-such-folder"), "--out", str(out)],
              "neither")
    assert not out.exists()  # the same command, corrected, can use the same --out
    assert main(["train", *TINY_GAN, "--steps", "1", "--out", str(out)]) == 0


def test_two_trainers_into_the_same_out_one_refuses(tmp_path):
    """Started together: the folder is claimed atomically, so exactly one trains and the other says why."""
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "translate", "train", *TINY_GAN, "--steps", "30", "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refusal = next(err for code, err in results if code == 2)
    assert "Traceback" not in refusal and any(
        why in refusal for why in ("claimed by another trainer", "is not empty", "already holds a run")), refusal
    rows = (out / "losses.csv").read_text().splitlines()
    assert [int(r.split(",")[0]) for r in rows[1:]] == list(range(1, 31))  # one run's rows, not two interleaved


def test_numbered_runs_take_the_next_free_number(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoints" / "run-001-gan-ring8").mkdir(parents=True)
    (tmp_path / "checkpoints" / "run-001-gan-ring8" / "notes.txt").write_text("x")
    assert main(["train", *TINY_GAN, "--steps", "1"]) == 0
    assert (tmp_path / "checkpoints" / "run-002-gan-ring8" / "bundle").is_dir()
    assert json.loads((tmp_path / "checkpoints" / "run-002-gan-ring8" / "config.json").read_text())
