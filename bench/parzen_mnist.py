"""Parzen-window log-likelihood of a DCGAN trained on real MNIST digits (Goodfellow et al. 2014, Table 1).

Trains with the real CLI (`translate train --model dcgan --data mnist`, paper defaults plus the flags
given after `--`), then runs `translate eval --metric parzen` (10,000 samples, sigma from
logspace(-1, 0, 10) on the 1,000 held-out training digits, mean log-likelihood on the 10k test split).
Prints the figures and the training time; no assertions.

  python bench/parzen_mnist.py --root ../shared/data --steps 2000
  python bench/parzen_mnist.py --root ../shared/data --checkpoint checkpoints/run-001-dcgan-mnist
  python bench/parzen_mnist.py --root ../shared/data --references

--references scores sample sets that need no training, under the same protocol: the real training digits
themselves (what a generator that copied its training set would get) and k-means centroids of them
(Theis et al. 2016 showed that such averaged prototypes can beat the real data under Parzen).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default="datasets", help="folder holding mnist/ (e.g. ../shared/data)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="run folder to keep (default: a temporary one)")
    p.add_argument("--checkpoint", help="skip training and score this checkpoint")
    p.add_argument("--references", action="store_true", help="score the real training digits and k-means "
                                                             "centroids of them instead of a model")
    a = p.parse_args(argv)
    if a.references:
        return references(Path(a.root))
    exe = [sys.executable, "-m", "translate"]
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(a.checkpoint or a.out or Path(tmp) / "run")
        seconds = 0.0
        if not a.checkpoint:
            t0 = time.time()
            subprocess.run([*exe, "train", "--model", "dcgan", "--data", "mnist", "--root", a.root, "--steps",
                            str(a.steps), "--seed", str(a.seed), "--out", str(run), *extra], check=True)
            seconds = time.time() - t0
        res_path = Path(tmp) / "parzen.json"
        subprocess.run([*exe, "eval", "--checkpoint", str(run), "--metric", "parzen", "--root", a.root,
                        "--json", str(res_path)], check=True, stdout=subprocess.DEVNULL)
        res = json.loads(res_path.read_text())
    print(f"flags: {' '.join(extra) or '(paper defaults)'}; steps {a.steps}; training {seconds:.0f} s")
    print(f"Parzen log-likelihood on the MNIST test split: {res['log_likelihood']:.1f} +- "
          f"{res['standard_error']:.1f} nats (sigma {res['sigma']:.4f}, {res['n_samples']} samples, "
          f"{res['n_test']} test digits)")
    print("validation log-likelihood by sigma: " + ", ".join(f"{float(s):.3f}: {v:.1f}"
                                                            for s, v in res["validation"].items()))


def references(root: Path, ks: tuple[int, ...] = (50, 200, 1000)) -> None:
    import torch
    from sklearn.cluster import KMeans

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from translate.data.datasets import holdout_split
    from translate.data.folders import find_mnist, read_idx
    from translate.metrics.parzen import parzen_eval

    files = find_mnist(root)
    train = torch.from_numpy(read_idx(files.images_train)).flatten(1).double() / 255
    test = torch.from_numpy(read_idx(files.images_test)).flatten(1).double() / 255
    kept, held_out = holdout_split(len(train), 1000)  # the split `translate eval --metric parzen` uses
    train, valid = train[kept], train[held_out]
    sets = {f"the {len(train)} real training digits": train}
    for k in ks:
        km = KMeans(k, n_init=1, random_state=0).fit(train.numpy())
        sets[f"k-means centroids of them, k = {k}"] = torch.from_numpy(km.cluster_centers_)
    for name, samples in sets.items():
        r = parzen_eval(samples, valid, test)
        print(f"{name}: {r['log_likelihood']:.1f} +- {r['standard_error']:.1f} nats (sigma {r['sigma']:.3f})")


if __name__ == "__main__":
    main()
