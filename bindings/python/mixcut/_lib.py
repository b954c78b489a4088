"""ctypes mirror of include/mixcut/mixcut.h: structs, enums, prototypes, errors.

Every struct here matches the C layout field for field (enums are int32_t,
sizes int64_t); tests/python/test_abi.py checks the offsets against a C
compiler. Every function gets argtypes and restype, so a wrong Python type
fails in ctypes instead of corrupting memory.
"""

from __future__ import annotations

import ctypes
import enum
import os
import pathlib
import sys
import threading

#: The ABI major version this package speaks (MIXCUT_VERSION_MAJOR).
ABI_MAJOR = 0


class Status(enum.IntEnum):
    """mixcut_status: values pinned by the C header."""

    OK = 0
    ERR_NULL_POINTER = 1
    ERR_BAD_SIZE = 2
    ERR_BAD_DTYPE = 3
    ERR_BAD_LAYOUT = 4
    ERR_BAD_ENUM = 5
    ERR_BAD_PARAM = 6
    ERR_BAD_PARTNER = 7
    ERR_BAD_LABEL = 8
    ERR_BAD_LAM = 9
    ERR_BAD_BOX = 10
    ERR_SHAPE_MISMATCH = 11
    ERR_OVERLAP = 12
    ERR_UNSUPPORTED = 13
    ERR_OUT_OF_MEMORY = 14
    ERR_INTERNAL = 15


class Isa(enum.IntEnum):
    SCALAR = 0
    SSE2 = 1
    AVX2 = 2
    AVX512 = 3


class Option(enum.IntEnum):
    NUM_THREADS = 1
    MAX_ISA = 2
    BACKEND = 3
    CUDA_STREAM = 4
    STREAM_THRESHOLD = 5


class DType(enum.IntEnum):
    UINT8 = 1
    FLOAT32 = 2


class Layout(enum.IntEnum):
    NCHW = 1
    NHWC = 2


class Mode(enum.IntEnum):
    BATCH = 1
    PAIR = 2
    ELEM = 3


class Partner(enum.IntEnum):
    FLIP = 1
    ROLL = 2
    PERMUTATION = 3
    EXPLICIT = 4


class Kind(enum.IntEnum):
    NONE = 0
    MIXUP = 1
    CUTMIX = 2


class CutoutForm(enum.IntEnum):
    HOLES = 1
    ERASING = 2


class FillKind(enum.IntEnum):
    CONSTANT = 1
    CHANNEL = 2
    NOISE = 3
    CHANNEL_NOISE = 4


class MixcutError(RuntimeError):
    """A failed mixcut call: ``status`` (a :class:`Status`) and ``message``.

    Raised both for failures reported by the C library (the message is
    ``mixcut_last_error()``) and for inputs the Python layer refuses before
    calling it (non-contiguous arrays, unknown mode names, ...). Bad input
    raises one of the subclasses, which are also the built-in exception
    timm and torchvision raise for it: :class:`MixcutTypeError` (a
    ``TypeError``: wrong kind of object or dtype) or :class:`MixcutValueError`
    (a ``ValueError``: bad value, size, shape, device). ``except ValueError``
    and ``except MixcutError`` both work.
    """

    def __init__(self, status: int, message: str) -> None:
        try:
            status = Status(int(status))
        except ValueError:
            pass
        self.status = status
        self.message = message
        name = status.name if isinstance(status, Status) else str(int(status))
        super().__init__(f"{name}: {message}")


class MixcutValueError(MixcutError, ValueError):
    """Bad input value: size, shape, range, enum name, device, plan record."""


class MixcutTypeError(MixcutError, TypeError):
    """Bad input type: not an array or tensor, or an unsupported dtype."""


_TYPE_ERRORS = (Status.ERR_NULL_POINTER, Status.ERR_BAD_DTYPE)
_RUNTIME_ERRORS = (Status.ERR_OUT_OF_MEMORY, Status.ERR_INTERNAL)


