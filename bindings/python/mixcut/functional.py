"""The functional layer: plans as numpy structured arrays, and their application.

A plan is data: ``mix_plan`` returns one ``MIX_SAMPLE_DTYPE`` record per
sample (partner, lam, kind, box), ``cutout_plan`` one ``CUTOUT_HOLE_DTYPE``
record per hole slot. Inspect them, store them, or build your own and hand
them to ``mix_apply`` / ``cutout_apply``.
"""

from __future__ import annotations

import ctypes
import numbers
import sys
from typing import Optional, Sequence, Tuple

import numpy as np

from . import _cuda
from ._arrays import (NormalizeArg, View, as_numpy, data_ptr, is_torch_tensor, new_like,
                      parse_layout, torch_module)
from ._keys import u64
from ._lib import (CutoutForm, CutoutHole, CutoutPolicy, DType, Fill, FillKind, Kind, MixPolicy,
                   MixSample, Mode, Partner, Status, check, error, lib, thread_context)

#: One mixcut_mix_sample (32 bytes): partner, lam, kind, box [y0, y1) x [x0, x1).
#: Derived from the ctypes struct, the one description of the record.
MIX_SAMPLE_DTYPE = np.dtype(MixSample)

#: One mixcut_cutout_hole (32 bytes): sample, box [y0, y1) x [x0, x1), noise_key.
CUTOUT_HOLE_DTYPE = np.dtype(CutoutHole)


def _enum(enum_type, value, what):
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type[str(value).upper()]
    except KeyError:
        names = ", ".join(repr(m.name.lower()) for m in enum_type)
        raise error(Status.ERR_BAD_ENUM, f"{what} must be one of {names}, got {value!r}") \
                    from None


def _size(value, what):
    if type(value) is not int and (not isinstance(value, numbers.Integral)
                                   or isinstance(value, bool)):
        raise error(Status.ERR_BAD_SIZE, f"{what} must be an integer, got {value!r}")
    return int(value)


def _ctx(ctx, num_threads):
    if ctx is not None:
        return ctx.handle
    return thread_context(num_threads).handle


def _plan_array(plan, dtype, what):
    if not isinstance(plan, np.ndarray) or plan.dtype != dtype:
        raise error(Status.ERR_BAD_DTYPE,
                    f"{what} must be a numpy array of dtype mixcut.{what.upper()}_DTYPE")
    if plan.ndim != 1 or not plan.flags.c_contiguous:
        raise error(Status.ERR_BAD_LAYOUT, f"{what} must be a 1-D C-contiguous array")
    return plan


def _seed(seed):
    if seed is None:
        raise error(Status.ERR_BAD_PARAM, "seed is required (an integer in [0, 2^64))")
    return u64(seed, "seed")


# ---------------------------------------------------------------------------
# Mixup / CutMix

def mix_policy(mixup_alpha: Optional[float] = None, cutmix_alpha: Optional[float] = None,
               cutmix_minmax: Optional[Sequence[float]] = None, prob: Optional[float] = None,
               switch_prob: Optional[float] = None, mode=None, partner=None,
               correct_lam: Optional[bool] = None):
    """A mixcut_mix_policy struct (and the partner array it points to, if any).

    Every argument left None keeps mixcut_mix_policy_init's default, the one
    source of defaults (timm's): mixup_alpha 1, cutmix_alpha 0, minmax off,
    prob 1, switch_prob 0.5, mode 'batch', partner 'flip', correct_lam True.
    """
    policy = MixPolicy()
    check(lib.mixcut_mix_policy_init(ctypes.byref(policy)), "mixcut_mix_policy_init")
    if mixup_alpha is not None:
        policy.mixup_alpha = float(mixup_alpha)
    if cutmix_alpha is not None:
        policy.cutmix_alpha = float(cutmix_alpha)
    if cutmix_minmax is not None:
        if len(cutmix_minmax) != 2:
            raise error(Status.ERR_BAD_PARAM, "cutmix_minmax must be (min, max)")
        policy.cutmix_minmax_lo, policy.cutmix_minmax_hi = map(float, cutmix_minmax)
    if prob is not None:
        policy.prob = float(prob)
    if switch_prob is not None:
        policy.switch_prob = float(switch_prob)
    if mode is not None:
        policy.mode = int(_enum(Mode, mode, "mode"))
    if correct_lam is not None:
        policy.correct_lam = 1 if correct_lam else 0
    keepalive = None
    if partner is None:
        pass
    elif isinstance(partner, (str, Partner)):
        rule = _enum(Partner, partner, "partner")
        if rule == Partner.EXPLICIT:
            raise error(Status.ERR_BAD_PARAM, "partner='explicit' needs an index array: "
                        "pass the array itself as partner")
        policy.partner = int(rule)
    else:
        keepalive = np.ascontiguousarray(as_numpy(partner, "partner"), dtype=np.int64)
        if keepalive.ndim != 1:
            raise error(Status.ERR_SHAPE_MISMATCH, "partner indices must be 1-D")
        policy.partner = int(Partner.EXPLICIT)
        policy.partner_index = keepalive.ctypes.data_as(ctypes.POINTER(ctypes.c_int64))
    return policy, keepalive


