"""`translate demo`: start the Gradio web demo (translate/demo/app.py)."""

from __future__ import annotations

import argparse

from translate.cli import Formatter
from translate.errors import OptionError


def cmd_demo(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="translate demo", formatter_class=Formatter,
        description="Start the Gradio web demo: season transfer (summer <-> winter), object transfiguration "
                    "(horse <-> zebra, apple <-> orange), facades (label map -> photo) and digit generation; "
                    "input from an upload, the clipboard or a webcam. Works offline; models load lazily on "
                    "first use.",
        epilog="Models are looked up by name (horse2zebra, summer2winter_yosemite, apple2orange, facades, "
               "mnist_cgan, and the published one-way models zebra2horse, winter2summer_yosemite, orange2apple): "
               "your own folders first (each --checkpoints DIR, ./checkpoints), then the published weights "
               "installed by `translate download-weights` or the demo's button, then the bundled models. The "
               "status line names the model behind every result.\n\nexample:\n"
               "  translate demo --checkpoints ~/gan-weights --port 8080")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port to serve on (default 7860)")
    p.add_argument("--checkpoints", action="append", metavar="DIR", help="folder of named checkpoint folders "
                                                                          "(repeatable; searched first)")
    p.add_argument("--share", action="store_true", help="ask Gradio for a public link (needs internet)")
    p.add_argument("--max-side", type=int, default=4096, help="uploads with a longer side are downscaled")
    p.add_argument("--concurrency", type=int, default=2, help="translations running at once (default 2)")
    p.add_argument("--max-upload-mb", type=float, default=100,
                   help="larger uploads are refused before they are stored (default 100)")
    p.add_argument("--seed", type=int, default=0,
                   help="pix2pix's test-time dropout masks: the same upload gives the same result (default 0)")
    a = p.parse_args(argv)
    if a.max_side < 16 or a.concurrency < 1 or not 0 < a.max_upload_mb < 1e6:
        raise OptionError("--max-side must be at least 16, --concurrency at least 1 and --max-upload-mb positive")
    _check_address(a.host, a.port)
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise OptionError("the demo needs gradio: pip install 'translate-gan[demo]' (or run `make demo`)") from None
    offline_gradio()
    from translate.demo import app

    print(f"translate demo on http://{a.host}:{a.port}  (Ctrl+C stops it)", flush=True)
    try:
        app.launch(a.host, a.port, a.checkpoints, a.share, a.max_side, a.concurrency, seed=a.seed,
                   max_upload_mb=a.max_upload_mb)
    except OSError as e:  # taken between the check and the start
        raise OptionError(f"cannot serve on {a.host}:{a.port} ({str(e).splitlines()[0]}); pick another --port") \
            from None
    return 0


def _check_address(host: str, port: int) -> None:
    """A port out of range, a host that is not an address here, or a port in use: one line each, before the
    server starts (Gradio reports all three as "Cannot find empty port")."""
    import socket

    if not 1 <= port <= 65535:
        raise OptionError(f"--port {port}: ports run from 1 to 65535 (default 7860)")
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        raise OptionError(f"--host {host!r} is not an address this machine can serve on (e.g. 127.0.0.1, or "
                          f"0.0.0.0 for every network)") from None
    with socket.socket(family, kind) as s:
        try:
            s.bind(address)
        except OSError as e:
            why = "is in use" if e.errno == 98 else f"cannot be used ({e.strerror})"
            raise OptionError(f"port {port} on {host} {why}; pick another --port") from None


# What gradio and huggingface_hub read when they start: no analytics, no hub calls, so the demo starts and
# runs offline. Set here, before the app imports gradio, rather than on import of the library.
OFFLINE_GRADIO = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
                  "DO_NOT_TRACK": "1"}


def offline_gradio() -> None:
    """Set OFFLINE_GRADIO where the user has not set those variables (call before importing the app)."""
    import os

    for key, value in OFFLINE_GRADIO.items():
        os.environ.setdefault(key, value)
