"""timm's RandomErasing and the original Cutout, per sample, at kernel speed."""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from ._arrays import View, as_numpy, parse_layout, torch_module
from ._keys import Keyed
from ._lib import Status, error
from .collate import Gathered, cutout_apply_gather
from .functional import _dtype_arg, _FillArg, _size, cutout_apply, cutout_plan


class _Collate(Keyed):
    """``collate(batch)`` for the cutout transforms: a DataLoader collate_fn."""

    def collate(self, batch, step: Optional[int] = None, *, out_dtype=None, out_layout=None,
                mean=None, std=None):
        """A list of images, or of (image, label) pairs, into one batch with
        this transform's holes, in one pass (mixcut_cutout_apply_gather: each
        image read once, the batch written once; the same bytes as stacking
        the images and then calling the transform). ``out_dtype`` /
        ``out_layout`` / ``mean`` / ``std`` convert in that pass (the fill is
        in the output's units). Returns the batch, or (batch, labels) for
        pairs; torch tensors when torch is imported, else numpy arrays.
        """
        if len(batch) == 0:
            raise error(Status.ERR_BAD_SIZE, "empty batch")
        pairs = isinstance(batch[0], (tuple, list))
        images = Gathered([b[0] if pairs else b for b in batch], self.layout, "image")
        labels = np.array([as_numpy(b[1], "label") for b in batch]) if pairs else None
        step = self._step_for(step)
        holes = self._holes(images.n, images.h, images.w, step)
        torch = torch_module()
        layout = images.layout if out_layout is None else parse_layout(out_layout)
        dtype = images.dtype if out_dtype is None else _dtype_arg(out_dtype)
        out = images.new_batch(dtype, layout, torch is not None)
        cutout_apply_gather(holes, images, out, fill=self.fill, out_layout=layout, mean=mean,
                            std=std, num_threads=self.num_threads)
        self.last_plan = holes
        self._advance(step)
        if not pairs:
            return out
        return out, (torch.from_numpy(labels) if torch is not None else labels)


class RandomErasing(_Collate):
    """timm.data.RandomErasing: erase random boxes per sample, in place.

    Arguments as timm: ``probability`` per sample; ``min_area``/``max_area``
    the area fraction (divided by the box count); aspect log-uniform in
    [min_aspect, max_aspect or 1/min_aspect]; up to 10 tries for a box inside
    the image; ``mode`` 'const' (zeros), 'rand' (one normal value per channel
    per box) or 'pixel' (per-pixel normal noise; uniform 0..255 for uint8);
    ``min_count``..``max_count`` boxes; ``num_splits`` > 1 leaves the first
    N / num_splits samples clean (AugMix splits). ``device`` is accepted for
    compatibility; the tensor's own device decides: CUDA tensors are erased
    on torch's current stream without waiting, the same boxes and noise as on
    the CPU for the same seed and step.
    Works on a C x H x W image or an N x C x H x W batch, numpy or torch,
    uint8 or float32. Extra keywords: seed, layout, num_threads; calls take an
    optional ``step`` (else an internal counter).
    """

    def __init__(self, probability: float = 0.5, min_area: float = 0.02, max_area: float = 1 / 3,
                 min_aspect: float = 0.3, max_aspect: Optional[float] = None, mode: str = "const",
                 min_count: int = 1, max_count: Optional[int] = None, num_splits: int = 0,
                 device: str = "cuda", *, seed: Optional[int] = None, layout: str = "NCHW",
                 num_threads: Optional[int] = None) -> None:
        self.probability = probability
        self.min_area = min_area
        self.max_area = max_area
        if not min_aspect > 0 or (max_aspect is not None and not max_aspect > 0):
            raise error(Status.ERR_BAD_PARAM, f"aspect range ({min_aspect}, {max_aspect}) must be "
                        "positive")
        max_aspect = max_aspect or 1 / min_aspect
        self.log_aspect_ratio = (math.log(min_aspect), math.log(max_aspect))
        self.aspect = (min_aspect, max_aspect)
        self.min_count = min_count
        self.max_count = max_count or min_count
        self.num_splits = _size(num_splits, "num_splits")
        self.mode = (mode or "const").lower()
        fills = {"const": 0.0, "rand": "rand", "pixel": "pixel"}
        if self.mode not in fills:
            raise error(Status.ERR_BAD_ENUM,
                        f"mode must be 'const', 'rand' or 'pixel', got {mode!r}")
        self.fill = fills[self.mode]
        self.device = device
        self._init_keys(seed, parse_layout(layout), num_threads)
        self.plan(0, 1, 1, 0)  # the C library checks the policy now, not at the first call

    def plan(self, n: int, h: int, w: int, step: int):
        return cutout_plan(n, h, w, seed=self.seed, step=step, form="erasing",
                           prob=self.probability, min_count=self.min_count,
                           max_count=self.max_count, scale=(self.min_area, self.max_area),
                           ratio=self.aspect)

    def _holes(self, n: int, h: int, w: int, step: int):
        holes = self.plan(n, h, w, step)
        batch_start = n // self.num_splits if self.num_splits > 1 else 0
        return holes[holes["sample"] >= batch_start] if batch_start else holes

    def __call__(self, input, step: Optional[int] = None):
        view = View(input, self.layout, "input", writable=True, device_ok=True)
        step = self._step_for(step)
        holes = self._holes(view.n, view.h, view.w, step)
        out = cutout_apply(holes, input, fill=self.fill, layout=self.layout, inplace=True,
                           num_threads=self.num_threads)
        self.last_plan = holes
        self._advance(step)
        return out

    def __repr__(self):
        return (f"{type(self).__name__}(p={self.probability}, mode={self.mode}, "
                f"count=({self.min_count}, {self.max_count}))")


class Cutout(_Collate):
    """DeVries & Taylor's Cutout: ``n_holes`` squares of side ``length``.

    Centres uniform over the image, boxes [c - length//2, c + length//2)
    clipped at the borders (edge holes are smaller), filled with ``fill``
    (a number or one value per channel; 0 = the mean of normalised data, as
    the original's mask multiply). Every sample of a batch gets its own holes.
    Works in place on a C x H x W image or an N x C x H x W batch (numpy or
    torch, CPU or CUDA) and returns it; ``inplace=False`` returns a filled copy
    instead.
    """

    def __init__(self, n_holes: int = 1, length: int = 16, fill=0.0, *, inplace: bool = True,
                 seed: Optional[int] = None, layout: str = "NCHW",
                 num_threads: Optional[int] = None) -> None:
        self.n_holes = n_holes
        self.length = length
        self.fill = fill
        self.inplace = inplace
        self._init_keys(seed, parse_layout(layout), num_threads)
        side = max(1, _size(length, "length"))
        self.plan(0, side, side, 0)  # checks counts and length now (the image size at calls)

    def plan(self, n: int, h: int, w: int, step: int):
        return cutout_plan(n, h, w, seed=self.seed, step=step, form="holes",
                           min_count=self.n_holes, max_count=self.n_holes, length=self.length)

    _holes = plan

    def __call__(self, img, step: Optional[int] = None):
        view = View(img, self.layout, "img", writable=self.inplace, device_ok=True)
        _FillArg(self.fill, view.c)  # a bad fill fails before the step advances
        step = self._step_for(step)
        holes = self.plan(view.n, view.h, view.w, step)
        out = cutout_apply(holes, img, fill=self.fill, layout=self.layout, inplace=self.inplace,
                           num_threads=self.num_threads)
        self.last_plan = holes
        self._advance(step)
        return out
