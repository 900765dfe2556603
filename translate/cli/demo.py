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
        epilog="Models are looked up by name (horse2zebra, summer2winter_yosemite, apple2orange, mnist_cgan, and "
               "the official one-way downloads zebra2horse, winter2summer_yosemite, orange2apple) in each "
               "--checkpoints DIR, then ./checkpoints and the bundled checkpoints/.\n\nexample:\n"
               "  translate demo --checkpoints ~/gan-weights --port 8080")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port to serve on (default 7860)")
    p.add_argument("--checkpoints", action="append", metavar="DIR", help="folder of named checkpoint folders "
                                                                          "(repeatable; searched first)")
    p.add_argument("--share", action="store_true", help="ask Gradio for a public link (needs internet)")
    p.add_argument("--max-side", type=int, default=4096, help="uploads with a longer side are downscaled")
    p.add_argument("--concurrency", type=int, default=2, help="translations running at once (default 2)")
    p.add_argument("--seed", type=int, default=0,
                   help="pix2pix's test-time dropout masks: the same upload gives the same result (default 0)")
    a = p.parse_args(argv)
    if a.max_side < 16 or a.concurrency < 1:
        raise OptionError("--max-side must be at least 16 and --concurrency at least 1")
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise OptionError("the demo needs gradio: pip install 'translate-gan[demo]' (or run `make demo`)") from None
    from translate.demo import app

    print(f"translate demo on http://{a.host}:{a.port}  (Ctrl+C stops it)", flush=True)
    app.launch(a.host, a.port, a.checkpoints, a.share, a.max_side, a.concurrency, seed=a.seed)
    return 0
