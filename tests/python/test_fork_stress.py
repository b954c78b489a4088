"""Fork and worker stress (issue 12 item 8): forks while another thread is
inside a call, fork pools started under load, a 4-worker DataLoader over two
epochs. Every result equals the single-process one; every wait has a deadline,
so a hang fails the test instead of blocking CI."""

import multiprocessing
import os
import signal
import threading
import time

import numpy as np
import pytest

import mixcut

K = 7


def batch(seed, shape=(16, 3, 64, 64)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def mixed(seed, num_threads=None):
    """One uint8 -> float32 CutMix/Mixup round plus erasing, as bytes."""
    x = batch(seed)
    plan = mixcut.mix_plan(len(x), 64, 64, seed=seed, cutmix_alpha=1.0, mode="elem",
                           partner="permutation")
    out = mixcut.mix_apply(plan, x, out_dtype=np.float32, mean=[0.5] * 3, std=[0.25] * 3,
                           num_threads=num_threads)
    mixcut.RandomErasing(probability=1.0, mode="pixel", seed=seed, num_threads=num_threads)(out)
    return out.tobytes()


class Busy:
    """A thread that keeps calling the library with 2 OpenMP threads (ctypes
    drops the GIL, so the main thread forks while a call is running)."""

    def __init__(self):
        self.calls = 0
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            x = batch(99, (64, 3, 96, 96))
            plan = mixcut.mix_plan(len(x), 96, 96, seed=3, mode="elem", partner="permutation")
            out = np.empty_like(x)
            ctx = mixcut.Context(num_threads=2)
            while not self._stop.is_set():
                mixcut.mix_apply(plan, x, out, ctx=ctx)
                self.calls += 1
        except BaseException as e:  # reported by stop()
            self.error = e

    def __enter__(self):
        self._thread.start()
        deadline = time.monotonic() + 30
        while self.calls == 0 and self.error is None and time.monotonic() < deadline:
            time.sleep(0.001)
        assert self.calls > 0, f"busy thread did not start: {self.error!r}"
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "busy thread hung"
        assert self.error is None, repr(self.error)


def wait_or_kill(pid, deadline):
    """The child's exit code, or None after killing it at the deadline."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.01)


def test_fork_while_another_thread_is_inside_a_call():
    want = {seed: mixed(seed, num_threads=1) for seed in range(3)}
    assert mixed(0, num_threads=2) == want[0]  # the forking thread has an OpenMP pool too
    pids = []
    with Busy() as busy:
        for i in range(16):
            pid = os.fork()
            if pid == 0:  # the child: no pytest from here on, only os._exit
                code = 3
                try:
                    ok = all(mixed(seed, threads) == want[seed]
                             for seed in range(3) for threads in (None, 1, 2))
                    code = 0 if ok else 1
                finally:
                    os._exit(code)
            pids.append(pid)
            time.sleep(0.002 * (i % 4))  # land at different points of the busy call
        calls_during_forks = busy.calls
    deadline = time.monotonic() + 120
    codes = [wait_or_kill(pid, deadline) for pid in pids]
    assert None not in codes, f"children hung (killed): {codes}"
    assert codes == [0] * len(pids), f"children's results differ (1) or raised (3): {codes}"
    assert calls_during_forks > 1
    assert mixed(0) == want[0]  # and the parent still works


def _pool_job(seed):
    return mixed(seed)


def test_fork_pools_started_under_load():
    seeds = list(range(8))
    want = [mixed(seed, num_threads=1) for seed in seeds]
    assert mixed(0, num_threads=2) == want[0]  # the forking thread has an OpenMP pool too
    ctx = multiprocessing.get_context("fork")
    with Busy():
        for _ in range(3):
            pool = ctx.Pool(4)
            try:
                got = pool.map_async(_pool_job, seeds).get(timeout=120)  # a hang fails here
            finally:
                pool.terminate()
                pool.join()
            assert got == want


try:
    import torch
    import torch.utils.data
except ImportError:
    torch = None


class _Images:
    """48 (uint8 image, label) samples for a DataLoader."""

    def __init__(self):
        rng = np.random.default_rng(5)
        self.items = [(rng.integers(0, 256, (3, 32, 32), dtype=np.uint8), int(rng.integers(0, K)))
                      for _ in range(48)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def _epochs(num_workers, epochs=2):
    collate = mixcut.FastCollateMixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem",
                                      num_classes=K, label_smoothing=0.1, seed=11)
    loader = torch.utils.data.DataLoader(
        _Images(), batch_size=8, shuffle=False, num_workers=num_workers, collate_fn=collate,
        multiprocessing_context="fork" if num_workers else None,
        timeout=120 if num_workers else 0)  # a hung worker raises instead of blocking
    result = []
    for epoch in range(epochs):
        collate.set_epoch(epoch)
        result.append([x.numpy().tobytes() + t.numpy().tobytes() for x, t in loader])
    return result


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_dataloader_4_workers_2_epochs_equal_single_process():
    want = _epochs(0)
    assert want[0] != want[1] and len(set(want[0])) == len(want[0])
    with Busy():  # the parent is inside calls while the workers fork
        got = _epochs(4)
    assert got == want
