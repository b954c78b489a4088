#!/usr/bin/env python3
"""mixcut against the numpy / torch formulas timm and torchvision use.

Same 128x3x224x224 batch (float32 and uint8), 1 and 2 threads; prints the
median milliseconds of each and the speed-up of mixcut over each formula.
RandomErasing rows run timm's and torchvision v2's transforms themselves
(timm and torchvision are optional).
Then the gather table: collating n separate samples into a mixed batch,
beside np.stack alone (the gather's own cost), timed in alternation.
Then a small-image section (256x3x32x32 float32 torch tensors, CIFAR-sized,
1 thread): the drop-in classes of mixcut against timm's Mixup and
torchvision v2's MixUp/CutMix in batch and elem mode with targets, beside a
copy of the batch, and the per-call overhead on a 2x3x1x1 batch.

  MIXCUT_LIBRARY=build/release/libmixcut.so .venv/bin/python bench/python_compare.py
Options: --n N --size S --reps R (defaults 128, 224, 7), --gather-only;
--erasing: only the RandomErasing rows; --cpu-time: the calling thread's CPU
time instead of wall time (for 1-thread rows on a busy machine; 2-thread rows
then miss the worker's time); --section all|large|small (small: the
256x3x32x32 section alone; large: everything else). torch is optional (the
small section needs it).
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bindings" / "python"))
try:
    import torch
except ImportError:  # the torch rows are skipped
    torch = None
import mixcut  # noqa: E402

try:
    from timm.data.random_erasing import RandomErasing as timm_erasing
except ImportError:  # the timm rows are skipped
    timm_erasing = None
try:
    from torchvision.transforms import v2 as tv2
except ImportError:  # the torchvision rows are skipped
    tv2 = None

LAM = 0.3


CLOCK = time.perf_counter


def timed(fn, reps):
    fn()  # warm up: page faults, OpenMP pool, caches of shapes
    times = []
    for _ in range(reps):
        t0 = CLOCK()
        fn()
        times.append((CLOCK() - t0) * 1e3)
    return statistics.median(times)


def timed_alternating(fns, reps, clock=time.perf_counter):
    """Medians of fns timed in alternation, rep by rep (a shared machine drifts)."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(reps):
        for k, fn in enumerate(fns):
            t0 = clock()
            fn()
            times[k].append((clock() - t0) * 1e3)
    return [statistics.median(t) for t in times]


