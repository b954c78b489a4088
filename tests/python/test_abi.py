"""The ctypes mirror matches the C header: layouts, enum values, prototypes."""

import ctypes
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import mixcut
from mixcut import _lib

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "mixcut" / "mixcut.h"

STRUCTS = {
    "mixcut_mix_policy": _lib.MixPolicy,
    "mixcut_mix_sample": _lib.MixSample,
    "mixcut_tensor": _lib.Tensor,
    "mixcut_normalize": _lib.Normalize,
    "mixcut_cutout_policy": _lib.CutoutPolicy,
    "mixcut_cutout_hole": _lib.CutoutHole,
    "mixcut_fill": _lib.Fill,
}

ENUMS = {
    "MIXCUT_OK": _lib.Status.OK, "MIXCUT_ERR_BAD_BOX": _lib.Status.ERR_BAD_BOX,
    "MIXCUT_ERR_INTERNAL": _lib.Status.ERR_INTERNAL, "MIXCUT_ERR_OVERLAP": _lib.Status.ERR_OVERLAP,
    "MIXCUT_ISA_AVX512": _lib.Isa.AVX512, "MIXCUT_OPT_CUDA_STREAM": _lib.Option.CUDA_STREAM,
    "MIXCUT_OPT_STREAM_THRESHOLD": _lib.Option.STREAM_THRESHOLD,
    "MIXCUT_UINT8": _lib.DType.UINT8, "MIXCUT_FLOAT32": _lib.DType.FLOAT32,
    "MIXCUT_NCHW": _lib.Layout.NCHW, "MIXCUT_NHWC": _lib.Layout.NHWC,
    "MIXCUT_MODE_ELEM": _lib.Mode.ELEM, "MIXCUT_PARTNER_EXPLICIT": _lib.Partner.EXPLICIT,
    "MIXCUT_PARTNER_ROLL": _lib.Partner.ROLL, "MIXCUT_KIND_CUTMIX": _lib.Kind.CUTMIX,
    "MIXCUT_CUTOUT_ERASING": _lib.CutoutForm.ERASING,
    "MIXCUT_FILL_CHANNEL_NOISE": _lib.FillKind.CHANNEL_NOISE,
}


def _c_layout():
    """sizeof/offsetof of every struct, as the C compiler sees the header."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to read the header's layout")
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "mixcut/mixcut.h"',
             "int main(void) {"]
    for cname, struct in STRUCTS.items():
        lines.append(f'printf("{cname} size %zu\\n", sizeof({cname}));')
        for field, _ in struct._fields_:
            lines.append(f'printf("{cname} {field} %zu\\n", offsetof({cname}, {field}));')
    for name in ENUMS:
        lines.append(f'printf("{name} value %d\\n", (int){name});')
    lines.append("return 0; }")
    return "\n".join(lines), cc


def test_struct_layouts_and_enums_match_the_c_compiler(tmp_path):
    source, cc = _c_layout()
    (tmp_path / "layout.c").write_text(source)
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c99", "-I", str(ROOT / "include"), str(tmp_path / "layout.c"),
                    "-o", str(exe)], check=True)
    seen = {}
    for line in subprocess.run([str(exe)], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        name, field, value = line.split()
        seen[(name, field)] = int(value)
    for cname, struct in STRUCTS.items():
        assert ctypes.sizeof(struct) == seen[(cname, "size")], cname
        for field, _ in struct._fields_:
            assert getattr(struct, field).offset == seen[(cname, field)], (cname, field)
    for name, value in ENUMS.items():
        assert int(value) == seen[(name, "value")], name


def test_plan_dtypes_match_the_structs():
    for dtype, struct in ((mixcut.MIX_SAMPLE_DTYPE, _lib.MixSample),
                          (mixcut.CUTOUT_HOLE_DTYPE, _lib.CutoutHole)):
        assert dtype.itemsize == ctypes.sizeof(struct)
        assert list(dtype.names) == [f for f, _ in struct._fields_]
        for field, ctype in struct._fields_:
            assert dtype.fields[field][1] == getattr(struct, field).offset
            assert dtype.fields[field][0].itemsize == ctypes.sizeof(ctype)


def test_every_header_function_has_a_prototype():
    declared = set(re.findall(r"MIXCUT_API\s+[\w\s\*]+?\b(mixcut_\w+)\s*\(", HEADER.read_text()))
    assert declared, "no functions found in the header"
    assert declared == set(_lib._PROTOTYPES)
    for name in declared:
        fn = getattr(_lib.lib, name)
        assert fn.argtypes is not None, name


def test_status_enum_covers_the_header():
    values = dict(re.findall(r"(MIXCUT_(?:OK|ERR_\w+))\s*=\s*(\d+)", HEADER.read_text()))
    assert {int(v) for v in values.values()} == {int(s) for s in mixcut.Status}
    for name, value in values.items():
        assert mixcut.Status[name[len("MIXCUT_"):]] == int(value)


def test_version_and_isa():
    major, minor, patch = map(int, mixcut.version().split("."))
    assert major == mixcut.ABI_MAJOR
    assert _lib.lib.mixcut_version() == major * 10000 + minor * 100 + patch
    assert mixcut.isa() in ("scalar", "sse2", "avx2", "avx512")
    ctx = mixcut.Context(num_threads=1, max_isa="scalar")
    assert ctx.isa == "scalar"
    assert ctx.get(_lib.Option.NUM_THREADS) == 1
    assert ctx.get(_lib.Option.STREAM_THRESHOLD) == 16 << 20
    assert mixcut.Context(stream_threshold=0).get(_lib.Option.STREAM_THRESHOLD) == 0
    with pytest.raises(mixcut.MixcutError) as err:
        mixcut.Context(stream_threshold=-1)
    assert err.value.status is mixcut.Status.ERR_BAD_PARAM


def test_status_strings_and_error_carry_the_status():
    for status in mixcut.Status:
        assert _lib.status_string(status)
    err = mixcut.MixcutError(7, "msg")
    assert err.status is mixcut.Status.ERR_BAD_PARTNER
    assert "ERR_BAD_PARTNER" in str(err) and "msg" in str(err)


def test_plan_dtype_roundtrips_through_a_c_array():
    plan = np.zeros(3, dtype=mixcut.MIX_SAMPLE_DTYPE)
    plan["partner"] = [2, 1, 0]
    plan["lam"] = [0.25, 1.0, 0.5]
    plan["kind"] = [1, 0, 2]
    plan["y1"] = [0, 0, 7]
    arr = (_lib.MixSample * 3).from_buffer(plan)
    assert [s.partner for s in arr] == [2, 1, 0]
    assert [s.lam for s in arr] == [0.25, 1.0, 0.5]
    assert [s.kind for s in arr] == [1, 0, 2]
    assert arr[2].y1 == 7


def test_package_imports_without_torch():
    code = ("import sys, mixcut, numpy as np; assert 'torch' not in sys.modules; "
            "x, t = mixcut.Mixup(num_classes=3, seed=1)(np.zeros((2, 1, 4, 4), np.float32), "
            "np.array([0, 1])); assert isinstance(t, np.ndarray)")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
