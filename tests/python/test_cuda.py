"""torch CUDA tensors through the Python API.

Everywhere: the refusals (a library without the CUDA backend or without a
usable GPU, tensors on different devices, non-contiguous or meta tensors, a
CPU ctx), driven by host tensors that report a CUDA device, which the
refused calls must leave untouched. Marked gpu (conftest.py skips them
without a GPU; scripts/gpu-check.sh requires them): every class and mode bit
for bit against the CPU, targets on the device, no synchronisation, CUDA
graph capture.
"""

import pytest

import mixcut
import mixcut.v2
from mixcut import MixcutError, Status, _lib

torch = pytest.importorskip("torch", reason="CUDA tensor tests need torch")


# ---------------------------------------------------------------------------
# The refusals, on any machine.

class FakeCuda(torch.Tensor):
    """A host tensor that reports device cuda:<fake_index> (set by fake())."""

    fake_index = 0  # also of the views torch makes of one

    @property
    def device(self):
        return torch.device("cuda", self.fake_index)

    # mixcut asks these (cheaper than device.type), so they must agree.
    is_cuda = property(lambda self: True)
    is_cpu = property(lambda self: False)


def fake(t, index=0):
    f = torch.Tensor._make_subclass(FakeCuda, t)
    f.fake_index = index
    return f


def backend_state():
    """'absent' (a build without CUDA), 'unusable' (no GPU) or 'usable'."""
    ctx = _lib.Context()
    if _lib.lib.mixcut_ctx_set(ctx.handle, int(_lib.Option.BACKEND), 2) == 0:
        return "usable"
    return "absent" if "built without" in _lib.last_error() else "unusable"


def expect_refused(call, *tensors):
    """call() raises a MixcutError and leaves every tensor as it was."""
    before = [t.clone() for t in tensors]
    with pytest.raises(MixcutError) as e:
        call()
    for t, b in zip(tensors, before):
        assert torch.equal(torch.Tensor(t), b), "a refused call wrote its input"
    return e.value


def unusable_cases(x, y):
    plan = mixcut.mix_plan(len(x), x.shape[2], x.shape[3], seed=1, mode="elem")
    holes = mixcut.cutout_plan(len(x), x.shape[2], x.shape[3], seed=1, form="erasing")
    mixup = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, num_classes=10, seed=1)
    erasing = mixcut.RandomErasing(probability=1.0, mode="pixel", seed=1)
    cutout = mixcut.Cutout(n_holes=2, length=4, seed=1)
    return {
        "Mixup": (lambda: mixup(x, y), mixup),
        "Mixup, target on the host": (lambda: mixup(x, y.clone().as_subclass(torch.Tensor)), mixup),
        "mix_apply in place": (lambda: mixcut.mix_apply(plan, x, inplace=True), None),
        "mix_apply to a new batch": (lambda: mixcut.mix_apply(plan, x, out_dtype="uint8"), None),
        "mix_labels": (lambda: mixcut.mix_labels(plan, y, num_classes=10), None),
        "cutout_apply": (lambda: mixcut.cutout_apply(holes, x, fill="pixel", inplace=True), None),
        "cutout": (lambda: mixcut.cutout(x, seed=1, n_holes=2, length=4), None),
        "RandomErasing": (lambda: erasing(x), erasing),
        "Cutout": (lambda: cutout(x), cutout),
        "v2.MixUp": (lambda: mixcut.v2.MixUp(num_classes=10, seed=1)(x, y), None),
        "v2.CutMix": (lambda: mixcut.v2.CutMix(num_classes=10, seed=1)(x, y), None),
        "smooth_one_hot": (lambda: mixcut.smooth_one_hot(y, 10, 0.1), None),
    }


@pytest.mark.parametrize("case", list(unusable_cases(torch.zeros(4, 3, 8, 8),
                                                     torch.zeros(4)).keys()))
