"""Bad inputs raise MixcutError with the right status and leave outputs untouched."""

import numpy as np
import pytest

import mixcut
from mixcut import MixcutError, Status


def plan_for(n, h=8, w=8, **kw):
    return mixcut.mix_plan(n, h, w, seed=1, **kw)


def raises(status):
    return pytest.raises(MixcutError, match=status.name)


def test_non_contiguous_array_is_refused_not_copied():
    x = np.zeros((4, 3, 8, 16), np.float32)[:, :, :, ::2]
    with raises(Status.ERR_BAD_LAYOUT) as e:
        mixcut.mix_apply(plan_for(4), x)
    assert e.value.status == Status.ERR_BAD_LAYOUT
    with raises(Status.ERR_BAD_LAYOUT):
        mixcut.Mixup(num_classes=3)(np.zeros((4, 8, 8, 3), np.float32).transpose(0, 3, 1, 2),
                                    np.zeros(4, int))


def test_bad_dtypes():
    with raises(Status.ERR_BAD_DTYPE):
        mixcut.mix_apply(plan_for(2), np.zeros((2, 3, 8, 8), np.float64))
    with raises(Status.ERR_BAD_DTYPE):
        mixcut.mix_apply(plan_for(2), [[1, 2]])
    with raises(Status.ERR_BAD_DTYPE):  # float32 -> uint8 is not a supported pair
        mixcut.mix_apply(plan_for(2), np.zeros((2, 3, 8, 8), np.float32),
                         np.zeros((2, 3, 8, 8), np.uint8))
    with raises(Status.ERR_BAD_DTYPE):
        mixcut.mix_apply(np.zeros(2, np.int64), np.zeros((2, 3, 8, 8), np.float32))
    with raises(Status.ERR_BAD_DTYPE):
        mixcut.mix_labels(plan_for(2), np.array([0.5, 1.5]), 3)


def test_shape_mismatches():
    x = np.zeros((4, 3, 8, 8), np.float32)
    with raises(Status.ERR_SHAPE_MISMATCH):
        mixcut.mix_apply(plan_for(3), x)
    with raises(Status.ERR_SHAPE_MISMATCH):
        mixcut.mix_apply(plan_for(4), x, np.zeros((4, 3, 8, 9), np.float32))
    with raises(Status.ERR_SHAPE_MISMATCH):
        mixcut.mix_apply(plan_for(4), np.zeros((4, 8, 8), np.float32).reshape(2, 2, 8, 8, 1))
    with raises(Status.ERR_SHAPE_MISMATCH):
        mixcut.mix_labels(plan_for(4), np.array([0, 1, 2]), 3)


def test_bad_enums_and_params():
    with raises(Status.ERR_BAD_ENUM):
        mixcut.Mixup(mode="bogus")
    with raises(Status.ERR_BAD_ENUM):
        mixcut.mix_plan(4, 8, 8, seed=1, partner="sideways")
    with raises(Status.ERR_BAD_LAYOUT):
        mixcut.Mixup(num_classes=2, layout="CHWN")(np.zeros((2, 1, 2, 2), np.float32),
                                                   np.zeros(2, int))
    with raises(Status.ERR_BAD_PARAM):
        mixcut.mix_plan(4, 8, 8, seed=1, mixup_alpha=float("nan"))
    with raises(Status.ERR_BAD_PARAM):
        mixcut.mix_plan(4, 8, 8, seed=1, mixup_alpha=-1.0)
    with raises(Status.ERR_BAD_PARAM):
        mixcut.mix_plan(4, 8, 8, seed=1, prob=1.5)
    with raises(Status.ERR_BAD_PARAM):
        mixcut.mix_plan(4, 8, 8, seed=-1)
    with raises(Status.ERR_BAD_ENUM):
        mixcut.RandomErasing(mode="sparkle")
    with raises(Status.ERR_BAD_SIZE):
        mixcut.mix_plan(4, 0, 8, seed=1)


def test_bad_plans_leave_the_output_untouched():
    x = np.random.default_rng(0).standard_normal((4, 3, 8, 8)).astype(np.float32)
    out = np.full_like(x, 7.0)
    cases = []
    bad = plan_for(4, mixup_alpha=1.0)
    bad["partner"][1] = 4
    cases.append((bad, Status.ERR_BAD_PARTNER))
    bad = plan_for(4)
    bad["lam"][0] = np.nan
    bad["kind"][0] = 1
    cases.append((bad, Status.ERR_BAD_LAM))
    bad = plan_for(4)
    bad["lam"][0] = 1.5
    bad["kind"][0] = 1
    cases.append((bad, Status.ERR_BAD_LAM))
    bad = plan_for(4)
    bad["kind"][2] = 2
    bad["y1"][2] = 9
    cases.append((bad, Status.ERR_BAD_BOX))
    bad = plan_for(4)
    bad["kind"][0] = 7
    cases.append((bad, Status.ERR_BAD_ENUM))
    for plan, status in cases:
        with raises(status) as e:
            mixcut.mix_apply(plan, x, out)
        assert e.value.message  # the library's own message
        assert (out == 7.0).all()


def test_bad_labels():
    plan = plan_for(3)
    with raises(Status.ERR_BAD_LABEL):
        mixcut.mix_labels(plan, np.array([0, 5, 1]), 5)
    with raises(Status.ERR_BAD_LABEL):
        mixcut.mix_labels(plan, np.array([0, -1, 1]), 5)
    with raises(Status.ERR_BAD_SIZE):
        mixcut.mix_labels(plan, np.array([0, 1, 1]))
    with raises(Status.ERR_BAD_PARAM):
        mixcut.mix_labels(plan, np.array([0, 1, 1]), 3, label_smoothing=2.0)


def test_overlap_is_refused():
    buf = np.zeros((5, 3, 8, 8), np.float32)
    with raises(Status.ERR_OVERLAP):
        mixcut.mix_apply(plan_for(4), buf[:4], buf[1:])


def test_cutout_errors():
    x = np.zeros((2, 3, 8, 8), np.uint8)
    with raises(Status.ERR_BAD_BOX):
        mixcut.Cutout(n_holes=1, length=9)(x)
    holes = mixcut.cutout_plan(2, 8, 8, seed=1, length=4)
    bad = holes.copy()
    bad["sample"][0] = 5
    with raises(Status.ERR_BAD_PARTNER):
        mixcut.cutout_apply(bad, x)
    bad = holes.copy()
    bad["y1"][1] = 10
    with raises(Status.ERR_BAD_BOX):
        mixcut.cutout_apply(bad, x)
    with raises(Status.ERR_BAD_SIZE):
        mixcut.cutout_apply(holes, x, fill=[1.0, 2.0])
    with raises(Status.ERR_BAD_ENUM):
        mixcut.cutout_apply(holes, x, fill="sparkle")
    with raises(Status.ERR_BAD_PARAM):
        mixcut.cutout_apply(holes, x, fill=300.0)  # does not fit uint8
    assert (x == 0).all()


def test_read_only_array_is_refused():
    x = np.zeros((2, 3, 8, 8), np.float32)
    x.flags.writeable = False
    with raises(Status.ERR_BAD_PARAM):
        mixcut.mix_apply(plan_for(2), x, inplace=True)
