"""The Python package's contract: errors that are also ValueError/TypeError,
everything checked before a batch is written or a step advances, constructor
checks, record dtypes from the ctypes structs, one source of defaults."""

import ctypes
import inspect
import pathlib

import numpy as np
import pytest

import mixcut
from mixcut import MixcutError, MixcutTypeError, MixcutValueError, Status
from mixcut._lib import CutoutHole, CutoutPolicy, MixPolicy, MixSample, lib


def batch(n=4, dtype=np.float32):
    rng = np.random.default_rng(n)
    if dtype == np.uint8:
        return rng.integers(0, 256, (n, 3, 8, 8), dtype=np.uint8)
    return rng.standard_normal((n, 3, 8, 8)).astype(dtype)


# ---------------------------------------------------------------------------
# Exceptions

def test_errors_are_value_and_type_errors_and_mixcut_errors():
    with pytest.raises(ValueError) as e:
        mixcut.mix_plan(4, 8, 8, seed=1, prob=1.5)
    assert isinstance(e.value, MixcutError) and isinstance(e.value, MixcutValueError)
    assert e.value.status == Status.ERR_BAD_PARAM
    with pytest.raises(TypeError) as e:
        mixcut.mix_apply(mixcut.mix_plan(2, 8, 8, seed=1), np.zeros((2, 3, 8, 8), np.float64))
    assert isinstance(e.value, MixcutError) and isinstance(e.value, MixcutTypeError)
    assert e.value.status == Status.ERR_BAD_DTYPE
    with pytest.raises(ValueError):
        mixcut.Mixup(num_classes=3, seed=1)(batch(2), np.array([0, 3]))  # label out of range
    with pytest.raises(TypeError):
        mixcut.Mixup(num_classes=3, seed=1)(batch(2), np.array([0.0, 1.0]))  # float hard labels


def test_messages_name_the_function_once():
    plan = mixcut.mix_plan(4, 8, 8, seed=1)
    with pytest.raises(ValueError) as e:
        mixcut.mix_labels(plan, np.array([0, 1, 2, 7]), 5)
    msg = str(e.value)
    assert msg.count("mixcut_mix_labels") == 1, msg
    assert msg.startswith("ERR_BAD_LABEL: mixcut_mix_labels: labels[3] = 7"), msg


# ---------------------------------------------------------------------------
# Nothing written, nothing advanced, when a call raises

def bad_targets():
    """(description, target, error class) for a Mixup over 4 samples, K = 10."""
    cases = [
        ("label == K", np.array([0, 1, 2, 10]), ValueError),
        ("negative label", np.array([0, -1, 2, 3]), ValueError),
        ("batch size differs", np.array([0, 1, 2]), ValueError),
        ("float hard labels", np.array([0.0, 1.0, 2.0, 3.0]), TypeError),
        ("NaN soft labels", np.full((4, 10), np.nan, np.float32), ValueError),
        ("soft labels, wrong K", np.full((4, 9), 0.1, np.float32), ValueError),
        ("3-D target", np.zeros((4, 10, 1), np.int64), ValueError),
        ("strings", np.array(["a", "b", "c", "d"]), TypeError),
    ]
    try:
        import torch
    except ImportError:
        return cases
    cases += [
        ("meta-device target", torch.empty(4, dtype=torch.long, device="meta"), ValueError),
        ("target requiring grad", torch.zeros(4, 10, requires_grad=True), ValueError),
        ("torch label == K", torch.tensor([0, 1, 2, 10]), ValueError),
    ]
    return cases


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
@pytest.mark.parametrize("what,target,exc", bad_targets(), ids=[c[0] for c in bad_targets()])
def test_mixup_bad_target_leaves_x_and_step_alone(what, target, exc, dtype):
    fn = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, num_classes=10, seed=1)
    x = batch(4, dtype)
    before = x.tobytes()
    fn.step = 7
    with pytest.raises(exc) as e:
        fn(x, target)
    assert isinstance(e.value, MixcutError), what
    assert x.tobytes() == before, what
    assert fn.step == 7, what
    # Passing the step explicitly: still nothing changes.
    with pytest.raises(exc):
        fn(x, target, step=3)
    assert x.tobytes() == before and fn.step == 7
    # And a good call afterwards works and advances.
    fn(x, np.arange(4))
    assert fn.step == 8 and x.tobytes() != before


