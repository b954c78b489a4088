#!/usr/bin/env python3
"""mixcut's CUDA backend beside timm and torchvision on the same GPU.

256x3x224x224 float32 batch on the device, 1000 classes, label smoothing 0.1:
timm's Mixup (batch and elem mode), torchvision v2 MixUp / CutMix and
per-sample RandomErasing against mixcut's Python API on the same CUDA tensors
(mixcut.Mixup, mixcut.v2, mixcut.RandomErasing: plan, device targets and
apply on torch's current stream), and the same work through the raw C API
(rows "C API: ...", the floor under the Python layer). Times are CUDA-event
medians in milliseconds.

  MIXCUT_LIBRARY=build/cuda/libmixcut.so python3 bench/cuda_compare.py --out compare.json
Options: --n N --size S --reps R --device cuda|cpu (cpu: a dry run of the
same calls on the CPU backend, for machines without a GPU).
"""

import argparse
import ctypes
import json
import pathlib
import statistics
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bindings" / "python"))
import mixcut  # noqa: E402
import mixcut.v2  # noqa: E402
from mixcut import _lib  # noqa: E402  (the raw C API: the floor under the Python layer)

K, EPS = 1000, 0.1


def timed(fn, reps, device):
    fn()  # warm up: allocations, planner caches, staging slots
    times = []
    for _ in range(reps):
        if device == "cuda":
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            stop.record()
            stop.synchronize()
            times.append(start.elapsed_time(stop))
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


