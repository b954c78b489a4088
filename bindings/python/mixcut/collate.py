"""Gather calls: a list of separate samples -> one augmented batch in one pass
(mixcut_mix_apply_gather / mixcut_cutout_apply_gather), as a loader's collate."""

from __future__ import annotations

import ctypes
import errno
import mmap
import sys

import numpy as np

from ._arrays import View, as_numpy, is_torch_tensor, parse_layout, torch_module
from ._lib import DType, Layout, Status, Tensor, check, error, lib, thread_context
from .functional import CUTOUT_HOLE_DTYPE, MIX_SAMPLE_DTYPE, _dtype_arg, _FillArg, _norm, \
    _plan_array

_DTYPES = {np.dtype(np.uint8): DType.UINT8, np.dtype(np.float32): DType.FLOAT32}


class Gathered:
    """n separate samples (numpy arrays or torch CPU tensors, each one 3-D
    image of the same shape and dtype) as the pointer array of a gather call.

    Samples are read in place; one that is not C-contiguous is copied first
    (stacking would have copied it anyway). Keeps every sample alive.
    """

    __slots__ = ("arrays", "pointers", "tensor", "dtype", "layout", "n", "c", "h", "w", "is_torch")

    def __init__(self, samples, layout="NCHW", name: str = "samples") -> None:
        self.layout = parse_layout(layout)
        self.n = len(samples)
        if self.n == 0:
            raise error(Status.ERR_BAD_SIZE, f"{name} is empty")
        self.is_torch = is_torch_tensor(samples[0])
        # One pass per sample, plain arrays on the short path: this loop is
        # most of a collate's Python time (128 samples: about 0.1 ms).
        arrays = list(samples)
        ndarray = np.ndarray
        for i, s in enumerate(arrays):
            if type(s) is not ndarray:
                arrays[i] = np.asarray(as_numpy(s, f"{name}[{i}]"))
        first = arrays[0]
        dtype, shape = first.dtype, first.shape
        if dtype not in _DTYPES:
            raise error(Status.ERR_BAD_DTYPE,
                        f"{name}[0] has dtype {dtype}; mixcut takes uint8 or float32")
        if len(shape) != 3:
            raise error(Status.ERR_SHAPE_MISMATCH,
                        f"{name}[0] must be one 3-D image, got shape {shape}")
        pointers = []
        for i, a in enumerate(arrays):
            if a.dtype is not dtype and a.dtype != dtype:
                raise error(Status.ERR_BAD_DTYPE,
                            f"{name}[{i}] has dtype {a.dtype}, {name}[0] {dtype}")
            if a.shape != shape:
                raise error(Status.ERR_SHAPE_MISMATCH,
                            f"{name}[{i}] has shape {a.shape}, {name}[0] {shape}")
            if not a.flags.c_contiguous:
                a = arrays[i] = np.ascontiguousarray(a)
            pointers.append(a.__array_interface__["data"][0])
        self.arrays = arrays
        self.pointers = np.array(pointers, np.uintp)
        self.dtype = _DTYPES[first.dtype]
        if self.layout == Layout.NCHW:
            self.c, self.h, self.w = first.shape
        else:
            self.h, self.w, self.c = first.shape
        # data NULL: the samples are the pointer array.
        self.tensor = Tensor(None, int(self.dtype), int(self.layout), self.n, self.c, self.h,
                             self.w, 0)

    def ref(self):
        return ctypes.byref(self.tensor)

    def new_batch(self, dtype: DType, layout: Layout, torch_out: bool):
        """An empty output batch (torch when torch_out, else numpy); in a
        torch DataLoader worker, a torch batch in shared memory."""
        shape = (self.n, self.c, self.h, self.w) if layout == Layout.NCHW else \
            (self.n, self.h, self.w, self.c)
        np_dtype = np.dtype(np.uint8 if dtype == DType.UINT8 else np.float32)
        if torch_out and _in_worker():
            # The batch leaves the worker through shared memory: write it there
            # in the first place, as default_collate does (a private batch is
            # copied into shared memory when the worker sends it).
            torch = torch_module()
            storage = torch.UntypedStorage._new_shared(int(np.prod(shape)) * np_dtype.itemsize)
            out = torch.empty(0, dtype=torch.uint8 if dtype == DType.UINT8 else torch.float32
                              ).set_(storage, 0, shape)
            _prefault(out.data_ptr(), storage.nbytes())
            return out
        # numpy's allocator, also under a torch tensor: glibc keeps reusing the
        # pages of a freed batch, and numpy asks for huge pages, where
        # torch.empty page-faulted a fresh 4 KiB page at a time.
        out = np.empty(shape, dtype=np_dtype)
        if out.nbytes > _NEW_MAPPING_BYTES:
            _prefault(out.ctypes.data, out.nbytes)
        return torch_module().from_numpy(out) if torch_out else out


