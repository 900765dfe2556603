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


def epoch_lr_factor(epoch: int, n_epochs: int, n_epochs_decay: int) -> float:
    """The official pix2pix/CycleGAN 'linear' policy for the epoch with 0-based index `epoch`.

    Official: lambda(e) = 1 - max(0, e + epoch_count - n_epochs) / (n_epochs_decay + 1) with
    epoch_count = 1, and train.py steps the scheduler at the *beginning* of every epoch, so the epoch
    with 0-based index i trains at lambda(i + 1). Reproduced as is, including its two quirks: the decay
    already starts in epoch n_epochs (factor 1 - 1/(decay + 1)) and the last epoch trains at 0.
    """
    return max(0.0, 1.0 - max(0, epoch + 2 - n_epochs) / float(n_epochs_decay + 1))
