"""What a run leaves for people: losses.csv (every step), losses.png, sample grids, the progress bar
and optional TensorBoard. Losses arrive as device tensors and are copied to the host once per
`flush`, so the hot loop never waits on the GPU."""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from pathlib import Path

import torch

from translate.device import dtype_name
from translate.errors import OptionError, TrainingError
from translate.storage.atomic import atomic_write_bytes


class NonFiniteLoss(TrainingError):
    """A loss became NaN/inf; the trainer adds where the last good state is."""


class RunLog:
    # a CPU run estimated longer than this names the model's quicker recipe
    LONG_RUN_SECONDS = 3 * 3600
    # outside a terminal: a progress line after the first step, then at each log interval or after
    # LINE_SECONDS, whichever comes first, but never more often than every MIN_LINE_SECONDS (a fast toy run
    # logging every 10 steps would otherwise write hundreds of lines a second)
    LINE_SECONDS, MIN_LINE_SECONDS = 30.0, 2.0

    def __init__(self, run_dir: Path, total_steps: int, start_step: int, tensorboard: bool, quiet=False,
                 quick_recipe: str = ""):
        self.run_dir = run_dir
        self.csv_path = run_dir / "losses.csv"
        self.pending: list[tuple[int, dict[str, torch.Tensor]]] = []
        self.columns: list[str] | None = None
        if self.csv_path.exists():
            self._truncate_after(start_step)
        self.bar = None
        self.quiet, self.total, self.quick_recipe = quiet, total_steps, quick_recipe
        self.t0, self.s0, self.last_line = time.time(), start_step, 0.0
        self.first_done: tuple[float, int] | None = None  # when the first step ended (it carries warm-up)
        self.estimated = False
        self.shown: dict[str, str] = {}
        if not quiet:
            from tqdm import tqdm

            # tqdm draws only on a terminal; elsewhere (nohup, CI) `progress` prints a line now and then
            self.bar = tqdm(total=total_steps, initial=start_step, unit="step", dynamic_ncols=True,
                            disable=None)
        self.tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                raise OptionError("`tensorboard` needs the tensorboard package: pip install tensorboard") from None
            self.tb = SummaryWriter(str(run_dir / "tensorboard"))

    def _truncate_after(self, step: int) -> None:
        """On resume, drop rows a crashed run wrote after its last saved state."""
        with open(self.csv_path, newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            return
        self.columns = rows[0][1:]
        kept = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= step]
        with open(self.csv_path, "w", newline="") as f:
            csv.writer(f).writerows(kept)

    def record(self, step: int, losses: dict[str, torch.Tensor]) -> None:
        self.pending.append((step, losses))

    def flush(self) -> dict[str, float]:
        """Write pending rows; raise NonFiniteLoss naming the first bad step and term."""
        if not self.pending:
            return {}
        names = sorted({k for _, d in self.pending for k in d})
        values = torch.stack([torch.stack([d.get(k, torch.tensor(float("nan"), device=next(iter(d.values()))
                                                                  .device)).float() for k in names])
                              for _, d in self.pending]).cpu()
        steps = [s for s, _ in self.pending]
        self.pending = []
        if self.columns is None:
            self.columns = names
            with open(self.csv_path, "w", newline="") as f:
                csv.writer(f).writerow(["step", *names])
        with open(self.csv_path, "a", newline="") as f:
            w = csv.writer(f)
            for s, row in zip(steps, values.tolist()):
                w.writerow([s, *(f"{row[names.index(c)]:.6g}" if c in names else "" for c in self.columns)])
        bad = ~torch.isfinite(values)
        if bad.any():
            i, j = (int(v) for v in bad.nonzero()[0])
            raise NonFiniteLoss(f"loss {names[j]} became {values[i, j].item()} at step {steps[i]}")
        last = dict(zip(names, values[-1].tolist()))
        if self.tb is not None:
            for s, row in zip(steps, values.tolist()):
                for k, v in zip(names, row):
                    self.tb.add_scalar(f"loss/{k}", v, s)
        return last

    @property
    def on_terminal(self) -> bool:
        return self.bar is not None and not self.bar.disable

    def progress(self, step: int, last: dict[str, float]) -> None:
        """At each log interval: the bar on a terminal, else a line (rate-limited, see MIN_LINE_SECONDS)."""
        self.shown = {k: f"{v:.3f}" for k, v in last.items() if k in ("D", "G")} or self.shown
        if self.quiet:
            return
        if self.on_terminal:
            self.bar.n = step
            self.bar.set_postfix(self.shown, refresh=False)
            self.bar.refresh()
        elif time.time() - self.last_line >= self.MIN_LINE_SECONDS or step == self.total:
            self._line(step)

    def tick(self, step: int) -> None:
        """After every step: the first progress line, the 30-second line, and the one-time estimate."""
        if self.quiet:
            return
        now = time.time()
        if self.first_done is None:
            self.first_done = (now, step)
            if not self.on_terminal:  # no rate yet: the first step carries the start-up work
                self.last_line = now
                self._say(f"step {step}/{self.total} done ({now - self.t0:.1f} s with start-up); the estimate "
                          f"follows in a few steps")
            return
        if not self.on_terminal and now - self.last_line >= self.LINE_SECONDS:
            self._line(step)
        t1, s1 = self.first_done
        if not self.estimated and step - s1 >= 3 and (now - t1 >= 10 or step - s1 >= 50):
            self.estimated = True
            self._say(self._estimate((now - t1) / (step - s1), step))

    def _estimate(self, per_step: float, step: int) -> str:
        left = per_step * (self.total - step)
        finish = time.strftime("%a %H:%M" if left > 12 * 3600 else "%H:%M", time.localtime(time.time() + left))
        per = f"{per_step:.2f} s/step" if per_step >= 0.1 else f"{1 / per_step:.0f} steps/s"
        text = f"measured {per}: {self.total - step:,} steps left, about {_duration(left)} (done near {finish})"
        if self.quick_recipe and per_step * (self.total - self.s0) > self.LONG_RUN_SECONDS:
            text += f"\n  hours on a CPU; a quicker recipe that still gives usable models: {self.quick_recipe}"
        return text

    def _line(self, step: int) -> None:
        self.last_line = now = time.time()
        rate = (step - self.s0) / max(now - self.t0, 1e-9)
        eta = (self.total - step) / rate if rate > 0 else float("inf")
        losses = "  ".join(f"{k} {v}" for k, v in self.shown.items())
        parts = (f"step {step}/{self.total}", losses, f"{rate:.2f} steps/s", f"ETA {_duration(eta)}")
        self._say("  ".join(p for p in parts if p))

    def _say(self, text: str) -> None:
        if self.on_terminal:
            self.bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.tb is not None:
            self.tb.close()

    def plot_losses(self) -> None:
        if not self.csv_path.exists():
            return
        plot_losses(self.csv_path, self.run_dir / "losses.png")


