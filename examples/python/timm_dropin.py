"""mixcut as a drop-in for timm's Mixup, on a torch CPU batch (the README's example)."""
# BEGIN README
import torch
from mixcut import Mixup  # was: from timm.data import Mixup

mixup_fn = Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, mode="elem",
                 label_smoothing=0.1, num_classes=1000)
x = torch.rand(64, 3, 224, 224)           # float32 NCHW (uint8 works too)
y = torch.randint(0, 1000, (64,))
x, target = mixup_fn(x, y)                # x mixed in place, target float32 [64, 1000]
# END README

assert target.shape == (64, 1000) and target.dtype == torch.float32
assert torch.allclose(target.sum(dim=1), torch.ones(64), atol=1e-5)
print("timm drop-in: ok, lam of sample 0 =", float(mixup_fn.last_plan["lam"][0]))
