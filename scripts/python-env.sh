#!/usr/bin/env bash
# Creates or updates .venv at the repository root for the Python tests and the
# Python benchmark: numpy, pytest and, when feasible, torch.
# Usage: python-env.sh [docs]   (docs: also pdoc, for `make docs`)
#
# torch: PyPI only carries the CUDA build of torch for Linux: about 5 GB of
# downloads with its nvidia-* wheels, several minutes. Only the torch tests
# (DataLoader collate, tensors, examples/python) need it; the rest of the
# suite (fork test included, through multiprocessing) runs with numpy alone.
# It is installed when the disk has room for it, unless MIXCUT_PYTHON_TORCH=0;
# MIXCUT_PYTHON_TORCH=1 makes a failed torch install an error.
# With torch come torchvision and timm 1.0.x (small; the fidelity tests run
# mixcut against the real timm and torchvision), in the same pip call so the
# resolver picks a torchvision built for that torch.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
python=${PYTHON:-python3}
want_torch=${MIXCUT_PYTHON_TORCH:-auto}

if [ ! -x "$venv/bin/python" ]; then
  echo "python-env: creating $venv"
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check)

if ! "$venv/bin/python" -c "import numpy, pytest" 2>/dev/null; then
  echo "python-env: installing numpy, pytest"
  "${pip[@]}" --quiet "numpy>=1.21" pytest
fi

if [ "${1:-}" = docs ]; then
  if ! "$venv/bin/python" -c "import pdoc" 2>/dev/null; then
    echo "python-env: installing pdoc (renders the Python API docs)"
    "${pip[@]}" --quiet "pdoc>=14"
  fi
  exit 0
fi

fidelity=(torchvision "timm>=1.0,<1.1")
if [ "$want_torch" != 0 ] && ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  free_kib=$(df -Pk . | awk 'NR == 2 {print $4}')
  if [ "$free_kib" -lt $((10 * 1024 * 1024)) ] && [ "$want_torch" != 1 ]; then
    echo "python-env: less than 10 GiB free, skipping torch (its tests will not run)"
  else
    cat <<'MSG'
python-env: installing torch into .venv, once: PyPI's Linux build of torch is
python-env: the CUDA one, about 5 GB to download with its nvidia-* wheels
python-env: (several minutes), with torchvision and timm 1.0.x (small). Only the
python-env: torch tests need them (DataLoader collate, tensors, the fidelity tests
python-env: against timm and torchvision, examples/python); the rest runs with
python-env: numpy alone. To skip: MIXCUT_PYTHON_TORCH=0 make test (those tests skip).
MSG
    if ! "${pip[@]}" --progress-bar on torch "${fidelity[@]}"; then
      [ "$want_torch" = 1 ] && { echo "python-env: torch install failed" >&2; exit 1; }
      echo "python-env: torch install failed; its tests will not run" >&2
    fi
  fi
fi

# An environment that has torch but not the fidelity packages (made before
# they were added) gets them; a failure only skips those tests.
if "$venv/bin/python" -c "import torch" 2>/dev/null &&
   ! "$venv/bin/python" -c "import torchvision, timm; assert timm.__version__.startswith('1.0.')" \
     2>/dev/null; then
  echo "python-env: installing torchvision and timm 1.0.x (for the fidelity tests)"
  # Pinned to the torch already there, so pip never swaps the big one.
  torch_pin="torch==$("$venv/bin/python" -c "import torch; print(torch.__version__.split('+')[0])")"
  "${pip[@]}" --quiet "$torch_pin" "${fidelity[@]}" ||
    echo "python-env: torchvision/timm install failed; the fidelity tests will not run" >&2
fi
