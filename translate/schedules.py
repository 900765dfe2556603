"""Learning-rate schedules as pure functions of the step, so resuming needs only the step number."""

from __future__ import annotations


def lr_factor(step: int, total_steps: int, decay_steps: int) -> float:
    """Constant for the first total - decay steps, then linear decay to 0 at `total_steps`
    (the pix2pix/CycleGAN 'linear' policy, in steps instead of epochs)."""
    if decay_steps <= 0:
        return 1.0
    start = total_steps - decay_steps
    if step < start:
        return 1.0
    return max(0.0, 1.0 - (step - start) / decay_steps)