def test_cuda_tensors_without_a_usable_backend_are_refused_untouched(case):
    x = fake(torch.rand(4, 3, 8, 8))
    y = fake(torch.tensor([1, 2, 3, 4]))
    call, obj = unusable_cases(x, y)[case]
    error = expect_refused(call, x, y)
    state = backend_state()
    if state == "absent":
        assert error.status == Status.ERR_UNSUPPORTED
        assert "built without CUDA" in error.message and "cmake --preset cuda" in error.message
    elif state == "unusable":
        assert error.status == Status.ERR_UNSUPPORTED
        assert "cannot run here" in error.message
    else:  # a GPU: the library finds the fake tensor's memory on the host
        assert error.status == Status.ERR_BAD_PARAM and "CUDA" in error.message
    assert "cuda:0" in error.message or state == "usable"
    if obj is not None:
        assert obj.step == 0, "a refused call advanced the step"


def test_tensors_on_different_devices_are_refused():
    x0, x1 = fake(torch.rand(4, 3, 8, 8), 0), fake(torch.rand(4, 3, 8, 8), 1)
    host = torch.rand(4, 3, 8, 8)
    y0, y1 = fake(torch.tensor([1, 2, 3, 4]), 0), fake(torch.tensor([1, 2, 3, 4]), 1)
    plan = mixcut.mix_plan(4, 8, 8, seed=1)
    mixup = mixcut.Mixup(num_classes=10, seed=1)
    cases = [
        (lambda: mixcut.mix_apply(plan, x0, out=x1), "move them to one device"),
        (lambda: mixcut.mix_apply(plan, host, out=x0), "move them to one device"),
        (lambda: mixcut.mix_apply(plan, x0, out=host), "move them to one device"),
        (lambda: mixup(x0, y1), "keep target on the host or on x's device"),
        (lambda: mixup(host, y0), "keep target on the host or on x's device"),
        (lambda: mixcut.v2.MixUp(num_classes=10, seed=1)({"a": x0, "b": x1, "labels": y0}),
         "move them to one device"),
        (lambda: mixcut.v2.CutMix(num_classes=10, seed=1)(x0, y1), "labels is on cuda:1"),
    ]
    for call, words in cases:
        error = expect_refused(call, x0, x1, host)
        assert error.status == Status.ERR_BAD_PARAM and words in error.message, error.message
    assert mixup.step == 0


def test_bad_cuda_tensors_are_refused():
    plan = mixcut.mix_plan(4, 8, 8, seed=1)
    x = fake(torch.rand(4, 3, 8, 16))[..., ::2]
    error = expect_refused(lambda: mixcut.mix_apply(plan, x, inplace=True), x)
    assert error.status == Status.ERR_BAD_LAYOUT and "contiguous" in error.message
    x = fake(torch.rand(4, 3, 8, 8, dtype=torch.float64))
    assert expect_refused(lambda: mixcut.mix_apply(plan, x), x).status == Status.ERR_BAD_DTYPE
    x = fake(torch.rand(4, 3, 8, 8))
    y = fake(torch.rand(4, 10, dtype=torch.float64)).to(torch.bfloat16)
    y = fake(y)
    error = expect_refused(lambda: mixcut.mix_labels(plan, y), x)
    assert error.status == Status.ERR_BAD_DTYPE
    meta = torch.empty(4, 3, 8, 8, device="meta")
    with pytest.raises(MixcutError) as e:
        mixcut.mix_apply(plan, meta)
    assert e.value.status == Status.ERR_UNSUPPORTED and "CPU and CUDA" in e.value.message
    # A CPU ctx would read device memory as host memory.
    ctx = mixcut.Context()
    error = expect_refused(lambda: mixcut.mix_apply(plan, x, inplace=True, ctx=ctx), x)
    assert error.status == Status.ERR_UNSUPPORTED and "runs on the CPU" in error.message
    # Host-side arguments stay on the host (reading them from a GPU would wait).
    holes = mixcut.cutout_plan(4, 8, 8, seed=1, length=4)
    error = expect_refused(lambda: mixcut.cutout_apply(holes, x, fill=fake(torch.zeros(3)),
                                                       inplace=True), x)
    assert error.status == Status.ERR_UNSUPPORTED and "on the host" in error.message
    # Gather calls (loader collates) run on the CPU only.
    images = [torch.rand(3, 8, 8) for _ in range(4)]
    error = expect_refused(lambda: mixcut.mix_apply_gather(plan, images, out=x), x)
    assert error.status == Status.ERR_UNSUPPORTED and "CPU tensors here" in error.message


