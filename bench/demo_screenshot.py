"""Take the README's demo screenshot in headless Chromium: start the demo, open a tab, upload an example,
translate, and save the page.

  python bench/demo_screenshot.py --checkpoints DIR --tab object --direction "horse → zebra" \\
      --image translate/demo/examples/horse_1.jpg --out docs/demo.png
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from translate.cli.demo import offline_gradio  # noqa: E402

offline_gradio()
from translate.demo import app  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoints", action="append", default=[])
    p.add_argument("--tab", default="object", choices=["season", "object"])
    p.add_argument("--direction", default="horse → zebra")
    p.add_argument("--image", default=str(app.EXAMPLES / "horse_1.jpg"))
    p.add_argument("--out", default="docs/demo.png")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    a = p.parse_args()
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.launch("127.0.0.1", port, a.checkpoints, block=False)
    tab = {"season": "Season transfer", "object": "Object transfiguration"}[a.tab]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=a.chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("tab", name=tab).click()
            page.locator(f"#{a.tab}-direction").get_by_label(a.direction).check()
            page.locator(f"#{a.tab}-input input[type=file]").set_input_files(a.image)
            page.locator(f"#{a.tab}-run").click()
            page.locator(f"#{a.tab}-status").filter(has_text=f"{a.direction}:").wait_for(timeout=120_000)
            page.wait_for_timeout(500)
            page.screenshot(path=a.out)
            browser.close()
    finally:
        demo.close()
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