def test_mixup_torch_batch_untouched_on_bad_target():
    torch = pytest.importorskip("torch")
    fn = mixcut.Mixup(num_classes=10, seed=1)
    x = torch.from_numpy(batch(4))
    before = x.clone()
    with pytest.raises(ValueError):
        fn(x, torch.tensor([0, 1, 2, 99]))
    assert torch.equal(x, before) and fn.step == 0


def test_mixup_bad_step_and_batch_leave_state_alone():
    fn = mixcut.Mixup(num_classes=10, seed=1)
    x = batch(4)
    before = x.tobytes()
    for step in (-1, 1 << 56, 1.5, True):
        with pytest.raises(ValueError):
            fn(x, np.arange(4), step=step)
    assert x.tobytes() == before and fn.step == 0
    with pytest.raises(TypeError):
        fn(x.astype(np.float64), np.arange(4))
    assert fn.step == 0


def test_fast_collate_bad_labels_leave_the_count_alone():
    collate = mixcut.FastCollateMixup(num_classes=5, seed=1)
    good = [(np.zeros((3, 8, 8), np.uint8), i) for i in range(4)]
    for bad in ([(img, 5) for img, _ in good],                     # label == K
                [(img, 1.5) for img, _ in good],                   # float label
                [(img.astype(np.float32), y) for img, y in good],  # not uint8
                good[:3] + [(np.zeros((3, 8, 9), np.uint8), 0)]):  # shapes differ
        with pytest.raises((ValueError, TypeError)):
            collate(bad)
    assert collate.batch_step() == 0  # nothing was counted


def test_cutout_and_erasing_bad_calls_leave_input_and_step_alone():
    x = batch(4)
    before = x.tobytes()
    cut = mixcut.Cutout(n_holes=1, length=4, fill=[1.0, 2.0], seed=1)  # 2 values, 3 channels
    with pytest.raises(ValueError):
        cut(x)
    assert x.tobytes() == before and cut.step == 0
    big = mixcut.Cutout(n_holes=1, length=9, seed=1)  # longer than the 8 x 8 image
    with pytest.raises(ValueError):
        big(x)
    assert x.tobytes() == before and big.step == 0
    re = mixcut.RandomErasing(probability=1.0, seed=1)
    with pytest.raises(ValueError):
        re(x, step=-1)
    with pytest.raises(TypeError):
        re(x.astype(np.float64))
    assert x.tobytes() == before and re.step == 0


# ---------------------------------------------------------------------------
# Constructors check their arguments, with the messages a call would give

@pytest.mark.parametrize("kwargs,status", [
    (dict(prob=2.0), Status.ERR_BAD_PARAM),
    (dict(switch_prob=-0.1), Status.ERR_BAD_PARAM),
    (dict(mixup_alpha=-1), Status.ERR_BAD_PARAM),
    (dict(mixup_alpha=0.0, cutmix_alpha=0.0), Status.ERR_BAD_PARAM),
    (dict(cutmix_minmax=(0.8, 0.2)), Status.ERR_BAD_PARAM),
    (dict(label_smoothing=1.5), Status.ERR_BAD_PARAM),
    (dict(num_classes=0), Status.ERR_BAD_SIZE),
    (dict(mode="bogus"), Status.ERR_BAD_ENUM),
    (dict(partner="sideways"), Status.ERR_BAD_ENUM),
    (dict(layout="CHWN"), Status.ERR_BAD_LAYOUT),
])
@pytest.mark.parametrize("cls", [mixcut.Mixup, mixcut.FastCollateMixup])
def test_constructors_check_their_arguments(cls, kwargs, status):
    with pytest.raises(ValueError) as e:
        cls(**kwargs)
    assert e.value.status == status


