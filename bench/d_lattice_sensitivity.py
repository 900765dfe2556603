"""Can a CycleGAN run's discriminator see a fine grid? If it cannot, nothing in the adversarial term stops the
generator from painting one.

For each training state given, builds its D_B (the judge of translations into domain B, from the run's own
configuration kept in the state) and scores real B
test photos (squashed to --size, the run's training size): plain, with a grid of period 2, 4 or 8 px added,
and with Gaussian noise of the same RMS (a texture with no period, as a control). Prints the mean patch score
(LSGAN: about 1 for what D takes for real, 0 for fake) and how far each change moves it, beside the score of
the run's own translations G_AB(A) (the EMA generator where the state has one).

  python bench/d_lattice_sensitivity.py runs/h2z-aa/state/step-0003200 runs/h2z-aad/state/step-0003200 \\
      --data ../shared/data/horse2zebra
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from translate import load  # noqa: E402
from translate.config import RunConfig  # noqa: E402
from translate.metrics import domain  # noqa: E402
from translate.models.spectral import fine_band  # noqa: E402
from translate.models.translation import discriminator_spec  # noqa: E402
from translate.nets.spec import build_net  # noqa: E402
from translate.storage.checkpoint import net_tensors, read_json  # noqa: E402


def grid(size: int, period: int, amplitude: float) -> torch.Tensor:
    """(1, 1, size, size): a checker of period x period cells of +-amplitude (zero mean, RMS = amplitude)."""
    idx = torch.arange(size) // (period // 2) % 2
    return amplitude * (1 - 2 * (idx[:, None] ^ idx[None, :]).float())[None, None]


@torch.no_grad()
def score(d: torch.nn.Module, x: torch.Tensor) -> float:
    """Mean patch logit of D over the images (LSGAN: its realness score)."""
    return float(torch.cat([d(x[i:i + 16]) for i in range(0, len(x), 16)]).mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("states", nargs="+", help="run state folders (runs/NAME/state/step-NNNNNNN)")
    p.add_argument("--data", required=True, help="a CycleGAN-layout folder (testA and testB are read)")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--amplitude", type=float, default=0.05, help="RMS of the grid and the noise, [-1, 1] units")
    args = p.parse_args()
    real_b = domain.as_float(domain.load_square(domain.photos(Path(args.data) / "testB"), args.size))
    real_a = domain.as_float(domain.load_square(domain.photos(Path(args.data) / "testA"), args.size))
    torch.manual_seed(0)
    noise = args.amplitude * torch.randn_like(real_b)
    for state in args.states:
        tensors = load_file(str(Path(state) / "weights.safetensors"))
        cfg = RunConfig.from_dict(read_json(Path(state) / "state.json")["config"])
        fakes = load(state, direction="AtoB", precision="fp32").translate_tensor(real_a)
        # D_B sees the images; D_B_fine (CycleGAN --lambda-fine-d), where the run has one, their finest band
        for name, view in (("D_B", lambda x: x), ("D_B_fine", fine_band)):
            d_tensors = net_tensors(tensors, name)
            if not d_tensors:
                continue
            fine = name.endswith("_fine")
            spec = discriminator_spec(cfg.model, cfg.data.output_nc, cfg.model.fine_d_norm if fine else None)
            d = build_net(spec).eval()
            d.load_state_dict(d_tensors)
            base = score(d, view(real_b))
            line = [f"real {base:.3f}", f"translations {score(d, view(fakes)):.3f}"]
            for period in (2, 4, 8):
                gridded = view(real_b + grid(args.size, period, args.amplitude))
                line.append(f"grid {period} px {score(d, gridded) - base:+.3f}")
            line.append(f"noise {score(d, view(real_b + noise)) - base:+.3f}")
            kind = f"{name}, {'anti-aliased' if cfg.model.antialias or cfg.model.antialias_d else 'plain'}, " \
                   f"norm {spec['kwargs']['norm']}"
            print(f"{state} ({kind}): " + "; ".join(line))


if __name__ == "__main__":
    main()
