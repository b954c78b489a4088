"""pytest setup: import mixcut from the source tree (bindings/python) unless
MIXCUT_TEST_INSTALLED=1 asks for the installed package. The library comes from
$MIXCUT_LIBRARY, else build/release/libmixcut.so when it exists, else the copy
bundled in an installed package."""

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