def test_constructor_message_is_the_call_message():
    with pytest.raises(ValueError) as at_init:
        mixcut.Mixup(prob=2.0)
    with pytest.raises(ValueError) as at_plan:
        mixcut.mix_plan(2, 8, 8, seed=1, prob=2.0)
    assert str(at_init.value) == str(at_plan.value)


def test_transform_constructors_check_their_arguments():
    with pytest.raises(ValueError):
        mixcut.RandomErasing(min_area=0.5, max_area=0.1)
    with pytest.raises(ValueError):
        mixcut.RandomErasing(min_count=3, max_count=2)
    with pytest.raises(ValueError):
        mixcut.RandomErasing(min_aspect=0.0)
    with pytest.raises(ValueError):
        mixcut.Cutout(length=0)
    with pytest.raises(ValueError):
        mixcut.Cutout(n_holes=-1)
    with pytest.raises(ValueError):
        mixcut.Mixup(seed=-5)


def test_fast_collate_mixup_has_timm_signature():
    timm_mixup = pytest.importorskip("timm.data.mixup")
    ours = inspect.signature(mixcut.FastCollateMixup)
    theirs = inspect.signature(timm_mixup.FastCollateMixup)
    assert list(theirs.parameters) == list(ours.parameters)[:len(theirs.parameters)]
    for name, param in theirs.parameters.items():
        assert ours.parameters[name].default == param.default, name
    assert inspect.signature(mixcut.Mixup).parameters.keys() == ours.parameters.keys()


# ---------------------------------------------------------------------------
# One description of each record, one source of defaults, typing marker

def test_record_dtypes_come_from_the_ctypes_structs():
    for dtype, struct in ((mixcut.MIX_SAMPLE_DTYPE, MixSample),
                          (mixcut.CUTOUT_HOLE_DTYPE, CutoutHole)):
        assert dtype.itemsize == ctypes.sizeof(struct) == 32
        assert list(dtype.names) == [name for name, _ in struct._fields_]
        for name, _ in struct._fields_:
            assert dtype.fields[name][1] == getattr(struct, name).offset


def test_defaults_come_from_the_c_library():
    from mixcut.functional import cutout_policy, mix_policy
    want = MixPolicy()
    lib.mixcut_mix_policy_init(ctypes.byref(want))
    got, _ = mix_policy()
    for name, _ in MixPolicy._fields_[:-1]:
        assert getattr(got, name) == getattr(want, name), name
    want = CutoutPolicy()
    lib.mixcut_cutout_policy_init(ctypes.byref(want))
    got = cutout_policy()
    for name, _ in CutoutPolicy._fields_:
        assert getattr(got, name) == getattr(want, name), name
    # mix_plan with nothing but a seed is the C default policy's plan.
    a = mixcut.mix_plan(8, 16, 16, seed=3, step=1)
    b = mixcut.mix_plan(8, 16, 16, seed=3, step=1, mixup_alpha=1.0, cutmix_alpha=0.0, prob=1.0,
                        switch_prob=0.5, mode="batch", partner="flip", correct_lam=True)
    assert a.tobytes() == b.tobytes()


def test_package_is_typed():
    assert (pathlib.Path(mixcut.__file__).parent / "py.typed").is_file()
    assert inspect.signature(mixcut.mix_plan).return_annotation in ("np.ndarray", np.ndarray)


# ---------------------------------------------------------------------------
# multi_label (timm 1.0)

