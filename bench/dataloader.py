#!/usr/bin/env python3
"""Collates inside a real torch DataLoader: batches per second through workers.

A DataLoader (batch 128, --workers worker processes, persistent) over
in-memory samples (numpy uint8 3x224x224 arrays and int labels, as timm's
loader holds them before its fast collate) runs each collate_fn in turn,
round by round (medians of the rounds; the loaders alternate, so machine
drift hits them alike). Rows:
  default_collate: torch's stack into shared memory, no mixing (the floor);
  timm FastCollateMixup (uint8 batch, mixed in numpy per sample);
  mixcut FastCollateMixup as before (a private batch: the worker copies it
  into shared memory when it sends it), writing the shared-memory batch
  directly, and that batch prefaulted with one madvise (the default in
  workers); the same three for the normalised float32 batch (set_output).
ratio = the row's batches/s over default_collate's.

  MIXCUT_LIBRARY=build/release/libmixcut.so .venv/bin/python bench/dataloader.py
Options: --workers W --batches B (per round) --rounds R.
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, default_collate

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bindings" / "python"))
import mixcut  # noqa: E402
import mixcut.collate  # noqa: E402

try:
    from timm.data import FastCollateMixup as TimmCollate
except ImportError:  # the timm row is skipped
    TimmCollate = None

N, S, DISTINCT = 128, 224, 256
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class Samples(Dataset):
    """length items cycling over DISTINCT in-memory (image, label) pairs."""

    def __init__(self, length):
        rng = np.random.default_rng(0)
        self.images = [rng.integers(0, 256, (3, S, S), dtype=np.uint8) for _ in range(DISTINCT)]
        self.length = length

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        return self.images[i % DISTINCT], i % 1000


def before(_worker_id):
    """worker_init_fn: a private batch, faulted in page by page (mixcut before
    shared-memory output)."""
    mixcut.collate._in_worker = lambda: False
    mixcut.collate._prefault = lambda address, nbytes: None


def page_by_page(_worker_id):
    """worker_init_fn: the shared-memory batch, faulted in page by page."""
    mixcut.collate._prefault = lambda address, nbytes: None


def mixcut_collate(float_out):
    collate = mixcut.FastCollateMixup(mixup_alpha=1.0, num_classes=1000, seed=0)
    if float_out:
        collate.set_output("float32", mean=MEAN, std=STD)
    return collate


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batches", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rows = [("default_collate (stack into shared memory, no mix)", default_collate, None)]
    if TimmCollate is not None:
        rows.append(("timm FastCollateMixup u8", TimmCollate(mixup_alpha=1.0, num_classes=1000),
                     None))
    for name, float_out in (("u8", False), ("-> normalised f32", True)):
        rows += [
            (f"mixcut FastCollateMixup {name}, private batch (before)", mixcut_collate(float_out),
             before),
            (f"mixcut FastCollateMixup {name}, shared-memory batch, page by page",
             mixcut_collate(float_out), page_by_page),
            (f"mixcut FastCollateMixup {name}, shared-memory batch, prefaulted (now)",
             mixcut_collate(float_out), None),
        ]
    data = Samples(N * args.batches)
    loaders = [DataLoader(data, batch_size=N, num_workers=args.workers, collate_fn=fn,
                          worker_init_fn=init, persistent_workers=True, prefetch_factor=2)
               for _, fn, init in rows]
    for loader in loaders:  # starts the workers; first batches fault their pages in
        for _ in loader:
            pass
    rates = [[] for _ in rows]
    for _ in range(args.rounds):
        for k, loader in enumerate(loaders):
            t0 = time.perf_counter()
            count = sum(1 for _ in loader)
            rates[k].append(count / (time.perf_counter() - t0))
    rates = [statistics.median(r) for r in rates]
    print(f"DataLoader, batch {N}x3x{S}x{S} uint8 samples, {args.workers} workers, "
          f"{args.batches} batches x {args.rounds} alternating rounds (wall time), "
          f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores; "
          f"ratio = batches/s over default_collate's")
    print("| collate_fn | batches/s | ratio |")
    print("|---|---:|---:|")
    for (name, _, _), rate in zip(rows, rates):
        print(f"| {name} | {rate:.1f} | {rate / rates[0]:.2f} |")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
