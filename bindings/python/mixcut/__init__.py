"""mixcut: batch Cutout, Mixup and CutMix over libmixcut (ctypes, no extension module).

Drop-in for timm::

    from mixcut import Mixup            # instead of: from timm.data import Mixup
    mixup_fn = Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing=0.1, num_classes=1000)
    x, target = mixup_fn(x, target)     # x mixed in place, target float32 [N, K]

torchvision v2 drop-ins: mixcut.v2.MixUp and mixcut.v2.CutMix.
Functional layer: mix_plan / mix_apply / mix_labels, cutout_plan / cutout_apply, and
mix_apply_gather / cutout_apply_gather (a list of separate samples -> the batch, one pass);
plans are numpy structured arrays (MIX_SAMPLE_DTYPE, CUTOUT_HOLE_DTYPE).
Bad input raises MixcutValueError / MixcutTypeError (MixcutError subclasses
that are also ValueError / TypeError) before anything is written.
The library is found through $MIXCUT_LIBRARY, else the copy bundled in the package.
"""

from ._lib import (ABI_MAJOR, Context, CutoutForm, DType, FillKind, Isa, Kind, Layout, MixcutError,
                   MixcutTypeError, MixcutValueError, Mode, Partner, Status, find_library, isa,
                   library_path, version)
from .collate import Gathered, cutout_apply_gather, mix_apply_gather
from .distributed import DistributedCollateMixup, epoch_step, rank_seed  # torch.distributed keys
from .erasing import Cutout, RandomErasing
from .functional import (CUTOUT_HOLE_DTYPE, MIX_SAMPLE_DTYPE, cutout, cutout_apply, cutout_plan,
                         mix_apply, mix_labels, mix_plan, smooth_one_hot)
from .mixup import FastCollateMixup, Mixup
from . import v2  # noqa: E402 (mixcut.v2.MixUp / CutMix, torchvision's drop-ins)

__version__ = version()  # the loaded library's: one version source, the header

__all__ = [
    "ABI_MAJOR", "CUTOUT_HOLE_DTYPE", "Context", "Cutout", "CutoutForm", "DType",
    "FastCollateMixup", "FillKind", "Gathered", "Isa", "Kind", "Layout", "MIX_SAMPLE_DTYPE",
    "MixcutError", "MixcutTypeError", "MixcutValueError", "Mixup", "Mode", "Partner",
    "RandomErasing", "Status", "cutout", "cutout_apply", "cutout_apply_gather", "cutout_plan",
    "find_library", "isa", "library_path", "mix_apply", "mix_apply_gather", "mix_labels",
    "mix_plan", "smooth_one_hot", "v2", "version",
]
