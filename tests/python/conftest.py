"""pytest setup: import mixcut from the source tree (bindings/python) unless
MIXCUT_TEST_INSTALLED=1 asks for the installed package. The library comes from
$MIXCUT_LIBRARY, else build/release/libmixcut.so when it exists, else the copy
bundled in an installed package."""

import functools
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

if os.environ.get("MIXCUT_TEST_INSTALLED") != "1":
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    default_lib = ROOT / "build" / "release" / "libmixcut.so"
    if "MIXCUT_LIBRARY" not in os.environ and default_lib.is_file():
        os.environ["MIXCUT_LIBRARY"] = str(default_lib)


def pytest_report_header(config):
    import mixcut
    return [f"mixcut {mixcut.version()} from {mixcut.library_path} (isa {mixcut.isa()}), "
            f"package {pathlib.Path(mixcut.__file__).parent}"]


@functools.lru_cache(maxsize=None)
def _gpu_unavailable():
    """Why the gpu-marked tests cannot run here (None when they can)."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "torch sees no CUDA device"
    from mixcut import _lib
    ctx = _lib.Context()
    if _lib.lib.mixcut_ctx_set(ctx.handle, int(_lib.Option.BACKEND), 2) != 0:
        return f"{_lib.library_path} cannot run CUDA: {_lib.last_error()}"
    return None


def pytest_runtest_setup(item):
    # Tests marked gpu skip, saying why, where no GPU or no CUDA build is at
    # hand (as the C++ GPU tests do); MIXCUT_REQUIRE_GPU=1 (scripts/gpu-check.sh)
    # fails them instead, so a GPU run cannot pass by skipping.
    if item.get_closest_marker("gpu") is None:
        return
    import pytest
    why = _gpu_unavailable()
    if why is None:
        return
    if os.environ.get("MIXCUT_REQUIRE_GPU") == "1":
        pytest.fail(f"MIXCUT_REQUIRE_GPU=1 but {why}", pytrace=False)
    pytest.skip(f"GPU test: {why}")
