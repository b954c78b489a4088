"""timm's Mixup / FastCollateMixup / RandomErasing semantics, written out in
numpy (tests/python/reference.py), against mixcut given the same draws, plus
the laws of the draws themselves."""

import math

import numpy as np
import pytest

import mixcut
from reference import (CUTMIX, MIXUP, NONE, ref_mix, timm_collate_blend, timm_mix_batch,
                       timm_mix_elem, timm_mix_pair, timm_mixup_target)

POLICIES = {
    "mixup": dict(mixup_alpha=1.0),
    "cutmix": dict(mixup_alpha=0.0, cutmix_alpha=1.0),
    "switch": dict(mixup_alpha=0.8, cutmix_alpha=1.0, switch_prob=0.5),
    "minmax": dict(mixup_alpha=0.0, cutmix_minmax=(0.2, 0.8)),
    "prob": dict(mixup_alpha=0.8, cutmix_alpha=1.0, prob=0.5),
    "raw_lam": dict(mixup_alpha=0.0, cutmix_alpha=1.0, correct_lam=False),
}


def _box(rec):
    return (int(rec["y0"]), int(rec["y1"]), int(rec["x0"]), int(rec["x1"]))


def _timm_params(plan):
    """(lam, use_cutmix, box) per sample, as timm's _params_per_* would give."""
    return ([float(r["lam"]) for r in plan], [int(r["kind"]) == CUTMIX for r in plan],
            [_box(r) for r in plan])


