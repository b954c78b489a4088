#!/usr/bin/env python3
"""Per-call overhead of mixcut.Mixup.__call__ on a tiny batch (2x3x8x8, so the
kernels cost next to nothing): the Python layer's checks, plan and labels.

  MIXCUT_LIBRARY=build/release/libmixcut.so .venv/bin/python bench/python_overhead.py
Prints the best-of-7 mean microseconds per call, wall clock and the calling
thread's CPU time (the latter stays meaningful on a busy machine).
"""

import pathlib
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bindings" / "python"))
try:
    import torch
except ImportError:  # the torch row is skipped
    torch = None
import mixcut  # noqa: E402

CALLS = 2000


def per_call_us(fn, timer):
    return min(timeit.repeat(fn, number=CALLS, repeat=7, timer=timer)) / CALLS * 1e6


def main():
    rows = [("numpy float32", np.zeros((2, 3, 8, 8), np.float32), np.arange(2))]
    if torch is not None:
        rows.append(("torch float32", torch.zeros(2, 3, 8, 8), torch.arange(2)))
    print(f"{'batch':<16}{'threads':>8}{'wall us':>10}{'cpu us':>10}")
    for name, x, y in rows:
        for threads in (1, None):
            fn = mixcut.Mixup(num_classes=10, seed=1, num_threads=threads)
            call = lambda: fn(x, y)  # noqa: E731
            call()
            wall = per_call_us(call, time.perf_counter)
            cpu = per_call_us(call, time.thread_time)
            print(f"{name:<16}{threads or 'default':>8}{wall:>10.1f}{cpu:>10.1f}")


if __name__ == "__main__":
    main()
