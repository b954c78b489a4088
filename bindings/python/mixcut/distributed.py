"""Keys for distributed training (torch.distributed / DDP): a seed per rank, a step per
(epoch, batch), and a collate that resumes mid-epoch with the same draws.

The convention (see README, "Scaling out"):

  seed = rank_seed(base_seed, rank)     rank r's Philox key
  step = epoch_step(epoch, batch)       epoch << 32 | batch index within the epoch

Every draw is a pure function of (seed, step, sample, draw), so the augmentations
differ on every rank and batch, repeat when the job is re-run, do not depend on
num_workers, and repeat after a resume at batch k: a checkpoint needs only
(epoch, k), never RNG state.
"""

from __future__ import annotations

from ._lib import Status, error
from .mixup import _STEP_BATCH_BITS, FastCollateMixup

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's increment


def rank_seed(base_seed: int, rank: int) -> int:
    """Rank ``rank``'s seed: output number rank + 1 of SplitMix64 seeded with base_seed.

    Unlike base_seed + rank, jobs with nearby base seeds do not share keys
    (base 1, rank 0 and base 0, rank 1 differ), and the formula is easy to
    repeat in any language: z = base + (rank + 1) * 0x9E3779B97F4A7C15 (mod
    2^64); z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9; z = (z ^ z >> 27) *
    0x94D049BB133111EB; z ^ z >> 31. It does not depend on the world size.
    """
    if not 0 <= int(base_seed) <= _MASK64 or int(rank) < 0:
        raise error(Status.ERR_BAD_PARAM,
                    f"need 0 <= base_seed < 2^64 and rank >= 0: {base_seed}, {rank}")
    z = (int(base_seed) + (int(rank) + 1) * _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def epoch_step(epoch: int, batch: int) -> int:
    """The step of batch ``batch`` of epoch ``epoch`` (0-based): epoch << 32 | batch.

    The same rule as FastCollateMixup's; pass it to Mixup(x, y, step=...) when
    the batch is mixed after the loader (e.g. on the device)."""
    if not 0 <= int(batch) < (1 << _STEP_BATCH_BITS) or not 0 <= int(epoch) < (1 << 24):
        raise error(Status.ERR_BAD_PARAM,
                    f"need 0 <= epoch < 2^24 and 0 <= batch < 2^32: {epoch}, {batch}")
    return (int(epoch) << _STEP_BATCH_BITS) | int(batch)


def _default_rank() -> int:
    try:
        import torch.distributed as dist
    except ImportError:
        return 0
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


class DistributedCollateMixup(FastCollateMixup):
    """FastCollateMixup keyed for one rank of a distributed job, resumable mid-epoch.

    Takes FastCollateMixup's (timm's) arguments; ``seed`` is the job's base seed
    (required: ranks must agree on it) and ``rank`` defaults to
    torch.distributed's rank. The key is rank_seed(seed, rank) (kept in
    ``self.seed``; the base in ``self.base_seed``) and batch b of epoch e is
    collated at epoch_step(e, b), in the DataLoader's main process or in any of
    its workers (not with persistent_workers, whose copies miss set_epoch).

    ``set_epoch(epoch, start_batch=k)`` before iterating: the loader's first
    batch is batch k of the epoch. Use it when resuming from a checkpoint taken
    after k batches, with a sampler that skips those k batches' samples.
    """

    def __init__(self, *args, seed, rank=None, **kwargs):
        self.base_seed = int(seed)
        self.rank = _default_rank() if rank is None else int(rank)
        super().__init__(*args, seed=rank_seed(self.base_seed, self.rank), **kwargs)
        self.start_batch = 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        epoch_step(epoch, start_batch)  # range checks
        super().set_epoch(epoch)
        self.start_batch = int(start_batch)

    def _next_batch(self):  # FastCollateMixup's hook: (step, counter) of the next batch
        step, counter = super()._next_batch()
        epoch_step(self.epoch, (step & ((1 << _STEP_BATCH_BITS) - 1)) + self.start_batch)
        return step + self.start_batch, counter


__all__ = ["DistributedCollateMixup", "epoch_step", "rank_seed"]