class Mixcut:
    """mix_plan + mix_apply + labels through the C API on tensors of `device`."""

    def __init__(self, device, n, h, w):
        self.ctx = _lib.Context()
        if device == "cuda":
            self.ctx.set(_lib.Option.BACKEND, 2)
            self.ctx.set(_lib.Option.CUDA_STREAM, torch.cuda.current_stream().cuda_stream)
        self.n, self.h, self.w = n, h, w
        self.plan = (_lib.MixSample * n)()
        self.step = 0

    def tensor(self, x, layout=1):
        dtype = _lib.DType.FLOAT32 if x.dtype == torch.float32 else _lib.DType.UINT8
        n, a, b, c = x.shape
        ch, h, w = (a, b, c) if layout == 1 else (c, a, b)
        return _lib.Tensor(x.data_ptr(), dtype, layout, n, ch, h, w, 0)

    def mix(self, x, y, out, mode, cutmix, erase=None):
        policy = _lib.MixPolicy()
        _lib.check(_lib.lib.mixcut_mix_policy_init(ctypes.byref(policy)), "policy")
        policy.mixup_alpha, policy.cutmix_alpha = (0.0, 1.0) if cutmix else (1.0, 0.0)
        policy.mode = mode
        self.step += 1
        _lib.check(_lib.lib.mixcut_mix_plan(ctypes.byref(policy), 0, self.step, self.n, self.h,
                                            self.w, self.plan), "plan")
        t = self.tensor(x)
        _lib.check(_lib.lib.mixcut_mix_apply(self.ctx.handle, self.plan, ctypes.byref(t),
                                             ctypes.byref(t), None), "apply")
        _lib.check(_lib.lib.mixcut_mix_labels_ctx(self.ctx.handle, self.plan, self.n,
                                                  y.data_ptr(), K, EPS, out.data_ptr()),
                   "labels")

    def erase(self, x, holes, count, fill):
        t = self.tensor(x)
        _lib.check(_lib.lib.mixcut_cutout_apply(self.ctx.handle, holes, count, ctypes.byref(fill),
                                                ctypes.byref(t), ctypes.byref(t), None), "cutout")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--out")
    args = ap.parse_args()
    n, s, dev = args.n, args.size, args.device
    torch.manual_seed(0)
    x = torch.randn(n, 3, s, s, device=dev)
    y = torch.randint(0, K, (n,), device=dev)
    out = torch.empty(n, K, device=dev)
    rows = {}

    try:
        from timm.data import Mixup
        for mode in ("batch", "elem"):
            fn = Mixup(mixup_alpha=1.0, cutmix_alpha=0.0, mode=mode, label_smoothing=EPS,
                       num_classes=K)
            rows[f"timm Mixup {mode}"] = timed(lambda: fn(x, y), args.reps, dev)
    except ImportError:
        print("timm missing: its rows are skipped")
    try:
        from torchvision.transforms import v2
        for name, op in (("MixUp", v2.MixUp(alpha=1.0, num_classes=K)),
                         ("CutMix", v2.CutMix(alpha=1.0, num_classes=K))):
            rows[f"torchvision v2 {name}"] = timed(lambda: op(x, y), args.reps, dev)
        erase = v2.RandomErasing(p=1.0, value=0)

        def per_sample():
            for i in range(n):
                x[i] = erase(x[i])
        rows["torchvision v2 RandomErasing per sample"] = timed(per_sample, max(3, args.reps // 3),
                                                                dev)
    except ImportError:
        print("torchvision missing: its rows are skipped")

    for mode in ("batch", "elem"):
        for name, kw in (("Mixup", dict(mixup_alpha=1.0, cutmix_alpha=0.0)),
                         ("CutMix", dict(mixup_alpha=0.0, cutmix_alpha=1.0))):
            fn = mixcut.Mixup(mode=mode, label_smoothing=EPS, num_classes=K, seed=0, **kw)
            rows[f"mixcut {name} {mode}"] = timed(lambda: fn(x, y), args.reps, dev)
    for name, op in (("MixUp", mixcut.v2.MixUp(alpha=1.0, num_classes=K, seed=0)),
                     ("CutMix", mixcut.v2.CutMix(alpha=1.0, num_classes=K, seed=0))):
        rows[f"mixcut v2 {name}"] = timed(lambda: op(x, y), args.reps, dev)
    erasing = mixcut.RandomErasing(probability=1.0, mode="const", device=dev, seed=0)
    rows["mixcut RandomErasing"] = timed(lambda: erasing(x), args.reps, dev)

    m = Mixcut(dev, n, s, s)
    for mode, name in ((1, "batch"), (3, "elem")):
        rows[f"C API: Mixup {name}"] = timed(lambda: m.mix(x, y, out, mode, False), args.reps, dev)
        rows[f"C API: CutMix {name}"] = timed(lambda: m.mix(x, y, out, mode, True), args.reps, dev)
    policy = _lib.CutoutPolicy()
    _lib.check(_lib.lib.mixcut_cutout_policy_init(ctypes.byref(policy)), "cutout policy")
    policy.form = 2  # RandomErasing
    holes = (_lib.CutoutHole * n)()
    count = ctypes.c_int64()
    _lib.check(_lib.lib.mixcut_cutout_plan(ctypes.byref(policy), 0, 1, n, s, s, holes,
                                           ctypes.byref(count)), "cutout plan")
    fill = _lib.Fill(1, 0.0, None)
    rows["C API: RandomErasing (planned holes)"] = timed(
        lambda: m.erase(x, holes, count.value, fill), args.reps, dev)
    copy = torch.empty_like(x)
    rows["roofline: device copy of the batch"] = timed(lambda: copy.copy_(x), args.reps, dev)

    width = max(map(len, rows))
    for name, ms in rows.items():
        print(f"{name:<{width}}  {ms:9.3f} ms")
    if "timm Mixup elem" in rows:
        elem, batch = rows["mixcut Mixup elem"], rows["mixcut Mixup batch"]
        print(f"mixcut Mixup elem: {rows['timm Mixup elem'] / elem:.1f}x timm's elem mode, "
              f"{rows['timm Mixup batch'] / elem:.1f}x timm's batch mode; "
              f"mixcut batch: {rows['timm Mixup batch'] / batch:.1f}x timm's batch mode")
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps({"device": dev, "n": n, "size": s,
                                                      "ms": rows}, indent=1))


if __name__ == "__main__":
    main()