def mix_plan(n: int, h: int, w: int, *, seed: int, step: int = 0,
             mixup_alpha: Optional[float] = None, cutmix_alpha: Optional[float] = None,
             cutmix_minmax: Optional[Sequence[float]] = None, prob: Optional[float] = None,
             switch_prob: Optional[float] = None, mode=None, partner=None,
             correct_lam: Optional[bool] = None) -> np.ndarray:
    """Plan Mixup/CutMix for n samples of h x w pixels: a MIX_SAMPLE_DTYPE array.

    A pure function of its arguments: the same (seed, step) gives the same plan
    in any process. ``partner`` is 'flip', 'roll', 'permutation' or an array of
    n partner indices. Arguments left None take the C library's defaults (see
    :func:`mix_policy`).
    """
    n, h, w = _size(n, "n"), _size(h, "h"), _size(w, "w")
    policy, keepalive = mix_policy(mixup_alpha, cutmix_alpha, cutmix_minmax, prob, switch_prob,
                                   mode, partner, correct_lam)
    if keepalive is not None and len(keepalive) != n:
        raise error(Status.ERR_SHAPE_MISMATCH,
                    f"partner has {len(keepalive)} indices for n = {n} samples")
    out = np.zeros(max(n, 0), dtype=MIX_SAMPLE_DTYPE)
    check(lib.mixcut_mix_plan(ctypes.byref(policy), _seed(seed), u64(step, "step"), n, h, w,
                              out.ctypes.data), "mixcut_mix_plan")
    del keepalive
    return out


def _out_view(x_view, out, out_layout, out_dtype, name="out"):
    if out is None:
        layout = parse_layout(out_layout) if out_layout is not None else x_view.layout
        dtype = x_view.dtype if out_dtype is None else out_dtype
        out = new_like(x_view, dtype, layout)
        return out, View(out, layout, name, writable=True, device_ok=True)
    if out_layout is None:
        out_layout = x_view.layout
    return out, View(out, out_layout, name, writable=True, device_ok=True)


def _handle(ctx, num_threads, view, out):
    """The ctx of a call on x (view) into out (None: a new batch like x). x and
    out must share a device; for CUDA tensors the ctx runs on torch's current
    stream of it. Both are checked here, before anything is allocated or written."""
    if out is not None:
        out_device = _cuda.device_of(out) if is_torch_tensor(out) else None
        _cuda.common_device([("x", view.device), ("out", out_device)])
    if view.device is None:
        return _ctx(ctx, num_threads)
    return _cuda.handle(view.device, ctx)


def _call(fn, device, *args):
    return fn(*args) if device is None else _cuda.call(device, fn, *args)


def _dtype_arg(out_dtype):
    if out_dtype is None:
        return None
    if isinstance(out_dtype, (str, type, np.dtype)):
        try:
            name = np.dtype(out_dtype).name
        except TypeError:
            name = str(out_dtype)
    else:  # torch.dtype
        name = str(out_dtype).replace("torch.", "")
    if name in ("uint8", "u1"):
        return DType.UINT8
    if name in ("float32", "f4"):
        return DType.FLOAT32
    raise error(Status.ERR_BAD_DTYPE,
                f"out_dtype must be uint8 or float32, got {out_dtype!r}")


def _norm(mean, std, x_view, out_view):
    if mean is None and std is None:
        return None
    if not (x_view.dtype == DType.UINT8 and out_view.dtype == DType.FLOAT32):
        raise error(Status.ERR_BAD_DTYPE, "mean/std apply only to uint8 -> float32")
    return NormalizeArg(mean, std, x_view.c)


