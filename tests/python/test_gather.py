"""Gather calls from Python: a list of separate samples -> the batch in one pass,
equal byte for byte to stacking first; bad input refused; the worker-thread default."""

import numpy as np
import pytest

import mixcut
from mixcut import MixcutError, Status

try:
    import torch
except ImportError:  # the torch tests are skipped
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def images(n, dtype=np.uint8, layout="NCHW", h=13, w=17, seed=0):
    rng = np.random.default_rng(seed)
    shape = (3, h, w) if layout == "NCHW" else (h, w, 3)
    if dtype == np.uint8:
        return [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]
    return [rng.random(shape, dtype=np.float32) for _ in range(n)]


def raises(status):
    return pytest.raises(MixcutError, match=status.name)


@pytest.mark.parametrize("partner", ["flip", "roll", "permutation"])
@pytest.mark.parametrize("layout,out_layout", [("NCHW", "NCHW"), ("NHWC", "NCHW"),
                                               ("NCHW", "NHWC"), ("NHWC", "NHWC")])
@pytest.mark.parametrize("dtype,out_dtype,norm", [(np.uint8, None, False),
                                                  (np.float32, None, False),
                                                  (np.uint8, "float32", True)])
def test_mix_gather_equals_stack_then_apply(partner, layout, out_layout, dtype, out_dtype, norm):
    xs = images(7, dtype, layout)
    plan = mixcut.mix_plan(7, 13, 17, seed=3, mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem",
                           partner=partner)
    kw = dict(layout=layout, out_layout=out_layout, out_dtype=out_dtype,
              mean=MEAN if norm else None, std=STD if norm else None)
    want = mixcut.mix_apply(plan, np.stack(xs), **kw)
    for threads in (1, 2):
        got = mixcut.mix_apply_gather(plan, xs, num_threads=threads, **kw)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("fill", [0.5, "pixel", "rand", (0.1, 0.2, 0.3)])
def test_cutout_gather_equals_stack_then_apply(fill):
    xs = images(5, np.uint8, "NHWC")
    holes = mixcut.cutout_plan(5, 13, 17, seed=2, form="erasing", max_count=2)
    kw = dict(fill=fill, layout="NHWC", out_layout="NCHW", out_dtype="float32", mean=MEAN, std=STD)
    want = mixcut.cutout_apply(holes, np.stack(xs), **kw)
    got = mixcut.cutout_apply_gather(holes, xs, **kw)
    assert got.tobytes() == want.tobytes()


def test_non_contiguous_and_repeated_samples():
    xs = images(4)
    xs[1] = np.ascontiguousarray(xs[1][:, :, ::-1])[:, :, ::-1]  # a strided view
    xs[3] = xs[0]
    plan = mixcut.mix_plan(4, 13, 17, seed=1)
    want = mixcut.mix_apply(plan, np.stack(xs))
    assert mixcut.mix_apply_gather(plan, xs).tobytes() == want.tobytes()


def test_bad_samples_are_refused_and_out_untouched():
    xs = images(4)
    plan = mixcut.mix_plan(4, 13, 17, seed=1)
    out = np.full((4, 3, 13, 17), 7, np.uint8)
    with raises(Status.ERR_SHAPE_MISMATCH):
        mixcut.mix_apply_gather(plan, xs[:3] + [np.zeros((3, 13, 16), np.uint8)], out)
    with raises(Status.ERR_BAD_DTYPE):
        mixcut.mix_apply_gather(plan, xs[:3] + [xs[3].astype(np.float32)], out)
    with raises(Status.ERR_BAD_DTYPE):
        mixcut.mix_apply_gather(plan, [x.astype(np.float64) for x in xs], out)
    with raises(Status.ERR_SHAPE_MISMATCH):
        mixcut.mix_apply_gather(plan, [x[None] for x in xs], out)  # 4-D samples
    with raises(Status.ERR_BAD_SIZE):
        mixcut.mix_apply_gather(plan[:0], [], out)
    with raises(Status.ERR_SHAPE_MISMATCH):
        mixcut.mix_apply_gather(plan[:3], xs, out)
    with raises(Status.ERR_OVERLAP):  # a sample inside the output
        mixcut.mix_apply_gather(plan, xs[:3] + [out[2]], out)
    with raises(Status.ERR_SHAPE_MISMATCH):
        mixcut.mix_apply_gather(plan, xs, np.zeros((4, 3, 13, 18), np.uint8))
    with raises(Status.ERR_BAD_DTYPE):  # mean/std need uint8 -> float32
        mixcut.mix_apply_gather(plan, xs, out, mean=MEAN)
    bad = plan.copy()
    bad["partner"][1] = 9
    with raises(Status.ERR_BAD_PARTNER):
        mixcut.mix_apply_gather(bad, xs, out)
    assert (out == 7).all()


