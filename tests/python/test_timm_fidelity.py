"""mixcut against the real timm 1.0.x (installed from the registry), not a copy
of its formulas: both libraries run on coded batches, the boxes, kinds and
lams are read back from their outputs, and two-sample tests compare the laws.
Fixed seeds; a test fails when p < 1e-3 (an equivalent implementation passes
such a test with probability 0.999 for an arbitrary seed)."""

import numpy as np
import pytest

import mixcut
from stats import chi2_two_sample, ks_two_sample, test_the_tests_themselves  # noqa: F401

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")
from timm.data import Mixup as TimmMixup  # noqa: E402
from timm.data.mixup import mixup_target  # noqa: E402
from timm.data.random_erasing import RandomErasing as TimmErasing  # noqa: E402

P_MIN = 1e-3


def test_timm_is_1_0():
    assert timm.__version__.startswith("1.0."), timm.__version__


def coded(n, h, w):
    """Sample i is filled with the value i (1 channel, float32)."""
    return np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None, None],
                           (n, 1, h, w)).copy()


def read_back(out, partner):
    """(kind, box, lam) per sample of a mixed coded batch: kind 0 none, 1
    mixup, 2 cutmix; box (y0, y1, x0, x1) of the pixels taken from the partner;
    lam the weight of x_i for mixup."""
    n = len(out)
    kinds = np.zeros(n, int)
    boxes = np.zeros((n, 4), int)
    lams = np.ones(n)
    for i in range(n):
        j = partner[i]
        img = out[i, 0]
        if j == i or (img == i).all():
            continue
        from_j = img == j
        if (from_j | (img == i)).all():
            rows, cols = np.nonzero(from_j.any(1))[0], np.nonzero(from_j.any(0))[0]
            y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            assert from_j.sum() == (y1 - y0) * (x1 - x0), "not a rectangle"
            kinds[i], boxes[i] = 2, (y0, y1, x0, x1)
        else:
            assert np.ptp(img) < 1e-3, "a blend is uniform on a coded batch"
            kinds[i], lams[i] = 1, (float(img[0, 0]) - j) / (i - j)
    return kinds, boxes, lams


def run_timm(n, h, w, seed, **kwargs):
    np.random.seed(seed)
    fn = TimmMixup(num_classes=n, label_smoothing=0.0, **kwargs)
    x = torch.from_numpy(coded(n, h, w))
    out, _ = fn(x, torch.arange(n))
    return read_back(out.numpy(), n - 1 - np.arange(n))


def run_mixcut(n, h, w, seed, steps=1, **kwargs):
    fn = mixcut.Mixup(num_classes=n, label_smoothing=0.0, seed=seed, num_threads=1, **kwargs)
    parts = [read_back(fn(coded(n, h, w), np.arange(n), step=s)[0], n - 1 - np.arange(n))
             for s in range(steps)]
    return tuple(np.concatenate(p) for p in zip(*parts))


def sides(boxes):
    return boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]


def assert_same_boxes(mine, theirs):
    """Heights, widths, tops, lefts and areas: one chi-square test each."""
    (mh, mw), (th, tw) = sides(mine), sides(theirs)
    for name, a, b in (("height", mh, th), ("width", mw, tw), ("top", mine[:, 0], theirs[:, 0]),
                       ("left", mine[:, 2], theirs[:, 2]), ("area", mh * mw, th * tw)):
        p = chi2_two_sample(a, b)
        assert p > P_MIN, (name, p)


N = 4000  # samples per library in elem mode