def gather_table(n, s, reps):
    """Collating n separate samples (each its own array, as a loader holds them).

    Each row is set beside the reference that allocates what it allocates: a
    new batch each call (numpy's allocator: a freed 19 MB batch's pages are
    reused, a 77 MB one is a new mapping faulted in each time) or one batch
    reused. 1-thread rows: the thread's CPU time (page faults included);
    default rows: wall time."""
    rng = np.random.default_rng(2)
    chw = [rng.integers(0, 256, (3, s, s), dtype=np.uint8) for _ in range(n)]
    hwc = [rng.integers(0, 256, (s, s, 3), dtype=np.uint8) for _ in range(n)]
    batch = [(x, i % 1000) for i, x in enumerate(chw)]
    batch_hwc = [(x, i % 1000) for i, x in enumerate(hwc)]
    stacked = np.empty((n, 3, s, s), np.uint8)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    print(f"\ngather: {n} separate samples of 3x{s}x{s} uint8 -> one batch; medians of "
          f"{reps} alternating runs (1 thread: thread CPU time; default: wall time); "
          f"load average {os.getloadavg()[0]:.1f}; ratio = the reference's time / the "
          "row's (target >= 0.85)")
    print("| threads | operation | ms | reference | ref ms | ratio |")
    print("|---|---|---:|---|---:|---:|")
    for threads in (1, None):
        label = "1" if threads == 1 else "default"
        old = mixcut.FastCollateMixup(mixup_alpha=1.0, num_classes=1000, seed=0,
                                      num_threads=threads)

        def stack_then_mix():  # the 4S path: stack, then mix in place
            np.stack([b[0] for b in batch], out=stacked)
            mixcut.mix_apply(old.plan(n, s, s, 0), stacked, inplace=True, num_threads=threads)
        collate = mixcut.FastCollateMixup(mixup_alpha=1.0, num_classes=1000, seed=0,
                                          num_threads=threads)
        convert = mixcut.FastCollateMixup(mixup_alpha=1.0, num_classes=1000, seed=0,
                                          num_threads=threads, layout="NHWC")
        convert.set_output("float32", "NCHW", mean, std)
        no_holes = np.zeros(0, mixcut.CUTOUT_HOLE_DTYPE)
        out_u8 = np.empty((n, 3, s, s), np.uint8)
        out_f32 = np.empty((n, 3, s, s), np.float32)
        g_chw = mixcut.Gathered(chw)
        g_hwc = mixcut.Gathered(hwc, "NHWC")
        plan = collate.plan(n, s, s, 0)
        kw = dict(out_layout="NCHW", mean=mean, std=std, num_threads=threads)
        rows = [  # (operation, function, index of its reference)
            ("np.stack, new batch each call", lambda: np.stack(chw), None),
            ("np.stack into a reused batch", lambda: np.stack(chw, out=stacked), None),
            ("FastCollateMixup u8 NCHW (new batch each call)", lambda: collate(batch), 0),
            ("mix_apply_gather u8 NCHW into a reused batch",
             lambda: mixcut.mix_apply_gather(plan, g_chw, out_u8, num_threads=threads), 1),
            ("np.stack + mix_apply in place (the 4S path)", stack_then_mix, 1),
            ("gather + convert u8 NHWC -> normalised f32 NCHW, no mix (new batch each call)",
             lambda: mixcut.cutout_apply_gather(no_holes, g_hwc, out_dtype="float32", **kw),
             None),
            ("gather + convert u8 NHWC -> normalised f32 NCHW, no mix (reused batch)",
             lambda: mixcut.cutout_apply_gather(no_holes, g_hwc, out_f32, **kw), None),
            ("FastCollateMixup u8 NHWC -> normalised f32 NCHW (new batch each call)",
             lambda: convert(batch_hwc), 5),
            ("mix_apply_gather u8 NHWC -> normalised f32 NCHW (reused batch)",
             lambda: mixcut.mix_apply_gather(plan, g_hwc, out_f32, **kw), 6),
        ]
        ms = timed_alternating([r[1] for r in rows], reps,
                               time.thread_time if threads == 1 else time.perf_counter)
        for (name, _, ref), t in zip(rows, ms):
            if ref is None:
                print(f"| {label} | {name} | {t:.2f} | | | |")
            else:
                print(f"| {label} | {name} | {t:.2f} | {rows[ref][0]} | "
                      f"{ms[ref]:.2f} | {ms[ref] / t:.2f} |")


def plan_const(n, h, w, kind, box=(0, 0, 0, 0)):
    """A fixed plan (flip partners, lam = 0.3) so every contender does the same work."""
    plan = np.zeros(n, dtype=mixcut.MIX_SAMPLE_DTYPE)
    plan["partner"] = n - 1 - np.arange(n)
    plan["kind"] = kind
    plan["lam"] = LAM if kind == mixcut.Kind.MIXUP else 1 - (box[1] - box[0]) * (box[3] - box[2]) / (h * w)
    plan["y0"], plan["y1"], plan["x0"], plan["x1"] = box
    return plan


def erasing_rows(rows, x32, x8, n, threads, reps):
    """RandomErasing per sample (probability 1) in all three modes: timm's and
    torchvision v2's transforms beside mixcut's, float32; mixcut alone, uint8.
    Every contender of every mode is timed in one alternation (a shared
    machine drifts: timm's own time moved 17-27 ms between runs), so the
    ratios of the issue's targets come from the same rounds. Returns those
    ratios as lines (1 thread only; none otherwise)."""
    timings = []  # (operation, name, function, is_mixcut)
    for mode in ("pixel", "rand", "const"):
        op = f"RandomErasing f32 mode='{mode}'"
        if torch is not None:
            torch.manual_seed(0)
            t = torch.from_numpy(x32.copy())
            if timm_erasing is not None:
                timm_re = timm_erasing(probability=1.0, mode=mode, device="cpu")
                timings.append((op, "timm RandomErasing", lambda t=t, f=timm_re: f(t), False))
            if tv2 is not None and mode != "rand":  # torchvision has no per-box colour
                tv_re = tv2.RandomErasing(p=1.0, value="random" if mode == "pixel" else 0)

                def tv_erase(t=t, f=tv_re):
                    for i in range(n):
                        t[i] = f(t[i])
                timings.append((op, "torchvision v2 RandomErasing (per sample)", tv_erase, False))
        a = x32.copy()
        re32 = mixcut.RandomErasing(probability=1.0, mode=mode, seed=0, num_threads=threads)
        timings.append((op, "mixcut RandomErasing", lambda a=a, f=re32: f(a), True))
    for mode in ("pixel", "rand", "const"):
        op = f"RandomErasing u8 mode='{mode}'" + (" (uniform 0..255)" if mode == "pixel" else "")
        a8 = x8.copy()
        re8 = mixcut.RandomErasing(probability=1.0, mode=mode, seed=0, num_threads=threads)
        timings.append((op, "mixcut RandomErasing", lambda a=a8, f=re8: f(a), True))
    ms = timed_alternating([t[2] for t in timings], reps, CLOCK)
    for (op, name, _, is_mixcut), t in zip(timings, ms):
        rows.append((op, threads, name, t, is_mixcut))
    if threads != 1:
        return []
    got = {(op.split(" (")[0], name): t for (op, name, _, _), t in zip(timings, ms)}

    def mix(dt, mode):
        return got[(f"RandomErasing {dt} mode='{mode}'", "mixcut RandomErasing")]
    lines = [f"f32 pixel / const = {mix('f32', 'pixel') / mix('f32', 'const'):.2f} "
             "(target <= 3)",
             f"u8 pixel / const = {mix('u8', 'pixel') / mix('u8', 'const'):.2f} (target <= 2)"]
    timm_pixel = got.get(("RandomErasing f32 mode='pixel'", "timm RandomErasing"))
    if timm_pixel is not None:
        lines.insert(0, f"f32 pixel: timm / mixcut = {timm_pixel / mix('f32', 'pixel'):.2f} "
                        "(target >= 8)")
    return lines


