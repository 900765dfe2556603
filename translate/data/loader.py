"""An infinite, resumable stream of dict batches.

The i-th batch is a pure function of (seed, i): finite data sets are reshuffled every epoch with a
generator seeded by (seed, epoch), and infinite sources (toy mixtures) are sampled with a generator
seeded by (seed, i). Resuming therefore needs only the batch counter `position`. Under torchrun the
stream is the same global one on every rank and rank r keeps slice r of each batch, so the number of
processes changes neither the data nor the per-example augmentation seeds. Image folders decode in
DataLoader workers when `workers` > 0.
"""

from __future__ import annotations

import torch

_EPOCH_STRIDE = 1_000_003  # keeps (seed, epoch) pairs apart


class _BatchIndices(torch.utils.data.Sampler):
    """Lists of indices; with `seeded`, lists of (index, item_seed) where item_seed is unique to the
    (seed, batch, slot) triple, for sources that draw random augmentations per example."""

    def __init__(self, n: int, batch_size: int, seed: int, start: int, seeded: bool = False,
                 shard: slice = slice(None)):
        self.n, self.batch_size, self.seed, self.start, self.seeded = n, batch_size, seed, start, seeded
        self.per_epoch = n // batch_size
        self.shard = shard  # this rank's part of every global batch

    def __iter__(self):
        i = self.start
        while True:
            epoch, j = divmod(i, self.per_epoch)
            g = torch.Generator().manual_seed(self.seed * _EPOCH_STRIDE + epoch)
            perm = torch.randperm(self.n, generator=g)
            while j < self.per_epoch:
                idx = perm[j * self.batch_size:(j + 1) * self.batch_size].tolist()
                if self.seeded:
                    base = (abs(self.seed) * _EPOCH_STRIDE + i) * self.batch_size
                    idx = [(k, base + slot) for slot, k in enumerate(idx)]
                yield idx[self.shard]
                j += 1
                i += 1


class BatchStream:
    """`next(stream)` -> dict of tensors on `device`; `stream.position` = batches handed out so far."""

    def __init__(self, source, batch_size: int, seed: int, device: torch.device | str = "cpu",
                 position: int = 0, workers: int = 0, rank: int = 0, world: int = 1, channels_last: bool = False):
        if batch_size % world:
            raise ValueError(f"--batch-size {batch_size} is the global batch and must split evenly over "
                             f"{world} processes; use a multiple of {world}")
        self.source, self.batch_size, self.seed = source, batch_size, seed
        self.memory_format = torch.channels_last if channels_last else torch.preserve_format
        per_rank = batch_size // world
        self.shard = slice(rank * per_rank, (rank + 1) * per_rank)
        self.device = torch.device(device)
        self.position = position
        self.finite = hasattr(source, "__len__")
        if self.finite:
            n = len(source)
            if n < batch_size:
                from translate.errors import DataError

                if n == 0:
                    raise DataError("the data holds no example that reads (unreadable files were skipped, each "
                                    "named in a warning above); check the folder")
                raise DataError(f"the data has {n:,} example(s), fewer than `batch_size` {batch_size}; lower "
                                f"`batch_size` to at most {n}")
            sampler = _BatchIndices(n, batch_size, seed, position, getattr(source, "wants_seeds", False), self.shard)
            if workers > 0:
                loader = torch.utils.data.DataLoader(
                    source, batch_sampler=sampler, num_workers=workers, collate_fn=source.collate,
                    pin_memory=self.device.type == "cuda", persistent_workers=True)
                self._it = iter(loader)
            else:
                self._it = (source.collate([source[i] for i in idx]) if not hasattr(source, "get_batch")
                            else source.get_batch(idx) for idx in sampler)

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        if self.finite:
            batch = next(self._it)
        else:
            g = torch.Generator().manual_seed(self.seed * _EPOCH_STRIDE + self.position)
            batch = {k: v[self.shard] if torch.is_tensor(v) else v
                     for k, v in self.source.sample(self.batch_size, g).items()}
        self.position += 1
        nb = self.device.type == "cuda"  # pinned (DataLoader workers) -> asynchronous copies
        return {k: self._move(v, nb) if torch.is_tensor(v) else v for k, v in batch.items()}

    def _move(self, v: torch.Tensor, non_blocking: bool) -> torch.Tensor:
        if v.dim() == 4 and v.is_floating_point():
            return v.to(self.device, non_blocking=non_blocking, memory_format=self.memory_format)
        return v.to(self.device, non_blocking=non_blocking)


def peek(source, n: int, seed: int) -> dict:
    """A fixed preview batch (the first n examples, or n toy samples) that leaves no trace in the
    training stream: used for reals.png and as the reference cloud of point plots."""
    if hasattr(source, "__len__"):
        idx = list(range(min(n, len(source))))
        return source.get_batch(idx) if hasattr(source, "get_batch") else source.collate([source[i] for i in idx])
    return source.sample(n, torch.Generator().manual_seed(seed * _EPOCH_STRIDE - 1))
