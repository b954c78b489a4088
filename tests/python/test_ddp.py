"""A real 2-rank DDP run (torch.multiprocessing spawn, gloo on the CPU) of examples/python/ddp_train.py:
augmented batches and losses depend on (seed, rank, epoch, batch) only, not on workers or restarts."""

import datetime
import hashlib
import importlib.util
import json
import multiprocessing
import pathlib
import random
import sys
import time

import numpy as np
import pytest

import mixcut

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
from torch.utils.data import DataLoader, DistributedSampler, default_collate  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"))
import ddp_train  # noqa: E402

WORLD, SEED, TIMEOUT_S = 2, 1234, 120
# Runs made one after another by the same two ranks: (name, ddp_train arguments).
RUNS = [
    ("workers0", ["--num-workers", "0"]),
    ("workers2", ["--num-workers", "2"]),
    ("rerun", ["--num-workers", "0"]),
    ("stop", ["--num-workers", "2", "--stop-after", "7", "--ckpt-every", "100", "--checkpoint"]),
    ("resume", ["--num-workers", "1", "--resume", "--ckpt-every", "100", "--checkpoint"]),
    ("device", ["--num-workers", "2", "--mix", "device"]),
]


def test_keys_follow_the_documented_formulas():
    # SplitMix64 seeded with 0 starts 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4 (Vigna's splitmix64.c).
    assert [mixcut.rank_seed(0, r) for r in range(2)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4]
    assert mixcut.rank_seed(1, 0) != mixcut.rank_seed(0, 1)  # unlike base + rank
    assert mixcut.epoch_step(3, 5) == 3 << 32 | 5
    for bad in ((0, 1 << 32), (1 << 24, 0), (-1, 0)):
        with pytest.raises(ValueError):
            mixcut.epoch_step(*bad)
    with pytest.raises(ValueError):
        mixcut.rank_seed(0, -1)


def _rank(rank, tmp):
    multiprocessing.set_start_method("fork", force=True)  # loader workers: torchrun's default
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{tmp}/store", rank=rank,
                            world_size=WORLD, timeout=datetime.timedelta(seconds=60))
    out = {}
    for name, argv in RUNS:
        if name == "resume":  # the resume must not lean on any global RNG
            random.seed(rank + 7)
            np.random.seed(rank + 7)
            torch.manual_seed(rank + 7)
        if argv[-1] == "--checkpoint":
            argv = argv + [f"{tmp}/ckpt.pt"]
        args = ddp_train.parse_args(argv + ["--seed", str(SEED)])
        out[name] = ddp_train.train(args)
    (pathlib.Path(tmp) / f"rank{rank}.json").write_text(json.dumps(out))
    dist.destroy_process_group()


@pytest.fixture(scope="module")
def ddp(tmp_path_factory):
    """{run name: [records of rank 0, records of rank 1]} and the checkpoint's keys."""
    tmp = tmp_path_factory.mktemp("ddp")
    start = time.monotonic()
    context = mp.start_processes(_rank, args=(str(tmp),), nprocs=WORLD, join=False,
                                 start_method="spawn")
    while not context.join(timeout=1):  # raises when a rank fails
        if time.monotonic() - start > TIMEOUT_S:
            for p in context.processes:
                p.kill()
            pytest.fail(f"the 2-rank run did not finish in {TIMEOUT_S} s")
    ranks = [json.loads((tmp / f"rank{r}.json").read_text()) for r in range(WORLD)]
    print(f"\n2 ranks, {len(RUNS)} runs: {time.monotonic() - start:.1f} s")
    for r, runs in enumerate(ranks):  # the note quotes these
        for name, records in runs.items():
            print(f"rank {r} {name:8}", " ".join(rec["digest"][:8] for rec in records))
    checkpoint = torch.load(tmp / "ckpt.pt")
    return {name: [ranks[r][name] for r in range(WORLD)] for name, _ in RUNS}, checkpoint


def _keys(records):
    return [(r["epoch"], r["batch"]) for r in records]