def mix_apply(plan, x, out=None, *, layout="NCHW", out_layout=None, out_dtype=None, mean=None,
              std=None, inplace=False, num_threads=None, ctx=None):
    """Apply a mix plan to the batch x.

    In place when ``inplace=True`` (or ``out is x``); otherwise into ``out``
    (allocated like x when None, with ``out_layout`` / ``out_dtype``; uint8 ->
    float32 is scaled by 1/255 and normalised by mean/std in the same pass).
    Returns the output (x itself in place), of x's type (numpy or torch, on x's
    device: CUDA tensors run on torch's current stream, without waiting).
    """
    plan = _plan_array(plan, MIX_SAMPLE_DTYPE, "mix_sample")
    xv = View(x, layout, "x", writable=inplace or out is x, device_ok=True)
    handle = _handle(ctx, num_threads, xv, out)
    if inplace or out is x:
        out, ov = x, xv
    else:
        out, ov = _out_view(xv, out, out_layout, _dtype_arg(out_dtype))
    if len(plan) != xv.n:
        raise error(Status.ERR_SHAPE_MISMATCH,
                    f"plan has {len(plan)} records for a batch of {xv.n}")
    norm = _norm(mean, std, xv, ov)
    check(_call(lib.mixcut_mix_apply, xv.device, handle, plan.ctypes.data, xv.ref(), ov.ref(),
                norm.ref() if norm else None), "mixcut_mix_apply")
    return out


_FLOATS = (np.float16, np.float32, np.float64)
_LABEL_FUNCTIONS = {"hard": "mixcut_mix_labels", "soft": "mixcut_mix_soft_labels",
                    "multi": "mixcut_mix_multi_labels"}


class Targets:
    """Labels checked and converted before anything is written or advanced.

    ``kind`` is 'hard' (n integers, needs num_classes), 'soft' (n x K floats)
    or 'multi' (timm's multi_label: dense n x K rows, num_classes = K). The
    values themselves (labels in [0, K), finite floats) are checked by the C
    library when :meth:`mix` runs, which callers do before touching pixels.
    A CUDA tensor stays on its device (``device``; None on the host): the
    host never reads it, so a label outside [0, K) makes its row NaN there.
    """

    __slots__ = ("kind", "array", "k", "torch", "device")

    def __init__(self, target, n: int, num_classes: Optional[int] = None,
                 multi_label: bool = False, name: str = "target") -> None:
        self.torch = is_torch_tensor(target)
        self.device = _cuda.device_of(target) if self.torch else None
        if self.device is None:
            t = np.asarray(as_numpy(target, name))
            dtype = t.dtype
        else:  # the same checks on the device tensor's shape and dtype
            t, dtype = target, _cuda.host_dtype(target, name)
        if t.ndim not in (1, 2):
            raise error(Status.ERR_SHAPE_MISMATCH, f"{name} must be 1-D hard or 2-D soft labels, "
                        f"got shape {t.shape}")
        if len(t) != n:
            raise error(Status.ERR_SHAPE_MISMATCH, f"{name} has {len(t)} rows for a batch of {n}")
        if num_classes is not None:
            num_classes = _size(num_classes, "num_classes")
            if num_classes < 1:
                raise error(Status.ERR_BAD_SIZE, f"num_classes = {num_classes} must be >= 1")
        if multi_label:
            if t.ndim != 2 or (num_classes is not None and t.shape[1] != num_classes):
                raise error(Status.ERR_SHAPE_MISMATCH,
                            f"multi_label needs dense targets shaped (batch, num_classes = "
                            f"{num_classes}), got {t.shape}")
            if dtype.kind not in "biuf":
                raise error(Status.ERR_BAD_DTYPE, f"{name} must be numeric, got {t.dtype}")
            self.kind, self.k = "multi", t.shape[1]
            self.array = self._contiguous(t, np.float32)
        elif t.ndim == 1:
            if dtype.kind not in "iu":
                raise error(Status.ERR_BAD_DTYPE, f"hard labels must be integers, got {t.dtype}")
            if num_classes is None:
                raise error(Status.ERR_BAD_SIZE, "num_classes is required for hard labels")
            self.kind, self.k = "hard", num_classes
            self.array = self._contiguous(t, np.int64)
        else:
            if dtype not in _FLOATS:
                raise error(Status.ERR_BAD_DTYPE, f"soft labels must be floats, got {t.dtype}")
            if num_classes is not None and num_classes != t.shape[1]:
                raise error(Status.ERR_SHAPE_MISMATCH,
                            f"soft labels have {t.shape[1]} classes, num_classes = {num_classes}")
            self.kind, self.k = "soft", t.shape[1]
            self.array = self._contiguous(t, np.float32)

    def _contiguous(self, t, dtype):
        """t as a C-contiguous array of dtype (on the device: a device copy if needed)."""
        if self.device is None:
            return np.ascontiguousarray(t, dtype=dtype)
        torch = sys.modules["torch"]
        return t.to(torch.int64 if dtype is np.int64 else torch.float32).contiguous()

    def mix(self, plan: np.ndarray, label_smoothing: float = 0.0, plan_ptr: int = 0):
        """float32 [n, K] targets for the plan, numpy or torch like the input,
        on its device (``plan_ptr``: the plan's address when the caller already
        has it)."""
        if self.device is not None:
            return _cuda.mix_targets(self.kind, self.array, plan, self.k, label_smoothing,
                                     plan_ptr)
        n, k, eps = len(plan), self.k, float(label_smoothing)
        if self.torch:  # a torch tensor from the start (torch.from_numpy costs 1 us more)
            torch = torch_module()
            out = torch.empty((n, k), dtype=torch.float32)
            out_ptr = out.data_ptr()
        else:
            out = np.empty((n, k), dtype=np.float32)
            out_ptr = data_ptr(out)
        name = _LABEL_FUNCTIONS[self.kind]
        check(getattr(lib, name)(plan_ptr or data_ptr(plan), n, data_ptr(self.array), k, eps,
                                 out_ptr), name)
        return out