# ---------------------------------------------------------------------------
# On a GPU (conftest.py: marked gpu).

gpu = pytest.mark.gpu


def same(a, b):
    """Bit-identical tensors (NaN payloads included), the first on the GPU."""
    assert a.device.type == "cuda", f"a result on {a.device}"
    a, b = a.cpu(), torch.as_tensor(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    if a.dtype == torch.float32:
        a, b = a.view(torch.int32), b.view(torch.int32)
    assert torch.equal(a, b), f"{(a != b).sum().item()} elements differ"


def batch(dtype, n=7, h=37, w=29, seed=0):
    g = torch.Generator().manual_seed(seed)
    if dtype == torch.uint8:
        return torch.randint(0, 256, (n, 3, h, w), dtype=torch.uint8, generator=g)
    return torch.randn(n, 3, h, w, generator=g)


DTYPES = [torch.uint8, torch.float32]
MIXUP_CONFIGS = [
    dict(mixup_alpha=1.0, cutmix_alpha=0.0),
    dict(mixup_alpha=0.0, cutmix_alpha=1.0),
    dict(mixup_alpha=0.8, cutmix_alpha=1.0, switch_prob=0.5),
    dict(mixup_alpha=0.0, cutmix_alpha=1.0, cutmix_minmax=(0.2, 0.8)),
    dict(mixup_alpha=1.0, cutmix_alpha=1.0, prob=0.5),
]


@gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["batch", "pair", "elem"])
@pytest.mark.parametrize("partner", ["flip", "roll", "permutation"])
@pytest.mark.parametrize("memory", ["contiguous", "channels_last"])
def test_mixup_matches_the_cpu(dtype, mode, partner, memory):
    fmt = torch.channels_last if memory == "channels_last" else torch.contiguous_format
    for c, config in enumerate(MIXUP_CONFIGS):
        for n in (1, 2, 7):
            host = batch(dtype, n=n, seed=c).contiguous(memory_format=fmt)
            y = torch.randint(0, 10, (n,))
            kw = dict(mode=mode, partner=partner, label_smoothing=0.1, num_classes=10, seed=5,
                      **config)
            cpu, cuda = mixcut.Mixup(**kw), mixcut.Mixup(**kw)
            x = host.cuda()
            out, t = cuda(x, y.cuda(), step=3)
            want, t_want = cpu(host.clone(), y, step=3)
            assert out is x and t.device == x.device
            same(x, want)
            same(t, t_want)
            # int32 labels, and targets on the host while the pixels are on the GPU
            x = host.cuda()
            _, t32 = cuda(x, y.to(torch.int32).cuda(), step=3)
            same(t32, t_want)
            x = host.cuda()
            _, t_host = cuda(x, y, step=3)
            assert t_host.device.type == "cpu" and torch.equal(t_host, t_want)
            same(x, want)


@gpu
@pytest.mark.parametrize("multi_label", [False, True])
def test_dense_targets_match_the_cpu(multi_label):
    g = torch.Generator().manual_seed(3)
    for dtype in (torch.float16, torch.float32, torch.float64):
        soft = (torch.rand(9, 13, generator=g) > 0.7 if multi_label else
                torch.softmax(torch.randn(9, 13, generator=g), 1)).to(dtype)
        kw = dict(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem", partner="permutation",
                  label_smoothing=0.2, num_classes=13, multi_label=multi_label, seed=2)
        x = batch(torch.float32, n=9)
        _, t = mixcut.Mixup(**kw)(x.cuda(), soft.cuda(), step=4)
        _, want = mixcut.Mixup(**kw)(x, soft, step=4)
        same(t, want)
    plan = mixcut.mix_plan(9, 8, 8, seed=1, mode="elem", prob=0.6)
    soft = torch.softmax(torch.randn(9, 13, generator=g), 1)
    same(mixcut.mix_labels(plan, soft.cuda(), label_smoothing=0.1),
         mixcut.mix_labels(plan, soft, label_smoothing=0.1))
    labels = torch.randint(0, 13, (9,), generator=g)
    same(mixcut.smooth_one_hot(labels.cuda(), 13, 0.1), mixcut.smooth_one_hot(labels, 13, 0.1))