def test_fast_collate_mixup_gathers_what_stacking_gives():
    xs = images(6, h=24, w=20)
    batch = [(x, i % 4) for i, x in enumerate(xs)]
    f = mixcut.FastCollateMixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem", num_classes=4,
                                seed=8)
    out, target = f(batch, step=3)
    assert np.asarray(out).tobytes() == mixcut.mix_apply(f.last_plan, np.stack(xs)).tobytes()
    # uint8 images -> normalised float32 in another layout, the same pass.
    g = mixcut.FastCollateMixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem", num_classes=4,
                                seed=8).set_output("float32", "NHWC", MEAN, STD)
    out2, target2 = g(batch, step=3)
    want = mixcut.mix_apply(g.last_plan, np.stack(xs), out_dtype="float32", out_layout="NHWC",
                            mean=MEAN, std=STD)
    assert np.asarray(out2).shape == (6, 24, 20, 3)
    assert np.asarray(out2).tobytes() == want.tobytes()
    assert np.asarray(target2).tobytes() == np.asarray(target).tobytes()
    with raises(Status.ERR_BAD_DTYPE):
        mixcut.FastCollateMixup().set_output(mean=MEAN)  # mean/std need a float32 output
    with raises(Status.ERR_BAD_DTYPE):
        f([(x.astype(np.float32), 0) for x in xs])


@pytest.mark.parametrize("cls,kw", [(mixcut.Cutout, dict(n_holes=2, length=6, fill=9)),
                                    (mixcut.RandomErasing, dict(probability=1.0, mode="pixel",
                                                                num_splits=2))])
def test_cutout_collate_equals_stack_then_transform(cls, kw):
    xs = images(6)
    t_gather, t_stack = cls(seed=4, **kw), cls(seed=4, **kw)
    out = t_gather.collate(xs)
    want = t_stack(np.stack(xs))
    assert np.asarray(out).tobytes() == np.asarray(want).tobytes()
    assert t_gather.step == t_stack.step == 1
    out, labels = t_gather.collate([(x, i) for i, x in enumerate(xs)])
    assert np.asarray(out).tobytes() == np.asarray(t_stack(np.stack(xs))).tobytes()
    assert list(np.asarray(labels)) == list(range(6))


def _worker_threads(_):
    return mixcut._lib.thread_context(None).get(mixcut._lib.Option.NUM_THREADS)


@needs_torch
def test_one_thread_by_default_inside_dataloader_workers():
    assert _worker_threads(0) == 0  # the C library's default in the main process
    assert mixcut._lib.thread_context(3).get(mixcut._lib.Option.NUM_THREADS) == 3
    loader = torch.utils.data.DataLoader(list(range(2)), batch_size=1, num_workers=1,
                                         collate_fn=lambda b: _worker_threads(b),
                                         multiprocessing_context="fork", timeout=120)
    assert list(loader) == [1, 1]


@needs_torch
def test_torch_samples_give_torch_batches():
    xs = [torch.from_numpy(x) for x in images(4)]
    plan = mixcut.mix_plan(4, 13, 17, seed=1)
    out = mixcut.mix_apply_gather(plan, xs)
    assert isinstance(out, torch.Tensor)
    assert out.numpy().tobytes() == mixcut.mix_apply(plan, torch.stack(xs)).numpy().tobytes()


def _collate_in_worker(batch):
    """In a DataLoader worker: (whether each new batch is in shared memory
    before it is sent, the collated bytes)."""
    collate = mixcut.FastCollateMixup(mixup_alpha=1.0, num_classes=10, seed=5)
    out, _ = collate(batch)
    wide = mixcut.FastCollateMixup(mixup_alpha=1.0, num_classes=10, seed=5)
    wide.set_output("float32", mean=MEAN, std=STD)
    out_f32, _ = wide(batch)
    gathered = mixcut.mix_apply_gather(collate.last_plan, [torch.from_numpy(x) for x, _ in batch])
    erased, _ = mixcut.Cutout(n_holes=2, length=6, fill=9, seed=4).collate(batch)
    batches = (out, out_f32, gathered, erased)
    return [t.is_shared() for t in batches], [t.numpy().tobytes() for t in batches]


@needs_torch
def test_worker_batches_are_written_in_shared_memory():
    # As default_collate: a private batch would be copied into shared memory
    # when the worker sends it.
    batch = [(x, i) for i, x in enumerate(images(5))]
    loader = torch.utils.data.DataLoader([batch], batch_size=None, num_workers=1,
                                         collate_fn=_collate_in_worker,
                                         multiprocessing_context="fork", timeout=120)
    (shared, got), = list(loader)
    assert shared == [True] * 4
    main_side = _collate_in_worker(batch)
    assert main_side[0] == [False] * 4
    assert got == main_side[1]


def test_prefault_leaves_contents():
    x = np.arange(3 * 4096 + 100, dtype=np.uint8) * np.uint8(7)
    before = x.copy()
    mixcut.collate._prefault(x.ctypes.data + 5, x.nbytes - 5)  # not page-aligned
    mixcut.collate._prefault(x.ctypes.data, 0)
    assert x.tobytes() == before.tobytes()
