"""torch CUDA tensors: the ctx that queues on torch's current stream, device checks and
soft targets on the device. Nothing here waits for the GPU or copies device data to
the host: plans are host memory, staged by the library itself.

A CUDA call runs on a mixcut ctx with MIXCUT_BACKEND_CUDA, one per (thread, device),
whose MIXCUT_OPT_CUDA_STREAM is set to torch's current stream of that device before
each call. One ctx serves every stream of its device, so a call made once on any
stream (the warm-up) lets the same call be captured in a CUDA graph on another.
"""

from __future__ import annotations

import threading

import numpy as np

from ._arrays import torch_module
from ._lib import Context, Option, Status, check, error, last_error, lib, library_path

_BACKEND_CUDA = 2  # MIXCUT_BACKEND_CUDA
_local = threading.local()


def _unavailable(status: int, name: str, device) -> Exception:
    message = last_error()
    if "built without" in message:
        why = (f"{library_path} was built without CUDA (MIXCUT_CUDA=OFF); build it with "
               "`cmake --preset cuda` and set MIXCUT_LIBRARY, or pass CPU tensors")
    else:
        why = f"the CUDA backend cannot run here ({message})"
    return error(status, f"{name} is on {device}, but {why}")


def context(device, name: str = "x") -> Context:
    """This thread's CUDA ctx for ``device``, queued on torch's current stream there.

    Raises MIXCUT_ERR_UNSUPPORTED (a MixcutValueError) when the library has no
    CUDA backend or no usable device, before anything is written.
    """
    cache = getattr(_local, "contexts", None)
    if cache is None:
        cache = _local.contexts = {}
    entry = cache.get(device.index)
    if entry is None:
        ctx = Context()
        status = lib.mixcut_ctx_set(ctx.handle, int(Option.BACKEND), _BACKEND_CUDA)
        if status != Status.OK:
            raise _unavailable(status, name, device)
        entry = cache[device.index] = [ctx, None]
    stream = torch_module().cuda.current_stream(device).cuda_stream
    if stream != entry[1]:
        entry[0].set(Option.CUDA_STREAM, stream)
        entry[1] = stream
    return entry[0]


def handle(device, ctx=None, name: str = "x"):
    """The ctx handle of a call on ``device``: the caller's ctx (which must run on
    CUDA: the CPU backend would read device memory as host memory), else ours."""
    if ctx is None:
        return context(device, name).handle
    if ctx.get(Option.BACKEND) != _BACKEND_CUDA:
        raise error(Status.ERR_UNSUPPORTED, f"{name} is on {device}, but the ctx passed runs on "
                    "the CPU: set its Option.BACKEND to CUDA, or pass ctx=None")
    return ctx.handle


def call(device, fn, *args):
    """fn(*args) with ``device`` current (the library runs on the current device)."""
    torch = torch_module()
    if torch.cuda.current_device() == device.index:
        return fn(*args)
    with torch.cuda.device(device.index):
        return fn(*args)


def common_device(images, labels=()):
    """The device of a call: that of every image batch ((name, device) pairs,
    None for host memory), which must agree; labels may also lie on the host.
    Returns the CUDA device, or None for a call on the host."""
    (first_name, first), *rest = images
    for name, device in rest:
        if device != first:
            raise error(Status.ERR_BAD_PARAM, f"{first_name} is on {first or 'cpu'} but {name} on "
                        f"{device or 'cpu'}: move them to one device")
    for name, device in labels:
        if device is not None and device != first:
            raise error(Status.ERR_BAD_PARAM, f"{name} is on {device} but {first_name} on "
                        f"{first or 'cpu'}: keep {name} on the host or on {first_name}'s device")
    return first


def device_of(tensor):
    """A torch tensor's CUDA device, else None (host memory)."""
    return tensor.device if tensor.is_cuda else None  # device.type costs 0.7 us


_HOST_DTYPES = None


def host_dtype(tensor, name: str) -> np.dtype:
    """The numpy dtype that a device tensor's dtype corresponds to (for the same
    checks as host labels), or our TypeError."""
    global _HOST_DTYPES
    torch = torch_module()
    if _HOST_DTYPES is None:
        _HOST_DTYPES = {getattr(torch, t): np.dtype(t) for t in (
            "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")}
    try:
        return _HOST_DTYPES[tensor.dtype]
    except KeyError:
        raise error(Status.ERR_BAD_DTYPE, f"{name} has dtype {tensor.dtype}") from None


def mix_targets(kind: str, labels, plan: np.ndarray, k: int, eps: float, plan_ptr: int):
    """float32 [n, K] targets on the labels' device, bit for bit the host's.

    Hard labels (int64, contiguous) go through mixcut_mix_labels_ctx on
    torch's current stream; dense rows (soft or multi-label float32) are
    smoothed and mixed by torch kernels in the host's order of roundings, with
    the plan's weights and partners sent in one pinned, asynchronous copy.
    """
    torch = torch_module()
    device = labels.device
    n = len(plan)
    ctx = context(device, "target")  # the same refusal as the pixels' without CUDA
    if kind == "hard":
        out = torch.empty((n, k), dtype=torch.float32, device=device)
        check(call(device, lib.mixcut_mix_labels_ctx, ctx.handle, plan_ptr or plan.ctypes.data, n,
                   labels.data_ptr(), k, float(eps), out.data_ptr()), "mixcut_mix_labels_ctx")
        return out
    eps32 = np.float32(eps)
    keep = np.float32(1.0) - eps32  # as kernels/labels.cpp: 1 - eps in float
    # soft: eps/K in double, rounded once (Smoothing::off); multi: 0.5*eps, exact
    add = np.float32(float(eps32) / k) if kind == "soft" else np.float32(0.5) * eps32
    smooth = labels.mul(float(keep)).add_(float(add))
    # A row that does not mix is lam 1 with itself: s*1 + s*0 == s exactly.
    index = np.arange(n)
    mixes = (plan["kind"] != 0) & (plan["partner"] != index)
    weights = np.empty((n, 2), dtype=np.float32)
    weights[:, 0] = np.where(mixes, plan["lam"], np.float32(1.0))
    weights[:, 1] = np.float32(1.0) - weights[:, 0]
    partner = np.where(mixes, plan["partner"], index).astype(np.int64)
    weights = torch.from_numpy(weights).pin_memory().to(device, non_blocking=True)
    partner = torch.from_numpy(partner).pin_memory().to(device, non_blocking=True)
    mixed = smooth * weights[:, :1]
    return mixed.add_(smooth.index_select(0, partner).mul_(weights[:, 1:]))
