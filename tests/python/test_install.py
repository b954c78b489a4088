"""`pip install ./bindings/python` in a fresh venv, then `import mixcut` from
outside the source tree and the suite against the installed package.
Slow (builds the C++ library): run with `pytest -m slow tests/python`."""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_pip_install_in_a_fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    subprocess.run([py, "-m", "pip", "install", "--quiet", str(ROOT / "bindings" / "python"),
                    "pytest"], check=True, timeout=1800)
    env = {k: v for k, v in os.environ.items() if k not in ("MIXCUT_LIBRARY", "PYTHONPATH")}
    out = subprocess.run(
        [py, "-c", "import mixcut, numpy as np; print(mixcut.library_path); "
         "x, t = mixcut.Mixup(num_classes=4, seed=1)(np.zeros((3, 3, 8, 8), np.uint8), "
         "np.array([0, 1, 2])); print(t.shape)"],
        cwd=tmp_path, env=env, check=True, capture_output=True, text=True).stdout.split()
    assert str(venv) in out[0]  # the bundled library, not a build tree
    assert out[1:] == ["(3,", "4)"]
    env["MIXCUT_TEST_INSTALLED"] = "1"
    subprocess.run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "python")],
                   cwd=tmp_path, env=env, check=True, timeout=1800)