def plan(cfg, model, source, info, steps_per_epoch: int, step: int, where: str, amp_dtype, why: str = "") -> str:
    """What a run is about to do, in two lines: model, data, nets and sizes; steps and where they run."""
    t, d = cfg.train, cfg.data
    nets = ", ".join(f"{name} {type(net).__name__} {sum(p.numel() for p in net.parameters()) / 1e6:.2f}M"
                     for name, net in model.named_children() if any(True for _ in net.parameters()))
    n = len(source) if hasattr(source, "__len__") else 0
    px = info.image_size
    data = f"{Path(info.name).name or d.data} ({n:,} examples{f', {px} px' if px else ''})" if n else Path(d.data).name
    length = f"{t.steps:,} steps"
    if t.epochs:
        length += (f" = {t.epochs} + {t.epochs_decay} decaying epochs of {steps_per_epoch:,} steps"
                   if t.epochs_decay else f" = {t.epochs} epochs of {steps_per_epoch:,} steps")
    if step:
        length += f", from step {step:,}"
    precision = "fp32" if amp_dtype is None else f"{dtype_name(amp_dtype)} autocast"
    if why:
        precision = f"precision {why}"  # what ran, and why (on the CPU: the measurement behind it)
    return (f"plan: {cfg.model_name} on {data}; nets: {nets}\n"
            f"      {length}, batch {t.batch_size}; {where}, {precision}")


def quick_recipe(cfg, device: torch.device) -> str:
    """The model's quicker CPU flags (its config's CPU_RECIPE) as a command, named once when a CPU run is
    estimated to take hours; empty on a GPU, for models without one, and for runs that already follow it."""
    recipe = getattr(cfg.model, "CPU_RECIPE", "")
    if not recipe or device.type != "cpu" or _follows(cfg, recipe):
        return ""
    return f"translate train --model {cfg.model_name} --data {Path(cfg.data.data).name} {recipe}"


def _follows(cfg, recipe: str) -> bool:
    """Whether the run already uses every "--flag value" of `recipe`."""
    words = recipe.split()
    for flag, value in zip(words[::2], words[1::2]):
        name = flag.lstrip("-").replace("-", "_")
        have = next((getattr(part, name) for part in (cfg.data, cfg.train, cfg.model) if hasattr(part, name)), None)
        if str(have) != value:
            return False
    return True


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def loss_panels(names: list[str]) -> dict[str, list[str]]:
    """The logged losses by kind, one plot panel each: what D minimises, G's adversarial terms, and G's other
    terms (cycle, identity, L1, NCE, ...). A total (D, G) is drawn only where its side logs no terms: beside
    them it would repeat them (a GAN's G is its g_adv)."""
    d_side = [n for n in names if n.startswith("d_") or n in ("gp", "r1")]
    adversarial = [n for n in names if n.startswith(("adv", "g_adv"))]
    other = [n for n in names if n not in d_side + adversarial + ["D", "G"]]
    panels = {"discriminator": d_side or [n for n in names if n == "D"],
              "generator, adversarial": adversarial or ([n for n in names if n == "G"] if not other else []),
              "generator, reconstruction and other terms": other}
    return {title: group for title, group in panels.items() if group}


