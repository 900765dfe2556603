"""Our pix2pix/CycleGAN nets against the facts recorded about the official ones
(../shared/reference/official_checkpoint_layout.json): same keys in the same order with the same
shapes, and the same function. The function is checked with an interpreter written here from the
reference's module list alone (conv/pad/norm/activation parameters in execution order, plus the
residual-add and U-Net-concatenate rules of its containers), fed a random state dict in the official
layout saved as a .pth and imported through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from translate.cli import main
from translate.interop.official import import_official
from translate.nets.spec import build_net
from translate.storage.checkpoint import CheckpointError, load_checkpoint

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "official_checkpoint_layout.json"
needs_reference = pytest.mark.skipif(not REFERENCE.is_file(), reason=f"{REFERENCE} not present (CI has it)")

OURS = {
    "cyclegan_G_resnet_9blocks": {"name": "resnet_g", "kwargs": {}},
    "pix2pix_G_unet_256": {"name": "unet_g", "kwargs": {}},
    "cyclegan_D_basic": {"name": "patchgan_d", "kwargs": {}},
    "pix2pix_D_basic": {"name": "patchgan_d", "kwargs": {"in_channels": 6, "norm": "batch"}},
}


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())["networks"]


def official_state_dict(entry: dict, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors under the official key names and shapes (BatchNorm variances positive)."""
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for e in entry["state_dict"]:
        shape, key = e["shape"], e["key"]
        if key.endswith("num_batches_tracked"):
            sd[key] = torch.tensor(7)
        elif key.endswith("running_var"):
            sd[key] = torch.rand(shape, generator=g) + 0.5
        elif key.endswith(".bias") or key.endswith("running_mean"):
            sd[key] = torch.randn(shape, generator=g) * 0.1
        else:
            sd[key] = torch.randn(shape, generator=g) * (0.05 if len(shape) == 4 else 0.1) + (len(shape) == 1)
    return sd


def official_forward(entry: dict, sd: dict, x: torch.Tensor) -> torch.Tensor:
    """Evaluate the official net (eval mode) from the reference's description only."""
    containers = {c["name"]: c for c in entry.get("containers", []) if c["name"] != "<root>"}
    stack: list[tuple[str, torch.Tensor]] = []  # open containers and their inputs

    def close_until(name: str | None):
        nonlocal x
        while stack and (name is None or not name.startswith(stack[-1][0] + ".")):
            cname, inp = stack.pop()
            c = containers[cname]
            if c["type"] == "ResnetBlock":
                x = inp + x
            elif not c.get("outermost"):
                x = torch.cat([inp, x], 1)

    for m in entry["modules_in_execution_order"]:
        name, kind = m["name"], m["type"]
        close_until(name)
        for cname in sorted(containers, key=len):
            if name.startswith(cname + ".") and all(cname != s[0] for s in stack):
                stack.append((cname, x))
        w, b = sd.get(name + ".weight"), sd.get(name + ".bias")
        if kind == "ReflectionPad2d":
            x = F.pad(x, m["padding"], mode="reflect")
        elif kind == "Conv2d":
            x = F.conv2d(x, w, b, m["stride"], m["padding"])
        elif kind == "ConvTranspose2d":
            x = F.conv_transpose2d(x, w, b, m["stride"], m["padding"], m["output_padding"])
        elif kind == "InstanceNorm2d":
            x = F.instance_norm(x, eps=m["eps"])
        elif kind == "BatchNorm2d":
            x = F.batch_norm(x, sd[name + ".running_mean"], sd[name + ".running_var"], w, b, False, 0.0, m["eps"])
        elif kind == "ReLU":
            x = F.relu(x)
        elif kind == "LeakyReLU":
            x = F.leaky_relu(x, m["negative_slope"])
        elif kind == "Tanh":
            x = torch.tanh(x)
        elif kind != "Dropout":  # eval mode: identity
            raise AssertionError(f"interpreter does not know {kind}")
    close_until(None)
    return x


