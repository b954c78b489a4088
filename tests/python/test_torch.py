"""torch CPU tensors: zero-copy in place, same results as numpy, same types back."""

import numpy as np
import pytest

import mixcut
from mixcut import MixcutError, Status

torch = pytest.importorskip("torch", reason="torch tests need torch")


def test_mixup_on_torch_is_in_place_and_matches_numpy():
    x = torch.randn(6, 3, 16, 16)
    target = torch.tensor([0, 1, 2, 3, 4, 5])
    ptr = x.data_ptr()
    x_np = x.numpy().copy()
    fn = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="pair", num_classes=8, seed=3)
    out, t = fn(x, target, step=5)
    assert out is x and x.data_ptr() == ptr
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32 and t.shape == (6, 8)
    fn2 = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="pair", num_classes=8, seed=3)
    out_np, t_np = fn2(x_np, target.numpy(), step=5)
    np.testing.assert_array_equal(x.numpy(), out_np)
    np.testing.assert_array_equal(t.numpy(), t_np)


def test_uint8_and_channels_last_tensors():
    base = torch.randint(0, 256, (4, 3, 10, 12), dtype=torch.uint8)
    plan = mixcut.mix_plan(4, 10, 12, seed=1, mode="elem", cutmix_alpha=1.0)
    want = mixcut.mix_apply(plan, base.numpy())
    got = mixcut.mix_apply(plan, base)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_array_equal(got.numpy(), want)
    cl = base.contiguous(memory_format=torch.channels_last)
    ptr = cl.data_ptr()
    mixcut.mix_apply(plan, cl, inplace=True)
    assert cl.data_ptr() == ptr
    np.testing.assert_array_equal(cl.contiguous().numpy(), want)


def test_torch_errors():
    plan = mixcut.mix_plan(4, 8, 8, seed=1)
    with pytest.raises(MixcutError) as e:
        mixcut.mix_apply(plan, torch.zeros(4, 3, 8, 16)[..., ::2])
    assert e.value.status == Status.ERR_BAD_LAYOUT
    with pytest.raises(MixcutError) as e:
        mixcut.mix_apply(plan, torch.zeros(4, 3, 8, 8, dtype=torch.float64))
    assert e.value.status == Status.ERR_BAD_DTYPE
    with pytest.raises(MixcutError) as e:
        mixcut.mix_apply(plan, torch.zeros(4, 3, 8, 8, requires_grad=True), inplace=True)
    assert e.value.status == Status.ERR_UNSUPPORTED


def test_random_erasing_and_cutout_on_tensors():
    x = torch.ones(4, 3, 32, 32)
    out = mixcut.RandomErasing(probability=1.0, mode="rand", device="cpu", seed=2)(x)
    assert out is x and (x != 1).any()
    img = torch.ones(3, 32, 32)
    out = mixcut.Cutout(n_holes=1, length=8, seed=1)(img)
    assert out is img and (img == 0).sum() > 0
    copy = mixcut.Cutout(n_holes=1, length=8, seed=1, inplace=False)(torch.ones(3, 32, 32))
    assert torch.equal(copy, img)


def test_soft_targets_from_torch():
    plan = mixcut.mix_plan(4, 8, 8, seed=1)
    soft = torch.softmax(torch.randn(4, 6), dim=1)
    t = mixcut.mix_labels(plan, soft, label_smoothing=0.1)
    assert isinstance(t, torch.Tensor) and t.shape == (4, 6)
    np.testing.assert_allclose(t.sum(1).numpy(), 1.0, rtol=1e-5)
