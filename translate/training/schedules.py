"""The optimizers of a run's roles and their learning rates: schedules are pure functions of the step, so
resuming needs only the step number."""

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


def run_lr_factor(step: int, t, steps_per_epoch: int) -> float:
    """The multiplier at `step` under train config `t` (any object with steps, epochs, epochs_decay and
    lr_decay): the official per-epoch policy when the run counts epochs, else the per-step one."""
    if t.epochs:
        return epoch_lr_factor(step // steps_per_epoch, t.epochs, t.epochs_decay)
    return lr_factor(step, t.steps, t.lr_decay)


def schedule_change(saved: dict, t, step: int, steps_per_epoch: int) -> str | None:
    """What a resume with a new length or decay does to the run from `step` on (None: nothing changed)."""
    from types import SimpleNamespace

    keys = ("steps", "epochs", "epochs_decay", "lr_decay")
    if all(saved.get(k) == getattr(t, k) for k in keys):
        return None
    old = SimpleNamespace(**{k: saved.get(k, 0) for k in keys})
    before, after = run_lr_factor(step, old, steps_per_epoch), run_lr_factor(step, t, steps_per_epoch)
    msg = f"new schedule: {old.steps} -> {t.steps} steps"
    if abs(before - after) > 1e-12:
        return msg + (f"; the learning rate at step {step} jumps from {before:.3g}x to {after:.3g}x the base rate "
                      f"(the steps already taken are unchanged)")
    return msg + f"; the learning rate at step {step} is unchanged ({after:.3g}x the base rate)"


def base_lr(t, settings: str) -> float:
    """A role's learning rate before the schedule: `settings` "d" takes --lr-d, "g" --lr-g (TTUR)."""
    return t.lr_d if settings == "d" else t.lr_g


def make_optimizer(params, t, settings: str, device_type: str):
    """The optimizer of one role, with the learning rate and betas of its `settings` ("g" or "d")."""
    import torch

    betas = t.betas_d if settings == "d" else t.betas_g
    # One fused kernel for the whole update: on CUDA no per-parameter launches or host sync; on the CPU
    # faster than the default per-tensor loop too (docs/performance.md, bench/optimizer_step.py).
    fused = {"fused": True} if device_type in ("cuda", "cpu") else {}
    if t.optim == "adam":
        return torch.optim.Adam(params, lr=base_lr(t, settings), betas=tuple(betas), weight_decay=t.weight_decay,
                                **fused)
    return torch.optim.SGD(params, lr=base_lr(t, settings), momentum=t.momentum, weight_decay=t.weight_decay,
                           **fused)


def set_learning_rates(optimizers: dict, settings_of, t, step: int, steps_per_epoch: int) -> None:
    """Every role's learning rate at `step`: its base rate times the run's schedule."""
    f = run_lr_factor(step, t, steps_per_epoch)
    for role, opt in optimizers.items():
        for g in opt.param_groups:
            g["lr"] = base_lr(t, settings_of(role)) * f
