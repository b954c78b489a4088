"""mixcut's FastCollateMixup as a DataLoader collate_fn in worker processes (the README's example)."""
import numpy as np
import torch
from torch.utils.data import Dataset


class RandomImages(Dataset):
    """Stands in for a decoded dataset: (uint8 C x H x W image, int label)."""

    def __len__(self):
        return 256

    def __getitem__(self, index):
        rng = np.random.default_rng(index)
        return rng.integers(0, 256, (3, 64, 64), dtype=np.uint8), index % 10


dataset = RandomImages()
# BEGIN README
from torch.utils.data import DataLoader
from mixcut import FastCollateMixup

collate = FastCollateMixup(mixup_alpha=0.8, cutmix_alpha=1.0, mode="elem",
                           label_smoothing=0.1, num_classes=10, seed=1234)
loader = DataLoader(dataset, batch_size=64, num_workers=2, collate_fn=collate)
for epoch in range(2):
    collate.set_epoch(epoch)  # every (epoch, batch) gets its own, reproducible draws
    for images, targets in loader:  # uint8 [64, 3, H, W] mixed, float32 [64, 10]
        pass  # images.cuda(non_blocking=True), normalise on the GPU, train ...
# END README

assert images.dtype == torch.uint8 and images.shape == (64, 3, 64, 64)
assert targets.shape == (64, 10) and torch.allclose(targets.sum(1), torch.ones(64), atol=1e-5)
print("collate: ok")
