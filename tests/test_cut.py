"""CUT and FastCUT (Park et al. 2020): the nets and the PatchNCE loss give the official code's numbers, the
projection head is built from a first forward pass and trains with its own optimizer, runs resume exactly, and
a one-direction bundle translates in the direction it was trained."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from conftest import cli_fails, make_config
from safetensors.torch import load_file

from translate.errors import CheckpointError
from translate.nets.patch_sample import PatchSampleMLP, patch_nce
from translate.training.trainer import Trainer

OFFICIAL = Path(__file__).resolve().parent / "data" / "cut_official_outputs.safetensors"


def test_nets_and_patchnce_equal_the_official_code():
    """bench/cut_parity.py ran the official CUT ResnetGenerator, NLayerDiscriminator (anti-aliased) and
    PatchNCELoss on these weights and inputs and stored their outputs; ours must give the same numbers."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cut_parity", Path(__file__).parents[1] / "bench" / "cut_parity.py")
    parity = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(parity)
    ref = load_file(str(OFFICIAL))
    G, D = parity.ours()
    with torch.no_grad():
        assert (G(ref["x"]) - ref["G"]).abs().max() < 1e-5
        assert (D(ref["x"]) - ref["D"]).abs().max() < 1e-5
        for layer, feat in zip(parity.LAYERS, G.encode(ref["x"], parity.LAYERS)):
            assert (feat - ref[f"feat{layer}"]).abs().max() < 1e-5, layer
    assert (patch_nce(ref["nce_q"], ref["nce_k"], 2, 0.07) - ref["nce"]).abs().max() < 1e-5


def test_patchnce_is_the_direct_formula_on_hand_made_features():
    """For query i of image b: -log(exp(q.k_i / t) / (exp(q.k_i / t) + sum_{j != i} exp(q.k_j / t) + exp(-10/t)))
    with the keys of the same image only (the official masks the diagonal of the negatives to -10)."""
    g = torch.Generator().manual_seed(0)
    n_img, p, d, t = 2, 5, 4, 0.07
    q = torch.nn.functional.normalize(torch.randn(n_img * p, d, generator=g), dim=1)
    k = torch.nn.functional.normalize(torch.randn(n_img * p, d, generator=g), dim=1)
    got = patch_nce(q, k, n_img, t)
    for b in range(n_img):
        for i in range(p):
            qi = q[b * p + i]
            sims = [float(qi @ k[b * p + j]) for j in range(p)]
            denominator = math.exp(sims[i] / t) + sum(math.exp(s / t) for j, s in enumerate(sims) if j != i)
            denominator += math.exp(-10 / t)
            assert got[b * p + i].item() == pytest.approx(-math.log(math.exp(sims[i] / t) / denominator), rel=1e-4)
    # matching patches score low, a shuffled correspondence high
    assert patch_nce(q, q, n_img, t).mean() < 0.1 < patch_nce(q, q.roll(1, 0), n_img, t).mean()


def test_the_head_samples_the_same_positions_when_asked():
    head = PatchSampleMLP([3, 6], nc=8)
    feats = [torch.randn(2, 3, 4, 4), torch.randn(2, 6, 2, 2)]
    out, ids = head(feats, 5)
    again, ids2 = head(feats, 5, ids)
    assert all(torch.equal(a, b) for a, b in zip(ids, ids2)) and all(torch.equal(a, b) for a, b in zip(out, again))
    assert [len(i) for i in ids] == [5, 4] and all(len(set(i.tolist())) == len(i) for i in ids)
    assert all(torch.allclose(o.norm(dim=1), torch.ones(len(o)), atol=1e-5) for o in out)