def test_multi_label_targets_through_mixup_and_collate():
    k = 6
    rows = (np.random.default_rng(1).random((4, k)) < 0.4).astype(np.float32)
    fn = mixcut.Mixup(mixup_alpha=1.0, label_smoothing=0.2, num_classes=k, multi_label=True,
                      seed=2)
    _, target = fn(batch(4), rows.copy())
    plan = fn.last_plan
    smooth = rows * 0.8 + 0.1
    lam = plan["lam"][:, None]
    want = lam * smooth + (1 - lam) * smooth[plan["partner"]]
    np.testing.assert_allclose(target, want, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError):  # dense rows of the wrong width
        fn(batch(4), np.zeros((4, k + 1), np.float32))
    with pytest.raises(ValueError):  # index labels are not multi-label targets
        fn(batch(4), np.arange(4))
    collate = mixcut.FastCollateMixup(num_classes=k, multi_label=True, label_smoothing=0.2,
                                      seed=2)
    _, target = collate([(batch(1, np.uint8)[0], rows[i]) for i in range(4)], step=0)
    plan = collate.last_plan
    lam = plan["lam"][:, None]
    want = lam * smooth + (1 - lam) * smooth[plan["partner"]]
    np.testing.assert_allclose(np.asarray(target), want, rtol=1e-6, atol=1e-6)


def test_changed_knobs_take_effect_between_calls():
    # The lean call caches the C policy; every knob change must reach it.
    fn = mixcut.Mixup(mixup_alpha=1.0, num_classes=4, seed=3)
    x = batch(4)
    fn(x, np.arange(4))
    assert (fn.last_plan["kind"] == 1).all()
    fn.mixup_enabled = False  # timm's switch (mixup_off_epoch)
    fn(x, np.arange(4))
    assert (fn.last_plan["kind"] == 0).all()
    fn.mixup_enabled = True
    fn.mixup_alpha, fn.cutmix_alpha = 0.0, 1.0
    fn(x, np.arange(4))
    assert (fn.last_plan["kind"] == 2).all()
    fn.mode = "elem"
    fn(x, np.arange(4))
    assert len(set(fn.last_plan["lam"].tolist())) > 1
    fn.mix_prob = 0.0
    fn(x, np.arange(4))
    assert (fn.last_plan["kind"] == 0).all()
    fn.mix_prob, fn.partner = 1.0, "roll"
    fn(x, np.arange(4))
    assert list(fn.last_plan["partner"]) == [3, 0, 1, 2]
    fn.partner = np.array([1, 0, 3, 2])  # an explicit array takes the general path
    fn(x, np.arange(4))
    assert list(fn.last_plan["partner"]) == [1, 0, 3, 2]
    # The same plan as the functional layer gives for the same knobs and step.
    fn.partner = "flip"
    fn(x, np.arange(4), step=9)
    want = mixcut.mix_plan(4, 8, 8, seed=3, step=9, mixup_alpha=0.0, cutmix_alpha=1.0,
                           mode="elem", partner="flip")
    assert fn.last_plan.tobytes() == want.tobytes()


def test_addresses_of_read_only_empty_and_offset_arrays():
    # data_ptr takes a ctypes view of writable buffers and numpy's interface
    # otherwise; every kind of array must give its first element's address.
    from mixcut._arrays import data_ptr
    base = np.arange(12, dtype=np.float32)
    read_only = base.copy()
    read_only.flags.writeable = False
    for a in (base, base[3:], read_only, read_only[5:], np.zeros(0, np.float32),
              np.zeros(3, mixcut.MIX_SAMPLE_DTYPE)):
        assert data_ptr(a) == a.__array_interface__["data"][0]
    # And the labels of a read-only plan and read-only targets are those of
    # writable copies.
    plan = mixcut.mix_plan(6, 8, 8, seed=3, mode="elem")
    y = np.arange(6) % 4
    want = mixcut.mix_labels(plan, y, 4, 0.1)
    plan.flags.writeable = False
    y.flags.writeable = False
    np.testing.assert_array_equal(mixcut.mix_labels(plan, y, 4, 0.1), want)