def error(status: int, message: str) -> MixcutError:
    """The exception for a status: a TypeError or ValueError for bad input."""
    if status in _TYPE_ERRORS:
        return MixcutTypeError(status, message)
    if status in _RUNTIME_ERRORS or not 0 < int(status) <= max(Status):
        return MixcutError(status, message)
    return MixcutValueError(status, message)


# ---------------------------------------------------------------------------
# Structs (same order and types as the header).

class MixPolicy(ctypes.Structure):
    _fields_ = [
        ("mixup_alpha", ctypes.c_float),
        ("cutmix_alpha", ctypes.c_float),
        ("cutmix_minmax_lo", ctypes.c_float),
        ("cutmix_minmax_hi", ctypes.c_float),
        ("prob", ctypes.c_float),
        ("switch_prob", ctypes.c_float),
        ("mode", ctypes.c_int32),
        ("partner", ctypes.c_int32),
        ("correct_lam", ctypes.c_int32),
        ("reserved", ctypes.c_int32),
        ("partner_index", ctypes.POINTER(ctypes.c_int64)),
    ]


class MixSample(ctypes.Structure):
    _fields_ = [
        ("partner", ctypes.c_int64),
        ("lam", ctypes.c_float),
        ("kind", ctypes.c_int32),
        ("y0", ctypes.c_int32),
        ("x0", ctypes.c_int32),
        ("y1", ctypes.c_int32),
        ("x1", ctypes.c_int32),
    ]


class Tensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("dtype", ctypes.c_int32),
        ("layout", ctypes.c_int32),
        ("n", ctypes.c_int64),
        ("c", ctypes.c_int64),
        ("h", ctypes.c_int64),
        ("w", ctypes.c_int64),
        ("sample_stride", ctypes.c_int64),
    ]


class Normalize(ctypes.Structure):
    _fields_ = [
        ("mean", ctypes.POINTER(ctypes.c_float)),
        ("std", ctypes.POINTER(ctypes.c_float)),
    ]


class CutoutPolicy(ctypes.Structure):
    _fields_ = [
        ("form", ctypes.c_int32),
        ("prob", ctypes.c_float),
        ("min_count", ctypes.c_int32),
        ("max_count", ctypes.c_int32),
        ("length", ctypes.c_int32),
        ("scale_lo", ctypes.c_float),
        ("scale_hi", ctypes.c_float),
        ("ratio_lo", ctypes.c_float),
        ("ratio_hi", ctypes.c_float),
        ("reserved", ctypes.c_int32),
    ]


class CutoutHole(ctypes.Structure):
    _fields_ = [
        ("sample", ctypes.c_int64),
        ("y0", ctypes.c_int32),
        ("x0", ctypes.c_int32),
        ("y1", ctypes.c_int32),
        ("x1", ctypes.c_int32),
        ("noise_key", ctypes.c_uint64),
    ]


class Fill(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_int32),
        ("value", ctypes.c_float),
        ("channel_values", ctypes.POINTER(ctypes.c_float)),
    ]


# ---------------------------------------------------------------------------
# Loading.

_LIB_NAMES = ("libmixcut.so", "libmixcut.so.0", "libmixcut.dylib", "mixcut.dll")


def _bundled_candidates():
    """Where a wheel built by scikit-build-core puts the library."""
    here = pathlib.Path(__file__).resolve().parent
    for sub in ("", "lib", "lib64", "bin"):
        for name in _LIB_NAMES:
            yield here / sub / name