@pytest.mark.parametrize("model", ["cut", "fastcut"])
def test_the_head_is_built_from_a_first_pass_and_every_role_learns(tmp_path, unpaired_root, model):
    tr = Trainer(make_config(model, str(unpaired_root), train={"steps": 3}), tmp_path / "r", quiet=True)
    # ResNet encoder at ngf 4, layers 0,4,8,12,16: the padded input, then 2, 4, 4*... channels
    assert tr.model.F.in_channels == [3, 8, 16, 16, 16]
    assert set(tr.optimizers) == {"G", "D", "F"}
    assert tr.optimizers["F"].param_groups[0]["betas"] == tr.optimizers["G"].param_groups[0]["betas"]
    before = {k: v.clone() for k, v in tr.model.state_dict().items()}
    counts = {r: 0 for r in tr.optimizers}
    for role, opt in tr.optimizers.items():
        opt.register_step_post_hook(lambda *a, role=role: counts.__setitem__(role, counts[role] + 1))
    run = tr.fit()
    assert counts == {"G": 3, "D": 3, "F": 3} and tr.stream.position == 3  # one batch per step
    after = tr.model.state_dict()
    for prefix in ("G.", "D.", "F."):
        assert any(not torch.equal(before[k], after[k]) for k in after if k.startswith(prefix)), prefix
    columns = (run / "losses.csv").read_text().splitlines()[0].split(",")
    assert {"nce", "g_adv"} <= set(columns) and (("nce_idt" in columns) == (model == "cut"))


def test_resume_is_exact_with_the_heads_optimizer_state(tmp_path, unpaired_root):
    train = {"steps": 4, "checkpoint_every": 2}
    straight = Trainer(make_config("fastcut", str(unpaired_root), train=train), tmp_path / "a", quiet=True)
    straight.fit()
    cfg = make_config("fastcut", str(unpaired_root), train={**train, "steps": 2})
    Trainer(cfg, tmp_path / "b", quiet=True).fit()
    cfg.train.steps = 4
    resumed = Trainer(cfg, tmp_path / "b", resume=True, quiet=True)
    assert resumed.optimizers["F"].state
    resumed.fit()
    want = straight.model.state_dict()
    for k, v in resumed.model.state_dict().items():
        assert torch.equal(v, want[k]), k


@pytest.mark.parametrize("direction", ["AtoB", "BtoA"])
def test_a_cut_bundle_translates_the_direction_it_was_trained(tmp_path, unpaired_root, direction):
    import json

    import translate

    cfg = make_config("cut", str(unpaired_root), train={"steps": 1}, data_kw={"direction": direction})
    run = Trainer(cfg, tmp_path / "r", quiet=True).fit()
    config = json.loads((run / "bundle" / "config.json").read_text())
    assert config["directions"] == {direction: "G"} and config["model"] == "cut"
    assert config["nets"]["G"]["kwargs"]["antialias"] is True
    other = "BtoA" if direction == "AtoB" else "AtoB"
    out = translate.load(run / "bundle", direction=direction, device="cpu")(torch.rand(1, 3, 20, 28) * 2 - 1)
    assert out.shape == (1, 3, 20, 28)
    with pytest.raises(CheckpointError, match=f"no '{other}'"):
        translate.load(run / "bundle", direction=other, device="cpu")


def test_official_cut_generator_files_import_with_the_same_pixels(tmp_path):
    """An official CUT latest_net_G.pth holds the anti-aliased ResNet's state dict (its blur filters too, as
    `.filt` buffers; the key layout is the official one: bench/cut_parity.py loads it into the official net).
    Imported, it translates as the net itself does."""
    import translate
    from translate.cli import main
    from translate.nets.resnet import ResnetGenerator

    torch.manual_seed(0)
    net = ResnetGenerator(3, 3, ngf=8, n_blocks=9, antialias=True, antialias_up=True).eval()
    for p in net.parameters():
        p.data.normal_(0, 0.05)
    sd = net.state_dict()
    assert any(k.endswith(".filt") for k in sd)
    torch.save({f"module.{k}": v for k, v in sd.items()}, tmp_path / "latest_net_G.pth")  # DataParallel prefix
    assert main(["import-official", str(tmp_path / "latest_net_G.pth"), "--model", "cut", "--out",
                 str(tmp_path / "h2z")]) == 0
    x = torch.rand(1, 3, 32, 40) * 2 - 1
    with torch.no_grad():
        want = net(x)
    got = translate.load(tmp_path / "h2z", device="cpu", precision="fp32", winograd=False)(x)
    assert (got - want).abs().max() < 1e-5


