#!/usr/bin/env python3
"""Thread policy under contention: mixcut's default thread count against num_threads=1.

Two settings, each timed in one run with the two thread settings alternating
round by round (medians of the rounds, so machine drift hits both alike):
  workers: P processes (P = cores), each calling the op in a loop, as
           DataLoader workers do; throughput = calls/s summed over workers.
  beside:  one caller beside P busy processes (one spinning process per
           core); throughput = 1 / median call time.
ratio = default / num_threads=1 (target >= 0.9).

  MIXCUT_LIBRARY=build/release/libmixcut.so .venv/bin/python bench/contention.py
Options: --rounds R --seconds S (per round and setting) --procs P.
"""

import argparse
import multiprocessing as mp
import os
import pathlib
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bindings" / "python"))
import mixcut  # noqa: E402

# name -> (n, size, dtype, layout, op)
CASES = {
    "cutout u8 NHWC 256x3x32x32 out of place": (256, 32, np.uint8, "NHWC", "cutout"),
    "mixup f32 NCHW 256x3x32x32 in place": (256, 32, np.float32, "NCHW", "mixup"),
    "mixup f32 NCHW 128x3x224x224 in place": (128, 224, np.float32, "NCHW", "mixup"),
    "mixup u8 NHWC->f32 NCHW 128x3x224x224": (128, 224, np.uint8, "NHWC", "mixup_convert"),
}


def make_call(case, num_threads):
    """A function running the case's op once with num_threads (None: the default)."""
    n, s, dtype, layout, op = CASES[case]
    rng = np.random.default_rng(0)
    shape = (n, s, s, 3) if layout == "NHWC" else (n, 3, s, s)
    x = rng.integers(0, 256, shape).astype(dtype)
    if op == "cutout":
        holes = mixcut.cutout_plan(n, s, s, seed=1, form="holes", length=s // 2)
        out = np.empty_like(x)
        return lambda: mixcut.cutout_apply(holes, x, out, layout=layout, num_threads=num_threads)
    plan = mixcut.mix_plan(n, s, s, seed=1, mixup_alpha=1.0)
    if op == "mixup":
        return lambda: mixcut.mix_apply(plan, x, layout=layout, inplace=True,
                                        num_threads=num_threads)
    out = np.empty((n, 3, s, s), np.float32)
    return lambda: mixcut.mix_apply(plan, x, out, layout=layout, out_layout="NCHW",
                                    mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                                    num_threads=num_threads)


def worker(case, commands, results):
    """Runs rounds on command: (num_threads, seconds) -> calls per second."""
    calls = {t: make_call(case, t) for t in (None, 1)}
    for f in calls.values():
        f()
    while True:
        cmd = commands.get()
        if cmd is None:
            return
        threads, seconds = cmd
        f, count = calls[threads], 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            f()
            count += 1
        results.put(count / (time.perf_counter() - t0))


def spin(stop):
    while not stop.is_set():
        pass


def run_workers(case, procs, rounds, seconds):
    ctx = mp.get_context("spawn")
    commands = [ctx.Queue() for _ in range(procs)]
    results = ctx.Queue()
    ps = [ctx.Process(target=worker, args=(case, q, results)) for q in commands]
    for p in ps:
        p.start()
    rates = {None: [], 1: []}
    for r in range(rounds):
        order = (None, 1) if r % 2 == 0 else (1, None)
        for threads in order:
            for q in commands:
                q.put((threads, seconds))
            rates[threads].append(sum(results.get() for _ in range(procs)))
    for q in commands:
        q.put(None)
    for p in ps:
        p.join()
    return statistics.median(rates[None]), statistics.median(rates[1])


def run_beside(case, procs, rounds, seconds):
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    ps = [ctx.Process(target=spin, args=(stop,)) for _ in range(procs)]
    for p in ps:
        p.start()
    calls = {t: make_call(case, t) for t in (None, 1)}
    times = {None: [], 1: []}
    try:
        for f in calls.values():
            f()
        for r in range(rounds):
            order = (None, 1) if r % 2 == 0 else (1, None)
            for threads in order:
                t_end = time.perf_counter() + seconds
                while time.perf_counter() < t_end:
                    t0 = time.perf_counter()
                    calls[threads]()
                    times[threads].append(time.perf_counter() - t0)
    finally:
        stop.set()
        for p in ps:
            p.join()
    return 1 / statistics.median(times[None]), 1 / statistics.median(times[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--procs", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--cases", default="", help="substring filter on the case names")
    args = ap.parse_args()
    print(f"mixcut {mixcut.version()} isa {mixcut.isa()}, P = {args.procs} processes, "
          f"{args.rounds} rounds x {args.seconds} s, load average {os.getloadavg()[0]:.1f}")
    print(f"| setting | case | default calls/s | 1 thread calls/s | default / 1 thread |")
    print("|---|---|---:|---:|---:|")
    for setting, fn in (("workers", run_workers), ("beside", run_beside)):
        for case in CASES:
            if args.cases not in case:
                continue
            d, one = fn(case, args.procs, args.rounds, args.seconds)
            name = f"{args.procs} workers" if setting == "workers" else f"1 beside {args.procs} busy"
            print(f"| {name} | {case} | {d:.1f} | {one:.1f} | {d / one:.2f} |", flush=True)


if __name__ == "__main__":
    main()