def plot_losses(csv_path: Path, png_path: Path) -> None:
    # a bare Figure renders with Agg by itself: no pyplot, no backend choice, no environment change
    from matplotlib.figure import Figure

    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        return
    header, body = rows[0], rows[1:]
    steps = [int(r[0]) for r in body]
    panels = loss_panels(header[1:])
    fig = Figure(figsize=(4.2 * len(panels), 3.6), dpi=100)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    window = max(1, len(body) // 50)  # a moving mean over 2% of the run; the raw values stay, faint
    palette = [f"tab:{c}" for c in ("blue", "orange", "green", "red", "purple", "brown", "pink", "gray", "olive",
                                    "cyan")]
    for ax, (title, names) in zip(axes, panels.items()):
        for k, name in enumerate(names):
            j = header.index(name)
            raw = [float(r[j]) if r[j] else math.nan for r in body]
            color = palette[k % len(palette)]
            if window > 1:
                ax.plot(steps, raw, color=color, lw=0.5, alpha=0.2)
                raw = [sum(raw[max(0, i - window + 1):i + 1]) / len(raw[max(0, i - window + 1):i + 1])
                       for i in range(len(raw))]
            ax.plot(steps, raw, label=name, color=color, lw=1.2, ls="-" if k < len(palette) else "--")
        ax.set_title(title + (f" (mean of {window} steps)" if window > 1 else ""), fontsize=9)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    axes[0].set_ylabel("loss")
    fig.tight_layout()
    tmp = png_path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    os.replace(tmp, png_path)


def save_samples(tensors: dict[str, torch.Tensor], path: Path, nrow: int = 8,
                 reference: torch.Tensor | None = None) -> None:
    """Images (N, C, H, W) in [-1, 1] -> one PNG grid; points (N, 2) -> a scatter plot PNG
    (over `reference` real points in grey when given)."""
    x = next(iter(tensors.values())).detach().float().cpu()
    path.parent.mkdir(parents=True, exist_ok=True)
    if x.dim() == 2:
        _scatter(x, reference, path)
        return
    from translate.data.transforms import grid_image

    grid = grid_image(x, nrow=nrow)
    columns = next(iter(tensors)).split(" | ")
    if len(columns) > 1 and nrow % len(columns) == 0:
        grid = _with_column_labels(grid, columns * (nrow // len(columns)), x.shape[-1])
    _save_pil(grid, path)


def _with_column_labels(grid, labels: list[str], side: int):
    """The grid under a white strip naming each column ("A", "G_AB(A)", "rec A", ...)."""
    from PIL import Image, ImageDraw

    strip = 14
    out = Image.new(grid.mode, (grid.width, grid.height + strip), "white")
    out.paste(grid, (0, strip))
    draw = ImageDraw.Draw(out)
    for k, label in enumerate(labels):
        left = 2 + k * (side + 2)  # grid_image's 2-pixel gaps
        text = label if draw.textlength(label) <= side else label[: max(1, side // 7)]
        draw.text((left + (side - draw.textlength(text)) / 2, 1), text, fill="black")
    return out


def save_png(chw_uint8: torch.Tensor, path: Path) -> None:
    from PIL import Image

    arr = chw_uint8.permute(1, 2, 0).numpy()
    _save_pil(Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr), path)


def _save_pil(img, path: Path) -> None:
    import io

    buf = io.BytesIO()
    img.save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())


def _scatter(points: torch.Tensor, reference: torch.Tensor | None, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 4), dpi=100)
    ax = fig.subplots()
    if reference is not None:
        r = reference.detach().cpu()
        ax.scatter(r[:, 0], r[:, 1], s=2, c="0.7", label="real")
    ax.scatter(points[:, 0], points[:, 1], s=2, c="C1", label="generated")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7, markerscale=4)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    os.replace(tmp, path)


class NullLog:
    """What ranks other than 0 log: nothing (their losses reach rank 0's log as part of the mean)."""

    def record(self, step, losses) -> None:
        pass

    def flush(self) -> dict:
        return {}

    def progress(self, step, last) -> None:
        pass

    def tick(self, step) -> None:
        pass

    def plot_losses(self) -> None:
        pass

    def close(self) -> None:
        pass


def hardware_name(device: torch.device, world: int) -> str:
    """What a run trained on, for its model card: "NVIDIA H100 80GB HBM3 x 2" or "CPU (model), 2 threads"."""
    from translate.device import device_name

    if device.type == "cuda":
        return f"{device_name(device)} x {world}"
    return device_name(device) + (f" x {world} processes" if world > 1 else "")
