"""Distributed training with mixcut: DDP under torchrun, augmentations keyed by (rank, epoch,
batch) so they repeat with any num_workers and after a resume mid-epoch (README, "Scaling out").

    torchrun --standalone --nproc_per_node=2 examples/python/ddp_train.py --checkpoint ckpt.pt
    torchrun ... --checkpoint ckpt.pt --stop-after 7      # "crash" after 7 batches
    torchrun ... --checkpoint ckpt.pt --resume            # continue at batch 7, same draws
"""

import argparse
import datetime
import hashlib
import itertools
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from mixcut import DistributedCollateMixup, Mixup, epoch_step, rank_seed


class RandomImages(Dataset):
    """Stands in for a decoded dataset: (uint8 3 x size x size image, int label)."""

    def __init__(self, length, size, classes):
        self.length, self.size, self.classes = length, size, classes

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        rng = np.random.default_rng(index)
        return rng.integers(0, 256, (3, self.size, self.size), dtype=np.uint8), index % self.classes


class ResumableSampler(DistributedSampler):
    """DistributedSampler whose epoch can start after its first k batches."""

    def __init__(self, dataset, batch_size, **kwargs):
        super().__init__(dataset, **kwargs)
        self.batch_size, self.start_batch = batch_size, 0

    def set_epoch(self, epoch, start_batch=0):
        super().set_epoch(epoch)
        self.start_batch = start_batch

    def __iter__(self):
        return itertools.islice(super().__iter__(), self.start_batch * self.batch_size, None)

    def __len__(self):
        return max(0, super().__len__() - self.start_batch * self.batch_size)


def tiny_model(classes):
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                               torch.nn.Linear(8, classes))


def digest(images, targets):
    """The first 16 hex digits of sha256(pixels + targets) of one augmented batch."""
    data = images.cpu().numpy().tobytes() + targets.cpu().numpy().tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=1234, help="the job's base seed")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--samples", type=int, default=76, help="dataset size")
    p.add_argument("--size", type=int, default=16, help="image side")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=8, help="per rank")
    p.add_argument("--num-workers", type=int, default=2)
    p.add_argument("--mix", choices=("collate", "device"), default="collate",
                   help="mix in the loader's collate, or on the batch after the loader")
    p.add_argument("--checkpoint", help="checkpoint file (written every --ckpt-every batches)")
    p.add_argument("--ckpt-every", type=int, default=5)
    p.add_argument("--resume", action="store_true", help="start from --checkpoint")
    p.add_argument("--stop-after", type=int, default=0, help="stop after this many batches")
    return p.parse_args(argv)


def save_checkpoint(path, model, optimizer, epoch, batch):
    """(epoch, next batch), weights and optimizer: no RNG state. Rank 0 writes, all wait."""
    if dist.get_rank() == 0:
        state = {"model": model.module.state_dict(), "optimizer": optimizer.state_dict(),
                 "epoch": epoch, "batch": batch}
        torch.save(state, path + ".tmp")
        os.replace(path + ".tmp", path)
    dist.barrier()


def train(args, device="cpu"):
    """Trains on this rank; returns one record per batch: epoch, batch, digest, loss (hex)."""
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)  # the initial weights (DDP also broadcasts rank 0's)
    model = DistributedDataParallel(tiny_model(args.classes).to(device))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    start_epoch, start_batch, records = 0, 0, []
    if args.resume:
        state = torch.load(args.checkpoint, map_location=device)
        model.module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, start_batch = state["epoch"], state["batch"]

    dataset = RandomImages(args.samples, args.size, args.classes)
    policy = dict(mixup_alpha=0.8, cutmix_alpha=1.0, mode="elem", label_smoothing=0.1,
                  num_classes=args.classes)
    # BEGIN README
    sampler = ResumableSampler(dataset, args.batch_size, num_replicas=world_size, rank=rank,
                               seed=args.seed)
    if args.mix == "collate":  # mixed in the DataLoader workers
        collate, mixup = DistributedCollateMixup(**policy, seed=args.seed, rank=rank), None
    else:  # mixed after the loader, e.g. on the device (uint8 or float32)
        collate, mixup = None, Mixup(**policy, seed=rank_seed(args.seed, rank))
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler,
                        num_workers=args.num_workers, collate_fn=collate,
                        timeout=60 if args.num_workers else 0)
    for epoch in range(start_epoch, args.epochs):
        first = start_batch if epoch == start_epoch else 0  # > 0 after a resume mid-epoch
        sampler.set_epoch(epoch, first)
        if collate:
            collate.set_epoch(epoch, first)  # its batch b is collated at epoch_step(epoch, b)
        for batch, (images, targets) in enumerate(loader, start=first):
            images, targets = images.to(device), targets.to(device)
            if mixup:
                images, targets = mixup(images, targets, step=epoch_step(epoch, batch))
            # ... forward, backward, step; a checkpoint holds weights, optimizer, epoch, batch + 1
            # END README
            logits = model(images.float().div_(255))
            loss = torch.sum(-targets * F.log_softmax(logits, dim=-1), dim=-1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            records.append({"epoch": epoch, "batch": batch, "digest": digest(images, targets),
                            "loss": loss.item().hex()})
            if args.checkpoint and (len(records) % args.ckpt_every == 0
                                    or len(records) == args.stop_after):
                save_checkpoint(args.checkpoint, model, optimizer, epoch, batch + 1)
            if len(records) == args.stop_after:
                return records
    return records


def main():
    args = parse_args()
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=120))
    for r in train(args):
        print(f"rank {dist.get_rank()} epoch {r['epoch']} batch {r['batch']}: "  # one write:
              f"augmented {r['digest']} loss {float.fromhex(r['loss']):.6f}\n",  # no interleaving
              end="", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
