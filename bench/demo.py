"""Web demo figures: cold start to first page, latency of one 256x256 translation, and server memory with
every translation model loaded.

The zoo is six official-size ResNet-9 generators (ngf 64, 11.4 M parameters each), one per direction,
imported through `translate import-official` under the official one-way names (horse2zebra,
zebra2horse, ...), so the figures are those of the published architecture.

  python bench/demo.py            (stop other jobs first: on 2 cores anything else running skews them)
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
ONE_WAY = {"Season transfer": ("summer2winter_yosemite", "winter2summer_yosemite"),
           "Object transfiguration": ("horse2zebra", "zebra2horse", "apple2orange", "orange2apple")}


def rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main() -> None:
    import convert as bench_convert
    import numpy as np
    from gradio_client import Client, handle_file
    from PIL import Image

    work = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    proc = None
    try:
        resnet9 = bench_convert.make_checkpoint(work)
        zoo = work / "zoo"
        for names in ONE_WAY.values():
            for name in names:
                shutil.copytree(resnet9, zoo / name)
        photo = work / "photo.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(photo)
        port = 7931
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "translate", "demo", "--port", str(port), "--checkpoints",
                                 str(zoo)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
            if time.perf_counter() - t0 > 120:
                raise SystemExit("the demo did not answer within 120 s")
        cold = time.perf_counter() - t0
        print(f"cold start to first page: {cold:.1f} s; server RSS {rss_mb(proc.pid)[0]:.0f} MB")
        client = Client(url, verbose=False)
        first = time.perf_counter()
        client.predict("horse → zebra", handle_file(str(photo)), api_name="/object")
        print(f"first translation (loads the model): {time.perf_counter() - first:.2f} s")
        times = []
        for _ in range(5):
            t = time.perf_counter()
            client.predict("horse → zebra", handle_file(str(photo)), api_name="/object")
            times.append(time.perf_counter() - t)
        print(f"256x256 horse -> zebra, ResNet-9, request round trip: median {statistics.median(times):.2f} s "
              f"(min {min(times):.2f}, max {max(times):.2f}) over 5")
        for api, directions in (("/season", ("summer → winter", "winter → summer")),
                                ("/object", ("zebra → horse", "apple → orange", "orange → apple"))):
            for d in directions:
                client.predict(d, handle_file(str(photo)), api_name=api)
        now, peak = rss_mb(proc.pid)
        print(f"all 6 translation models loaded: server RSS {now:.0f} MB (peak {peak:.0f} MB)")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
