"""The training loop, for every model: it knows the GanModel contract (roles, phases, losses, grids, bundle),
nothing model-specific. Read `Trainer.fit` top to bottom; the helpers below it do one thing each.

One step runs the model's phases in order (models/base.py: Phase): Algorithm 1 of Goodfellow et al. 2014
(k discriminator updates, each on a fresh minibatch, then one generator update), pix2pix's (G on D's last
batch, reusing D's fake) and CycleGAN's (G first, D on G's pooled fakes) are three such lists. Every role has
its own optimizer, learning rate and betas (TTUR) and its own GradScaler under fp16; only the roles being
stepped have requires_grad set (and the roles whose graph a reused output must keep).

Under torchrun every process runs this same loop on its slice of the global batch; see distributed.py
for how gradients, losses, RNG streams and stop decisions are shared, and why rank 0 alone writes.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn

from translate import __version__
from translate.config import RunConfig
from translate.data import BatchStream, open_data
from translate.data.loader import peek
from translate.device import resolve_device
from translate.errors import CheckpointError, OptionError, TrainingError
from translate.models.base import GanModel, LossOutput, Phase, check_phases
from translate.registry import MODELS
from translate.storage.checkpoint import latest_state, load_into, load_newest_state, net_tensors, save_bundle
from translate.training.distributed import RANK_SEED_STRIDE, Dist, capture_rng, restore_rng
from translate.training.ema import EMA
from translate.training.runlog import NonFiniteLoss, NullLog, RunLog, hardware_name, plan, quick_recipe
from translate.training.samples import SampleGrids
from translate.training.schedules import make_optimizer, schedule_change, set_learning_rates
from translate.training.state import flatten_optimizer, save_state, unflatten_optimizer, warm_start

# Train-config fields that may change when a run is resumed; any other change would break exactness. The
# schedule (length, LR decay) changes only the future: the steps already taken stay as they were, and the
# trainer says so when the learning rate at the resume step moves.
RESUME_MUTABLE = ("steps", "epochs", "epochs_decay", "lr_decay", "log_every", "sample_every",
                  "checkpoint_every", "keep_checkpoints", "tensorboard", "device", "resume", "out", "dry_run",
                  "sync_bn", "channels_last", "compile", "winograd")


class Trainer:
    def __init__(self, cfg: RunConfig, run_dir: Path, resume: bool = False, quiet: bool = False):
        t = cfg.train
        self.cfg, self.run_dir = cfg, Path(run_dir)
        self.device = resolve_device(t.device)
        self.dist = Dist.from_env(self.device.type)
        if self.dist.enabled:
            self.device = self.dist.device if self.device.type == "cuda" else self.device
            if t.batch_size % self.dist.world:
                raise OptionError(f"`batch_size` {t.batch_size} is the global batch and must split evenly over "
                                 f"{self.dist.world} processes; use a multiple of {self.dist.world}")
        self.quiet = quiet or not self.dist.is_main
        if t.deterministic:
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.benchmark = False

        model_cls = MODELS.get(cfg.model_name)
        self.source, self.info = open_data(cfg.data, cfg.model_name, MODELS.info(cfg.model_name)["data_kinds"])
        torch.manual_seed(t.seed)  # weights, then the noise the model draws, come from this stream
        self.model: GanModel = model_cls(cfg.model, self.info)
        if t.sync_bn and self.dist.enabled:
            if self.device.type != "cuda":
                raise OptionError("`sync_bn` needs CUDA GPUs (PyTorch's SyncBatchNorm has no CPU kernel); "
                                 "leave it off on the CPU")
            # same parameter objects and state-dict keys, so checkpoints stay interchangeable
            self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
        self.model.to(self.device)
        self.steps_per_epoch = max(1, len(self.source) // t.batch_size) if hasattr(self.source, "__len__") else 1
        if t.epochs:  # the papers count epochs; the loop counts steps (one batch per step for these models)
            t.steps = self.steps_per_epoch * (t.epochs + t.epochs_decay)
        if type(self.model).setup is not GanModel.setup:
            # nets whose shapes come from a first forward pass are built now, before optimizers and resume
            first = self._preview(max(1, t.batch_size // self.dist.world))
            self.model.setup({k: v.to(self.device) if torch.is_tensor(v) else v for k, v in first.items()})
            self.model.to(self.device)
        if t.init_from and not resume:  # a resumed run has these weights (and more) in its state
            from translate.storage.catalog import resolve_checkpoint  # a bundled name works as in `translate convert`

            self._say(warm_start(self.model.export(), self.model.export_config(), resolve_checkpoint(t.init_from),
                                 t.init_from))
        if t.channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.amp_dtype, self.precision_reason, self.winograd_layers = self._speed(t)
        if t.compile:
            # nn.Module.compile() swaps each net's __call__ in place: parameters and state-dict keys stay
            for net in self.model.children():
                net.compile()
        self.phases: list[Phase] = self.model.phases(t.d_steps)
        self.roles = self.model.roles()
        check_phases(self.phases, self.roles, cfg.model_name)
        self.optimizers = {role: make_optimizer(params, t, self.model.role_settings(role), self.device.type)
                           for role, params in self.roles.items()}
        fp16 = self.amp_dtype == torch.float16
        self.scalers = {role: torch.amp.GradScaler("cuda", enabled=fp16) for role in self.roles}
        self.ema = EMA(self.model.export(), t.ema) if t.ema else None
        self.grids = SampleGrids(self.model, self.run_dir, self._preview, t.n_samples, t.seed, self.dist,
                                 self.device)
        self.step, position = 0, 0
        self.last_saved: Path | None = None
        # wall time of the loop, summed over resumes, for model cards ("steps: N, wall time: T, hardware")
        self.timing = {"seconds": 0.0, "timed_steps": 0, "hardware": []}
        self._timing_mark: tuple[float, int] | None = None
        if self.dist.rank > 0:  # rank 0 keeps the single-process noise stream; rank r > 0 draws its own
            torch.manual_seed(t.seed + RANK_SEED_STRIDE * self.dist.rank)
        if resume:
            position = self._restore()
        # identical weights everywhere, whatever each process built or read (as DDP does at wrap time)
        self.dist.broadcast_tensors(list(self.model.state_dict().values()))
        self.stream = BatchStream(self.source, t.batch_size, t.seed, self.device, position, cfg.data.workers,
                                  self.dist.rank, self.dist.world, t.channels_last)
        self.stop_requested: str | None = None  # set by a signal on this process
        self.stop_agreed = False  # under torchrun: set when all processes agree to stop

    # ------------------------------------------------------------------------------------ the loop
    def fit(self) -> Path:
        t = self.cfg.train
        main = self.dist.is_main
        # from here on a signal asks for a clean stop (a state is saved) rather than an abort; before this,
        # translate.cli turns it into KeyboardInterrupt while nothing is written yet
        old_handlers = self._catch_signals()
        hardware = hardware_name(self.device, self.dist.world)
        try:
            if main:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                self.cfg.save(self.run_dir / "config.json")
            log = (RunLog(self.run_dir, t.steps, self.step, t.tensorboard, self.quiet,
                          quick_recipe=quick_recipe(self.cfg, self.device)) if main else NullLog())
            self._say(plan(self.cfg, self.model, self.source, self.info, self.steps_per_epoch, self.step,
                           hardware, self.amp_dtype, self.precision_reason))
            if self.step == 0:
                self.grids.initial(self._ema_nets())
        except BaseException:  # the caller's handlers come back whatever failed here
            self._restore_signals(old_handlers)
            raise
        t0, s0 = time.time(), self.step
        self._timing_mark = (t0, self.step)
        if hardware not in self.timing["hardware"]:
            self.timing["hardware"].append(hardware)
        try:
            while self.step < t.steps and not self._stopping():
                self._set_learning_rates()
                losses = self._step()
                if self.ema is not None:
                    self.ema.update(self.step)
                self.step += 1
                log.record(self.step, self.dist.mean_dict(losses))
                log.tick(self.step)
                last = self.step == t.steps
                if self.step % t.log_every == 0 or last:
                    self._log_interval(log)
                if self.step % t.sample_every == 0 or last:
                    self.grids.write(self.step, self._ema_nets())
                    log.plot_losses()
                if self.step % t.checkpoint_every == 0 or last:
                    log.flush()
                    self._save()
            if self._stopping():
                log.flush()
                self._save()
                if self.step % t.sample_every:  # the grid of the step it stopped at, unless just written
                    self.grids.write(self.step, self._ema_nets())
                log.plot_losses()
        except NonFiniteLoss as e:
            log.close()
            where = (f"the last good state is {self.last_saved}; resume with --resume {self.run_dir} and "
                     f"a lower learning rate") if self.last_saved else "no state was saved before it"
            raise TrainingError(f"stopped: {e}. {where}.") from None
        finally:
            self._restore_signals(old_handlers)
        log.close()
        rate = (self.step - s0) / max(time.time() - t0, 1e-9)
        bundle = self._write_bundle() if main else self.run_dir / "bundle"
        self.dist.barrier()  # nobody leaves (and tears the group down) before rank 0 has written
        self._say(f"{'stopped' if self.stop_requested else 'finished'} at step {self.step}/{t.steps} "
                  f"({rate:.1f} steps/s). Run folder: {self.run_dir}")
        paths = {"samples": self.run_dir / "samples" / "latest.png", "losses": self.run_dir / "losses.png",
                 "bundle": bundle}  # only what exists (a stop in the first steps may have no loss plot yet)
        self._say("  " + "   ".join(f"{k}: {v}" for k, v in paths.items() if v.exists()))
        if self.stop_requested:
            self._say(f"  interrupted by {self.stop_requested}; continue with: translate train --resume "
                      f"{self.run_dir}")
        return self.run_dir

    # ------------------------------------------------------------------------- logging and stopping
    def _log_interval(self, log) -> None:
        """Flush the losses; under torchrun also agree with the other processes on whether to stop (a
        signal on any of them) or to fail (a NaN/inf loss), so that all leave the loop at the same step."""
        failure = None
        try:
            shown = log.flush()
        except NonFiniteLoss as e:
            shown, failure = {}, e
        if self.dist.enabled:
            code = self.dist.agree(2 if failure else 1 if self.stop_requested else 0)
            if code == 2 and failure is None:
                failure = NonFiniteLoss("a loss became NaN/inf on another process")
            self.stop_agreed = self.stop_agreed or code == 1
        if failure is not None:
            raise failure
        log.progress(self.step, shown)

    def _stopping(self) -> bool:
        # one process decides alone; several decide together at log intervals (see _log_interval)
        return self.stop_agreed if self.dist.enabled else bool(self.stop_requested)

    # --------------------------------------------------------------------------------- one step
    def _step(self) -> dict[str, torch.Tensor]:
        """The model's phases in order; returns each phase's total (under its first role) and named terms."""
        outputs: list[LossOutput] = []
        losses: dict[str, torch.Tensor] = {}
        batch = None
        for phase in self.phases:
            loss_fn = getattr(self.model, phase.loss)
            kwargs = {"fakes": outputs[phase.fakes_from].fakes} if phase.fakes_from is not None else {}
            for k in range(phase.repeat):
                if phase.batch == "fresh" or batch is None:
                    batch = next(self.stream)
                keep = phase.graph_for if k == phase.repeat - 1 else ()
                out = self._update(phase.roles, loss_fn, batch, graph_for=keep, **kwargs)
            outputs.append(out)
            losses.update({phase.roles[0]: out.total.detach(), **out.terms})
        return losses

    def _update(self, roles: tuple[str, ...], loss_fn, *args, graph_for: tuple[str, ...] = (),
                **kwargs) -> LossOutput:
        """One optimizer step of each of `roles` on loss_fn(*args, **kwargs) (one backward pass). Only those
        roles build gradients, plus the roles in `graph_for`, whose graph the loss's `fakes` keep for a later
        phase. Several roles share the first one's GradScaler (one scaled loss); each keeps its optimizer."""
        for r, params in self.roles.items():
            for p in params:
                p.requires_grad_(r in roles or r in graph_for)
        with self._autocast():
            out = loss_fn(*args, **kwargs)
        optimizers, scaler = [self.optimizers[r] for r in roles], self.scalers[roles[0]]
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        scaler.scale(out.total).backward()
        for role, opt in zip(roles, optimizers):
            self.dist.average_gradients(self.roles[role])
            if self.cfg.train.grad_clip:
                scaler.unscale_(opt)
                nn.utils.clip_grad_norm_(self.roles[role], self.cfg.train.grad_clip)
        for opt in optimizers:
            scaler.step(opt)
        scaler.update()
        return out

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _set_learning_rates(self) -> None:
        set_learning_rates(self.optimizers, self.model.role_settings, self.cfg.train, self.step, self.steps_per_epoch)

    # ------------------------------------------------------------------------------------- signals
    def _catch_signals(self):
        def handler(signum, frame):
            if self.stop_requested:  # a second Ctrl-C: stop now, without saving
                raise KeyboardInterrupt
            self.stop_requested = signal.Signals(signum).name
            self._say(f"\n{self.stop_requested}: finishing this step and saving (again to abort)")

        try:
            return {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        except ValueError:  # not the main thread: leave signals alone
            return {}

    @staticmethod
    def _restore_signals(old_handlers: dict) -> None:
        for sig, h in old_handlers.items():
            signal.signal(sig, h)

    def _preview(self, n: int) -> dict:
        return peek(self.source, n, self.cfg.train.seed)

    def _ema_nets(self) -> dict | None:
        return self.ema.nets if self.ema is not None else None

    def _speed(self, t) -> tuple[torch.dtype | None, str, int]:
        """(autocast dtype, why, layers on Winograd), timed where left to auto (accel.accelerate_training). The
        precision that ran is written into the run's config: a resumed run keeps it and stays bit-exact."""
        from translate.accel import accelerate_training

        if t.precision == "bf16" and self.device.type == "cpu":
            from translate.accel.autotune import cpu_bf16_flags

            if not cpu_bf16_flags():
                self._say("note: this CPU has no bf16 arithmetic: bf16 autocast runs, but slower than fp32")
        probe = self.model.speed_probe(max(1, t.batch_size // self.dist.world))
        choice, switched = accelerate_training(self.model, self.device, t.precision, t.winograd, t.compile, probe,
                                               self.dist.is_main, self.dist.broadcast_tensors)
        if t.precision == "auto":
            t.precision = choice.name
        return choice.dtype, choice.reason, switched["winograd"]

    # ------------------------------------------------------------------------------ state on disk
    def _weights(self) -> dict[str, torch.Tensor]:
        w = dict(self.model.state_dict())
        if self.ema is not None:
            w.update({f"ema.{k}": v for k, v in self.ema.state_tensors().items()})
        w.update({f"extra.{k}": v for k, v in self.model.extra_state().items()})
        return w

    def _bundle_config(self) -> dict:
        return {"model": self.cfg.model_name, **self.model.export_config(), **self.model.bundle_info()}

    def _save(self) -> None:
        t = self.cfg.train
        optim_tensors, optim_plain = {}, {}
        for role, opt in self.optimizers.items():
            tensors, plain = flatten_optimizer(f"optim.{role}", opt.state_dict())
            optim_tensors.update(tensors)
            optim_plain[role] = plain
        # BatchNorm running statistics drift apart per rank without --sync-bn: save (and go on with) rank 0's
        self.dist.broadcast_tensors(list(self.model.buffers()))
        optim_tensors.update(capture_rng(self.dist, self.device))
        meta = {
            "config": self.cfg.to_dict(),
            "data_position": self.stream.position,
            "optimizers": optim_plain,
            "scalers": {r: s.state_dict() for r, s in self.scalers.items()},
            "has_ema": self.ema is not None,
            "world_size": self.dist.world,
            "bundle": self._bundle_config(),
            "versions": {"translate": __version__, "torch": torch.__version__},
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "timing": self._timing_now(),
        }
        if self.dist.is_main:
            self.last_saved = save_state(self.run_dir, self.step, self._weights(), optim_tensors, meta,
                                         t.keep_checkpoints)
        else:
            self.last_saved = self.run_dir / "state" / f"step-{self.step:07d}"

    def _restore(self) -> int:
        if latest_state(self.run_dir) is None:
            raise CheckpointError(f"`resume` {self.run_dir}: no saved state in {self.run_dir / 'state'}")
        with warnings.catch_warnings(record=True) as passed_over:
            warnings.simplefilter("always")
            path, weights, optim, meta = load_newest_state(self.run_dir)
        for w in passed_over:  # a damaged newest state: say so where the user reads the run's progress
            self._say(f"warning: {w.message}")
        saved_model = meta["config"]["model_name"]
        if saved_model != self.cfg.model_name:
            raise CheckpointError(f"{path} is a {saved_model!r} run; it cannot resume as {self.cfg.model_name!r}")
        plain = {k: v for k, v in weights.items() if not k.startswith(("ema.", "extra."))}
        load_into(self.model, plain, path / "weights.safetensors")
        if self.ema is not None:
            self.ema.load_state_tensors(net_tensors(weights, "ema"))
        self.model.load_extra_state(net_tensors(weights, "extra"))
        for role, opt in self.optimizers.items():
            opt.load_state_dict(unflatten_optimizer(f"optim.{role}", optim, meta["optimizers"][role]))
            self.scalers[role].load_state_dict(meta["scalers"][role])
        restore_rng(optim, self.dist, self.device, self.cfg.train.seed, int(meta.get("world_size", 1)),
                    int(meta["step"]))
        # states written before timing existed leave timed_steps < step: the card then says what is known
        self.timing = {"seconds": 0.0, "timed_steps": 0, "hardware": [], **meta.get("timing", {})}
        self.step, self.last_saved = int(meta["step"]), path
        self._say(f"resuming {self.run_dir} from step {self.step} ({path.name})")
        change = schedule_change(meta["config"]["train"], self.cfg.train, self.step, self.steps_per_epoch)
        if change:
            self._say(change)
        return int(meta["data_position"])

    def _timing_now(self) -> dict:
        """Loop wall time and steps so far, this process's share included (the mark moves on)."""
        if self._timing_mark is not None:
            now = time.time()
            t, step = self._timing_mark
            self.timing["seconds"] = round(self.timing["seconds"] + now - t, 1)
            self.timing["timed_steps"] += self.step - step
            self._timing_mark = (now, self.step)
        return dict(self.timing)

    def _write_bundle(self) -> Path:
        nets = self.ema.nets if self.ema is not None else self.model.export()
        tensors = {f"{n}.{k}": v for n, net in nets.items() for k, v in net.state_dict().items()}
        info = {"step": self.step, "ema": self.ema is not None, "train_data": Path(self.info.name).name,
                "translate_version": __version__, "timing": self._timing_now(), **self.model.bundle_info()}
        config = self.model.export_config()
        return save_bundle(self.run_dir / "bundle", self.cfg.model_name, config, tensors, info)

    def _say(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=sys.stderr, flush=True)