def test_download_weights_takes_one_cut_model_out_of_the_official_archive(tmp_path, monkeypatch):
    """The official CUT models come as one tar of <data>_<mode>_pretrained/latest_net_G.pth files; served from
    127.0.0.1 (TRANSLATE_MIRROR), `download-weights cut_horse2zebra` takes its member and imports it."""
    import functools
    import io
    import tarfile
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    import translate
    from translate.cli import main
    from translate.nets.resnet import ResnetGenerator

    torch.manual_seed(1)
    nets = {name: ResnetGenerator(3, 3, ngf=8, n_blocks=9, antialias=True, antialias_up=True).eval()
            for name in ("horse2zebra_cut_pretrained", "cityscapes_fastcut_pretrained")}
    (tmp_path / "www" / "CUT").mkdir(parents=True)
    with tarfile.open(tmp_path / "www" / "CUT" / "pretrained_models.tar", "w") as tar:
        for name, net in nets.items():
            buf = io.BytesIO()
            torch.save(net.state_dict(), buf)
            info = tarfile.TarInfo(f"{name}/latest_net_G.pth")
            info.size = len(buf.getvalue())
            tar.addfile(info, io.BytesIO(buf.getvalue()))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("TRANSLATE_MIRROR", f"http://127.0.0.1:{server.server_address[1]}")
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("TRANSLATE_WEIGHTS", str(tmp_path / "weights"))
        assert main(["download-weights", "cut_horse2zebra"]) == 0
        assert main(["download-weights", "fastcut_cityscapes"]) == 0
    finally:
        server.shutdown()
    x = torch.rand(1, 3, 24, 32) * 2 - 1
    with torch.no_grad():
        want = nets["horse2zebra_cut_pretrained"](x)
    got = translate.load("cut_horse2zebra", device="cpu", precision="fp32", winograd=False)(x)
    assert (got - want).abs().max() < 1e-5
    # the cityscapes models translate labels (B) to photos (A): the bundle says BtoA
    import json

    config = json.loads((tmp_path / "weights" / "fastcut_cityscapes" / "config.json").read_text())
    assert config["directions"] == {"BtoA": "G"} and config["model"] == "fastcut"


def test_two_one_direction_runs_merge_into_one_bundle(tmp_path, unpaired_root):
    """CUT learns one way; two runs (AtoB and BtoA) export as one bundle that translates both ways, like a
    CycleGAN bundle, each direction giving what its own run gives."""
    import translate
    from translate.cli import main

    runs = {}
    for direction in ("AtoB", "BtoA"):
        cfg = make_config("cut", str(unpaired_root), train={"steps": 1}, data_kw={"direction": direction})
        runs[direction] = Trainer(cfg, tmp_path / direction, quiet=True).fit()
    out = tmp_path / "both"
    assert main(["export", "--checkpoint", str(runs["AtoB"]), "--checkpoint", str(runs["BtoA"]), "--out",
                 str(out)]) == 0
    x = torch.rand(1, 3, 20, 28) * 2 - 1
    for direction, run in runs.items():
        want = translate.load(run / "bundle", direction=direction, device="cpu")(x)
        got = translate.load(out, direction=direction, device="cpu")(x)
        assert torch.equal(got, want), direction
    cli_fails(["export", "--checkpoint", str(runs["AtoB"]), "--checkpoint", str(runs["AtoB"]), "--out",
               str(tmp_path / "twice")], "a second AtoB generator")
