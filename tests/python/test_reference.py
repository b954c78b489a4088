"""mix_apply / mix_labels / cutout_apply against independent numpy references,
given the plan (hand-built plans included)."""

import numpy as np
import pytest

import mixcut
from reference import MIXUP, NONE, ref_labels, ref_mix, ref_soft_labels


def random_batch(rng, dtype, n, c=3, h=9, w=11, layout="NCHW"):
    shape = (n, c, h, w) if layout == "NCHW" else (n, h, w, c)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return rng.standard_normal(shape).astype(np.float32) * 10


def hand_plan(rng, n, h, w):
    """A plan no planner makes: random partners (cycles, fixed points), kinds,
    lam on the 2^-14 grid, boxes anywhere inside (empty ones included)."""
    plan = np.zeros(n, dtype=mixcut.MIX_SAMPLE_DTYPE)
    plan["partner"] = rng.integers(0, n, size=n)
    plan["kind"] = rng.integers(0, 3, size=n)
    plan["lam"] = rng.integers(0, 1 << 14, size=n, endpoint=True) / float(1 << 14)
    y = np.sort(rng.integers(0, h + 1, size=(n, 2)), axis=1)
    x = np.sort(rng.integers(0, w + 1, size=(n, 2)), axis=1)
    plan["y0"], plan["y1"], plan["x0"], plan["x1"] = y[:, 0], y[:, 1], x[:, 0], x[:, 1]
    none = plan["kind"] == NONE
    plan["lam"][none] = 1.0
    plan["partner"][none] = np.arange(n)[none]
    return plan


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("inplace", [False, True])
def test_hand_built_plans_match_reference(dtype, layout, inplace):
    rng = np.random.default_rng(1)
    for trial in range(20):
        n = int(rng.integers(1, 9))
        x = random_batch(rng, dtype, n, h=9, w=11, layout=layout)
        plan = hand_plan(rng, n, 9, 11)
        want64, want = ref_mix(plan, x, layout)
        src = x.copy()
        if inplace:
            got = mixcut.mix_apply(plan, src, layout=layout, inplace=True)
            assert got is src
        else:
            got = mixcut.mix_apply(plan, src, layout=layout)
            np.testing.assert_array_equal(src, x)  # source untouched
        np.testing.assert_array_equal(got, want)  # bit-exact
        if dtype == np.float32:
            np.testing.assert_allclose(got, want64, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("partner", ["flip", "roll", "permutation"])
@pytest.mark.parametrize("mode", ["batch", "pair", "elem"])
def test_planned_batches_match_reference(dtype, partner, mode):
    rng = np.random.default_rng(2)
    for step in range(6):
        n = [1, 2, 5, 8, 3, 16][step]
        x = random_batch(rng, dtype, n, h=12, w=10)
        plan = mixcut.mix_plan(n, 12, 10, seed=99, step=step, mixup_alpha=0.8, cutmix_alpha=1.0,
                               mode=mode, partner=partner)
        _, want = ref_mix(plan, x)
        np.testing.assert_array_equal(mixcut.mix_apply(plan, x), want)
        np.testing.assert_array_equal(mixcut.mix_apply(plan, x.copy(), inplace=True), want)


def test_thread_counts_and_isas_give_identical_results():
    rng = np.random.default_rng(3)
    x = random_batch(rng, np.float32, 16, 3, 32, 32)
    xu = random_batch(rng, np.uint8, 16, 3, 32, 32)
    plan = hand_plan(rng, 16, 32, 32)
    results = []
    for isa in ("scalar", "sse2", "avx2", "avx512"):
        for threads in (1, 2):
            # stream_threshold 0: these small outputs use non-temporal stores
            ctx = mixcut.Context(num_threads=threads, max_isa=isa,
                                 stream_threshold=0 if threads == 2 else None)
            results.append((mixcut.mix_apply(plan, x, ctx=ctx), mixcut.mix_apply(plan, xu, ctx=ctx)))
    for f, u in results[1:]:
        np.testing.assert_array_equal(f, results[0][0])
        np.testing.assert_array_equal(u, results[0][1])


def test_uint8_to_float32_normalised_in_one_pass():
    rng = np.random.default_rng(4)
    x = random_batch(rng, np.uint8, 6, 3, 8, 8)
    plan = hand_plan(rng, 6, 8, 8)
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    got = mixcut.mix_apply(plan, x, out_dtype=np.float32, mean=mean, std=std)
    _, mixed = ref_mix(plan, x)
    want = (mixed.astype(np.float32) / np.float32(255) - mean[:, None, None]) / std[:, None, None]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    # and into an NHWC destination
    got_nhwc = mixcut.mix_apply(plan, x, out_dtype=np.float32, out_layout="NHWC", mean=mean,
                                std=std)
    np.testing.assert_array_equal(got_nhwc, want.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("eps", [0.0, 0.1, 1.0])
def test_labels_match_reference(eps):
    rng = np.random.default_rng(5)
    n, k = 7, 13
    plan = hand_plan(rng, n, 4, 4)
    labels = rng.integers(0, k, size=n)
    got = mixcut.mix_labels(plan, labels, k, eps)
    assert got.dtype == np.float32 and got.shape == (n, k)
    np.testing.assert_allclose(got, ref_labels(plan, labels, k, eps), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)
    soft = rng.dirichlet(np.ones(k), size=n).astype(np.float32)
    got_soft = mixcut.mix_labels(plan, soft, label_smoothing=eps)
    np.testing.assert_allclose(got_soft, ref_soft_labels(plan, soft, eps), rtol=1e-5, atol=1e-7)


def test_labels_same_class_row_is_exactly_smooth():
    plan = np.zeros(2, dtype=mixcut.MIX_SAMPLE_DTYPE)
    plan["partner"] = [1, 0]
    plan["lam"] = [0.3, 0.3]
    plan["kind"] = MIXUP
    got = mixcut.mix_labels(plan, np.array([4, 4]), 10, 0.1)
    want = np.full(10, np.float32(0.1 / 10), np.float32)
    want[4] = np.float32(1 - 0.1 + 0.1 / 10)
    np.testing.assert_array_equal(got[0], want)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_cutout_constant_and_channel_fills(dtype, layout):
    rng = np.random.default_rng(6)
    n, c, h, w = 5, 3, 10, 12
    x = random_batch(rng, dtype, n, c, h, w, layout)
    holes = mixcut.cutout_plan(n, h, w, seed=3, step=1, min_count=1, max_count=3, length=5)
    fill = [7.0, 8.0, 9.0]
    got = mixcut.cutout_apply(holes, x, fill=fill, layout=layout)
    want = x.copy()
    for hole in holes:
        i = int(hole["sample"])
        for ch in range(c):
            if layout == "NCHW":
                want[i, ch, hole["y0"]:hole["y1"], hole["x0"]:hole["x1"]] = fill[ch]
            else:
                want[i, hole["y0"]:hole["y1"], hole["x0"]:hole["x1"], ch] = fill[ch]
    np.testing.assert_array_equal(got, want)
    got_const = mixcut.cutout_apply(holes, x.copy(), fill=2.0, layout=layout, inplace=True)
    mask = np.zeros(x.shape, bool)
    for hole in holes:
        i = int(hole["sample"])
        if layout == "NCHW":
            mask[i, :, hole["y0"]:hole["y1"], hole["x0"]:hole["x1"]] = True
        else:
            mask[i, hole["y0"]:hole["y1"], hole["x0"]:hole["x1"], :] = True
    assert (got_const[mask] == 2).all()
    np.testing.assert_array_equal(got_const[~mask], x[~mask])


@pytest.mark.parametrize("fill", ["pixel", "rand"])
def test_cutout_noise_fills_are_keyed_and_layout_independent(fill):
    rng = np.random.default_rng(7)
    x = random_batch(rng, np.float32, 4, 3, 16, 16)
    holes = mixcut.cutout_plan(4, 16, 16, seed=5, step=0, length=6, min_count=2)
    a = mixcut.cutout_apply(holes, x, fill=fill)
    b = mixcut.cutout_apply(holes, x, fill=fill)
    np.testing.assert_array_equal(a, b)
    nhwc = mixcut.cutout_apply(holes, np.ascontiguousarray(x.transpose(0, 2, 3, 1)), fill=fill,
                               layout="NHWC")
    np.testing.assert_array_equal(nhwc.transpose(0, 3, 1, 2), a)
    hole = holes[0]
    patch = a[int(hole["sample"]), :, hole["y0"]:hole["y1"], hole["x0"]:hole["x1"]]
    if fill == "rand":  # one value per channel per hole
        assert all(np.unique(patch[ch]).size == 1 for ch in range(3))
    else:
        assert np.unique(patch).size > 3
    xu = random_batch(rng, np.uint8, 4, 3, 16, 16)
    mixcut.cutout_apply(holes, xu, fill=fill)  # uint8 noise works too


def test_hand_built_holes_later_win():
    x = np.zeros((1, 1, 4, 4), np.float32)
    holes = np.zeros(2, dtype=mixcut.CUTOUT_HOLE_DTYPE)
    holes[0] = (0, 0, 0, 3, 3, 0)
    holes[1] = (0, 1, 1, 4, 4, 0)
    out = mixcut.cutout_apply(holes, x, fill=1.0)
    out2 = mixcut.cutout_apply(holes[1:], out, fill=2.0)
    assert out2[0, 0, 0, 0] == 1 and out2[0, 0, 2, 2] == 2 and out2[0, 0, 3, 0] == 0
