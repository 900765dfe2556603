"""Import generators saved by the official pytorch-CycleGAN-and-pix2pix code (`latest_net_G.pth`,
`*_net_G_A.pth`, the published pretrained models) into a bundle folder.

Our nets reproduce the official module trees, so the keys need no renaming: the importer only reads
the file safely (`torch.load(weights_only=True)`, no code execution), strips a DataParallel `module.`
prefix, drops the legacy InstanceNorm keys that the official `load_networks` also drops (checkpoints
from PyTorch < 0.4), recognises the architecture from the key names and shapes, and loads with
strict=True, so a file that does not fit is refused with the mismatching keys named.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import torch

from translate.config import DIRECTIONS, PAPER_CROP, Direction
from translate.nets.spec import build_net, net_spec
from translate.registry import MODELS, NORM_KINDS, official_models
from translate.storage.checkpoint import CheckpointError, check_replaceable, save_bundle

LEGACY_SUFFIXES = (".running_mean", ".running_var", ".num_batches_tracked")


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "Unsupported global" not in str(e):  # a text file or garbage: no objects, no weights either
            raise CheckpointError(f"{path}: not a PyTorch weights file, or a damaged one") from None
        # objects besides tensors; PyTorch's own message would point at the unsafe weights_only=False
        raise CheckpointError(
            f"{path} holds Python objects besides tensors; it is not loaded, because unpickling them could run "
            f"code. Load it only if you trust its source, in your own script, and save its state dict "
            f"(torch.save(model.state_dict(), 'weights.pth')); or take the official weights from "
            f"`translate download-weights`") from None
    except Exception as e:  # noqa: BLE001 - a truncated file, not a torch file at all
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: not a PyTorch weights file, or a damaged one ({reason})") from None
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(f"{path}: expected a state dict (names -> tensors), got {type(sd).__name__}")
    return {k[7:] if k.startswith("module.") else k: v for k, v in sd.items()}


def candidate_specs(sd: dict[str, torch.Tensor]) -> list[tuple[str, dict]]:
    """(official --netG name, our net spec) pairs that could have produced `sd`, from its first/last layers."""
    out: list[tuple[str, dict]] = []
    if "model.1.weight" in sd:  # ResnetGenerator: ReflectionPad at model.0, the 7x7 conv at model.1
        ngf, cin = sd["model.1.weight"].shape[:2]
        last = max((k for k in sd if k.endswith(".weight") and k.count(".") == 2), key=lambda k: int(k.split(".")[1]))
        cout = sd[last].shape[0]
        blocks = {k.split(".")[1] for k in sd if ".conv_block." in k}
        # the official CUT generator: anti-aliased resampling, whose blur filters are saved as `.filt` buffers
        aa = {"antialias": True, "antialias_up": True} if any(k.endswith(".filt") for k in sd) else {}
        for norm in NORM_KINDS:  # instance first: the official ResNet default (its keys equal "none"'s)
            for dropout in (False, True):
                out.append((f"resnet_{len(blocks)}blocks", net_spec(
                    "resnet_g", in_channels=cin, out_channels=cout, ngf=ngf, n_blocks=len(blocks), norm=norm,
                    dropout=dropout, **aa)))
    if "model.model.0.weight" in sd:  # UnetGenerator: the outermost down conv
        ngf, cin = sd["model.model.0.weight"].shape[:2]
        outer = [k for k in sd if k.startswith("model.model.") and k.count(".") == 3 and k.endswith(".weight")]
        cout = sd[max(outer, key=lambda k: int(k.split(".")[2]))].shape[1]  # ConvTranspose: (in, out, k, k)
        for downs in range(5, 10):
            for norm in sorted(NORM_KINDS, key=lambda n: n != "batch"):  # batch first: the U-Net default
                for dropout in (True, False):
                    out.append((f"unet_{2 ** downs}", net_spec(
                        "unet_g", in_channels=cin, out_channels=cout, ngf=ngf, num_downs=downs, norm=norm,
                        dropout=dropout)))
    return out


def _shapes(spec: dict) -> dict[str, tuple]:
    with torch.device("meta"):  # shapes only, no memory
        return {k: tuple(v.shape) for k, v in build_net(spec).state_dict().items()}


def drop_legacy_keys(sd: dict, expected: dict) -> dict:
    """Remove InstanceNorm running statistics that old checkpoints carry and the net does not have."""
    return {k: v for k, v in sd.items() if k in expected or not k.endswith(LEGACY_SUFFIXES)}


def match_generator(sd: dict[str, torch.Tensor], net_g: str | None = None, where: str = "") -> tuple[str, dict, dict]:
    """(official name, spec, cleaned state dict) of the architecture whose keys and shapes equal `sd`'s."""
    cands = candidate_specs(sd)
    if net_g:
        kinds = sorted({c[0].split("_")[0] for c in cands})
        cands = [c for c in cands if c[0] == net_g]
        if not cands and kinds:
            raise CheckpointError(f"{where}: does not match any official generator of type `netG` {net_g}: "
                                  f"its keys are those of a {kinds[0]} generator; drop `netG` or pick a {kinds[0]}_*")
    best = None
    for name, spec in cands:
        expected = _shapes(spec)
        clean = drop_legacy_keys(sd, expected)
        got = {k: tuple(v.shape) for k, v in clean.items()}
        if got == expected:
            return name, spec, clean
        diff = len(set(got.items()) ^ set(expected.items()))
        if best is None or diff < best[0]:
            best = (diff, name, expected, got)
    if best is None:
        raise CheckpointError(f"{where}: not an official ResnetGenerator or UnetGenerator state dict "
                              f"(no model.1.weight or model.model.0.weight key){_asked(net_g)}")
    _, name, expected, got = best
    missing = sorted(set(expected) - set(got))[:3]
    extra = sorted(set(got) - set(expected))[:3]
    shape = [k for k in expected if k in got and expected[k] != got[k]][:3]
    raise CheckpointError(f"{where}: does not match any official generator{_asked(net_g)}; closest is {name}, "
                          f"missing {missing}, unexpected {extra}, wrong shapes {shape}")


