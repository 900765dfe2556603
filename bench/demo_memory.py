"""Peak memory of one large translation, as the demo and `translate convert` run it.

Each case runs in its own process (peak RSS is per process: ru_maxrss) and translates one synthetic photo
of SIDE x SIDE pixels with the bundled horse2zebra (CycleGAN ResNet-6, ngf 32), either through the demo's
handler (`app.translate_image`: the upload as a PIL image, the demo's tile size and its max side) or
through `translate convert` (its default tile and the pixel budget) at the default work scale ("convert")
or at `--scale native` ("native"). The "untiled" case shows what the demo did before it tiled. `--photo
1bit` makes a 1-bit PNG instead of the JPEG (tiny on disk, the most pixels per byte).

  python bench/demo_memory.py                       # 4096 px: demo, untiled, convert
  python bench/demo_memory.py --sides 2048 4096 --cases demo convert
  python bench/demo_memory.py --sides 10950 --cases convert native            # the 120-megapixel budget
  python bench/demo_memory.py --sides 10950 --cases convert native --photo 1bit
  (stop other jobs first; with one thread a 4096 px translation takes a few minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def photo(side: int, path: Path, kind: str = "jpeg") -> Path:
    """Smooth colour gradients with some texture: what a photo costs to decode and translate. "1bit": random
    black and white blocks as a 1-bit PNG. Returns the file written (its suffix follows the kind)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    if kind == "1bit":
        blocks = Image.fromarray(rng.integers(0, 2, (side // 64 + 1, side // 64 + 1), dtype=np.uint8) * 255)
        path = path.with_suffix(".png")
        blocks.resize((side, side), Image.NEAREST).convert("1").save(path)
        return path
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    rgb = np.stack([x, y, 1 - x * y], -1) * 200 + rng.normal(0, 12, (side, side, 3))
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(path, quality=92)
    return path


def child(case: str, path: str) -> None:
    """Runs in the measured process; prints one JSON line."""
    sys.path.insert(0, str(ROOT))
    from PIL import Image

    t0 = time.perf_counter()
    if case in ("demo", "untiled"):
        from translate.cli.demo import offline_gradio

        offline_gradio()
        from translate.demo import app
        from translate.demo import zoo as demo_zoo

        if case == "untiled":
            demo_zoo.DEMO_TILE = None
        zoo = app.ModelZoo()
        with Image.open(path) as im:
            im.load()
            result, _, status = app.translate_image(zoo, "Object transfiguration", "horse → zebra", im)
        size = result.size
    else:
        from translate.cli import main

        out = Path(path).with_name("out")
        scale = ["--scale", "native"] if case == "native" else []
        assert main(["convert", "-c", "horse2zebra", "-i", path, "-o", str(out), "--device", "cpu", *scale]) == 0
        size = Image.open(next(out.iterdir())).size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(json.dumps({"case": case, "size": list(size), "seconds": round(time.perf_counter() - t0, 1),
                      "peak_rss_gib": round(peak, 2)}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sides", type=int, nargs="+", default=[4096])
    p.add_argument("--cases", nargs="+", default=["demo", "untiled", "convert"],
                   choices=("demo", "untiled", "convert", "native"))
    p.add_argument("--photo", choices=("jpeg", "1bit"), default="jpeg")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--make-photo", nargs=2, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(*a.child)
        return
    if a.make_photo:
        print(photo(int(a.make_photo[0]), Path(a.make_photo[1]), a.photo))
        return
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    for side in a.sides:
        for case in a.cases:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "in" / "photo.jpg"
                path.parent.mkdir()
                # made in a process of its own: a child's ru_maxrss starts from its parent's peak at fork,
                # so a photo made here (GBs of float arrays at 10950 px) would be counted in every case
                made = subprocess.run([sys.executable, __file__, "--make-photo", str(side), str(path), "--photo",
                                       a.photo], capture_output=True, text=True, check=True)
                path = Path(made.stdout.strip())
                out = subprocess.run([sys.executable, __file__, "--child", case, str(path)], env=env,
                                     capture_output=True, text=True)
                line = out.stdout.strip().splitlines()[-1] if out.returncode == 0 else f"failed: {out.stderr[-300:]}"
                print(f"{side} px  {case:8s} {line}", flush=True)


if __name__ == "__main__":
    main()