@needs_reference
@pytest.mark.parametrize("net", list(OURS))
def test_state_dict_layout_equals_the_official_one(reference, net):
    entry = reference[net]
    ours = build_net(OURS[net]).state_dict()
    assert list(ours) == [e["key"] for e in entry["state_dict"]]
    assert [list(v.shape) for v in ours.values()] == [e["shape"] for e in entry["state_dict"]]
    params = sum(p.numel() for p in build_net(OURS[net]).parameters())
    assert params == entry["num_parameters"]


@needs_reference
@pytest.mark.parametrize("net,size", [("cyclegan_G_resnet_9blocks", 64), ("pix2pix_G_unet_256", 256),
                                      ("cyclegan_D_basic", 64), ("pix2pix_D_basic", 64)])
def test_our_nets_compute_the_official_function(reference, net, size):
    entry = reference[net]
    sd = official_state_dict(entry)
    ours = build_net(OURS[net]).eval()
    ours.load_state_dict(sd, strict=True)
    x = torch.rand(1, entry["io_at_256"]["input"][1], size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        want, got = official_forward(entry, sd, x), ours(x)
    assert got.shape == want.shape
    assert (got - want).abs().max() < 1e-5


@needs_reference
def test_import_official_cyclegan_pair_through_the_cli(reference, tmp_path):
    entry = reference["cyclegan_G_resnet_9blocks"]
    g_a, g_b = official_state_dict(entry, seed=3), official_state_dict(entry, seed=4)
    # what a DataParallel-era, PyTorch < 0.4 checkpoint looks like: prefixed keys, InstanceNorm stats
    legacy = {f"module.{k}": v for k, v in g_b.items()}
    legacy["module.model.2.running_mean"] = torch.zeros(64)
    legacy["module.model.2.running_var"] = torch.ones(64)
    torch.save(g_a, tmp_path / "latest_net_G_A.pth")
    torch.save(legacy, tmp_path / "latest_net_G_B.pth")
    out = tmp_path / "imported"
    assert main(["import-official", str(tmp_path / "latest_net_G_A.pth"), str(tmp_path / "latest_net_G_B.pth"),
                 "--model", "cyclegan", "--out", str(out)]) == 0
    cfg, tensors = load_checkpoint(out)
    assert cfg["official_netG"] == "resnet_9blocks" and cfg["directions"] == {"AtoB": "G_AB", "BtoA": "G_BA"}
    x = torch.rand(1, 3, 32, 36) * 2 - 1  # not square, a multiple of 4
    for name, sd in (("G_AB", g_a), ("G_BA", g_b)):
        net = build_net(cfg["nets"][name]).eval()
        net.load_state_dict({k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".")})
        with torch.no_grad():
            assert (net(x) - official_forward(entry, sd, x)).abs().max() < 1e-5


@needs_reference
def test_import_official_pix2pix_recognises_unet_256(reference, tmp_path):
    sd = official_state_dict(reference["pix2pix_G_unet_256"])
    torch.save(sd, tmp_path / "facades_label2photo.pth")
    out = import_official([tmp_path / "facades_label2photo.pth"], "pix2pix", tmp_path / "p2p")
    cfg, tensors = load_checkpoint(out)
    assert cfg["official_netG"] == "unet_256" and cfg["nets"]["G"]["kwargs"]["norm"] == "batch"
    assert cfg["multiple"] == 256 and len(tensors) == len(sd)
    with pytest.raises(CheckpointError, match="does not match any official generator of type `netG` resnet_9blocks"):
        import_official([tmp_path / "facades_label2photo.pth"], "pix2pix", tmp_path / "x", "resnet_9blocks")