def find_library() -> str:
    """Path of the libmixcut to load: $MIXCUT_LIBRARY, else the bundled one."""
    env = os.environ.get("MIXCUT_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise ImportError(f"MIXCUT_LIBRARY={env!r} is not a file")
        return env
    for cand in _bundled_candidates():
        if cand.is_file():
            return str(cand)
    raise ImportError(
        "mixcut: no libmixcut found. Install the package with "
        "`pip install ./bindings/python` (which builds and bundles it), or set "
        "MIXCUT_LIBRARY=/path/to/libmixcut.so (e.g. build/release/libmixcut.so).")


_c = ctypes
_i32, _i64, _u64, _f32 = _c.c_int32, _c.c_int64, _c.c_uint64, _c.c_float
_P = _c.POINTER

# name -> (restype, argtypes). Every function of the header, none missing.
_PROTOTYPES = {
    "mixcut_version": (_c.c_uint, []),
    "mixcut_version_string": (_c.c_char_p, []),
    "mixcut_status_string": (_c.c_char_p, [_c.c_int]),
    "mixcut_last_error": (_c.c_char_p, []),
    "mixcut_ctx_create": (_c.c_int, [_P(_c.c_void_p)]),
    "mixcut_ctx_destroy": (None, [_c.c_void_p]),
    "mixcut_ctx_set": (_c.c_int, [_c.c_void_p, _i32, _i64]),
    "mixcut_ctx_get": (_c.c_int, [_c.c_void_p, _i32, _P(_i64)]),
    "mixcut_ctx_isa": (_c.c_int, [_c.c_void_p, _P(_i32)]),
    "mixcut_isa_string": (_c.c_char_p, [_i32]),
    "mixcut_mix_policy_init": (_c.c_int, [_P(MixPolicy)]),
    "mixcut_mix_plan": (_c.c_int, [_P(MixPolicy), _u64, _u64, _i64, _i64, _i64, _c.c_void_p]),
    "mixcut_mix_apply": (_c.c_int, [_c.c_void_p, _c.c_void_p, _P(Tensor), _P(Tensor),
                                    _P(Normalize)]),
    "mixcut_mix_apply_gather": (_c.c_int, [_c.c_void_p, _c.c_void_p, _c.c_void_p, _P(Tensor),
                                           _P(Tensor), _P(Normalize)]),
    "mixcut_mix_labels": (_c.c_int, [_c.c_void_p, _i64, _c.c_void_p, _i64, _f32, _c.c_void_p]),
    "mixcut_mix_labels_ctx": (_c.c_int, [_c.c_void_p, _c.c_void_p, _i64, _c.c_void_p, _i64, _f32,
                                         _c.c_void_p]),
    "mixcut_mix_soft_labels": (_c.c_int, [_c.c_void_p, _i64, _c.c_void_p, _i64, _f32,
                                          _c.c_void_p]),
    "mixcut_mix_multi_labels": (_c.c_int, [_c.c_void_p, _i64, _c.c_void_p, _i64, _f32,
                                           _c.c_void_p]),
    "mixcut_cutout_policy_init": (_c.c_int, [_P(CutoutPolicy)]),
    "mixcut_cutout_plan": (_c.c_int, [_P(CutoutPolicy), _u64, _u64, _i64, _i64, _i64,
                                      _c.c_void_p, _P(_i64)]),
    "mixcut_cutout_apply": (_c.c_int, [_c.c_void_p, _c.c_void_p, _i64, _P(Fill), _P(Tensor),
                                       _P(Tensor), _P(Normalize)]),
    "mixcut_cutout_apply_gather": (_c.c_int, [_c.c_void_p, _c.c_void_p, _i64, _P(Fill),
                                              _c.c_void_p, _P(Tensor), _P(Tensor),
                                              _P(Normalize)]),
}


def _load():
    path = find_library()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(f"mixcut: cannot load {path}: {e}") from e
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as e:
            raise ImportError(f"mixcut: {path} lacks {name}; is it a libmixcut?") from e
        fn.restype = restype
        fn.argtypes = argtypes
    version = lib.mixcut_version()
    if version // 10000 != ABI_MAJOR:
        raise ImportError(
            f"mixcut: {path} has ABI version {version // 10000}.x "
            f"({lib.mixcut_version_string().decode()}), this package needs {ABI_MAJOR}.x")
    return lib, path


lib, library_path = _load()


def last_error() -> str:
    return lib.mixcut_last_error().decode("utf-8", "replace")


def status_string(status: int) -> str:
    return lib.mixcut_status_string(int(status)).decode("utf-8", "replace")


def check(status: int, what: str) -> None:
    """Raise for a non-OK status, with the library's message (which already
    names the function; ``what`` is added only when it does not)."""
    if status != Status.OK:
        msg = last_error() or status_string(status)
        if not msg.startswith(what + ":"):
            msg = f"{what}: {msg}"
        raise error(status, msg)


# ---------------------------------------------------------------------------
# Contexts: one per (thread, option set), since a ctx must not serve two
# calls at once. They live as long as their thread.

class Context:
    """An owned mixcut_ctx: thread count, ISA cap, reusable scratch.

    A Context must not be used by two threads at the same time; the
    high-level API keeps one per thread for you (see :func:`thread_context`).
    """

    def __init__(self, num_threads: int = 0, max_isa=None, stream_threshold=None):
        self._ptr = ctypes.c_void_p()
        check(lib.mixcut_ctx_create(ctypes.byref(self._ptr)), "mixcut_ctx_create")
        self._destroy = lib.mixcut_ctx_destroy
        self.set(Option.NUM_THREADS, int(num_threads))
        if max_isa is not None:
            if isinstance(max_isa, str):
                try:
                    max_isa = Isa[max_isa.upper()]
                except KeyError:
                    raise error(Status.ERR_BAD_ENUM, f"unknown isa {max_isa!r}") from None
            self.set(Option.MAX_ISA, int(max_isa))
        if stream_threshold is not None:
            self.set(Option.STREAM_THRESHOLD, int(stream_threshold))

    @property
    def handle(self):
        return self._ptr

    def set(self, key: int, value: int) -> None:
        check(lib.mixcut_ctx_set(self._ptr, int(key), int(value)), "mixcut_ctx_set")

    def get(self, key: int) -> int:
        out = ctypes.c_int64()
        check(lib.mixcut_ctx_get(self._ptr, int(key), ctypes.byref(out)), "mixcut_ctx_get")
        return out.value

    @property
    def isa(self) -> str:
        out = ctypes.c_int32()
        check(lib.mixcut_ctx_isa(self._ptr, ctypes.byref(out)), "mixcut_ctx_isa")
        return lib.mixcut_isa_string(out.value).decode()

    def close(self) -> None:
        if self._ptr:
            self._destroy(self._ptr)
            self._ptr = ctypes.c_void_p()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


_local = threading.local()


def in_loader_worker() -> bool:
    """Whether this process is a torch.utils.data DataLoader worker."""
    data = sys.modules.get("torch.utils.data")
    return data is not None and data.get_worker_info() is not None


def thread_context(num_threads=None):
    """This thread's Context for a thread count.

    None: one thread inside a torch DataLoader worker process (the workers
    already keep the cores busy, as torch's own set_num_threads(1) there
    assumes), else 0. 0: the C library's default (never more threads than
    pay for themselves and find an idle core; see MIXCUT_OPT_NUM_THREADS).
    """
    if num_threads is None and in_loader_worker():
        num_threads = 1
    key = int(num_threads or 0)
    if key < 0:
        raise error(Status.ERR_BAD_PARAM, f"num_threads must be >= 0, got {num_threads}")
    cache = getattr(_local, "contexts", None)
    if cache is None:
        cache = _local.contexts = {}
    ctx = cache.get(key)
    if ctx is None:
        ctx = cache[key] = Context(num_threads=key)
    return ctx


def isa() -> str:
    """The ISA the kernels run with default settings ("avx512", "avx2", ...)."""
    out = ctypes.c_int32()
    check(lib.mixcut_ctx_isa(None, ctypes.byref(out)), "mixcut_ctx_isa")
    return lib.mixcut_isa_string(out.value).decode()


def version() -> str:
    return lib.mixcut_version_string().decode()