def mix_labels(plan: np.ndarray, target, num_classes: Optional[int] = None,
               label_smoothing: float = 0.0, multi_label: bool = False):
    """Soft targets float32 [n, K] for the plan: lam*smooth(y_i) + (1-lam)*smooth(y_j).

    ``target``: hard labels (n integers; needs num_classes), soft labels
    (n x K floats; smooth(p) = p*(1-eps) + eps/K), or with ``multi_label``
    dense multi-hot rows (timm 1.0; smooth(y) = y*(1-eps) + 0.5*eps). Returns
    the type target has (numpy or torch), on its device (CUDA targets are
    mixed there on torch's current stream, bit for bit as on the host).
    """
    plan = _plan_array(plan, MIX_SAMPLE_DTYPE, "mix_sample")
    return Targets(target, len(plan), num_classes, multi_label).mix(plan, label_smoothing)


# ---------------------------------------------------------------------------
# Cutout / RandomErasing

def cutout_policy(form=None, prob: Optional[float] = None, min_count: Optional[int] = None,
                  max_count: Optional[int] = None, length: Optional[int] = None,
                  scale: Optional[Tuple[float, float]] = None,
                  ratio: Optional[Tuple[float, float]] = None):
    """A mixcut_cutout_policy struct. Arguments left None keep
    mixcut_cutout_policy_init's defaults (form 'holes', prob 1, 1 hole, length
    16, scale (0.02, 1/3), ratio (0.3, 1/0.3)); max_count None with a
    min_count given means exactly min_count holes."""
    policy = CutoutPolicy()
    check(lib.mixcut_cutout_policy_init(ctypes.byref(policy)), "mixcut_cutout_policy_init")
    if form is not None:
        policy.form = int(_enum(CutoutForm, form, "form"))
    if prob is not None:
        policy.prob = float(prob)
    if max_count is None and min_count is not None:
        max_count = min_count
    for name, value in (("min_count", min_count), ("max_count", max_count), ("length", length)):
        if value is None:
            continue
        value = _size(value, name)
        if not -(1 << 31) <= value < (1 << 31):
            raise error(Status.ERR_BAD_SIZE, f"{name} = {value} does not fit int32")
        setattr(policy, name, value)
    if scale is not None:
        policy.scale_lo, policy.scale_hi = map(float, scale)
    if ratio is not None:
        policy.ratio_lo, policy.ratio_hi = map(float, ratio)
    return policy


