"""Does a CycleGAN's reconstruction G_BA(G_AB(x)) read a signal hidden in the fine grain of G_AB(x)?

CycleGANs are known to hide the input in low-amplitude, high-frequency patterns of their translations so
that the cycle loss can be met (Chu et al. 2017, "CycleGAN, a master of steganography"). If the grain of a
bundle were that hidden signal, removing it from the translation would break the reconstruction. This
blurs each translation with a 3x3 binomial filter (it removes the 2 px grid and keeps stripes of 6 px and
more) or adds Gaussian noise to it, reconstructs, and prints how much the cycle error grows, beside how
much the blur moved the translation itself. Test photos of domain A, squashed to --size (the bundles'
training size).

  python bench/cycle_hidden_signal.py --checkpoint checkpoints/horse2zebra --data ../shared/data/horse2zebra
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from translate import load  # noqa: E402
from translate.metrics import domain  # noqa: E402
from translate.nets.antialias import binomial_blur  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, nargs="+")
    p.add_argument("--data", required=True, help="a CycleGAN-layout folder (testA is read)")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--noise", type=float, default=0.04, help="std of the added noise, in [-1, 1] units")
    args = p.parse_args()
    x = domain.as_float(domain.load_square(domain.photos(Path(args.data) / "testA"), args.size))
    torch.manual_seed(0)
    for ck in args.checkpoint:
        ab = load(ck, direction="AtoB", precision="fp32").translate_tensor
        ba = load(ck, direction="BtoA", precision="fp32").translate_tensor
        fake = ab(x)
        cycle = (ba(fake) - x).abs().mean().item()
        blurred = (ba(binomial_blur(fake)) - x).abs().mean().item()
        noisy = (ba((fake + args.noise * torch.randn_like(fake)).clamp(-1, 1)) - x).abs().mean().item()
        moved = (binomial_blur(fake) - fake).abs().mean().item()
        print(f"{ck}: cycle L1 {cycle:.3f}; translation blurred {blurred:.3f} (+{blurred - cycle:.3f}, the blur "
              f"moved the translation by {moved:.3f}); noise {args.noise} {noisy:.3f} (+{noisy - cycle:.3f})")


if __name__ == "__main__":
    main()
