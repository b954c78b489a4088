"""Seed and step bookkeeping shared by every transform class (Mixup, RandomErasing,
Cutout, v2.MixUp, v2.CutMix): one place for the keyed-draw rules."""

from __future__ import annotations

import numbers
import os
from typing import Optional

from ._lib import Status, error

_U64 = 1 << 64
MAX_STEP = (1 << 56) - 1  # the header's bound on step


def os_seed() -> int:
    """A 64-bit seed from the OS (drawn once per object that needs one)."""
    return int.from_bytes(os.urandom(8), "little")


def u64(value, what: str) -> int:
    """An integer in [0, 2^64) or our error (bools and floats are refused)."""
    if not (type(value) is int or (isinstance(value, numbers.Integral)  # int first: fast
                                   and not isinstance(value, bool))) \
            or not 0 <= value < _U64:
        raise error(Status.ERR_BAD_PARAM, f"{what} must be an integer in [0, 2^64), got {value!r}")
    return int(value)


class Keyed:
    """A transform's seed (fixed at construction) and step counter.

    Each call uses ``step`` when given, else ``self.step``; the counter moves
    to step + 1 only after the call succeeded (``advance``), so a refused call
    leaves it where it was.
    """

    seed: int
    step: int

    def _init_keys(self, seed: Optional[int], layout="NCHW", num_threads: Optional[int] = None
                   ) -> None:
        self.seed = os_seed() if seed is None else u64(seed, "seed")
        self.layout = layout
        self.num_threads = num_threads
        self.step = 0

    def _step_for(self, step: Optional[int]) -> int:
        """The step a call uses (checked; the counter is not moved)."""
        step = self.step if step is None else u64(step, "step")
        if step > MAX_STEP:
            raise error(Status.ERR_BAD_PARAM, f"step = {step} exceeds the maximum 2^56 - 1")
        return step

    def _advance(self, step: int) -> None:
        """Record a successful call at ``step``."""
        self.step = step + 1
