"""Threads and forked processes: no hang after fork, identical results."""

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import mixcut

SHAPE = (16, 3, 64, 64)


def work(seed, step):
    """One Mixup + RandomErasing round on a deterministic batch, 2 threads asked."""
    x = np.random.default_rng(step).integers(0, 256, SHAPE, dtype=np.uint8)
    mix = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem", num_classes=10, seed=seed,
                       num_threads=2)
    x, target = mix(x, np.arange(SHAPE[0]) % 10, step=step)
    xf = x.astype(np.float32)
    mixcut.RandomErasing(probability=1.0, mode="pixel", seed=seed, num_threads=2)(xf, step=step)
    return x.tobytes() + target.tobytes() + xf.tobytes()


def _child(job):
    """In a forked child: run the jobs from two threads at once."""
    seed, steps = job
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda s: work(seed, s), steps))


def test_fork_after_threads_does_not_hang():
    steps = list(range(4))
    # The parent uses the library from several threads first (OpenMP pools exist).
    with ThreadPoolExecutor(2) as pool:
        want = list(pool.map(lambda s: work(5, s), steps))
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(8)
    try:
        result = pool.map_async(_child, [(5, steps)] * 8)
        got = result.get(timeout=120)  # a hang fails here instead of blocking the suite
    finally:
        pool.terminate()
        pool.join()
    assert len(got) == 8
    for child in got:
        assert child == want
    assert work(5, 0) == want[0]  # the parent still works after forking


def test_thread_pool_concurrency_matches_sequential():
    jobs = [(seed, step) for seed in (1, 2) for step in range(12)]
    want = [work(seed, step) for seed, step in jobs]
    barrier = threading.Barrier(8)

    def run(job):
        try:
            barrier.wait(timeout=0.5)
        except threading.BrokenBarrierError:
            pass
        return work(*job)

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(run, jobs))
    assert got == want


def test_shared_context_per_thread_is_distinct():
    # Each worker thread records what it saw; the asserts run here, in pytest's
    # thread (an assert inside a worker thread never reaches pytest).
    seen = []
    lock = threading.Lock()

    def grab():
        ctx = mixcut._lib.thread_context(2)
        again = mixcut._lib.thread_context(2)
        with lock:
            seen.append((ctx, again))  # keep them alive so ids stay unique

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4  # every thread got through
    assert all(ctx is again for ctx, again in seen)  # reused within a thread
    assert len({id(ctx) for ctx, _ in seen}) == 4  # distinct across threads


@pytest.mark.parametrize("threads", [1, 2])
def test_explicit_thread_counts_agree(threads):
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    plan = mixcut.mix_plan(SHAPE[0], 64, 64, seed=1, mode="elem", cutmix_alpha=1.0)
    np.testing.assert_array_equal(mixcut.mix_apply(plan, x, num_threads=threads),
                                  mixcut.mix_apply(plan, x, num_threads=0))
