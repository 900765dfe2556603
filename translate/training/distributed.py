"""Several processes, one model: torchrun launches them, torch.distributed (c10d) connects them.

`torchrun --nproc-per-node N -m translate train ...` sets RANK, WORLD_SIZE, LOCAL_RANK and the
rendezvous address; `Dist.from_env()` joins the process group (NCCL on CUDA, gloo on the CPU). There is
no launcher of our own: `translate train --nproc N` only re-executes itself under torchrun.

The semantics, chosen so that the number of processes is a speed knob and nothing else:
- `--batch-size` is the global batch. Every step the shared, seeded stream yields one global batch and
  rank r takes slice r of it, so 2 processes x B/2 see exactly the examples (and per-example
  augmentation seeds) that 1 process x B sees, and a run can resume with another number of processes.
- After each role's backward its gradients are averaged over ranks with one all_reduce on a flat
  buffer (what DistributedDataParallel's reducer does, without overlapping it with the backward pass).
  We do not wrap nets in DistributedDataParallel: a GAN step calls D inside G's loss with D frozen and
  toggles requires_grad between roles, while DDP's reducer expects every parameter that required grad
  at wrap time to receive a gradient in every backward; that mismatch is behind the "Expected to have
  finished reduction" errors in other GAN code bases. NVIDIA's StyleGAN2-ADA syncs the same way.
- Noise (z, dropout, image-pool draws) comes from per-rank RNG streams: rank 0 keeps the single-process
  stream, rank r > 0 is reseeded from (seed, r). The image pool of CycleGAN is per rank.
- Rank 0 alone logs, writes grids, states and bundles; every rank takes part in the collectives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor

RANK_SEED_STRIDE = 1_000_033


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")  # where collectives run (NCCL needs CUDA tensors)

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device_type: str) -> Dist:
        """Join the torchrun process group (idempotent), or a single-process Dist when not launched so."""
        if not launched_by_torchrun():
            return cls()
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if device_type == "cuda":
            torch.cuda.set_device(local)
            device = torch.device("cuda", local)
        else:
            device = torch.device("cpu")
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        return cls(rank, world, local, device)

    # ------------------------------------------------------------------------------- collectives
    def average_gradients(self, params: list[torch.nn.Parameter]) -> None:
        """Replace every gradient by its mean over ranks with a single all_reduce. A parameter that got
        no gradient on any rank keeps none (so optimizers skip it as they would in one process); one that
        got a gradient on some ranks only is averaged with zeros for the others."""
        if not self.enabled or not params:
            return
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        has = torch.tensor([p.grad is not None for p in params], dtype=grads[0].dtype, device=grads[0].device)
        flat = torch.cat([g.reshape(-1) for g in grads] + [has])
        dist.all_reduce(flat)
        flat[:-len(params)].div_(self.world)
        offset = 0
        for p, g, seen in zip(params, grads, flat[-len(params):].tolist()):
            n = g.numel()
            p.grad = flat[offset:offset + n].view_as(g).clone() if seen else None
            offset += n

    def broadcast_tensors(self, tensors: list[Tensor]) -> None:
        """Copy rank 0's values into every rank's tensors (weights at start, BatchNorm buffers)."""
        if not self.enabled:
            return
        for t in tensors:
            buf = t.detach().to(self.device)
            dist.broadcast(buf, 0)
            if buf.data_ptr() != t.data_ptr():
                t.detach().copy_(buf)

    def mean(self, x: Tensor) -> Tensor:
        """Element-wise mean over ranks (for the logged losses)."""
        if not self.enabled:
            return x
        y = x.detach().float().to(self.device).clone()
        dist.all_reduce(y)
        return (y / self.world).to(x.device)

    def mean_dict(self, values: dict[str, Tensor]) -> dict[str, Tensor]:
        """Each scalar averaged over the ranks, in one collective (the losses rank 0 logs)."""
        if not self.enabled:
            return values
        names = sorted(values)
        mean = self.mean(torch.stack([values[k].float().reshape(()) for k in names]))
        return dict(zip(names, mean))

    def gather(self, t: Tensor) -> list[Tensor]:
        """Every rank's copy of an equally shaped tensor, on the CPU (e.g. RNG states for the saved state)."""
        if not self.enabled:
            return [t]
        buf = t.to(self.device)
        out = [torch.empty_like(buf) for _ in range(self.world)]
        dist.all_gather(out, buf)
        return [o.cpu() for o in out]

    def agree(self, code: int) -> int:
        """The largest of every rank's `code` (0 = go on, 1 = stop and save, 2 = failed)."""
        if not self.enabled:
            return code
        t = torch.tensor([code], dtype=torch.int64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return int(t.item())

    def broadcast_text(self, text: str) -> str:
        """Rank 0's string on every rank (e.g. the run folder it picked)."""
        if not self.enabled:
            return text
        data = torch.tensor(list(text.encode()) if self.is_main else [], dtype=torch.uint8)
        n = torch.tensor([len(data)], dtype=torch.int64, device=self.device)
        dist.broadcast(n, 0)
        size = int(n.item())
        buf = data.to(self.device) if self.is_main else torch.empty(size, dtype=torch.uint8, device=self.device)
        dist.broadcast(buf, 0)
        return bytes(buf.cpu().tolist()).decode()

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def close(self) -> None:
        if self.enabled and dist.is_initialized():
            # every rank done with its last collective before any tears the group down (a rank leaving early
            # was seen to abort its partner at exit: "terminate called without an active exception")
            dist.barrier()
            dist.destroy_process_group()


def capture_rng(dist: Dist, device: torch.device) -> dict[str, Tensor]:
    """Every rank's RNG streams, as tensors for the saved state (collective: every rank calls it)."""
    out = {}
    for r, state in enumerate(dist.gather(torch.get_rng_state())):
        out["rng.cpu" if r == 0 else f"rng.cpu.rank{r}"] = state
    if device.type == "cuda":
        if dist.enabled:  # one device per rank
            for r, state in enumerate(dist.gather(torch.cuda.get_rng_state())):
                out[f"rng.cuda.{0 if r == 0 else f'rank{r}'}"] = state
        else:
            for i, state in enumerate(torch.cuda.get_rng_state_all()):
                out[f"rng.cuda.{i}"] = state
    return out


def restore_rng(saved: dict[str, Tensor], dist: Dist, device: torch.device, seed: int, saved_world: int,
                step: int) -> None:
    """Each rank takes back its own RNG stream when the number of processes is unchanged. Otherwise rank 0
    takes the saved rank-0 stream and the others start fresh streams from (seed, rank, step): the data
    stay exact (they depend on the batch counter only), per-rank noise does not."""
    r = dist.rank
    if saved_world == dist.world or r == 0:
        torch.set_rng_state(saved["rng.cpu" if r == 0 else f"rng.cpu.rank{r}"])
    else:
        torch.manual_seed(seed + RANK_SEED_STRIDE * r + step)
    if device.type != "cuda":
        return
    if dist.enabled:
        key = f"rng.cuda.{0 if r == 0 else f'rank{r}'}"
        if key in saved and saved_world == dist.world:
            torch.cuda.set_rng_state(saved[key])
    else:
        states = [saved[k] for k in sorted(saved) if k.startswith("rng.cuda.") and "rank" not in k]
        if len(states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(states)