def _asked(net_g: str | None) -> str:
    return f" of type --netG {net_g}" if net_g else ""


# Models whose official generators import (registry: MODELS' "official" repository); CUT and FastCUT publish
# one latest_net_G.pth, the A->B direction.
OFFICIAL_MODELS = tuple(official_models())


def import_official(files: list[str | Path], model: str, out: str | Path, net_g: str | None = None,
                    direction: Direction = "AtoB", overwrite: bool = False, published: dict | None = None) -> Path:
    """Convert one official generator (or, for CycleGAN, G_A and G_B) into a bundle at `out`. A single
    generator translates `direction` (the official run's --direction; CUT's cityscapes models are BtoA).
    An existing `out` is replaced only with `overwrite`. `published`: where published weights came from
    (name, url, paper), kept in the bundle's config so every consumer can say which model it runs."""
    from translate.storage.files import refuse_overlap

    refuse_overlap(out, files)
    check_replaceable(Path(out), overwrite)
    if model not in OFFICIAL_MODELS:
        raise CheckpointError(f"`model` must be one of {', '.join(OFFICIAL_MODELS)}, got {model!r}")
    facts = MODELS.get(model)  # the model class: its generators and the scale its bundles translate at
    names = list(facts.generators)
    if len(files) > len(names):
        raise CheckpointError(f"`model` {model} takes at most {len(names)} generator file(s), got {len(files)}")
    nets, tensors, sources, arch = {}, {}, {}, None
    for name, path in zip(names, files):
        sd = read_state_dict(path)
        arch, spec, clean = match_generator(sd, net_g, str(path))
        net = build_net(spec)
        net.load_state_dict(clean, strict=True)
        nets[name] = spec
        tensors.update({f"{name}.{k}": v.detach().clone() for k, v in net.state_dict().items()})
        sources[name] = Path(path).name  # a file name: never this machine's paths
    first = nets[names[0]]["kwargs"]
    unet = nets[names[0]]["name"] == "unet_g"
    config = {
        "kind": "translator", "in_channels": first["in_channels"], "out_channels": first["out_channels"],
        "multiple": 2 ** first["num_downs"] if unet else 4, "nets": nets,
        "directions": dict(zip(DIRECTIONS, nets)) if len(nets) > 1 else {direction: names[0]},
        "train_size": PAPER_CROP, "norm": first["norm"], "work_scale": facts.work_scale,
    }
    info = {"imported_from": sources, "official_netG": arch,
            "note": "official G_A (A->B) is G_AB and G_B is G_BA; a single pretrained file is the A->B direction",
            **({"published": published} if published else {})}
    return save_bundle(Path(out), model, config, tensors, info)
