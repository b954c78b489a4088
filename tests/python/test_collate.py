"""FastCollateMixup as a collate_fn: reproducible, distinct per batch, the same
for any number of workers (multiprocessing with fork; torch's DataLoader too)."""

import multiprocessing

import numpy as np
import pytest

import mixcut
from reference import ref_mix

N_SAMPLES, BATCH, K = 40, 6, 5  # 7 batches, the last one odd (4 samples)


def dataset():
    rng = np.random.default_rng(0)
    return [(rng.integers(0, 256, (3, 12, 12), dtype=np.uint8), int(rng.integers(0, K)))
            for _ in range(N_SAMPLES)]


def batches():
    data = dataset()
    return [data[i:i + BATCH] for i in range(0, N_SAMPLES, BATCH)]


def make_collate(**kw):
    return mixcut.FastCollateMixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem",
                                   num_classes=K, seed=42, **kw)


def _as_bytes(result):
    out, target = result
    return np.asarray(out).tobytes() + np.asarray(target).tobytes()


def run_in_workers(collate, num_workers):
    """A loader like torch's: worker w of k collates batches w, w+k, ... in order."""
    bs = batches()

    def worker(w, conn):
        collate.set_worker(w, num_workers)
        conn.send([(b, _as_bytes(collate(bs[b]))) for b in range(w, len(bs), num_workers)])
        conn.close()

    ctx = multiprocessing.get_context("fork")
    procs, conns = [], []
    for w in range(num_workers):
        parent, child = ctx.Pipe(duplex=False)
        p = ctx.Process(target=worker, args=(w, child))
        p.start()
        procs.append(p)
        conns.append(parent)
    results = {}
    for conn in conns:
        assert conn.poll(120), "worker hung"
        results.update(dict(conn.recv()))
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    return [results[b] for b in range(len(bs))]


def test_collate_matches_the_plan_it_reports():
    collate = make_collate()
    for b, batch in enumerate(batches()):
        out, target = collate(batch)
        assert collate.last_step == b
        stacked = np.stack([s[0] for s in batch])
        plan = mixcut.mix_plan(len(batch), 12, 12, seed=42, step=b, mixup_alpha=1.0,
                               cutmix_alpha=1.0, mode="elem")
        _, want = ref_mix(plan, stacked)
        np.testing.assert_array_equal(np.asarray(out), want)
        assert np.asarray(target).shape == (len(batch), K)


def test_collate_is_reproducible_and_worker_count_independent():
    collate = make_collate()
    serial, plans = [], []
    for b in batches():
        serial.append(_as_bytes(collate(b)))
        plans.append(collate.last_plan.tobytes())
    assert len(set(plans)) == len(plans)  # distinct draws per batch
    again = make_collate()
    assert [_as_bytes(again(b)) for b in batches()] == serial
    for workers in (2, 3):
        assert run_in_workers(make_collate(), workers) == serial


def test_set_epoch_changes_the_draws_reproducibly():
    c = make_collate()
    c.set_epoch(1)
    epoch1 = [_as_bytes(c(b)) for b in batches()]
    c2 = make_collate()
    c2.set_epoch(1)
    assert [_as_bytes(c2(b)) for b in batches()] == epoch1
    c0 = make_collate()
    epoch0 = [_as_bytes(c0(b)) for b in batches()]
    assert not set(epoch1) & set(epoch0)


try:
    import torch
    import torch.utils.data
except ImportError:  # the DataLoader tests need torch; the ones above do not
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


class _Data:
    """A map-style dataset (all torch's DataLoader needs)."""

    def __init__(self):
        self.items = dataset()

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def load(collate, num_workers, persistent=False):
    loader = torch.utils.data.DataLoader(
        _Data(), batch_size=BATCH, shuffle=False, num_workers=num_workers, collate_fn=collate,
        multiprocessing_context="fork" if num_workers else None, timeout=120 if num_workers else 0,
        persistent_workers=persistent)
    return loader


@needs_torch
def test_dataloader_with_fork_workers():
    serial = [_as_bytes(r) for r in load(make_collate(), 0)]
    assert len(set(serial)) == len(serial)
    for workers in (2, 3):
        got = [_as_bytes(r) for r in load(make_collate(), workers)]
        assert got == serial
    out, target = next(iter(load(make_collate(), 2)))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.uint8
    assert out.shape == (BATCH, 3, 12, 12)
    assert isinstance(target, torch.Tensor) and target.dtype == torch.float32
    assert target.shape == (BATCH, K)


@needs_torch
def test_dataloader_epochs():
    collate = make_collate()
    loader = load(collate, 2)
    collate.set_epoch(0)
    e0 = [_as_bytes(r) for r in loader]
    collate.set_epoch(1)
    e1 = [_as_bytes(r) for r in loader]
    assert not set(e0) & set(e1)
    collate.set_epoch(1)
    assert [_as_bytes(r) for r in loader] == e1
    persistent = load(make_collate(), 2, persistent=True)
    p0 = [_as_bytes(r) for r in persistent]
    p1 = [_as_bytes(r) for r in persistent]
    assert p0 == e0 and not set(p0) & set(p1)
