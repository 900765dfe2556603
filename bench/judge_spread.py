"""The domain metric under several judge seeds, and the grain, of one or more translators: what a bundle's
figures are worth when the judges' training varies.

    python bench/judge_spread.py --data datasets/horse2zebra --checkpoints checkpoints/horse2zebra RUN/state/... \
        --seeds 0 1 2 --json out.json

Each seed trains its own pair of judges (the first judge and the texture judge, `seed` of their recipes; cached
by content, so a second checkpoint reuses them). Printed per checkpoint and direction: the translated rate for
each seed, their mean and range, and the grain of the outputs beside that of real target photos.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from translate.config import DIRECTIONS  # noqa: E402
from translate.inference.translator import ImageTranslator  # noqa: E402
from translate.metrics import domain  # noqa: E402
from translate.storage.catalog import resolve_checkpoint  # noqa: E402
from translate.storage.checkpoint import load_checkpoint  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="an unpaired data set folder (trainA/B, testA/B)")
    p.add_argument("--checkpoints", nargs="+", required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--scale", default="auto", help="the translators' work scale (translate convert --scale)")
    p.add_argument("--json", help="also write every figure here")
    a = p.parse_args()
    root = Path(a.data)
    results = {}
    for ckpt in a.checkpoints:
        config, tensors = load_checkpoint(resolve_checkpoint(ckpt))
        for d in DIRECTIONS:
            if d not in config.get("directions", {}):
                continue
            t = ImageTranslator(config, tensors, d, "cpu", str(ckpt), scale=a.scale)
            rates, res = [], {}
            for seed in a.seeds:
                t0 = time.time()
                res = domain.eval_domain(t.translate_tensor, root, d, a.size,
                                         recipe=dataclasses.replace(domain.DEFAULT_RECIPE, seed=seed),
                                         texture_recipe=dataclasses.replace(domain.TEXTURE_RECIPE, seed=seed))
                rates.append(res["translated_rate"])
                print(f"{ckpt} {d} seed {seed}: {res['translated_rate']:.1%} translated (judge target "
                      f"{res['target_rate']:.1%}, texture {res['texture_check']}), {time.time() - t0:.0f} s",
                      flush=True)
            g = res["grain"]
            print(f"{ckpt} {d}: mean {sum(rates) / len(rates):.1%}, range {min(rates):.1%}-{max(rates):.1%}; "
                  f"grain: grid {g['grid_db']:.1f} dB (real {g['real_grid_db']:.1f}), speckle {g['speckle']:.2f} "
                  f"(real {g['real_speckle']:.2f})", flush=True)
            results[f"{ckpt} {d}"] = {"rates": rates, "grain": g, "seeds": a.seeds}
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