def alternating_ms(fns, rounds=15, calls=20):
    """Median ms per call of each of fns, from rounds that run them in turn
    (`calls` calls each), in the calling thread's CPU time: 1-thread work on a
    shared machine, where wall time also counts other processes' turns."""
    for fn in fns:
        fn()  # warm up
    times = [[] for _ in fns]
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            t0 = time.thread_time()
            for _ in range(calls):
                fn()
            times[k].append((time.thread_time() - t0) / calls * 1e3)
    return [statistics.median(t) for t in times]


def small_section():
    """256x3x32x32 float32, 1 thread: batch and elem mode with targets."""
    if torch is None:
        print("\nsmall-image section skipped: torch absent")
        return
    try:
        import timm.data
    except ImportError:
        timm = None
    import mixcut.v2

    torch.set_num_threads(1)
    n, c, s, k = 256, 3, 32, 10
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((n, c, s, s), np.float32))
    work = x.clone()
    y = torch.arange(n) % k
    copy_dst = torch.empty_like(x)
    policies = {"Mixup only": dict(mixup_alpha=0.8, cutmix_alpha=0.0),
                "CutMix only": dict(mixup_alpha=0.0, cutmix_alpha=1.0),
                "Mixup 0.8 + CutMix 1.0": dict(mixup_alpha=0.8, cutmix_alpha=1.0)}
    print(f"\nsmall images: {n}x{c}x{s}x{s} float32 torch, in place where the library "
          f"allows, with targets ({k} classes); 1 thread; median ms per call "
          f"(thread CPU time, 15 alternating rounds of 20 calls)")
    print("\n| policy | mode | implementation | ms | x copy | elem / batch |")
    print("|---|---|---|---:|---:|---:|")
    copy_ms = None
    for name, kw in policies.items():
        fns, labels = [], []
        for mode in ("batch", "elem"):
            fn = mixcut.Mixup(**kw, mode=mode, num_classes=k, seed=0, num_threads=1)
            fns.append(lambda fn=fn: fn(work, y))
            labels.append(("mixcut.Mixup", mode))
            if timm is not None:
                tm = timm.data.Mixup(**kw, mode=mode, num_classes=k)
                fns.append(lambda tm=tm: tm(work, y))
                labels.append(("timm.data.Mixup", mode))
        # torchvision v2 draws one lam per batch (batch mode only); mixcut.v2 is its drop-in.
        for lib, mod in (("torchvision v2", tv2), ("mixcut.v2", mixcut.v2)):
            if mod is None:
                continue
            if kw["cutmix_alpha"] == 0.0:
                tf = mod.MixUp(alpha=kw["mixup_alpha"], num_classes=k)
            elif kw["mixup_alpha"] == 0.0:
                tf = mod.CutMix(alpha=kw["cutmix_alpha"], num_classes=k)
            else:
                continue  # v2 pairs them with RandomChoice, not one policy
            fns.append(lambda tf=tf: tf(work, y))
            labels.append((f"{lib} {type(tf).__name__}", "batch"))
        fns.append(lambda: copy_dst.copy_(x))
        labels.append(("copy of the batch (tensor.copy_)", ""))
        ms = alternating_ms(fns)
        copy_ms = ms[-1]
        by = dict(zip(labels, ms))
        for (impl, mode), t in zip(labels[:-1], ms[:-1]):
            ratio = ""
            if mode == "elem" and (impl, "batch") in by:
                ratio = f"{t / by[(impl, 'batch')]:.2f}"
            print(f"| {name} | {mode} | {impl} | {t:.3f} | {t / copy_ms:.1f} | {ratio} |")
        print(f"| {name} | | copy of the batch (tensor.copy_) | {copy_ms:.3f} | 1.0 | |")

    # Per-call overhead: a 2x3x1x1 batch, so the kernels cost next to nothing.
    tiny, tiny_y = torch.zeros(2, 3, 1, 1), torch.arange(2)
    rows = []
    for mode in ("batch", "elem"):
        fn = mixcut.Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, mode=mode, num_classes=k, seed=0,
                          num_threads=1)
        rows.append((f"mixcut.Mixup per-call overhead, 2x3x1x1 ({mode})",
                     lambda fn=fn: fn(tiny, tiny_y)))
        if timm is not None:
            tm = timm.data.Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, mode=mode, num_classes=k)
            rows.append((f"timm.data.Mixup per-call overhead, 2x3x1x1 ({mode})",
                         lambda tm=tm: tm(tiny, tiny_y)))
    ms = alternating_ms([r[1] for r in rows], calls=200)
    for (label, _), t in zip(rows, ms):
        print(f"| overhead | | {label} | {t:.4f} ({t * 1e3:.1f} µs) | | |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--gather-only", action="store_true", help="only the gather table")
    ap.add_argument("--erasing", action="store_true", help="only the RandomErasing rows")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time the calling thread's CPU time (1-thread rows on a busy machine)")
    ap.add_argument("--section", choices=("all", "large", "small"), default="all")
    args = ap.parse_args()
    if args.gather_only:
        gather_table(args.n, args.size, max(args.reps, 11))
        return
    if args.section == "small":
        small_section()
        return
    n, s, reps = args.n, args.size, args.reps
    global CLOCK
    if args.cpu_time:
        CLOCK = time.thread_time
    rng = np.random.default_rng(0)
    x32 = rng.standard_normal((n, 3, s, s)).astype(np.float32)
    x8 = rng.integers(0, 256, (n, 3, s, s), dtype=np.uint8)
    samples = [(x8[i].copy(), i % 1000) for i in range(n)]
    cut = s // 2
    box = (s // 4, s // 4 + cut, s // 4, s // 4 + cut)
    mix_plan = plan_const(n, s, s, mixcut.Kind.MIXUP)
    cut_plan = plan_const(n, s, s, mixcut.Kind.CUTMIX, box)
    mixcut_elem = mixcut.Mixup(mixup_alpha=1.0, mode="elem", num_classes=1000, seed=0)
    print(f"batch {n}x3x{s}x{s}; mixcut {mixcut.version()} isa {mixcut.isa()}; "
          f"numpy {np.__version__}; torch {torch.__version__ if torch else 'absent'}; "
          f"{os.cpu_count()} cpus")

    rows = []  # (operation, threads, name, ms, is_mixcut)
    targets = []  # the RandomErasing ratios of issue 19, from erasing_rows

    for threads in (1, 2):
        if torch is not None:
            torch.set_num_threads(threads)
        mixcut_elem.num_threads = threads
        if args.erasing:
            targets += erasing_rows(rows, x32, x8, n, threads, reps)
            continue

        # ---- Mixup, float32
        op = "mixup f32 (batch)"
        if torch is not None:
            t = torch.from_numpy(x32.copy())
            rows.append((op, threads, "timm: x.mul_(lam).add_(x.flip(0).mul_(1-lam))",
                         timed(lambda: t.mul_(LAM).add_(t.flip(0).mul_(1 - LAM)), reps), False))
            rows.append((op, threads, "torchvision v2: x.roll(1,0).mul_(1-lam).add_(x.mul(lam))",
                         timed(lambda: t.roll(1, 0).mul_(1 - LAM).add_(t.mul(LAM)), reps), False))
        a = x32.copy()
        if threads == 1:
            rows.append((op, threads, "numpy: lam*x + (1-lam)*x[::-1]",
                         timed(lambda: LAM * a + (1 - LAM) * a[::-1], reps), False))
        rows.append((op, threads, "mixcut mix_apply in place",
                     timed(lambda: mixcut.mix_apply(mix_plan, a, inplace=True,
                                                    num_threads=threads), reps), True))
        b = np.empty_like(a)
        rows.append((op, threads, "mixcut mix_apply out of place",
                     timed(lambda: mixcut.mix_apply(mix_plan, a, b, num_threads=threads), reps),
                     True))

        # ---- Mixup elem mode, float32 (timm loops over samples)
        op = "mixup f32 (elem)"
        if torch is not None:
            t = torch.from_numpy(x32.copy())
            lams = np.random.default_rng(1).beta(1.0, 1.0, n).astype(np.float32)

            def timm_elem():
                x_orig = t.clone()
                for i in range(n):
                    j = n - i - 1
                    lam = float(lams[i])
                    t[i] = t[i] * lam + x_orig[j] * (1 - lam)
            rows.append((op, threads, "timm _mix_elem (python loop, clone)",
                         timed(timm_elem, reps), False))
        a = x32.copy()
        labels = np.arange(n) % 1000
        rows.append((op, threads, "mixcut Mixup(mode='elem') + targets",
                     timed(lambda: mixcut_elem(a, labels), reps), True))

        # ---- CutMix, float32
        op = "cutmix f32 (half-size box)"
        y0, y1, x0, x1 = box
        if torch is not None:
            t = torch.from_numpy(x32.copy())

            def timm_cutmix():
                t[:, :, y0:y1, x0:x1] = t.flip(0)[:, :, y0:y1, x0:x1]
            rows.append((op, threads, "timm: x[..box] = x.flip(0)[..box]",
                         timed(timm_cutmix, reps), False))
        a = x32.copy()
        rows.append((op, threads, "mixcut mix_apply in place",
                     timed(lambda: mixcut.mix_apply(cut_plan, a, inplace=True,
                                                    num_threads=threads), reps), True))

        # ---- uint8 collate (timm FastCollateMixup batch mode)
        op = "mixup u8 collate"
        if threads == 1:
            def timm_collate():
                out = np.zeros((n, 3, s, s), np.uint8)
                for i in range(n):
                    j = n - i - 1
                    mixed = samples[i][0].astype(np.float32) * LAM + \
                        samples[j][0].astype(np.float32) * (1 - LAM)
                    np.rint(mixed, out=mixed)
                    out[i] += mixed.astype(np.uint8)
                return out
            rows.append((op, threads, "timm FastCollateMixup formula (numpy)",
                         timed(timm_collate, reps), False))
        collate = mixcut.FastCollateMixup(mixup_alpha=1.0, num_classes=1000, seed=0,
                                          num_threads=threads)
        rows.append((op, threads, "mixcut FastCollateMixup (stack + mix + targets)",
                     timed(lambda: collate(samples), reps), True))
        a8 = x8.copy()
        rows.append((op, threads, "mixcut mix_apply u8 in place (stacked batch)",
                     timed(lambda: mixcut.mix_apply(mix_plan, a8, inplace=True,
                                                    num_threads=threads), reps), True))

        # ---- uint8 Mixup with torch (float round trip, what a torch user writes)
        if torch is not None:
            op = "mixup u8 (torch float round trip)"
            t8 = torch.from_numpy(x8.copy())
            rows.append((op, threads, "torch: (x.float()*lam + x.flip(0).float()*(1-lam)).round().byte()",
                         timed(lambda: (t8.float() * LAM + t8.flip(0).float() * (1 - LAM))
                               .round_().to(torch.uint8), reps), False))
            a8 = x8.copy()
            rows.append((op, threads, "mixcut mix_apply u8 in place",
                         timed(lambda: mixcut.mix_apply(mix_plan, a8, inplace=True,
                                                        num_threads=threads), reps), True))

        targets += erasing_rows(rows, x32, x8, n, threads, reps)

    # ---- print: each mixcut row against the slowest formula of its group
    print("\n| operation | threads | implementation | ms | mixcut speed-up |")
    print("|---|---|---|---:|---:|")
    for op in dict.fromkeys(r[0] for r in rows):
        group = [r for r in rows if r[0] == op]
        for r in group:
            others = [g for g in rows if g[0] == op and not g[4] and
                      (g[1] == r[1] or g[2].startswith("numpy") or "FastCollate" in g[2])]
            if r[4] and others:
                base = max(others, key=lambda g: g[3])
                speed = f"{base[3] / r[3]:.1f}x vs {base[2].split(':')[0]}"
            else:
                speed = ""
            print(f"| {op} | {r[1]} | {r[2]} | {r[3]:.2f} | {speed} |")
    if targets:
        print("\nRandomErasing targets, 1 thread, medians of one alternating run: " +
              "; ".join(targets))
    gather_table(n, s, max(reps, 11))
    if args.section == "all" and not args.erasing:
        small_section()


if __name__ == "__main__":
    main()
