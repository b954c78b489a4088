"""Drop-ins for torchvision.transforms.v2.MixUp and CutMix (checked against
torchvision 0.2x), backed by mixcut's kernels and keyed draws."""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Union

import numpy as np

from . import _cuda
from ._arrays import View, is_torch_tensor, torch_module
from ._keys import Keyed
from ._lib import Kind, Layout, Status, error
from .functional import MIX_SAMPLE_DTYPE, Targets, _size, cutout_plan, mix_apply, mix_plan


def _default_labels(inputs):
    """torchvision's default labels_getter for batches: the second item of a
    tuple or list, or a 'labels' (else '*label*') key of a dict."""
    if isinstance(inputs, (tuple, list)):
        if len(inputs) < 2:
            raise error(Status.ERR_SHAPE_MISMATCH, "expected (images, labels), got one item")
        inputs = inputs[1]
    if isinstance(inputs, dict):
        keys = [k for k in inputs if str(k).lower() == "labels"] or \
            [k for k in inputs if "label" in str(k).lower()]
        if not keys:
            raise error(Status.ERR_BAD_PARAM, "no label-like key in the input dict")
        return inputs[keys[0]]
    return inputs


class _MixUpCutMix(Keyed):
    """Shared by MixUp and CutMix: torchvision's constructor, call and label rule."""

    def __init__(self, *, alpha: float = 1.0, num_classes: Optional[int] = None,
                 labels_getter: Union[str, Callable[[Any], Any], None] = "default",
                 seed: Optional[int] = None, num_threads: Optional[int] = None) -> None:
        self.alpha = float(alpha)
        if not (math.isfinite(self.alpha) and self.alpha > 0):
            raise error(Status.ERR_BAD_PARAM, f"alpha = {alpha} must be finite and > 0")
        if num_classes is not None and _size(num_classes, "num_classes") < 1:
            raise error(Status.ERR_BAD_SIZE, f"num_classes = {num_classes} must be >= 1")
        self.num_classes = num_classes
        if labels_getter == "default":
            self._labels_getter = _default_labels
        elif callable(labels_getter):
            self._labels_getter = labels_getter
        elif labels_getter is None:
            self._labels_getter = lambda _: None
        else:
            raise error(Status.ERR_BAD_PARAM, "labels_getter must be 'default', a callable or "
                        f"None, got {labels_getter!r}")
        self._init_keys(seed, Layout.NCHW, num_threads)

    def _plan(self, n: int, h: int, w: int, step: int) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, *inputs, step: Optional[int] = None):
        """``out = t(images, labels)`` (or one tuple / dict): a new mixed batch
        and float soft labels [N, K]; one draw per call, partner i-1 (roll)."""
        structure = inputs if len(inputs) > 1 else inputs[0]
        labels = self._labels_getter(structure)
        if not (is_torch_tensor(labels) or isinstance(labels, np.ndarray)):
            raise error(Status.ERR_BAD_DTYPE,
                        f"the labels must be a tensor, but got {type(labels)} instead")
        if labels.ndim == 2 and self.num_classes is not None and \
                labels.shape[-1] != self.num_classes:
            raise error(Status.ERR_SHAPE_MISMATCH, f"2-D labels have {labels.shape[-1]} classes, "
                        f"num_classes = {self.num_classes}")
        if labels.ndim == 1 and self.num_classes is None:
            raise error(Status.ERR_BAD_SIZE, "num_classes is required for index (1-D) labels")

        # Check every batch and the labels before anything is computed.
        if isinstance(structure, dict):
            items = list(structure.items())
        elif isinstance(structure, (tuple, list)):
            items = list(enumerate(structure))
        else:
            items = [(0, structure)]
        views = {}
        for key, value in items:
            if value is labels or not (is_torch_tensor(value) or isinstance(value, np.ndarray)):
                continue
            if value.ndim != 4:
                raise error(Status.ERR_SHAPE_MISMATCH, "expected a batched input with 4 dims, "
                            f"but got {value.ndim} dimensions instead")
            views[key] = View(value, Layout.NCHW, "images", device_ok=True)
        if not views:
            raise error(Status.ERR_BAD_PARAM, "no image batch found in the input")
        first = next(iter(views.values()))
        for view in views.values():
            if (view.n, view.h, view.w) != (first.n, first.h, first.w):
                raise error(Status.ERR_SHAPE_MISMATCH, "image batches differ in size")
        targets = Targets(labels, first.n, self.num_classes, name="labels")
        device = _cuda.common_device([("images", view.device) for view in views.values()],
                                     [("labels", targets.device)])
        if device is not None:
            _cuda.context(device, "images")  # no CUDA backend: fail before any work
        step = self._step_for(step)

        plan = self._plan(first.n, first.h, first.w, step)
        mixed = targets.mix(plan)
        if labels.dtype in (np.float64, np.float16) or (
                is_torch_tensor(labels) and labels.dtype.is_floating_point):
            mixed = mixed.to(labels.dtype) if is_torch_tensor(mixed) else \
                mixed.astype(labels.dtype)
        outputs = {key: self._wrap(mix_apply(plan, view.obj, num_threads=self.num_threads),
                                   view.obj)
                   for key, view in views.items()}
        self.last_plan = plan
        self._advance(step)

        def rebuilt(key, value):
            return mixed if value is labels else outputs.get(key, value)

        if isinstance(structure, dict):
            return {key: rebuilt(key, value) for key, value in items}
        if isinstance(structure, (tuple, list)):
            return type(structure)(rebuilt(key, value) for key, value in items)
        return rebuilt(0, structure)

    @staticmethod
    def _wrap(out, like):
        """A tv_tensors.Image (or other Tensor subclass) back as one."""
        torch = torch_module()
        if torch is None or type(like) in (torch.Tensor, np.ndarray):
            return out
        try:
            from torchvision import tv_tensors  # noqa: PLC0415 (like is a torchvision type)
            return tv_tensors.wrap(out, like=like)
        except (ImportError, TypeError):
            return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})"