def _in_worker() -> bool:
    """In a torch.utils.data worker process (torch imported, get_worker_info set)."""
    data = sys.modules.get("torch.utils.data")
    return data is not None and data.get_worker_info() is not None


# glibc's malloc maps blocks above 32 MiB (its largest mmap threshold) anew
# each time; smaller batches reuse a freed batch's pages, where prefaulting
# would only walk the page tables (0.3 ms for 19 MB).
_NEW_MAPPING_BYTES = 32 << 20
_MADV_POPULATE_WRITE = 23  # Linux >= 5.14
_madvise = None  # libc's madvise once looked up; False where there is none to use


def _prefault(address: int, nbytes: int) -> None:
    """Faults a new batch's pages in with one madvise(MADV_POPULATE_WRITE)
    rather than one page fault per 4 KiB page while the kernel writes it
    (a new shared-memory batch: 4 KiB pages, no huge pages). Contents stay
    as they are. Best effort: does nothing where Linux does not support it."""
    global _madvise
    if _madvise is None:
        _madvise = False
        if sys.platform.startswith("linux"):
            try:
                fn = ctypes.CDLL(None, use_errno=True).madvise
            except (OSError, AttributeError):
                return
            fn.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
            fn.restype = ctypes.c_int
            _madvise = fn
    if not _madvise or nbytes <= 0:
        return
    start = address - address % mmap.PAGESIZE  # madvise takes whole pages
    if _madvise(start, address + nbytes - start, _MADV_POPULATE_WRITE) != 0 and \
            ctypes.get_errno() == errno.EINVAL:
        _madvise = False  # a kernel older than 5.14


def _out(gathered, out, out_layout, out_dtype):
    """(out, View of out): out given, or a new batch like the samples' kind."""
    layout = gathered.layout if out_layout is None else parse_layout(out_layout)
    if out is None:
        dtype = gathered.dtype if _dtype_arg(out_dtype) is None else _dtype_arg(out_dtype)
        out = gathered.new_batch(dtype, layout, gathered.is_torch)
    return out, View(out, layout, "out", writable=True)


def _samples(samples, layout):
    return samples if isinstance(samples, Gathered) else Gathered(samples, layout)


def _ctx(ctx, num_threads):
    return ctx.handle if ctx is not None else thread_context(num_threads).handle


def mix_apply_gather(plan, samples, out=None, *, layout="NCHW", out_layout=None, out_dtype=None,
                     mean=None, std=None, num_threads=None, ctx=None):
    """Apply a mix plan to separate samples, writing the batch ``out`` in one pass.

    ``samples``: a list of n images (numpy arrays or torch CPU tensors, 3-D,
    one shape and dtype, in ``layout``) or a :class:`Gathered`. ``out``: the
    batch (allocated like the samples, numpy or torch, with ``out_layout`` /
    ``out_dtype``, when None);
    uint8 -> float32 is scaled by 1/255 and normalised by mean/std in the same
    pass. Equals stacking the samples and calling :func:`mix_apply`, byte for
    byte, with each sample read once and out written once. Returns out.
    """
    g = _samples(samples, layout)
    plan = _plan_array(plan, MIX_SAMPLE_DTYPE, "mix_sample")
    if len(plan) != g.n:
        raise error(Status.ERR_SHAPE_MISMATCH, f"plan has {len(plan)} records for {g.n} samples")
    out, ov = _out(g, out, out_layout, out_dtype)
    norm = _norm(mean, std, g, ov)
    check(lib.mixcut_mix_apply_gather(_ctx(ctx, num_threads), plan.ctypes.data,
                                      g.pointers.ctypes.data, g.ref(), ov.ref(),
                                      norm.ref() if norm else None), "mixcut_mix_apply_gather")
    return out


def cutout_apply_gather(holes, samples, out=None, *, fill=0.0, layout="NCHW", out_layout=None,
                        out_dtype=None, mean=None, std=None, num_threads=None, ctx=None):
    """Copy separate samples into the batch ``out`` and fill the holes, in one pass.

    As :func:`mix_apply_gather` for a cutout plan; ``fill`` as for
    :func:`cutout_apply` (in the output's units). Returns out.
    """
    g = _samples(samples, layout)
    holes = _plan_array(holes, CUTOUT_HOLE_DTYPE, "cutout_hole")
    out, ov = _out(g, out, out_layout, out_dtype)
    fill_arg = _FillArg(fill, g.c)
    norm = _norm(mean, std, g, ov)
    check(lib.mixcut_cutout_apply_gather(_ctx(ctx, num_threads),
                                         holes.ctypes.data if len(holes) else None, len(holes),
                                         fill_arg.ref(), g.pointers.ctypes.data, g.ref(),
                                         ov.ref(), norm.ref() if norm else None),
          "mixcut_cutout_apply_gather")
    return out
