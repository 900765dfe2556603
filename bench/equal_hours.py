"""Translation quality against training time: every saved state of some runs, scored by `--metric domain`.

Each state records the loop's wall time so far (state.json "timing", summed over resumes), so runs of
different models (CycleGAN trains both directions in one run, CUT/FastCUT one) can be read side by side at
equal CPU hours. Every state of every run is scored at --size (the demo's 256 px) on the data set's test
photos in the direction(s) it translates, working at --scale; already scored states are read from --out (a
JSON file), so the script can be re-run as the runs go on.

  python bench/equal_hours.py checkpoints/run-h2z-fastcut-128 checkpoints/run-h2z-cyclegan-128-cmp \\
      --data horse2zebra --root ../shared/data --out bench/results/h2z_equal_hours.json
  (keep more than the default 3 states with `translate train --keep-checkpoints N` to get a curve)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--data", required=True)
    p.add_argument("--root", type=Path, default=Path("datasets"))
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--scale", default="auto", help="the translators' work scale (translate convert --scale); "
                                                   "use one --out file per scale")
    p.add_argument("--every", type=int, default=0, metavar="STEPS",
                   help="score only the states at multiples of STEPS, and each run's newest (default: all)")
    a = p.parse_args()
    from translate.data.download import resolve_dataset
    from translate.inference import ImageTranslator
    from translate.metrics.domain import eval_domain
    from translate.storage.checkpoint import list_states, load_checkpoint

    done = json.loads(a.out.read_text()) if a.out.is_file() else {}
    folder = resolve_dataset(a.data, a.root)
    for run in a.runs:
        states = list_states(run)
        for state in states:
            key = f"{run.name}/{state.name}"
            step = int(state.name.split("-")[-1])
            if key in done or (a.every and step % a.every and state != states[-1]):
                continue
            config, tensors = load_checkpoint(state)
            hours = config.get("timing", {}).get("seconds", float("nan")) / 3600
            row = {"run": run.name, "model": config["model"], "step": config["step"], "cpu_hours": round(hours, 2)}
            for direction in config["directions"]:
                t = ImageTranslator(config, tensors, direction, "cpu", str(state), scale=a.scale)
                r = eval_domain(t.translate_tensor, folder, direction, a.size)
                row[direction] = {"translated": r["translated_rate"], "relative": r["relative_rate"],
                                  "target": r["target_rate"], "texture": r["texture_rate"],
                                  "real_target": r["real_target_rate"], "checks": 6}
            done[key] = row
            a.out.parent.mkdir(parents=True, exist_ok=True)
            a.out.write_text(json.dumps(done, indent=1))
            print(json.dumps(row), flush=True)
    print("\n| run | model | step | CPU hours | AtoB translated | BtoA translated |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in sorted(done.values(), key=lambda r: (r["run"], r["step"])):
        cells = [f"{row[d]['translated']:.1%}" if d in row else "" for d in ("AtoB", "BtoA")]
        print(f"| {row['run']} | {row['model']} | {row['step']:,} | {row['cpu_hours']:.2f} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