def test_every_rank_and_batch_gets_its_own_draws(ddp):
    runs, _ = ddp
    args = ddp_train.parse_args([])
    batches = -(-args.samples // WORLD // args.batch_size)
    dataset = ddp_train.RandomImages(args.samples, args.size, args.classes)
    plans = set()
    for rank, records in enumerate(runs["workers0"]):
        assert _keys(records) == [(e, b) for e in range(args.epochs) for b in range(batches)]
        # The documented convention, rebuilt from nothing but (seed, rank, epoch, batch):
        # rank_seed keys the draws, epoch_step numbers the batches.
        collate = mixcut.FastCollateMixup(mixup_alpha=0.8, cutmix_alpha=1.0, mode="elem",
                                          label_smoothing=0.1, num_classes=args.classes,
                                          seed=mixcut.rank_seed(SEED, rank))
        sampler = DistributedSampler(dataset, num_replicas=WORLD, rank=rank, seed=SEED)
        for epoch in range(args.epochs):
            sampler.set_epoch(epoch)
            order = list(sampler)
            for batch in range(batches):
                items = [dataset[i] for i in order[batch * args.batch_size:][:args.batch_size]]
                images, targets = collate(items, step=mixcut.epoch_step(epoch, batch))
                assert ddp_train.digest(images, targets) == records[epoch * batches + batch]["digest"]
                plans.add(collate.last_plan.tobytes())
    assert len(plans) == WORLD * args.epochs * batches  # the draws differ, not just the data
    digests = [r["digest"] for records in runs["workers0"] for r in records]
    assert len(set(digests)) == len(digests)


def test_a_rerun_repeats_every_batch_and_loss(ddp):
    runs, _ = ddp
    assert runs["rerun"] == runs["workers0"]


@pytest.mark.parametrize("run", ["workers2", "device"])
def test_num_workers_and_where_it_mixes_change_nothing(ddp, run):
    runs, _ = ddp
    assert runs[run] == runs["workers0"]  # digests and losses (float.hex), bit for bit


def test_a_resume_mid_epoch_repeats_the_rest_of_the_run(ddp):
    runs, checkpoint = ddp
    assert set(checkpoint) == {"model", "optimizer", "epoch", "batch"}  # no RNG state
    assert (checkpoint["epoch"], checkpoint["batch"]) == (1, 2)  # where "stop" stopped
    for rank in range(WORLD):
        stop, resume = runs["stop"][rank], runs["resume"][rank]
        assert len(stop) == 7 and _keys(resume)[0] == (1, 2)
        assert stop + resume == runs["workers0"][rank]


# What timm and torchvision give in the same setting (README, "Scaling out"):
# one process, global seeds set before each pass, as their training scripts do.

def _loader_digests(collate, num_workers, start_batch=0):
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    dataset = ddp_train.RandomImages(48, 16, 10)
    indices = list(range(start_batch * 8, len(dataset)))
    loader = DataLoader(torch.utils.data.Subset(dataset, indices), batch_size=8,
                        num_workers=num_workers, collate_fn=collate, timeout=60 if num_workers else 0)
    return [hashlib.sha256(x.numpy().tobytes() + t.numpy().tobytes()).hexdigest()[:16]
            for x, t in loader]


def _measure(collate):
    """(re-run identical, 0 vs 2 workers identical, resume at batch 2 identical)"""
    first = _loader_digests(collate, 0)
    return (first == _loader_digests(collate, 0), first == _loader_digests(collate, 2),
            first[2:] == _loader_digests(collate, 0, start_batch=2))


def test_timm_fast_collate_mixup_depends_on_workers_and_restarts():
    spec = importlib.util.find_spec("timm")
    if spec is None:
        pytest.skip("timm is not installed")
    # timm/data/mixup.py imports only numpy and torch: loading it alone skips
    # the import of all of timm (8 s on a busy 2-core machine).
    path = pathlib.Path(spec.origin).parent / "data" / "mixup.py"
    timm_mixup = importlib.util.module_from_spec(
        importlib.util.spec_from_file_location("timm_data_mixup", path))
    timm_mixup.__spec__.loader.exec_module(timm_mixup)
    collate = timm_mixup.FastCollateMixup(mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing=0.1,
                                          num_classes=10)
    assert _measure(collate) == (True, False, False)


def _v2_collate(batch):
    from torchvision.transforms import v2
    images, labels = default_collate(batch)
    mix = v2.RandomChoice([v2.CutMix(num_classes=10), v2.MixUp(num_classes=10)])
    return mix(images.float(), labels)


def test_torchvision_v2_mixup_cutmix_depends_on_workers_and_restarts():
    pytest.importorskip("torchvision")
    assert _measure(_v2_collate) == (True, False, False)


def test_mixcut_collate_does_not():
    collate = mixcut.DistributedCollateMixup(mixup_alpha=0.8, cutmix_alpha=1.0, mode="elem",
                                             label_smoothing=0.1, num_classes=10, seed=SEED,
                                             rank=0)
    first = _loader_digests(collate, 0)
    assert first == _loader_digests(collate, 2)
    collate.set_epoch(0, start_batch=2)
    assert first[2:] == _loader_digests(collate, 2, start_batch=2)