@gpu
@pytest.mark.parametrize("src_dtype,dst_dtype", [(torch.uint8, "uint8"), (torch.float32, "float32"),
                                                 (torch.uint8, "float32")])
@pytest.mark.parametrize("layouts", [("NCHW", "NCHW"), ("NHWC", "NCHW"), ("NCHW", "NHWC"),
                                     ("NHWC", "NHWC")])
def test_functional_mix_and_cutout_match_the_cpu(src_dtype, dst_dtype, layouts):
    layout, out_layout = layouts
    host = batch(src_dtype, n=6, h=31, w=23)
    if layout == "NHWC":
        host = host.permute(0, 2, 3, 1).contiguous()
    norm = dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)) \
        if (src_dtype, dst_dtype) == (torch.uint8, "float32") else {}
    for mode in ("batch", "elem"):
        plan = mixcut.mix_plan(6, 31, 23, seed=7, mode=mode, cutmix_alpha=1.0, partner="roll")
        kw = dict(layout=layout, out_layout=out_layout, out_dtype=dst_dtype, **norm)
        out = mixcut.mix_apply(plan, host.cuda(), **kw)
        same(out, mixcut.mix_apply(plan, host, **kw))
        out = torch.zeros_like(out)  # into a given device batch
        assert mixcut.mix_apply(plan, host.cuda(), out=out, **kw) is out
        same(out, mixcut.mix_apply(plan, host, **kw))
    for form in ("holes", "erasing"):
        holes = mixcut.cutout_plan(6, 31, 23, seed=3, form=form, min_count=1, max_count=3,
                                   length=9)
        for fill in (0.5, (1.0, 2.0, 3.0), "pixel", "rand"):
            kw = dict(fill=fill, layout=layout, out_layout=out_layout, out_dtype=dst_dtype,
                      **norm)
            same(mixcut.cutout_apply(holes, host.cuda(), **kw),
                 mixcut.cutout_apply(holes, host, **kw))
    if layout == out_layout and src_dtype == torch.float32:
        x = host.cuda()
        mixcut.mix_apply(plan, x, layout=layout, inplace=True)
        same(x, mixcut.mix_apply(plan, host, layout=layout))


@gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_erasing_cutout_and_v2_match_the_cpu(dtype):
    host = batch(dtype, n=8, h=40, w=36)
    for mode in ("const", "rand", "pixel"):
        kw = dict(probability=0.7, mode=mode, max_count=3, num_splits=2, seed=4, device="cuda")
        x = host.cuda()
        assert mixcut.RandomErasing(**kw)(x, step=2) is x
        same(x, mixcut.RandomErasing(**kw)(host.clone(), step=2))
        one = host[0].cuda()  # one C x H x W image
        mixcut.RandomErasing(**kw)(one, step=2)
        same(one, mixcut.RandomErasing(**kw)(host[0].clone(), step=2))
    kw = dict(n_holes=3, length=11, fill=(0.0, 1.0, 2.0), seed=6)
    x = host.cuda()
    same(mixcut.Cutout(**kw)(x, step=1), mixcut.Cutout(**kw)(host.clone(), step=1))
    copy = mixcut.Cutout(inplace=False, **kw)(host.cuda(), step=1)
    same(copy, mixcut.Cutout(**kw)(host.clone(), step=1))
    y = torch.randint(0, 10, (8,))
    soft = torch.softmax(torch.randn(8, 10), 1)
    for cls in (mixcut.v2.MixUp, mixcut.v2.CutMix):
        for labels in (y, soft, soft.double()):
            images, t = cls(num_classes=10, seed=9)(host.cuda(), labels.cuda(), step=5)
            want_images, want_t = cls(num_classes=10, seed=9)(host, labels, step=5)
            same(images, want_images)
            same(t, want_t)
        out = cls(num_classes=10, seed=9)({"image": host.cuda(), "labels": y.cuda()}, step=5)
        same(out["image"], want_images)


