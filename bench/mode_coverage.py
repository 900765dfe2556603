"""Mode coverage of `translate train --model gan` on ring8 / grid25 over several seeds.

Runs the real CLI (plain defaults unless extra flags are given after `--`), then
`translate eval --metric modes` on 2,500 samples (VEEGAN/PacGAN protocol), and prints one line per
seed plus the mean and standard error. No assertions: this prints figures for the notes.

  python bench/mode_coverage.py --data ring8 grid25 --seeds 5
  python bench/mode_coverage.py --data grid25 --seeds 5 -- --objective minimax
  python bench/mode_coverage.py --data ring8 --seeds 5 --reject-stretch 0.1

--reject-stretch Q scores every trained run a second time with `translate eval --reject-stretch Q`
(Jacobian-based rejection of the share Q of latent codes: a sampling-time option, not the plain
generator) and prints both.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from translate.metrics.modes import mean_and_se  # noqa: E402


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", default=["ring8", "grid25"])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--reject-stretch", type=float, default=0.0, metavar="Q",
                   help="also score each run with Jacobian-based rejection of the share Q of latent codes")
    a = p.parse_args(argv)
    variants = {"": []} if not a.reject_stretch else {"": [], f" reject {a.reject_stretch}":
                                                       ["--reject-stretch", str(a.reject_stretch)]}
    exe = [sys.executable, "-m", "translate"]
    print(f"extra flags: {' '.join(extra) or '(none: plain defaults)'}")
    for data in a.data:
        rows = {name: [] for name in variants}
        for seed in range(a.first_seed, a.first_seed + a.seeds):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "run"
                t0 = time.time()
                run([*exe, "train", "--model", "gan", "--data", data, "--seed", str(seed), "--out", str(out),
                     *extra])
                seconds = time.time() - t0
                for name, flags in variants.items():
                    res_path = Path(tmp) / "modes.json"
                    run([*exe, "eval", "--checkpoint", str(out), "--metric", "modes", "--seed", str(1000 + seed),
                         "--json", str(res_path), *flags])
                    res = json.loads(res_path.read_text())
                    res["seconds"] = seconds
                    rows[name].append(res)
                    print(f"{data}{name} seed {seed}: modes {res['modes']}/{res['n_modes']}  high-quality "
                          f"{100 * res['high_quality']:.1f}%  reverse KL {res['reverse_kl']:.4f}  "
                          f"min HQ/mode {res['min_hq_per_mode']}  train {seconds:.0f} s", flush=True)
        for name, results in rows.items():
            for key, scale, unit in (("modes", 1, ""), ("high_quality", 100, "%"), ("reverse_kl", 1, ""),
                                     ("seconds", 1, " s")):
                m, se = mean_and_se([r[key] * scale for r in results])
                print(f"{data}{name} mean {key}: {m:.3f}{unit} +- {se:.3f} (s.e., {len(results)} seeds)")


if __name__ == "__main__":
    main()
