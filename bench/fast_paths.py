"""Candidate fast paths for CPU inference, one ResNet-9 generator forward each (no file I/O).

Issue 4 asks for an opt-in path at least 2.5x faster end to end than the serial eager loop. This
script measures, per forward at batch 1, what each candidate gives on this machine before anyone builds
it into `translate convert`:

  eager          NCHW fp32 through oneDNN (what the official test.py runs)
  channels-last  the same in NHWC
  winograd       Winograd F(4x4,3x3) for the 3x3 convs (translate/nets/winograd.py)
  default        winograd + the last (64 -> 3 channel) conv channels-last (translate/nets/narrow_conv.py):
                 what `translate convert` runs on the CPU
  int8-conv      one 256-channel 3x3 conv at the 256 px block size (64x64) with PyTorch's fbgemm int8
                 kernels, against the same conv in fp32 (87% of the FLOPs are such convs: a ceiling
                 for a whole-network int8 path built from them)
  ort-fp32       ONNX Runtime (only when `onnxruntime` and `onnx` import; not a project dependency)
  ort-int8       ONNX Runtime, static QDQ quantization (u8 activations, per-channel s8 weights),
                 calibrated on the input images; its PSNR against eager is printed

  python bench/fast_paths.py                                      # random-init net, random input
  python bench/fast_paths.py --checkpoint checkpoints/run-h2z-128 \
      --image ../shared/data/horse2zebra/testA/n02381460_1000.jpg
  (stop other jobs first; best of --repeat timed runs after one warm-up)

PSNR is only meaningful with a trained --checkpoint and a real --image.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best_time(fn, repeat: int) -> float:
    fn()
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def psnr(a, b) -> float:  # images in [-1, 1]: peak-to-peak 2
    mse = float(((a - b) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(4 / mse)


def load_net(checkpoint: str | None):
    from translate.inference import ImageTranslator, load
    from translate.registry import NETS

    if checkpoint:
        tr = load(checkpoint, device="cpu", winograd=False, narrow_channels_last=False)
        if not isinstance(tr, ImageTranslator):
            raise SystemExit(f"{checkpoint} is not an image-to-image checkpoint")
        return tr.G
    import translate.nets  # noqa: F401  (registers the nets)

    return NETS.get("resnet_g")(ngf=64, n_blocks=9).eval()


def int8_conv_ratio(repeat: int) -> tuple[float, float]:
    """(fp32 seconds, int8 seconds) for one 256->256 3x3 conv on a 1x256x64x64 input."""
    import warnings

    import torch
    import torch.ao.nn.quantized as nnq

    torch.backends.quantized.engine = "fbgemm"
    conv = torch.nn.Conv2d(256, 256, 3, padding=1).eval()
    x = torch.randn(1, 256, 64, 64)
    with warnings.catch_warnings():  # quantized tensors are deprecated in recent PyTorch
        warnings.simplefilter("ignore")
        q = nnq.Conv2d(256, 256, 3, padding=1)
        w = conv.weight.detach()
        qw = torch.quantize_per_channel(w, w.abs().amax((1, 2, 3)) / 127, torch.zeros(256, dtype=torch.long), 0,
                                        torch.qint8)
        q.set_weight_bias(qw, conv.bias.detach())
        q.scale, q.zero_point = 0.05, 128
        xq = torch.quantize_per_tensor(x, 0.02, 128, torch.quint8)
        with torch.no_grad():
            return best_time(lambda: conv(x), repeat), best_time(lambda: q(xq), repeat)


def onnx_runtime(G, x, repeat: int, threads: int):
    """{name: (seconds, output)} for ORT fp32 and int8, or a reason string when ORT is missing."""
    import warnings

    try:
        import numpy as np
        import onnxruntime as ort
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    except ImportError as e:
        return f"skipped ({e.name} is not installed: pip install onnxruntime onnx)"
    import torch

    class OneImage(CalibrationDataReader):
        def __init__(self):
            self.left = [x.numpy()]

        def get_next(self):
            return {"x": self.left.pop()} if self.left else None

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "g.onnx", Path(tmp) / "g_int8.onnx"
        with warnings.catch_warnings():  # the TorchScript exporter is deprecated; it still handles these nets
            warnings.simplefilter("ignore")
            torch.onnx.export(G, (x,), str(fp32), dynamo=False, input_names=["x"], output_names=["y"],
                              opset_version=17)
        quantize_static(str(fp32), str(int8), OneImage(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        feed = {"x": x.numpy()}
        for name, path in (("ort-fp32", fp32), ("ort-int8", int8)):
            s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
            out[name] = (best_time(lambda s=s: s.run(None, feed), repeat),
                         torch.from_numpy(np.asarray(s.run(None, feed)[0])))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", help="a pix2pix/CycleGAN bundle (default: a random-init ResNet-9, ngf 64)")
    p.add_argument("--image", help="an input image (default: uniform noise in [-1, 1])")
    p.add_argument("--size", type=int, default=256, help="side of the (square) input")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    import torch

    from translate.accel.narrow_conv import use_channels_last_narrow_convs
    from translate.accel.winograd import use_winograd

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    G = load_net(a.checkpoint)
    if a.image:
        import numpy as np
        from PIL import Image

        img = Image.open(a.image).convert("RGB").resize((a.size, a.size), Image.BICUBIC)
        x = torch.from_numpy(np.array(img, dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
        x = x.contiguous()
    else:
        x = torch.rand(1, 3, a.size, a.size) * 2 - 1
    rows = {}
    with torch.no_grad():
        ref = G(x)
        rows["eager"] = (best_time(lambda: G(x), a.repeat), ref)
        G_cl, x_cl = G.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
        rows["channels-last"] = (best_time(lambda: G_cl(x_cl), a.repeat), G_cl(x_cl))
        G = G.to(memory_format=torch.contiguous_format)
        ort_rows = onnx_runtime(G, x, a.repeat, a.threads)  # before the Winograd swap changes G
        use_winograd(G)
        rows["winograd"] = (best_time(lambda: G(x), a.repeat), G(x))
        use_channels_last_narrow_convs(G)
        rows["default"] = (best_time(lambda: G(x), a.repeat), G(x))
    if isinstance(ort_rows, dict):
        rows.update(ort_rows)
    base = rows["eager"][0]
    print(f"ResNet generator forward, 1x3x{a.size}x{a.size}, {a.threads} threads, best of {a.repeat}")
    print(f"{'path':14s} {'seconds':>8s} {'vs eager':>9s} {'PSNR vs eager':>14s}")
    for name, (sec, y) in rows.items():
        print(f"{name:14s} {sec:8.3f} {base / sec:8.2f}x {psnr(y, ref):11.1f} dB")
    if isinstance(ort_rows, str):
        print(f"ort-fp32/int8  {ort_rows}")
    f32, i8 = int8_conv_ratio(a.repeat)
    print(f"int8-conv      one 256-ch 3x3 conv at 64x64: fp32 {f32 * 1e3:.1f} ms, fbgemm int8 {i8 * 1e3:.1f} ms "
          f"({f32 / i8:.2f}x; the ceiling for an int8 network built from such convs)")


if __name__ == "__main__":
    main()
