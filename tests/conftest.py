"""Shared fixtures: tiny data made on the fly (no downloads), and quick run configs."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from translate.cli.demo import offline_gradio
from translate.config import DataConfig, RunConfig, TrainConfig
from translate.models.configs import TranslationConfig
from translate.options import build
from translate.registry import model_config

offline_gradio()  # as `translate demo` does before the demo imports gradio: the tests that import it run offline

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def private_user_folders(tmp_path_factory):
    """Published weights install into a folder of the test session, never the user's ~/.cache, and weights a
    user installed there cannot change what the bundled names mean in a test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRANSLATE_WEIGHTS", str(tmp_path_factory.mktemp("published-weights")))
        # and what the project caches (judges, precision timings) stays out of the user's cache folder
        mp.setenv("TRANSLATE_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def write_idx(path: Path, array: np.ndarray) -> None:
    magic = 2051 if array.ndim == 3 else 2049
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory) -> Path:
    """A fake MNIST in idx format: 300 training and 200 test 28x28 'digits' whose class sets a bright
    square's position, so a classifier or a GAN has something learnable."""
    root = tmp_path_factory.mktemp("mnist_root")
    folder = root / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 300), ("t10k", 200)):
        labels = rng.integers(0, 10, n)
        images = rng.integers(0, 40, (n, 28, 28))
        for i, y in enumerate(labels):
            r, c = divmod(int(y), 4)
            images[i, 2 + 8 * r:8 + 8 * r, 2 + 6 * c:8 + 6 * c] = 230
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return root


@pytest.fixture(scope="session")
def unpaired_root(tmp_path_factory) -> Path:
    """CycleGAN layout, 6 images a side at 40x48: A = reddish noise, B = bluish noise."""
    from PIL import Image

    root = tmp_path_factory.mktemp("unpaired")
    rng = np.random.default_rng(1)
    for split in ("train", "test"):
        for dom, ch in (("A", 0), ("B", 2)):
            (root / f"{split}{dom}").mkdir()
            for i in range(6):
                img = rng.integers(0, 120, (40, 48, 3))
                img[:, :, ch] += 120
                Image.fromarray(img.astype(np.uint8)).save(root / f"{split}{dom}" / f"{i}.png")
    return root


@pytest.fixture(scope="session")
def paired_root(tmp_path_factory) -> Path:
    """pix2pix layout: train/*.png of 32x64, photo (A, left) | label map (B, right); B is a blocky
    colouring of A, so the mapping is learnable."""
    from PIL import Image

    root = tmp_path_factory.mktemp("paired")
    (root / "train").mkdir()
    rng = np.random.default_rng(2)
    for i in range(4):
        labels = rng.integers(0, 4, (4, 4)).repeat(8, 0).repeat(8, 1)
        palette = np.array([[200, 30, 30], [30, 200, 30], [30, 30, 200], [220, 220, 40]])
        b = palette[labels]
        a = np.clip(b * 0.6 + rng.integers(0, 60, b.shape), 0, 255)
        Image.fromarray(np.concatenate([a, b], 1).astype(np.uint8)).save(root / "train" / f"{i}.png")
    return root


def make_config(model: str = "gan", data: str = "ring8", root: str = "datasets", train: dict | None = None,
                model_kw: dict | None = None, data_kw: dict | None = None) -> RunConfig:
    """A tiny, fast RunConfig: small widths, few steps, quiet intervals."""
    mcls = model_config(model)
    tiny = {"gan": {"g_hidden": 16, "d_hidden": 16, "g_layers": 2, "d_layers": 2, "maxout": 2},
            "dcgan": {"z_dim": 8, "ngf": 4, "ndf": 4}, "cgan": {"z_dim": 8, "ngf": 4, "ndf": 4},
            "pix2pix": {"netG": "unet_32", "ngf": 4, "ndf": 4},
            "cyclegan": {"netG": "resnet_6blocks", "ngf": 4, "ndf": 4},
            "cut": {"netG": "resnet_6blocks", "ngf": 4, "ndf": 4, "num_patches": 16, "netf_nc": 8},
            "fastcut": {"netG": "resnet_6blocks", "ngf": 4, "ndf": 4, "num_patches": 16, "netf_nc": 8}}.get(model, {})
    if issubclass(mcls, TranslationConfig):  # also a model registered by a test (docs/extending.md's SimGAN)
        data_kw = {"load_size": 36, "crop_size": 32, **(data_kw or {})}
        train = {"batch_size": 2, "n_samples": 2, "epochs": 0, **(train or {})}
    t = {"steps": 4, "batch_size": 16, "sample_every": 1000, "checkpoint_every": 1000, "log_every": 1,
         "n_samples": 16, **(train or {})}
    return RunConfig(model, build(TrainConfig, mcls.TRAIN_DEFAULTS, t),
                     build(DataConfig, {"data": data, "root": root, "holdout": 50, **(data_kw or {})}),
                     build(mcls, {**tiny, **(model_kw or {})}))


@pytest.fixture(scope="session")
def cyclegan_bundle(tmp_path_factory, unpaired_root) -> Path:
    """A tiny CycleGAN bundle (ResNet-6, ngf 4) after 2 training steps: a real checkpoint folder for the
    inference, converter and demo tests."""
    from translate.training.trainer import Trainer

    out = tmp_path_factory.mktemp("cyclegan_run") / "run"
    return Trainer(make_config("cyclegan", str(unpaired_root), train={"steps": 2}), out, quiet=True).fit() / "bundle"


def cli_fails(argv: list[str], pattern: str | None = None) -> str:
    """Run the command line, expect the one-line error of exit status 2 (no traceback); return what it printed."""
    import contextlib
    import io
    import re

    from translate.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    text = err.getvalue()
    assert code == 2, (code, text)
    assert "Traceback" not in text and text.startswith(f"translate {argv[0]}: "), text
    if pattern:
        assert re.search(pattern, text), text
    return text


class FileServer:
    """A web server on 127.0.0.1 that serves `payload` at any path, with HTTP Range requests. `cut`: send
    only that many bytes of the next full-length response (a transfer that stops mid-file); `ranges`: the
    Range header of every request ("" for none)."""

    def __init__(self, payload: bytes):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.payload, self.cut, self.ranges = payload, None, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                server.ranges.append(rng or "")
                data = server.payload
                start = int(rng.split("=")[1].split("-")[0]) if rng else 0
                body = data[start:]
                self.send_response(206 if rng else 200)
                self.send_header("Content-Length", str(len(body)))
                if rng:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if server.cut is not None:
                    body, server.cut = body[:server.cut], None
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