def cutout_plan(n: int, h: int, w: int, *, seed: int, step: int = 0, form=None,
                prob: Optional[float] = None, min_count: Optional[int] = None,
                max_count: Optional[int] = None, length: Optional[int] = None,
                scale: Optional[Tuple[float, float]] = None,
                ratio: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """Plan holes for n samples: a CUTOUT_HOLE_DTYPE array of n * max_count records.

    Sample i owns records [i*max_count, (i+1)*max_count); unused ones have an
    empty box. form='holes' is DeVries & Taylor's Cutout (squares of side
    ``length``, clipped); form='erasing' is RandomErasing (``scale`` area
    fraction, ``ratio`` aspect range, box inside the image). Arguments left
    None take the C library's defaults (see :func:`cutout_policy`).
    """
    n, h, w = _size(n, "n"), _size(h, "h"), _size(w, "w")
    policy = cutout_policy(form, prob, min_count, max_count, length, scale, ratio)
    slots = max(n, 0) * max(policy.max_count, 0)
    out = np.zeros(slots, dtype=CUTOUT_HOLE_DTYPE)
    count = ctypes.c_int64(0)
    check(lib.mixcut_cutout_plan(ctypes.byref(policy), _seed(seed), u64(step, "step"), n, h, w,
                                 out.ctypes.data if slots else None, ctypes.byref(count)),
          "mixcut_cutout_plan")
    return out[:count.value]


class _FillArg:
    def __init__(self, fill, channels):
        self.struct = Fill()
        self._values = None
        if isinstance(fill, str):
            name = fill.lower()
            kinds = {"const": FillKind.CONSTANT, "constant": FillKind.CONSTANT,
                     "pixel": FillKind.NOISE, "noise": FillKind.NOISE,
                     "rand": FillKind.CHANNEL_NOISE, "channel_noise": FillKind.CHANNEL_NOISE}
            if name not in kinds:
                raise error(Status.ERR_BAD_ENUM, f"unknown fill {fill!r}: use a number, "
                            "per-channel values, 'const', 'pixel'/'noise' or "
                            "'rand'/'channel_noise'")
            self.struct.kind = int(kinds[name])
            self.struct.value = 0.0
        elif isinstance(fill, numbers.Real):
            self.struct.kind = int(FillKind.CONSTANT)
            self.struct.value = float(fill)
        else:
            values = np.ascontiguousarray(as_numpy(fill, "fill"), dtype=np.float32).reshape(-1)
            if len(values) != channels:
                raise error(Status.ERR_BAD_SIZE,
                            f"fill has {len(values)} values for {channels} channels")
            self._values = values
            self.struct.kind = int(FillKind.CHANNEL)
            self.struct.channel_values = values.ctypes.data_as(ctypes.POINTER(ctypes.c_float))

    def ref(self):
        return ctypes.byref(self.struct)


def cutout_apply(holes, x, out=None, *, fill=0.0, layout="NCHW", out_layout=None, out_dtype=None,
                 mean=None, std=None, inplace=False, num_threads=None, ctx=None):
    """Fill the holes of a cutout plan in x (in place) or in out (copy + fill).

    fill: a number, one value per channel, 'pixel' (per-element noise) or
    'rand' (one noise value per channel per hole); in the output's units.
    """
    holes = _plan_array(holes, CUTOUT_HOLE_DTYPE, "cutout_hole")
    xv = View(x, layout, "x", writable=inplace or out is x, device_ok=True)
    fill_arg = _FillArg(fill, xv.c)
    handle = _handle(ctx, num_threads, xv, out)
    if inplace or out is x:
        out, ov = x, xv
    else:
        out, ov = _out_view(xv, out, out_layout, _dtype_arg(out_dtype))
    norm = _norm(mean, std, xv, ov)
    check(_call(lib.mixcut_cutout_apply, xv.device, handle,
                holes.ctypes.data if len(holes) else None, len(holes), fill_arg.ref(), xv.ref(),
                ov.ref(), norm.ref() if norm else None), "mixcut_cutout_apply")
    return out


def cutout(x, *, seed, step=0, n_holes=1, length=16, fill=0.0, layout="NCHW", num_threads=None):
    """Cutout in place on a batch (or one image): n_holes squares of side length."""
    xv = View(x, layout, "x", writable=True, device_ok=True)
    holes = cutout_plan(xv.n, xv.h, xv.w, seed=seed, step=step, form="holes",
                        min_count=n_holes, max_count=n_holes, length=length)
    return cutout_apply(holes, x, fill=fill, layout=layout, inplace=True, num_threads=num_threads)


def smooth_one_hot(labels, num_classes, label_smoothing=0.0):
    """timm's smoothed one-hot targets (no mixing), float32 [n, K], on the
    labels' device."""
    if not (is_torch_tensor(labels) and _cuda.device_of(labels) is not None):
        labels = np.asarray(as_numpy(labels, "labels"))
    plan = np.zeros(len(labels), dtype=MIX_SAMPLE_DTYPE)
    plan["partner"] = np.arange(len(labels))
    plan["lam"] = 1.0
    plan["kind"] = int(Kind.NONE)
    return mix_labels(plan, labels, num_classes, label_smoothing)

