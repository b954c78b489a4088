"""numpy / torch buffers as mixcut_tensor views: zero-copy, never a silent copy."""

from __future__ import annotations

import ctypes
import sys

import numpy as np

from ._lib import DType, Layout, Normalize, Status, Tensor, error


def torch_module():
    """torch if it is already imported (mixcut never imports it itself)."""
    return sys.modules.get("torch")


def is_torch_tensor(x) -> bool:
    torch = torch_module()
    return torch is not None and isinstance(x, torch.Tensor)


def parse_layout(layout) -> Layout:
    if isinstance(layout, Layout):
        return layout
    try:
        return Layout[str(layout).upper()]
    except KeyError:
        raise error(Status.ERR_BAD_LAYOUT,
                    f"layout must be 'NCHW' or 'NHWC', got {layout!r}") from None


def _dims(shape, layout: Layout, name: str):
    """(n, c, h, w) from a 4-D batch shape or a 3-D single image shape."""
    if len(shape) == 3:
        shape = (1,) + tuple(shape)
    if len(shape) != 4:
        raise error(Status.ERR_SHAPE_MISMATCH,
                    f"{name} must be a 4-D batch or a 3-D image, got shape {tuple(shape)}")
    if layout == Layout.NCHW:
        n, c, h, w = shape
    else:
        n, h, w, c = shape
    return int(n), int(c), int(h), int(w)


class View:
    """A mixcut_tensor over a numpy array or a torch tensor (kept alive).

    ``device`` is the tensor's CUDA device, None for host memory; CUDA tensors
    are accepted only where the caller runs them on the CUDA backend
    (``device_ok``), since the CPU backend would read them as host memory.
    """

    __slots__ = ("obj", "tensor", "dtype", "n", "c", "h", "w", "layout", "is_torch", "device")

    def __init__(self, obj, layout, name: str, writable: bool = False,
                 device_ok: bool = False) -> None:
        layout = parse_layout(layout)
        self.obj = obj
        self.device = None
        if is_torch_tensor(obj):
            self.is_torch = True
            torch = torch_module()
            # is_cuda / is_cpu: device.type costs 0.7 us a call.
            if obj.is_cuda and device_ok:
                self.device = obj.device
            elif not obj.is_cpu:
                where = "CPU and CUDA tensors" if device_ok else "CPU tensors here"
                raise error(Status.ERR_UNSUPPORTED,
                            f"{name} is on {obj.device}; mixcut takes {where}")
            if obj.dtype == torch.uint8:
                dtype = DType.UINT8
            elif obj.dtype == torch.float32:
                dtype = DType.FLOAT32
            else:
                raise error(Status.ERR_BAD_DTYPE,
                            f"{name} has dtype {obj.dtype}; mixcut takes uint8 or float32")
            if writable and obj.requires_grad:
                raise error(Status.ERR_UNSUPPORTED,
                            f"{name} requires grad; mixcut writes it in place")
            if obj.is_contiguous():
                pass
            elif (layout == Layout.NCHW and obj.dim() == 4
                  and obj.is_contiguous(memory_format=torch.channels_last)):
                # A channels_last NCHW tensor is an NHWC buffer: still zero-copy.
                layout = Layout.NHWC
                n, c, h, w = obj.shape
                self._set(obj.data_ptr(), dtype, layout, (int(n), int(c), int(h), int(w)))
                return
            else:
                raise error(Status.ERR_BAD_LAYOUT,
                            f"{name} is not contiguous (strides {tuple(obj.stride())}); "
                            "call .contiguous() first: mixcut never copies silently")
            dims = _dims(tuple(obj.shape), layout, name)
            self._set(obj.data_ptr(), dtype, layout, dims)
            return

        self.is_torch = False
        if not isinstance(obj, np.ndarray):
            raise error(Status.ERR_BAD_DTYPE,
                        f"{name} must be a numpy array or a torch tensor, got "
                        f"{type(obj).__name__}")
        if obj.dtype == np.uint8:
            dtype = DType.UINT8
        elif obj.dtype == np.float32:
            dtype = DType.FLOAT32
        else:
            raise error(Status.ERR_BAD_DTYPE,
                        f"{name} has dtype {obj.dtype}; mixcut takes uint8 or float32")
        if not obj.flags.c_contiguous:
            raise error(Status.ERR_BAD_LAYOUT,
                        f"{name} is not C-contiguous (strides {obj.strides}); call "
                        "np.ascontiguousarray() first: mixcut never copies silently")
        if writable and not obj.flags.writeable:
            raise error(Status.ERR_BAD_PARAM, f"{name} is read-only")
        dims = _dims(obj.shape, layout, name)
        self._set(obj.__array_interface__["data"][0], dtype, layout, dims)

    def _set(self, ptr, dtype, layout, dims):
        self.dtype = dtype
        self.layout = layout
        self.n, self.c, self.h, self.w = dims
        self.tensor = Tensor(ptr, dtype, layout, *dims, 0)  # plain ints: 0.5 us less

    def ref(self):
        return ctypes.byref(self.tensor)


