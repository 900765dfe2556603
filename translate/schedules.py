"""Learning-rate schedules as pure functions of the step, so resuming needs only the step number."""

from __future__ import annotations


def lr_factor(step: int, total_steps: int, decay_fraction: float) -> float:
    """Constant for the first (1 - decay_fraction) of the run, then linear decay to 0 at `total_steps`
    (the pix2pix/CycleGAN 'linear' policy, in steps instead of epochs)."""
    decay_steps = round(total_steps * decay_fraction)
    if decay_steps <= 0:
        return 1.0
    start = total_steps - decay_steps
    if step < start:
        return 1.0
    return max(0.0, 1.0 - (step - start) / decay_steps)