@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("mode", ["batch", "pair", "elem"])
def test_mixup_matches_timm(policy, mode):
    rng = np.random.default_rng(10)
    n, k = 8, 10
    for step in range(12):
        x = rng.standard_normal((n, 3, 16, 12)).astype(np.float32)
        target = rng.integers(0, k, size=n)
        fn = mixcut.Mixup(mode=mode, label_smoothing=0.1, num_classes=k, seed=1234,
                          **POLICIES[policy])
        got_x, got_t = fn(x.copy(), target, step=step)
        plan = fn.last_plan
        lam, use_cutmix, boxes = _timm_params(plan)
        want = x.astype(np.float64)
        if mode == "batch":
            # one draw for the whole batch
            assert len({(r["lam"], r["kind"], _box(r)) for r in plan}) == 1
            want_lam = timm_mix_batch(want, lam[0], use_cutmix[0], boxes[0])
        elif mode == "pair":
            for i in range(n):  # a pair shares one draw
                j = n - 1 - i
                assert (plan[i]["lam"], plan[i]["kind"], _box(plan[i])) == \
                    (plan[j]["lam"], plan[j]["kind"], _box(plan[j]))
            want_lam = timm_mix_pair(want, lam[:n // 2], use_cutmix, boxes)
        else:
            want_lam = timm_mix_elem(want, lam, use_cutmix, boxes)
        np.testing.assert_allclose(got_x, want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got_t, timm_mixup_target(target, k, want_lam, 0.1),
                                   rtol=1e-5, atol=1e-6)
        assert got_t.dtype == np.float32 and got_t.shape == (n, k)


def test_plan_partner_rules():
    for n in (1, 2, 5, 8):
        flip = mixcut.mix_plan(n, 8, 8, seed=1, partner="flip")
        np.testing.assert_array_equal(flip["partner"], n - 1 - np.arange(n))
        roll = mixcut.mix_plan(n, 8, 8, seed=1, partner="roll")
        np.testing.assert_array_equal(roll["partner"], (np.arange(n) - 1) % n)
        for step in range(5):
            perm = mixcut.mix_plan(n, 8, 8, seed=1, step=step, partner="permutation")
            assert sorted(perm["partner"]) == list(range(n))
        # a sample paired with itself is unchanged
        for plan in (flip, roll):
            selfish = plan["partner"] == np.arange(n)
            assert (plan["kind"][selfish] == NONE).all()
            assert (plan["lam"][selfish] == 1).all()
    perms = {tuple(mixcut.mix_plan(16, 8, 8, seed=2, step=s, partner="permutation")["partner"])
             for s in range(10)}
    assert len(perms) > 5
    explicit = np.array([2, 0, 1])
    plan = mixcut.mix_plan(3, 8, 8, seed=1, partner=explicit)
    np.testing.assert_array_equal(plan["partner"], explicit)


def test_odd_batch_and_single_sample_work():
    for n in (1, 3, 7):
        x = np.random.default_rng(n).standard_normal((n, 3, 8, 8)).astype(np.float32)
        fn = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, num_classes=5, seed=3)
        out, t = fn(x.copy(), np.arange(n) % 5)
        mid = n // 2
        np.testing.assert_array_equal(out[mid], x[mid])  # paired with itself
        assert t.shape == (n, 5)


def test_plans_are_keyed_by_seed_and_step():
    a = mixcut.mix_plan(32, 20, 20, seed=7, step=3, mode="elem", cutmix_alpha=1.0)
    b = mixcut.mix_plan(32, 20, 20, seed=7, step=3, mode="elem", cutmix_alpha=1.0)
    c = mixcut.mix_plan(32, 20, 20, seed=7, step=4, mode="elem", cutmix_alpha=1.0)
    d = mixcut.mix_plan(32, 20, 20, seed=8, step=3, mode="elem", cutmix_alpha=1.0)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes() and a.tobytes() != d.tobytes()


@pytest.mark.parametrize("alpha", [0.2, 1.0, 2.0])
def test_mixup_lam_follows_beta(alpha):
    n = 40000
    plan = mixcut.mix_plan(n, 4, 4, seed=11, mode="elem", partner="roll", mixup_alpha=alpha)
    lam = plan["lam"].astype(np.float64)
    assert (plan["kind"] == MIXUP).all()
    var = 1.0 / (4 * (2 * alpha + 1))  # Beta(a, a)
    assert abs(lam.mean() - 0.5) < 5 * math.sqrt(var / n)
    assert abs(lam.var() - var) < 0.05 * var
    assert (lam * (1 << 14) == np.round(lam * (1 << 14))).all()  # on the 2^-14 grid


def test_prob_and_switch_prob():
    n = 40000
    plan = mixcut.mix_plan(n, 16, 16, seed=12, mode="elem", partner="roll", mixup_alpha=1.0,
                           cutmix_alpha=1.0, prob=0.3, switch_prob=0.25)
    drawn = plan["kind"] != NONE
    # a CutMix draw can yield an empty box only when lam == 1, which has probability 0
    tol = 5 * math.sqrt(0.3 * 0.7 / n)
    assert abs(drawn.mean() - 0.3) < tol
    cut = (plan["kind"][drawn] == CUTMIX).mean()
    assert abs(cut - 0.25) < 5 * math.sqrt(0.25 * 0.75 / drawn.sum())
    assert (plan["lam"][~drawn] == 1).all()
    off = mixcut.mix_plan(100, 8, 8, seed=1, mode="elem", prob=0.0)
    assert (off["kind"] == NONE).all()


@pytest.mark.parametrize("h,w", [(32, 32), (17, 29)])
def test_cutmix_boxes_follow_timm(h, w):
    n = 4000
    raw = mixcut.mix_plan(n, h, w, seed=13, mode="elem", partner="roll", mixup_alpha=0.0,
                          cutmix_alpha=1.0, correct_lam=False)
    assert (raw["kind"] == CUTMIX).all()
    for rec in raw:
        lam = float(rec["lam"])
        # timm 1.0 rand_bbox: cut = int(H * sqrt(1 - lam)), box [c - cut//2, c + (cut+1)//2)
        # clipped, so an unclipped side is exactly cut (odd sides included)
        cuts_h = {int(h * math.sqrt(max(0.0, 1 - lam + d))) for d in (-1e-6, 0, 1e-6)}
        cuts_w = {int(w * math.sqrt(max(0.0, 1 - lam + d))) for d in (-1e-6, 0, 1e-6)}
        y0, y1, x0, x1 = _box(rec)
        assert 0 <= y0 <= y1 <= h and 0 <= x0 <= x1 <= w
        if 0 < y0 and y1 < h:
            assert y1 - y0 in cuts_h
        else:
            assert y1 - y0 <= max(cuts_h)
        if 0 < x0 and x1 < w:
            assert x1 - x0 in cuts_w
    corrected = mixcut.mix_plan(n, h, w, seed=13, mode="elem", partner="roll", mixup_alpha=0.0,
                                cutmix_alpha=1.0)
    area = (corrected["y1"] - corrected["y0"]) * (corrected["x1"] - corrected["x0"])
    np.testing.assert_allclose(corrected["lam"], 1 - area / (h * w), atol=1e-6)
    # centres uniform over the image: clipped boxes touch every border
    assert (corrected["y0"] == 0).any() and (corrected["y1"] == h).any()
    assert (corrected["x0"] == 0).any() and (corrected["x1"] == w).any()


def test_cutmix_minmax_reaches_every_position():
    h, w, lo, hi = 10, 12, 0.2, 0.5
    plan = mixcut.mix_plan(20000, h, w, seed=14, mode="elem", partner="roll", mixup_alpha=0.0,
                           cutmix_minmax=(lo, hi))
    bh = plan["y1"] - plan["y0"]
    bw = plan["x1"] - plan["x0"]
    assert (plan["kind"] == CUTMIX).all()
    assert (bh >= math.floor(lo * h)).all() and (bh <= math.ceil(hi * h)).all()
    assert (bw >= math.floor(lo * w)).all() and (bw <= math.ceil(hi * w)).all()
    assert (plan["y1"] <= h).all() and (plan["x1"] <= w).all()  # fully inside
    np.testing.assert_allclose(plan["lam"], 1 - bh * bw / (h * w), atol=1e-6)
    for side in np.unique(bh):  # every top row 0..H-side is reachable (timm PR #2739)
        tops = set(plan["y0"][bh == side])
        assert tops == set(range(0, h - side + 1)), side


def test_fast_collate_uint8_is_within_one_of_timm_and_exact_to_the_header():
    rng = np.random.default_rng(15)
    n, k = 6, 7
    batch = [(rng.integers(0, 256, (3, 10, 10), dtype=np.uint8), int(rng.integers(0, k)))
             for _ in range(n)]
    for mode in ("batch", "pair", "elem"):
        collate = mixcut.FastCollateMixup(mixup_alpha=1.0, mode=mode, num_classes=k, seed=5)
        out, target = collate(batch, step=3)
        out, target = np.asarray(out), np.asarray(target)
        plan = collate.last_plan
        stacked = np.stack([b[0] for b in batch])
        _, exact = ref_mix(plan, stacked)
        np.testing.assert_array_equal(out, exact)
        for i in range(n):
            j = n - 1 - i
            want = timm_collate_blend(stacked[i], stacked[j], float(plan["lam"][i]))
            assert np.abs(out[i].astype(int) - want.astype(int)).max() <= 1
        labels = np.array([b[1] for b in batch])
        np.testing.assert_allclose(target, timm_mixup_target(labels, k, plan["lam"], 0.1),
                                   rtol=1e-5, atol=1e-6)


def test_fast_collate_half_mode():
    rng = np.random.default_rng(16)
    batch = [(rng.integers(0, 256, (3, 8, 8), dtype=np.uint8), i % 4) for i in range(8)]
    collate = mixcut.FastCollateMixup(mixup_alpha=1.0, mode="half", num_classes=4, seed=6)
    out, target = collate(batch, step=0)
    out, target = np.asarray(out), np.asarray(target)
    assert out.shape == (4, 3, 8, 8) and target.shape == (4, 4)
    stacked = np.stack([b[0] for b in batch])
    plan = collate.last_plan
    _, exact = ref_mix(plan, stacked)
    np.testing.assert_array_equal(out, exact[:4])
    assert len(set(plan["lam"][:4])) > 1  # per element


def test_random_erasing_follows_timm():
    n, h, w = 400, 40, 30
    x = np.random.default_rng(17).standard_normal((n, 3, h, w)).astype(np.float32)
    re = mixcut.RandomErasing(probability=0.5, min_area=0.02, max_area=1 / 3, min_aspect=0.3,
                              mode="const", min_count=1, max_count=3, device="cpu", seed=9)
    out = re(x.copy())
    holes = re.last_plan
    holes = holes[(holes["y1"] > holes["y0"]) & (holes["x1"] > holes["x0"])]
    erased_samples = set(holes["sample"].tolist())
    assert abs(len(erased_samples) / n - 0.5) < 5 * math.sqrt(0.25 / n)
    counts = np.bincount(holes["sample"], minlength=n)[sorted(erased_samples)]
    assert counts.min() >= 1 and counts.max() <= 3
    bh = holes["y1"] - holes["y0"]
    bw = holes["x1"] - holes["x0"]
    assert (bh < h).all() and (bw < w).all() and (holes["y1"] <= h).all()
    assert (bw * bh <= (1 / 3) * h * w * 1.3 + 2 * (h + w)).all()
    aspect = bh / bw
    assert aspect.min() > 0.3 * 0.5 and aspect.max() < (1 / 0.3) * 2
    for i in range(n):
        if i not in erased_samples:
            np.testing.assert_array_equal(out[i], x[i])
    for hole in holes[:50]:
        assert (out[hole["sample"], :, hole["y0"]:hole["y1"], hole["x0"]:hole["x1"]] == 0).all()


def test_random_erasing_num_splits_keeps_the_clean_split():
    x = np.ones((8, 3, 16, 16), np.float32)
    re = mixcut.RandomErasing(probability=1.0, num_splits=2, mode="pixel", seed=1)
    out = re(x)
    assert (out[:4] == 1).all()
    assert all((out[i] != 1).any() for i in range(4, 8))


def test_cutout_follows_the_original():
    n, h, w, length = 2000, 20, 24, 8
    x = np.ones((n, 1, h, w), np.float32)
    cut = mixcut.Cutout(n_holes=2, length=length, fill=0.0, seed=4)
    out = cut(x)
    holes = cut.last_plan
    assert len(holes) == 2 * n
    assert (np.bincount(holes["sample"]) == 2).all()
    bh = holes["y1"] - holes["y0"]
    bw = holes["x1"] - holes["x0"]
    inner = (holes["y0"] > 0) & (holes["y1"] < h)
    assert (bh[inner] == 2 * (length // 2)).all() and (bh <= length).all()
    assert (bw <= length).all()
    # centre uniform over the whole image: holes at an edge are smaller
    assert (bh < length).any() and (holes["y0"] == 0).any() and (holes["x1"] == w).any()
    mask = np.ones_like(x)
    for hole in holes:
        mask[hole["sample"], :, hole["y0"]:hole["y1"], hole["x0"]:hole["x1"]] = 0
    np.testing.assert_array_equal(out, mask)
