"""`translate export --format onnx`: one generator of a checkpoint as an ONNX file, checked in ONNX Runtime.

The graph takes (N, C, H, W) float32 in [-1, 1] and returns the same layout; H and W are free symbols
constrained to multiples of the net's requirement (4 for ResNet generators, 2**downs for U-Nets), so one
file serves every image size. It is written with PyTorch's own exporter (torch.onnx.export, dynamo=True,
which needs onnxscript), then run in ONNX Runtime beside PyTorch on three sizes; the largest absolute
difference is returned and must stay within `tolerance` or nothing is written. pix2pix nets are exported
in the official `--eval` protocol (running BatchNorm statistics, dropout off): an ONNX graph carries no
random dropout masks. The graph runs at the resolution it is given: the work scale of `translate convert`
(inference.at_work_scale, CycleGAN and CUT) is pre- and post-processing around the net, not part of it.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import torch

from translate.config import Direction
from translate.errors import CheckpointError, OptionError
from translate.nets.spec import build_net
from translate.storage.atomic import atomic_write_bytes
from translate.storage.checkpoint import load_checkpoint, load_into, net_tensors

OPSET = 18


def _generator(config: dict, tensors: dict, direction: str, where: str) -> torch.nn.Module:
    directions = config.get("directions", {})
    if config.get("kind") != "translator":
        raise CheckpointError(f"{where} holds a {config.get('model')!r} sampler; ONNX export takes translators")
    if direction not in directions:
        raise CheckpointError(f"{where} translates {', '.join(directions)}; no {direction!r}")
    name = directions[direction]
    net = build_net(config["nets"][name], where=where)
    load_into(net, net_tensors(tensors, name), where)
    return net.eval().requires_grad_(False)


def check_sizes(multiple: int) -> list[tuple[int, int]]:
    """Three (H, W) that differ in both sides and aspect, each a multiple of the net's requirement."""
    m = max(multiple, 4)
    base = max(1, 64 // m)
    return [(m * base, m * base), (m * 2 * base, m * 3 * base), (m * 3 * base, m * base)]


def export_onnx(checkpoint: str | Path, out: str | Path, direction: Direction = "AtoB", overwrite: bool = False,
                tolerance: float = 1e-4) -> dict:
    """Write `out` (.onnx); returns {"sizes": [...], "max_abs_diff": float, "bytes": int}."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise OptionError("ONNX export needs onnx, onnxscript and onnxruntime: pip install -e '.[onnx]'") from None
    out = Path(out)
    if out.is_dir():
        raise OptionError(f"`out` {out} is a folder; an ONNX export is one file: give a file name such as "
                          f"{out / 'generator.onnx'}")
    if out.exists() and not overwrite:
        raise OptionError(f"`out` {out} already exists; pick another name or pass `overwrite` to replace it")
    from translate.storage.catalog import resolve_checkpoint

    path = resolve_checkpoint(checkpoint)
    config, tensors = load_checkpoint(path)
    net = _generator(config, tensors, direction, str(path))
    multiple = int(config.get("multiple", 4))
    kw = config["nets"][config["directions"][direction]]["kwargs"]
    sizes = check_sizes(multiple)
    example = torch.zeros(1, int(kw.get("in_channels", 3)), *sizes[0])
    h, w = torch.export.Dim("h", min=1, max=16384 // multiple), torch.export.Dim("w", min=1, max=16384 // multiple)
    dynamic = ({0: torch.export.Dim("batch", max=1024), 2: multiple * h, 3: multiple * w},)
    with _quiet():  # the exporter narrates each pass on stdout
        program = torch.onnx.export(net, (example,), dynamo=True, input_names=["image"], output_names=["translated"],
                                    dynamic_shapes=dynamic, opset_version=OPSET)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model.onnx"
        program.save(str(staged))
        session = ort.InferenceSession(str(staged), providers=["CPUExecutionProvider"])
        worst = 0.0
        g = torch.Generator().manual_seed(0)
        for hh, ww in sizes:
            x = torch.rand(2, example.shape[1], hh, ww, generator=g) * 2 - 1
            got = torch.from_numpy(session.run(None, {"image": x.numpy()})[0])
            with torch.no_grad():
                worst = max(worst, float((got - net(x)).abs().max()))
        if worst > tolerance:
            raise CheckpointError(f"the ONNX graph of {path} differs from PyTorch by {worst:.2e} (more than "
                                  f"{tolerance:g}); nothing written")
        data = staged.read_bytes()
    atomic_write_bytes(out, data)
    from translate.inference import work_side

    return {"sizes": sizes, "max_abs_diff": worst, "bytes": len(data), "multiple": multiple,
            "work_side": work_side(config), "degrid": bool(config.get("degrid"))}


@contextlib.contextmanager
def _quiet():
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), \
            contextlib.redirect_stderr(io.StringIO()):
        yield
