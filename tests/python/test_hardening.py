"""Regression tests for the outside audit (issue 12) through Python: thread
counts the machine cannot start, misaligned float32 views, status strings."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mixcut
from mixcut import MixcutError, Status
from mixcut._lib import lib


def run_python(code, env_extra=None, timeout=120):
    """Runs code in a fresh interpreter (a crash must fail the test, not pytest)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)


HUGE_THREADS_SCRIPT = """
    import numpy as np, mixcut
    x = np.arange(4 * 3 * 8 * 8, dtype=np.float32).reshape(4, 3, 8, 8)
    before = x.copy()
    for threads in (100000, 32768, 2**31 - 1):
        m = mixcut.Mixup(num_classes=10, seed=1, num_threads=threads)
        try:
            m(x, np.array([0, 1, 2, 3]))
        except mixcut.MixcutError as e:
            assert e.status == mixcut.Status.ERR_BAD_PARAM, e
            assert "MIXCUT_MAX_THREADS" in str(e), e
        else:
            raise SystemExit(f"num_threads={threads} was accepted")
        assert np.array_equal(x, before), "x changed by a rejected call"
        CHECK_STEP
    print("ok")
"""


def test_huge_num_threads_raises_and_leaves_x_alone():
    # Before the fix: libgomp exited the process (32768) or it segfaulted (100000).
    result = run_python(HUGE_THREADS_SCRIPT.replace("CHECK_STEP", "pass"))
    assert result.returncode == 0 and "ok" in result.stdout, (result.returncode, result.stderr)


def test_huge_num_threads_leaves_step_alone():
    result = run_python(HUGE_THREADS_SCRIPT.replace(
        "CHECK_STEP", 'assert m.step == 0, "step advanced by a rejected call"'))
    assert result.returncode == 0 and "ok" in result.stdout, (result.returncode, result.stderr)


def test_context_rejects_more_than_max_threads():
    with pytest.raises(MixcutError) as e:
        mixcut.Context(num_threads=1025)
    assert e.value.status == Status.ERR_BAD_PARAM
    ctx = mixcut.Context(num_threads=1024)  # MIXCUT_MAX_THREADS is allowed
    assert ctx.get(mixcut._lib.Option.NUM_THREADS) == 1024


def test_omp_num_threads_beyond_the_machine_is_capped_not_fatal():
    # OMP_NUM_THREADS is OpenMP's default for num_threads=0: capped at
    # MIXCUT_MAX_THREADS, the call must work and equal a 1-thread call.
    result = run_python("""
        import numpy as np, mixcut
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (8, 3, 16, 16), dtype=np.uint8)
        plan = mixcut.mix_plan(8, 16, 16, seed=3, cutmix_alpha=1.0, mode="elem")
        got = mixcut.mix_apply(plan, x)
        want = mixcut.mix_apply(plan, x, num_threads=1)
        assert np.array_equal(got, want)
        print("ok")
    """, env_extra={"OMP_NUM_THREADS": "100000"})
    assert result.returncode == 0 and "ok" in result.stdout, (result.returncode, result.stderr)


def misaligned_float32(shape, offset):
    count = int(np.prod(shape))
    buf = bytearray(count * 4 + 4)
    x = np.frombuffer(buf, dtype=np.float32, count=count, offset=offset).reshape(shape)
    assert not x.flags.aligned
    return x


@pytest.mark.parametrize("offset", [1, 2, 3])
def test_misaligned_float32_view_is_rejected_untouched(offset):
    x = misaligned_float32((4, 3, 8, 8), offset)
    x[...] = np.arange(x.size, dtype=np.float32).reshape(x.shape)
    before = x.tobytes()
    plan = mixcut.mix_plan(4, 8, 8, seed=1)
    with pytest.raises(MixcutError) as e:
        mixcut.mix_apply(plan, x, inplace=True)
    assert e.value.status == Status.ERR_BAD_PARAM
    assert "aligned" in str(e.value)
    out = misaligned_float32((4, 3, 8, 8), offset)
    out_before = out.tobytes()
    with pytest.raises(MixcutError):
        mixcut.mix_apply(plan, np.ones((4, 3, 8, 8), np.uint8), out)
    with pytest.raises(MixcutError):
        mixcut.cutout(x, seed=1, length=4)
    assert x.tobytes() == before
    assert out.tobytes() == out_before


def test_status_string_of_any_int():
    # Was UB (an out-of-range enum load; clang's UBSan reports it).
    for value in (-1, 16, 100, 2**31 - 1, -2**31):
        assert lib.mixcut_status_string(value) == b"unknown status"
    assert lib.mixcut_status_string(int(Status.ERR_BAD_PARAM)) == b"bad parameter"
