"""Bytes on disk: atomic writes, optimizer state round trip, bundles vs run folders, clear refusals."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import cli_fails

from translate.inference import Sampler
from translate.storage.atomic import atomic_write_text
from translate.storage.checkpoint import CheckpointError, load_checkpoint
from translate.training.state import flatten_optimizer, save_state, unflatten_optimizer


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    atomic_write_text(target, "old")
    import translate.storage.atomic as ck

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(ck.os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_failed_state_write_keeps_previous_states(tmp_path):
    w = {"a": torch.ones(2)}
    save_state(tmp_path, 1, w, {}, {"x": 1}, keep=5)
    with pytest.raises(TypeError):
        save_state(tmp_path, 2, w, {}, {"x": object()}, keep=5)  # not JSON-able: fails mid-write
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["step-0000001"]


def test_a_state_save_cut_by_sigkill_leaves_no_folder_behind_after_the_next_save(tmp_path):
    save_state(tmp_path, 1, {"a": torch.ones(2)}, {}, {}, keep=5)
    partial = tmp_path / "state" / ".step-0000002.k3j9x2"  # what a SIGKILL mid-save leaves
    partial.mkdir()
    (partial / "weights.safetensors").write_bytes(b"half")
    save_state(tmp_path, 3, {"a": torch.ones(2)}, {}, {}, keep=5)
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["step-0000001", "step-0000003"]


def test_keep_last_k_states(tmp_path):
    for step in range(1, 6):
        save_state(tmp_path, step, {"a": torch.ones(1)}, {}, {}, keep=2)
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["step-0000004", "step-0000005"]


def test_optimizer_state_round_trips_without_pickle():
    p = torch.nn.Parameter(torch.randn(3))
    opt = torch.optim.Adam([p], lr=0.1, betas=(0.5, 0.9))
    for _ in range(3):
        opt.zero_grad()
        p.pow(2).sum().backward()
        opt.step()
    tensors, plain = flatten_optimizer("optim.G", opt.state_dict())
    json.dumps(plain)  # the non-tensor part is plain JSON
    back = unflatten_optimizer("optim.G", tensors, json.loads(json.dumps(plain)))
    fresh = torch.optim.Adam([torch.nn.Parameter(p.detach().clone())], lr=0.1)
    fresh.load_state_dict(back)
    assert fresh.param_groups[0]["betas"] == (0.5, 0.9) or list(fresh.param_groups[0]["betas"]) == [0.5, 0.9]
    for k in ("exp_avg", "exp_avg_sq", "step"):
        assert torch.equal(fresh.state_dict()["state"][0][k], opt.state_dict()["state"][0][k])


def test_missing_and_damaged_checkpoints_are_named(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="neither a bundle"):
        load_checkpoint(tmp_path / "empty")
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "model.safetensors").write_bytes(b"garbage")
    (bundle / "config.json").write_text(json.dumps({
        "format": "translate-bundle/1", "model": "gan", "kind": "sampler", "output": "points", "z_dim": 2,
        "sample_shape": [2], "nets": {"G": {"name": "mlp_g", "kwargs": {}}}}))
    with pytest.raises(CheckpointError, match="model.safetensors cannot be read"):
        load_checkpoint(bundle)


def test_sampler_refuses_translation_bundles(tmp_path):
    from translate.storage.checkpoint import save_bundle

    spec = {"name": "resnet_g", "kwargs": {"ngf": 4, "n_blocks": 1}}
    save_bundle(tmp_path / "b", "cyclegan", {"kind": "translator", "nets": {"G_AB": spec},
                                            "directions": {"AtoB": "G_AB"}}, {"x": torch.zeros(1)}, {})
    with pytest.raises(CheckpointError, match="'cyclegan' model, which translates images"):
        Sampler.from_pretrained(tmp_path / "b")


def test_atomic_files_get_ordinary_permissions(tmp_path):
    import os

    atomic_write_text(tmp_path / "a.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~mask


def test_export_writes_a_half_size_bundle_that_translates_like_the_run(cyclegan_bundle, tmp_path):
    from translate.cli import main
    from translate.inference import ImageTranslator

    run = cyclegan_bundle.parent  # the run folder: its newest state, not the end-of-run bundle
    out = tmp_path / "shipped"
    assert main(["export", "--checkpoint", str(run), "--out", str(out), "--half"]) == 0
    full = load_checkpoint(run)[1]
    config, restored = load_checkpoint(out)
    assert config["stored_dtype"] == "float16" and config["step"] == 2
    assert config["timing"]["timed_steps"] == 2  # the run's wall time and hardware travel with it
    assert "/" not in config["train_data"]  # a data set name, not this machine's path
    assert all(v.dtype == torch.float32 for v in restored.values() if v.is_floating_point())
    size_full = sum(v.numel() * v.element_size() for v in full.values())
    assert (out / "model.safetensors").stat().st_size < 0.55 * size_full
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    y_run = ImageTranslator.from_pretrained(run, precision="fp32")(x)  # the fp16 storage alone
    y_half = ImageTranslator.from_pretrained(out, precision="fp32")(x)
    assert (y_run - y_half).abs().max() < 5e-3
    cli_fails(["export", "--checkpoint", str(run), "--out", str(out)], "already exists")
    assert main(["export", "--checkpoint", str(run), "--out", str(out), "--overwrite"]) == 0
    assert load_checkpoint(out)[1][next(iter(full))].dtype == torch.float32
    assert "stored_dtype" not in json.loads((out / "config.json").read_text())


def test_one_state_of_a_run_loads_as_a_checkpoint(tmp_path):
    """state/step-NNNNNNN is a checkpoint of its own (to score or convert with a run's earlier state)."""
    from conftest import make_config

    from translate.storage.checkpoint import checkpoint_config, list_states
    from translate.training.trainer import Trainer

    run = Trainer(make_config("gan", train={"steps": 4, "checkpoint_every": 2}), tmp_path / "run", quiet=True).fit()
    first, last = list_states(run)
    assert [load_checkpoint(s)[0]["step"] for s in (first, last, run)] == [2, 4, 4]
    assert checkpoint_config(first)["kind"] == "sampler"
    assert not torch.equal(load_checkpoint(first)[1]["G.net.0.weight"], load_checkpoint(last)[1]["G.net.0.weight"])