def test_import_refuses_wrong_files_with_a_clear_message(tmp_path):
    from translate.nets.resnet import ResnetGenerator

    sd = ResnetGenerator(ngf=8, n_blocks=2).state_dict()
    broken = dict(sd)
    broken["model.1.weight"] = torch.zeros(8, 3, 5, 5)
    torch.save(broken, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match=r"bad.pth: does not match.*wrong shapes \['model.1.weight'\]"):
        import_official([tmp_path / "bad.pth"], "cyclegan", tmp_path / "o")
    (tmp_path / "text.pth").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="text.pth: not a PyTorch weights file, or a damaged one"):
        import_official([tmp_path / "text.pth"], "cyclegan", tmp_path / "o")
    torch.save(sd, tmp_path / "small.pth")  # a small net of our own shape imports fine (ngf 8, 2 blocks)
    cfg, _ = load_checkpoint(import_official([tmp_path / "small.pth"], "cyclegan", tmp_path / "ok"))
    assert cfg["official_netG"] == "resnet_2blocks" and cfg["nets"]["G_AB"]["kwargs"]["ngf"] == 8


def test_import_never_replaces_an_existing_folder_without_overwrite(tmp_path):
    """A folder the user has (here with their notes in it) survives a mistyped --out, --overwrite included;
    --overwrite replaces a bundle. The bundle records file names, not this machine's paths."""
    import json

    from conftest import cli_fails

    from translate.nets.resnet import ResnetGenerator

    torch.save(ResnetGenerator(3, 3, ngf=4, n_blocks=6).state_dict(), tmp_path / "g.pth")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    cli_fails(["import-official", str(tmp_path / "g.pth"), "--model", "cyclegan", "--out", str(mine)],
              "already exists.*--overwrite")
    assert (mine / "notes.txt").read_text() == "keep me"
    cli_fails(["import-official", str(tmp_path / "g.pth"), "--model", "cyclegan", "--out", str(mine), "--overwrite"],
              r"is not a bundle \(it holds notes\.txt\).*replaces only a bundle")  # --overwrite eats no user folder
    assert (mine / "notes.txt").read_text() == "keep me"
    bundle = tmp_path / "bundle"
    assert main(["import-official", str(tmp_path / "g.pth"), "--model", "cyclegan", "--out", str(bundle)]) == 0
    assert main(["import-official", str(tmp_path / "g.pth"), "--model", "cyclegan", "--out", str(bundle),
                 "--overwrite"]) == 0  # a bundle is replaced
    config = json.loads((bundle / "config.json").read_text())
    assert config["imported_from"] == {"G_AB": "g.pth"} and config["work_scale"] == "train"


@needs_reference
def test_pix2pix_protocols_eval_matches_the_official_and_the_paper_protocol_repeats(reference, tmp_path):
    """--eval (running statistics, dropout off) gives the official eval-mode output within one level; the
    paper's protocol (per-image statistics, dropout on) gives the same pixels for the same seed."""
    import numpy as np

    from translate.inference import ImageTranslator

    entry = reference["pix2pix_G_unet_256"]
    sd = official_state_dict(entry, seed=5)
    torch.save(sd, tmp_path / "facades_label2photo.pth")
    ckpt = import_official([tmp_path / "facades_label2photo.pth"], "pix2pix", tmp_path / "p2p")
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1
    want = ((official_forward(entry, sd, x)[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).numpy()
    ours = ImageTranslator.from_pretrained(ckpt, eval_mode=True, device="cpu", winograd=False, precision="fp32")
    assert "--eval" in ours.protocol
    assert np.abs(ours(image).astype(int) - want.astype(int)).max() <= 1
    paper = ImageTranslator.from_pretrained(ckpt, seed=3, device="cpu")
    assert "dropout on with seed 3" in paper.protocol
    first, again = paper(image), paper(image)
    assert np.array_equal(first, again)
    other = ImageTranslator.from_pretrained(ckpt, seed=4, device="cpu")(image)
    assert not np.array_equal(first, other)  # the seed is what makes it repeat, not a disabled dropout
