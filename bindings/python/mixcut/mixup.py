"""Drop-in replacements for timm.data.Mixup and timm.data.FastCollateMixup (timm 1.0)."""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Optional, Sequence

import numpy as np

from . import _cuda
from ._arrays import View, as_numpy, data_ptr, parse_layout, torch_module
from ._keys import Keyed
from ._lib import DType, Kind, Status, check, error, lib, thread_context
from .collate import Gathered, mix_apply_gather
from .functional import MIX_SAMPLE_DTYPE, Targets, _dtype_arg, _size, mix_plan, mix_policy


class Mixup(Keyed):
    """timm's Mixup/CutMix, applied by mixcut: ``x, target = mixup_fn(x, target)``.

    Same constructor and call convention as ``timm.data.Mixup`` (timm 1.0,
    ``multi_label`` included): x (an N x C x H x W batch, numpy or torch,
    uint8 or float32) is mixed in place and the soft targets come back as
    float32 [N, num_classes] of target's type, on target's device. CUDA
    tensors are mixed on torch's current stream without waiting for the GPU,
    with the same pixels as on the CPU for the same seed and step. Bad arguments raise at
    construction; a call that raises has changed neither x nor the step.

    Differences from timm: odd batch sizes and N = 1 work (a sample paired
    with itself is left unchanged); 'pair' and 'elem' run as fast as 'batch';
    draws are keyed by (seed, step), not a global RNG; Mixup's lam is on the
    2^-14 grid (so uint8 pixels and labels agree exactly).

    Extra keyword arguments:
      seed: 64-bit seed; default drawn from the OS once, at construction.
        Fold the distributed rank into it (e.g. seed = base + rank).
      partner: 'flip' (timm, i <-> N-1-i), 'roll' (torchvision, i <- i-1),
        'permutation' (a seeded randperm, as in the papers' code).
      layout: 'NCHW' (default) or 'NHWC' for the batch's memory layout. A
        channels_last torch tensor is recognised automatically.
      num_threads: threads per call (None: OpenMP's default).
    Each call uses ``step`` (pass it, or the internal counter self.step is
    used and advanced): the same seed and step give the same result anywhere.
    """

    _modes = ("batch", "pair", "elem")

    def __init__(self, mixup_alpha: float = 1., cutmix_alpha: float = 0.,
                 cutmix_minmax: Optional[Sequence[float]] = None, prob: float = 1.0,
                 switch_prob: float = 0.5, mode: str = "batch", correct_lam: bool = True,
                 label_smoothing: float = 0.1, num_classes: int = 1000, multi_label: bool = False,
                 *, seed: Optional[int] = None, partner="flip", layout: str = "NCHW",
                 num_threads: Optional[int] = None) -> None:
        self.mixup_alpha = mixup_alpha
        self.cutmix_alpha = cutmix_alpha
        self.cutmix_minmax = cutmix_minmax
        if self.cutmix_minmax is not None:
            if len(self.cutmix_minmax) != 2:
                raise error(Status.ERR_BAD_PARAM, "cutmix_minmax must be (min, max)")
            self.cutmix_alpha = 1.0  # as timm: minmax forces CutMix on
        self.mix_prob = prob
        self.switch_prob = switch_prob
        self.label_smoothing = label_smoothing
        self.num_classes = num_classes
        self.multi_label = bool(multi_label)
        if str(mode).lower() not in self._modes:
            raise error(Status.ERR_BAD_ENUM, f"mode must be one of {self._modes}, got {mode!r}")
        self.mode = str(mode).lower()
        self.correct_lam = correct_lam
        self.mixup_enabled = True  # timm's switch (e.g. mixup_off_epoch)
        self.partner = partner
        self._init_keys(seed, parse_layout(layout), num_threads)
        self._check_arguments()

    def _check_arguments(self) -> None:
        """Every argument, checked now with the messages a call would give."""
        if self.num_threads is not None and (_size(self.num_threads, "num_threads") < 0):
            raise error(Status.ERR_BAD_PARAM, f"num_threads must be >= 0, got {self.num_threads}")
        n = 0 if isinstance(self.partner, str) else len(self.partner)
        self.plan(n, 1, 1, 0, mode="elem" if self.mode == "half" else None)  # the C library checks
        check(lib.mixcut_mix_labels(None, 0, None, _size(self.num_classes, "num_classes"),
                                    float(self.label_smoothing), None), "mixcut_mix_labels")

    def _policy_kwargs(self, mode):
        return dict(mixup_alpha=self.mixup_alpha, cutmix_alpha=self.cutmix_alpha,
                    cutmix_minmax=self.cutmix_minmax,
                    prob=self.mix_prob if self.mixup_enabled else 0.0,
                    switch_prob=self.switch_prob, mode=mode, partner=self.partner,
                    correct_lam=self.correct_lam)

    def plan(self, n: int, h: int, w: int, step: int, mode: Optional[str] = None) -> np.ndarray:
        """The plan this object applies to a batch of n x h x w at ``step``."""
        return mix_plan(n, h, w, seed=self.seed, step=step,
                        **self._policy_kwargs(mode or self.mode))

    def _plan_fast(self, n: int, h: int, w: int, step: int):
        """(plan, its address): self.plan without rebuilding the C policy
        while the knobs stay the same (explicit partner arrays take the
        general path)."""
        if not isinstance(self.partner, str):
            plan = self.plan(n, h, w, step)
            return plan, data_ptr(plan)
        # Every attribute _policy_kwargs reads (compared with ==, never hashed).
        key = (self.mixup_alpha, self.cutmix_alpha, self.cutmix_minmax, self.mix_prob,
               self.mixup_enabled, self.switch_prob, self.mode, self.partner, self.correct_lam)
        if self._policy_cache is None or self._policy_cache[0] != key:
            self._policy_cache = (key, mix_policy(**self._policy_kwargs(self.mode))[0])
        plan = np.empty(n, dtype=MIX_SAMPLE_DTYPE)
        ptr = data_ptr(plan)
        check(lib.mixcut_mix_plan(ctypes.byref(self._policy_cache[1]), self.seed, step, n, h, w,
                                  ptr), "mixcut_mix_plan")
        return plan, ptr

    _policy_cache = None

    def __call__(self, x, target, step: Optional[int] = None):
        # Everything is checked before x is written or the step advances: the
        # targets are mixed first (the C library checks label values there).
        # One view of x, one plan address and a cached policy keep the Python
        # overhead per call small.
        view = View(x, self.layout, "x", writable=True, device_ok=True)
        targets = Targets(target, view.n, self.num_classes, self.multi_label)
        device = view.device
        if device is not None or targets.device is not None:
            device = _cuda.common_device([("x", device)], [("target", targets.device)])
        ctx = thread_context(self.num_threads) if device is None else _cuda.context(device)
        step = self._step_for(step)
        plan, ptr = self._plan_fast(view.n, view.h, view.w, step)
        mixed = targets.mix(plan, self.label_smoothing, ptr)
        apply = lib.mixcut_mix_apply
        check(apply(ctx.handle, ptr, view.ref(), view.ref(), None) if device is None else
              _cuda.call(device, apply, ctx.handle, ptr, view.ref(), view.ref(), None),
              "mixcut_mix_apply")
        self.last_plan = plan
        self._advance(step)
        return x, mixed