@gpu
def test_calls_run_on_the_current_stream_without_waiting():
    x_host = batch(torch.float32, n=64, h=64, w=64)
    y = torch.randint(0, 100, (64,), device="cuda")
    x = x_host.cuda()
    mixup = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem", num_classes=100, seed=1)
    erasing = mixcut.RandomErasing(probability=1.0, mode="pixel", seed=1)
    soft = torch.softmax(torch.randn(64, 100, device="cuda"), 1)
    v2 = mixcut.v2.CutMix(num_classes=100, seed=1)

    def calls(step):
        mixup(x, y, step=step)
        mixup(x, soft, step=step)
        erasing(x, step=step)
        v2(x, y, step=step)

    side = torch.cuda.Stream()
    # Round 0 warms up (ctx, staging slots, torch's allocators) with the same
    # pattern; in round 1 torch raises on any synchronising call of its own,
    # and a wait inside the library would let the sleep finish.
    for step in (0, 1):
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error" if step else 0)
        try:
            for stream in (torch.cuda.current_stream(), side):
                stream.wait_stream(torch.cuda.current_stream())  # x: one writer at a time
                with torch.cuda.stream(stream):
                    torch.cuda._sleep(200_000_000)  # keeps the stream busy for ~0.1 s
                    calls(step)
                    assert step == 0 or not stream.query(), "a call waited for the GPU"
        finally:
            torch.cuda.set_sync_debug_mode(0)
    torch.cuda.synchronize()
    # The work queued behind the sleep is right.
    want = x_host.clone()
    cpu = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem", num_classes=100, seed=1)
    y_host, soft_host = y.cpu(), soft.cpu()
    cpu_erasing = mixcut.RandomErasing(probability=1.0, mode="pixel", seed=1)
    for step in (0, 0, 1, 1):  # v2 returns a new batch: x is changed by the other three
        cpu(want, y_host, step=step)
        cpu(want, soft_host, step=step)
        cpu_erasing(want, step=step)
    same(x, want)


@gpu
def test_a_call_can_be_captured_in_a_cuda_graph():
    n, k = 16, 10
    host = batch(torch.float32, n=n, h=48, w=40)
    x = host.cuda()
    y = torch.randint(0, k, (n,), device="cuda")
    mixup = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem", num_classes=k, seed=3)
    erasing = mixcut.RandomErasing(probability=1.0, mode="pixel", max_count=2, seed=3)
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):  # the same calls once, outside the capture
        mixup(x, y, step=7)
        erasing(x, step=7)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph, stream=stream):
        _, targets = mixup(x, y, step=7)
        erasing(x, step=7)
    for trial in range(2):  # replay on fresh inputs: the plans of step 7 each time
        fresh = batch(torch.float32, n=n, h=48, w=40, seed=10 + trial)
        labels = torch.randint(0, k, (n,))
        x.copy_(fresh.cuda())
        y.copy_(labels.cuda())
        graph.replay()
        want = fresh.clone()
        _, t_want = mixcut.Mixup(mixup_alpha=1.0, cutmix_alpha=1.0, mode="elem", num_classes=k,
                                 seed=3)(want, labels, step=7)
        mixcut.RandomErasing(probability=1.0, mode="pixel", max_count=2, seed=3)(want, step=7)
        torch.cuda.synchronize()
        same(x, want)
        same(targets, t_want)


@gpu
def test_labels_outside_the_classes_make_nan_rows_on_the_device():
    plan = mixcut.mix_plan(4, 8, 8, seed=1, mode="elem", partner="roll")
    labels = torch.tensor([0, 1, 12, 3], device="cuda")
    t = mixcut.mix_labels(plan, labels, num_classes=10).cpu()
    bad = {2} | {i for i in range(4) if int(plan["partner"][i]) == 2 and plan["kind"][i]}
    for i in range(4):
        assert bool(torch.isnan(t[i]).all()) == (i in bad)


def test_fake_cuda_tensors_report_their_device():
    # The refusal tests above rely on it.
    t = fake(torch.zeros(2), 1)
    assert t.device == torch.device("cuda", 1) and isinstance(t, torch.Tensor)
