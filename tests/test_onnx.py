"""`translate export --format onnx`: a generator that takes any image size, checked in ONNX Runtime."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import cli_fails

from translate.cli import main

ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (pip install -e '.[onnx]')")
pytest.importorskip("onnxscript", reason="the onnx extra is not installed (pip install -e '.[onnx]')")


def test_exported_generator_runs_any_size_within_1e_4(cyclegan_bundle, tmp_path, capsys):
    from translate.inference import ImageTranslator

    out = tmp_path / "g.onnx"
    assert main(["export", "--checkpoint", str(cyclegan_bundle), "--format", "onnx", "--direction", "BtoA",
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "ONNX Runtime vs PyTorch on" in said and "H and W multiples of 4" in said
    assert "shorter side of 32 px" in said  # the work scale is not in the graph, and the log says so
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    torch_side = ImageTranslator.from_pretrained(cyclegan_bundle, direction="BtoA", device="cpu", winograd=False,
                                                 precision="fp32",
                                                 narrow_channels_last=False, scale="native")
    x = torch.rand(1, 3, 200, 300) * 2 - 1  # the 300x200 photo of the issue, not a size seen at export
    got = session.run(None, {"image": x.numpy()})[0]
    want = torch_side.translate_tensor(x).numpy()
    assert got.shape == (1, 3, 200, 300) and np.abs(got - want).max() <= 1e-4
    # the other direction is another net: the file holds the one asked for
    other = ImageTranslator.from_pretrained(cyclegan_bundle, direction="AtoB", device="cpu", winograd=False,
                                            precision="fp32",
                                            scale="native")
    assert np.abs(got - other.translate_tensor(x).numpy()).max() > 1e-3


def test_onnx_export_refuses_what_it_cannot_do(cyclegan_bundle, tmp_path):
    out = tmp_path / "g.onnx"
    out.write_text("mine")
    cli_fails(["export", "--checkpoint", str(cyclegan_bundle), "--format", "onnx", "--out", str(out)],
              "already exists.*--overwrite")
    assert out.read_text() == "mine"
    cli_fails(["export", "--checkpoint", str(cyclegan_bundle), "--format", "onnx", "--half", "--out",
               str(tmp_path / "h.onnx")], "in fp32")
    cli_fails(["export", "--checkpoint", "mnist_cgan", "--format", "onnx", "--out", str(tmp_path / "s.onnx")],
              "ONNX export takes translators")


def test_onnx_export_of_a_degrid_bundle_says_the_graph_is_the_net_alone(cyclegan_bundle, tmp_path, capsys):
    assert main(["export", "--checkpoint", str(cyclegan_bundle), "--out", str(tmp_path / "b"), "--degrid"]) == 0
    assert main(["export", "--checkpoint", str(tmp_path / "b"), "--format", "onnx", "--out",
                 str(tmp_path / "g.onnx")]) == 0
    assert "takes the grid of its up-sampling out" in capsys.readouterr().out