_STEP_BATCH_BITS = 32  # step = epoch << 32 | batch index


class FastCollateMixup(Mixup):
    """timm's FastCollateMixup: a DataLoader ``collate_fn`` over (uint8 image, label).

    ``collate(batch)`` takes a list of (uint8 C x H x W image, int label) —
    numpy arrays or torch tensors — and returns (batch, soft targets float32
    [N, K]); torch tensors when torch is imported (as timm), numpy arrays
    otherwise. Mode 'half' (timm) returns the first N/2 samples mixed with the
    second half. The batch is written in one pass from the separate images
    (mixcut_mix_apply_gather: each image read once, the batch written once;
    the same bytes as stacking then mixing). Beyond timm:
    ``set_output('float32', layout, mean, std)`` makes it the normalised
    float32 batch (x / 255 - mean) / std, in any layout, in that same pass.

    The step rule (reproducible across worker counts, documented): each
    process counts the batches it collates (c = 0, 1, ...); in DataLoader
    worker w of k (torch.utils.data.get_worker_info()) batch c is the global
    batch index b = c * k + w, which is exactly the batch's index in the epoch
    because the DataLoader deals batches to workers round robin; with
    num_workers=0, b = c. The step is ``epoch << 32 | b``. So the same seed,
    epoch and batch order give the same augmentations with any num_workers,
    and every batch of an epoch gets its own draws.
    Call ``set_epoch(epoch)`` before each epoch (as with DistributedSampler):
    workers are forked again each epoch and would otherwise restart at b = 0.
    (With persistent_workers=True the counters simply keep running.)
    Loaders other than torch's can call ``set_worker(worker_id, num_workers)``
    in each worker, or pass ``step=`` explicitly.
    """

    _modes = ("batch", "pair", "elem", "half")

    def __init__(self, mixup_alpha: float = 1., cutmix_alpha: float = 0.,
                 cutmix_minmax: Optional[Sequence[float]] = None, prob: float = 1.0,
                 switch_prob: float = 0.5, mode: str = "batch", correct_lam: bool = True,
                 label_smoothing: float = 0.1, num_classes: int = 1000, multi_label: bool = False,
                 *, seed: Optional[int] = None, partner="flip", layout: str = "NCHW",
                 num_threads: Optional[int] = None) -> None:
        super().__init__(mixup_alpha, cutmix_alpha, cutmix_minmax, prob, switch_prob, mode,
                         correct_lam, label_smoothing, num_classes, multi_label, seed=seed,
                         partner=partner, layout=layout, num_threads=num_threads)
        self.set_output()
        self.epoch = 0
        self._counter = 0
        self._pid = None
        self._worker_override = None
        self.last_step = None

    def set_output(self, dtype="uint8", layout: Optional[str] = None, mean=None,
                   std=None) -> "FastCollateMixup":
        """The batch's dtype ('uint8', timm's, or 'float32') and layout (None: the
        images'); float32 batches are x / 255, then normalised by mean/std when
        given, in the same pass as the gather and the mix. Returns self."""
        out_dtype = _dtype_arg(dtype)
        if (mean is not None or std is not None) and out_dtype != DType.FLOAT32:
            raise error(Status.ERR_BAD_DTYPE, "mean/std need a float32 output")
        self.out_dtype = out_dtype
        self.out_layout = None if layout is None else parse_layout(layout)
        self.mean, self.std = mean, std
        return self

    def set_epoch(self, epoch: int) -> None:
        if not 0 <= int(epoch) < (1 << (56 - _STEP_BATCH_BITS)):
            raise error(Status.ERR_BAD_PARAM, f"epoch out of range: {epoch}")
        self.epoch = int(epoch)
        self._counter = 0

    def set_worker(self, worker_id: int, num_workers: int) -> None:
        if not 0 <= worker_id < num_workers:
            raise error(Status.ERR_BAD_PARAM, "need 0 <= worker_id < num_workers")
        self._worker_override = (int(worker_id), int(num_workers))

    def _worker(self):
        if self._worker_override is not None:
            return self._worker_override
        data = sys.modules.get("torch.utils.data")
        if data is not None:
            info = data.get_worker_info()
            if info is not None:
                return info.id, info.num_workers
        return 0, 1

    def _next_batch(self):
        """(step, counter after it) of the next batch collated in this process."""
        if os.getpid() != self._pid:  # a fresh (forked) worker counts from 0
            self._pid = os.getpid()
            self._counter = 0
        worker_id, num_workers = self._worker()
        index = self._counter * num_workers + worker_id
        if index >= (1 << _STEP_BATCH_BITS):
            raise error(Status.ERR_BAD_PARAM, "more than 2^32 batches in one epoch")
        return (self.epoch << _STEP_BATCH_BITS) | index, self._counter + 1

    def batch_step(self) -> int:
        """The step of the next batch collated in this process (advances the count)."""
        step, self._counter = self._next_batch()
        return step

    def __call__(self, batch, _=None, *, step: Optional[int] = None):
        # Images, labels and step are all checked before the count advances.
        n = len(batch)
        if n == 0:
            raise error(Status.ERR_BAD_SIZE, "empty batch")
        images = Gathered([sample[0] for sample in batch], self.layout, "image")
        if images.dtype != DType.UINT8:
            raise error(Status.ERR_BAD_DTYPE, "FastCollateMixup takes uint8 images, got "
                        f"{images.arrays[0].dtype}")
        labels = [sample[1] for sample in batch]
        if all(type(label) is int for label in labels):  # timm's case, the short path
            labels = np.array(labels)
        else:
            labels = [np.asarray(as_numpy(label, "label")) for label in labels]
            labels = np.stack(labels) if labels[0].ndim else np.array(labels)
        targets = Targets(labels, n, self.num_classes, self.multi_label)
        counter = None
        if step is None:
            step, counter = self._next_batch()
        else:
            step = self._step_for(step)

        # One pass from the separate images into the batch (2S bytes, not
        # the 4S of stacking and then mixing in place).
        torch = torch_module()
        layout = self.layout if self.out_layout is None else self.out_layout
        output = images.new_batch(self.out_dtype, layout, torch is not None)
        half = self.mode == "half"
        plan = self.plan(n, images.h, images.w, step, mode="elem" if half else None)
        if half:  # the second half only lends pixels
            rest = plan[n // 2:]
            rest["partner"] = np.arange(n // 2, n)
            rest["lam"] = 1.0
            rest["kind"] = int(Kind.NONE)
            rest[["y0", "x0", "y1", "x1"]] = (0, 0, 0, 0)
        target = targets.mix(plan, self.label_smoothing)
        mix_apply_gather(plan, images, output, out_layout=layout, mean=self.mean, std=self.std,
                         num_threads=self.num_threads)
        self.last_plan = plan
        self.last_step = step
        if counter is not None:
            self._counter = counter
        if torch is not None and not targets.torch:
            target = torch.from_numpy(target)
        if half:
            return output[:n // 2], target[:n // 2]
        return output, target