def test_cutmix_box_law_matches_timm():
    # Odd sides: timm 1.0's [c - cut//2, c + (cut+1)//2) keeps odd cuts odd.
    h, w = 17, 29
    tk, tb, _ = run_timm(N, h, w, 0, mixup_alpha=0.0, cutmix_alpha=1.0, mode="elem")
    mk, mb, _ = run_mixcut(N, h, w, 1, mixup_alpha=0.0, cutmix_alpha=1.0, mode="elem")
    assert (tk[tk != 0] == 2).all() and (mk[mk != 0] == 2).all()
    assert_same_boxes(mb[mk == 2], tb[tk == 2])
    # Power: mixcut's old rule [c - cut//2, c + cut//2) (even sides only) is
    # rejected by the same height test.
    rng = np.random.default_rng(2)
    cut = (h * np.sqrt(1 - rng.beta(1, 1, N))).astype(int)
    c = rng.integers(0, h, N)
    old = np.clip(c + cut // 2, 0, h) - np.clip(c - cut // 2, 0, h)
    assert chi2_two_sample(old, sides(tb[tk == 2])[0]) < 1e-6


def test_cutmix_box_law_matches_timm_in_batch_mode():
    # One box per call: 1500 calls of a batch of 2 on each side.
    h, w, calls = 12, 9, 1500
    np.random.seed(3)
    timm_fn = TimmMixup(mixup_alpha=0.0, cutmix_alpha=1.0, num_classes=2, label_smoothing=0.0)
    tb = np.array([read_back(timm_fn(torch.from_numpy(coded(2, h, w)), torch.arange(2))[0]
                             .numpy(), [1, 0])[1][0] for _ in range(calls)])
    _, mb, _ = run_mixcut(2, h, w, 4, steps=calls, mixup_alpha=0.0, cutmix_alpha=1.0)
    assert_same_boxes(mb[0::2], tb)


def test_cutmix_minmax_law_matches_timm():
    # int(0.8 * 10) = 8 is never a side in timm (randint excludes the top).
    h, w = 10, 12
    tk, tb, _ = run_timm(N, h, w, 5, mixup_alpha=0.0, cutmix_minmax=(0.2, 0.8), mode="elem")
    mk, mb, _ = run_mixcut(N, h, w, 6, mixup_alpha=0.0, cutmix_minmax=(0.2, 0.8), mode="elem")
    assert (tk == 2).all() and (mk == 2).all()
    assert_same_boxes(mb, tb)
    assert sides(mb)[0].max() == sides(tb)[0].max() == 7


@pytest.mark.parametrize("mode", ["elem", "pair"])
def test_prob_switch_prob_and_lam_match_timm(mode):
    kw = dict(mixup_alpha=0.4, cutmix_alpha=1.0, prob=0.3, switch_prob=0.25, mode=mode)
    tk, _, tl = run_timm(N, 8, 8, 7, **kw)
    mk, _, ml = run_mixcut(N, 8, 8, 8, **kw)
    p = chi2_two_sample(mk, tk)
    assert p > P_MIN, p
    # mixcut's Mixup lam is on the 2^-14 grid (documented): compare at that resolution.
    p = ks_two_sample(ml[mk == 1], np.round(tl[tk == 1] * 16384) / 16384)
    assert p > P_MIN, p
    if mode == "pair":  # both samples of a pair share the draw
        assert (mk == mk[::-1]).all() and (tk == tk[::-1]).all()


def test_batch_mode_rates_match_timm():
    kw = dict(mixup_alpha=1.0, cutmix_alpha=1.0, prob=0.6, switch_prob=0.7)
    calls = 2000
    np.random.seed(9)
    timm_fn = TimmMixup(num_classes=2, label_smoothing=0.0, **kw)
    tk = np.array([read_back(timm_fn(torch.from_numpy(coded(2, 6, 6)), torch.arange(2))[0]
                             .numpy(), [1, 0])[0][0] for _ in range(calls)])
    mk = run_mixcut(2, 6, 6, 10, steps=calls, **kw)[0][0::2]
    p = chi2_two_sample(mk, tk)
    assert p > P_MIN, p


@pytest.mark.parametrize("mode", ["batch", "elem"])
@pytest.mark.parametrize("multi_label", [False, True])
def test_targets_equal_timms_mixup_target(mode, multi_label):
    # timm's own mixup_target, given the lam mixcut applied, gives our targets.
    n, k, eps = 8, 6, 0.1
    rng = np.random.default_rng(11)
    if multi_label:
        target = (rng.random((n, k)) < 0.4).astype(np.float32)
    else:
        target = rng.integers(0, k, n)
    fn = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode=mode, label_smoothing=eps,
                      num_classes=k, multi_label=multi_label, seed=12)
    for step in range(6):
        _, got = fn(coded(n, 8, 8), target, step=step)
        lam = fn.last_plan["lam"]
        lam = float(lam[0]) if mode == "batch" else torch.from_numpy(lam.copy())[:, None]
        want = mixup_target(torch.from_numpy(target), k, lam, eps, multi_label=multi_label)
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-6, atol=1e-6)


def erased(out):
    """Erased pixels per image and the box of each image with one rectangle."""
    zero = out[:, 0] == 0
    counts = zero.sum((1, 2))
    heights = zero.any(2).sum(1)
    widths = zero.any(1).sum(1)
    return counts, heights, widths


@pytest.mark.parametrize("min_count,max_count,area", [
    (1, 1, (0.02, 1 / 3)),
    (1, 4, (0.01, 0.05)),
    (4, 4, (0.01, 0.05)),
    (2, 3, (0.02, 0.2)),
    (1, 1, (0.01, 0.05)),
])
def test_random_erasing_matches_timm_on_small_images(min_count, max_count, area):
    n, h, w = 4000, 8, 8
    kw = dict(probability=0.5, min_area=area[0], max_area=area[1], min_aspect=0.3,
              mode="const", min_count=min_count, max_count=max_count, device="cpu")
    import random
    random.seed(13)
    theirs = TimmErasing(**kw)(torch.ones(n, 1, h, w)).numpy()
    mine = mixcut.RandomErasing(**kw, seed=14)(np.ones((n, 1, h, w), np.float32))
    tc, th, tw = erased(theirs)
    mc, mh, mw = erased(mine)
    p = chi2_two_sample(mc, tc)  # erased area per image: hole count and areas
    assert p > P_MIN, ("erased pixels", p)
    p = chi2_two_sample(mc > 0, tc > 0)  # images with anything erased
    assert p > P_MIN, ("any erased", p)
    if max_count == 1:  # one rectangle: its sides (and so its aspect) per image
        for name, a, b in (("height", mh, th), ("width", mw, tw)):
            p = chi2_two_sample(a, b)
            assert p > P_MIN, (name, p)
        assert ((mh * mw == mc) & (th * tw == tc)).all()