def new_like(view: View, dtype: DType, layout: Layout):
    """A fresh batch of the same kind (numpy or torch) for an out-of-place call."""
    n, c, h, w = view.n, view.c, view.h, view.w
    shape = (n, c, h, w) if layout == Layout.NCHW else (n, h, w, c)
    if view.obj.ndim == 3:
        shape = shape[1:]
    if view.is_torch:  # on the view's device (torch's allocator, current stream)
        torch = torch_module()
        return torch.empty(shape, dtype=torch.uint8 if dtype == DType.UINT8 else torch.float32,
                           device=view.obj.device)
    return np.empty(shape, dtype=np.uint8 if dtype == DType.UINT8 else np.float32)


class NormalizeArg:
    """mixcut_normalize from mean/std sequences (or None), kept alive."""

    def __init__(self, mean, std, channels: int):
        self._arrays = []
        self.struct = Normalize()
        for field, values in (("mean", mean), ("std", std)):
            if values is None:
                continue
            try:
                arr = np.ascontiguousarray(np.broadcast_to(np.asarray(values, np.float32),
                                                           (channels,)))
            except ValueError:
                raise error(Status.ERR_BAD_SIZE,
                            f"{field} needs 1 or {channels} values, got {values!r}") from None
            self._arrays.append(arr)
            setattr(self.struct, field, arr.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))

    def ref(self):
        return ctypes.byref(self.struct)


_BYTE = ctypes.c_char


def data_ptr(array: np.ndarray) -> int:
    """The address of a numpy array's first element, by the cheapest route:
    a ctypes view of its buffer (0.5 us; __array_interface__ and .ctypes
    build a description of the array first, 1.2 us), else, for read-only or
    empty arrays, the interface (.ctypes for records, whose interface also
    rebuilds the field description)."""
    try:
        return ctypes.addressof(_BYTE.from_buffer(array))
    except (TypeError, ValueError):
        pass
    if array.dtype.names is None:
        return array.__array_interface__["data"][0]
    return array.ctypes.data


def as_numpy(x, name: str = "argument"):
    """numpy view of a numpy array or a torch CPU tensor (no copy).

    Other objects are returned as they are (np.asarray's business). A tensor
    on another device (meta included) or one that requires grad is refused
    with our error before torch's .numpy() could raise its own: mixcut reads
    these arguments on the host, and a copy from a GPU would wait for it.
    """
    if is_torch_tensor(x):
        if not x.is_cpu:
            raise error(Status.ERR_UNSUPPORTED,
                        f"{name} is on {x.device}; mixcut reads {name} on the host: pass a CPU "
                        "tensor, an array or numbers")
        if x.requires_grad:
            raise error(Status.ERR_UNSUPPORTED, f"{name} requires grad; pass {name}.detach()")
        return x.numpy()
    return x