class MixUp(_MixUpCutMix):
    """torchvision.transforms.v2.MixUp: ``images, labels = MixUp(num_classes=K)(images, labels)``.

    One lam ~ Beta(alpha, alpha) per call; sample i is mixed with i-1
    (``roll(1, 0)``): out_i = lam*x_i + (1-lam)*x_{i-1}, labels likewise (1-D
    index labels become one-hot, 2-D probability labels are mixed as given).
    Returns a new batch. Differences from torchvision: lam lies on the 2^-14
    grid (uint8 and labels then agree exactly), uint8 batches work, 4-D
    (N, C, H, W) batches only (no videos), draws keyed by (seed, step) (extra
    keywords ``seed``, ``num_threads``; calls take ``step=``).
    """

    def _plan(self, n: int, h: int, w: int, step: int) -> np.ndarray:
        return mix_plan(n, h, w, seed=self.seed, step=step, mixup_alpha=self.alpha,
                        cutmix_alpha=0.0, prob=1.0, mode="batch", partner="roll")


class CutMix(_MixUpCutMix):
    """torchvision.transforms.v2.CutMix: ``images, labels = CutMix(num_classes=K)(images, labels)``.

    One draw per call: lam ~ Beta(alpha, alpha), centre (cy, cx) uniform over
    the image, half sides int(0.5*sqrt(1-lam)*H) and int(0.5*sqrt(1-lam)*W),
    box [cy - half_h, cy + half_h) x [cx - half_w, cx + half_w) clamped to the
    image (torchvision's law: even sides, unlike timm's); the box comes from
    x_{i-1} (``roll(1, 0)``), and the labels use the lam corrected to the box,
    1 - area/(H*W), as torchvision always does. Returns a new batch. Same
    differences as :class:`MixUp` (lam drawn on the 2^-14 grid before the box
    is sized).
    """

    def _plan(self, n: int, h: int, w: int, step: int) -> np.ndarray:
        # mixcut's keyed draws: lam from the Mixup lam stream of a batch draw,
        # the centre from a 1 x 1 Cutout hole (centre uniform over the image).
        lam = float(mix_plan(2, h, w, seed=self.seed, step=step, mixup_alpha=self.alpha,
                             cutmix_alpha=0.0, prob=1.0, mode="batch",
                             partner="roll")["lam"][0])
        centre = cutout_plan(1, h, w, seed=self.seed, step=step, form="holes", prob=1.0,
                             min_count=1, max_count=1, length=1)[0]
        cy, cx = int(centre["y0"]), int(centre["x0"])
        r = 0.5 * math.sqrt(1.0 - lam)
        half_h, half_w = int(r * h), int(r * w)
        y0, y1 = max(cy - half_h, 0), min(cy + half_h, h)
        x0, x1 = max(cx - half_w, 0), min(cx + half_w, w)
        plan = np.zeros(n, dtype=MIX_SAMPLE_DTYPE)
        plan["partner"] = (np.arange(n) - 1) % n
        plan["lam"] = 1.0 - (y1 - y0) * (x1 - x0) / (h * w)
        plan["kind"] = int(Kind.CUTMIX)
        plan["y0"], plan["x0"], plan["y1"], plan["x1"] = y0, x0, y1, x1
        if n == 1:  # paired with itself: unchanged
            plan[0] = (0, 1.0, int(Kind.NONE), 0, 0, 0, 0)
        return plan
