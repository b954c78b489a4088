//! The gather calls, a loader's collate: a batch written from separate samples
//! in one pass equals stacking them then applying, byte for byte, in every
//! context; a bad gather fails before the library is called, with the status
//! the library gives where it can see the fault, and leaves `dst` untouched.
mod common;
use common::*;
use mixcut::*;
use std::ffi::c_void;

/// Sample i of a batch is pool[ORDER[i]]: shuffled, and one sample twice
/// (a gather may read a sample more than once).
const ORDER: [usize; N] = [4, 0, 6, 2, 2, 5, 1];

/// The decoded samples a loader holds, each in its own buffer.
fn pool<T: Pixel>() -> Vec<Vec<T>> {
    T::pixels(N * CHW).chunks(CHW).map(<[T]>::to_vec).collect()
}

fn sample_views<T: Pixel>(pool: &[Vec<T>], layout: Layout) -> Vec<View<'_, T>> {
    let one = Shape::new(1, C, H, W);
    ORDER
        .iter()
        .map(|&k| View::new(&pool[k], layout, one).unwrap())
        .collect()
}

/// Destinations have gaps between samples, which neither call may write.
const DST_STRIDE: usize = CHW + 3;
const DST_LEN: usize = (N - 1) * DST_STRIDE + CHW;

/// Stack-then-apply and gather into canary destinations, in every context:
/// the two destinations must be equal to the bit, gaps included.
fn compare<S: Pixel, D: Pixel>(
    what: &str,
    (sl, dl): (Layout, Layout),
    stack: impl Fn(&mut Ctx, &View<S>, &mut ViewMut<D>) -> Result<()>,
    gather: impl Fn(&mut Ctx, &[View<S>], &mut ViewMut<D>) -> Result<()>,
) {
    let pool = pool::<S>();
    let batch: Vec<S> = ORDER.iter().flat_map(|&k| pool[k].clone()).collect();
    let src = View::new(&batch, sl, shape()).unwrap();
    let samples = sample_views(&pool, sl);
    for (name, mut ctx) in contexts() {
        let mut want = vec![D::CANARY; DST_LEN];
        let mut got = want.clone();
        let strided = Some(DST_STRIDE);
        let mut dst = ViewMut::strided(&mut want, dl, shape(), strided).unwrap();
        stack(&mut ctx, &src, &mut dst).unwrap();
        let mut dst = ViewMut::strided(&mut got, dl, shape(), strided).unwrap();
        gather(&mut ctx, &samples, &mut dst).unwrap();
        let what = format!("{what}, {sl:?} -> {dl:?}, {name}");
        assert!(
            want.iter().any(|v| *v != D::CANARY),
            "{what}: nothing written"
        );
        assert_same(&bits(&got), &bits(&want), &what);
    }
}

/// Every layout pair of every dtype pair the library converts, with and
/// without normalisation: `case::<S, D>(layouts, norm)`.
macro_rules! for_every_pair {
    ($case:ident) => {
        let norm = Normalize {
            mean: &MEAN,
            std: &STD,
        };
        for sl in LAYOUTS {
            for dl in LAYOUTS {
                $case::<u8, u8>((sl, dl), None);
                $case::<f32, f32>((sl, dl), None);
                $case::<u8, f32>((sl, dl), None);
                $case::<u8, f32>((sl, dl), Some(&norm));
            }
        }
    };
}

fn mix_case<S: Pixel, D: Pixel>(layouts: (Layout, Layout), norm: Option<&Normalize>) {
    let plan = mixed_plan(11);
    compare::<S, D>(
        &format!("mix {} -> {} norm {}", S::NAME, D::NAME, norm.is_some()),
        layouts,
        |ctx, src, dst| ctx.mix_apply(&plan, src, dst, norm),
        |ctx, samples, dst| ctx.mix_apply_gather(&plan, samples, dst, norm),
    );
}

#[test]
fn mix_gather_equals_stack_then_apply() {
    let plan = mixed_plan(11);
    assert!(plan.iter().any(|s| s.kind == MixKind::Mixup));
    assert!(plan.iter().any(|s| s.kind == MixKind::CutMix));
    for_every_pair!(mix_case);
}

fn cutout_case<S: Pixel, D: Pixel>(layouts: (Layout, Layout), norm: Option<&Normalize>) {
    let holes = CutoutPolicy {
        max_count: 2,
        length: 5,
        ..CutoutPolicy::default()
    };
    let erasing = CutoutPolicy {
        form: CutoutForm::Erasing,
        max_count: 2,
        ..CutoutPolicy::default()
    };
    let values = [7.0f32, 100.0, 255.0];
    for (form, policy) in [("holes", holes), ("erasing", erasing)] {
        let holes = cutout_plan(&policy, 5, 2, N, H, W).unwrap();
        assert!(holes.iter().any(|h| !h.is_empty()));
        for fill in [
            Fill::Constant(42.0),
            Fill::Channel(&values),
            Fill::Noise,
            Fill::ChannelNoise,
        ] {
            compare::<S, D>(
                &format!("cutout {form} {fill:?} {} -> {}", S::NAME, D::NAME),
                layouts,
                |ctx, src, dst| ctx.cutout_apply(&holes, &fill, src, dst, norm),
                |ctx, samples, dst| ctx.cutout_apply_gather(&holes, &fill, samples, dst, norm),
            );
        }
    }
}

#[test]
fn cutout_gather_equals_stack_then_apply() {
    for_every_pair!(cutout_case);
}

#[test]
fn an_empty_gather_writes_nothing() {
    let mut ctx = Ctx::new().unwrap();
    let mut out = vec![f32::CANARY; 4];
    let mut dst = ViewMut::new(&mut out, Layout::Nchw, Shape::new(0, C, H, W)).unwrap();
    let samples: [View<u8>; 0] = [];
    ctx.mix_apply_gather(&[], &samples, &mut dst, None).unwrap();
    ctx.cutout_apply_gather(&[], &Fill::Noise, &samples, &mut dst, None)
        .unwrap();
    assert!(out.iter().all(|v| *v == f32::CANARY));
}

// ---------------------------------------------------------------------------
// Bad gathers.

/// One gather call on the safe API: the samples and a destination.
type Call<'a, S, D> = &'a dyn Fn(&mut Ctx, &[View<S>], &mut ViewMut<D>) -> Result<()>;

/// The status of `call` into a canary NCHW destination of `dst_shape`, which
/// must be left untouched.
fn refused<S: Pixel, D: Pixel>(call: Call<S, D>, samples: &[View<S>], dst_shape: Shape) -> Status {
    let Shape { n, c, h, w } = dst_shape;
    let mut out = vec![D::CANARY; n * c * h * w];
    let mut dst = ViewMut::new(&mut out, Layout::Nchw, dst_shape).unwrap();
    let status = status_of(call(&mut Ctx::new().unwrap(), samples, &mut dst));
    assert!(
        out.iter().all(|v| *v == D::CANARY),
        "{status:?}: dst written"
    );
    status
}

/// The same gather through the raw C call (`gather` gets the sample
/// pointers, src and dst tensors and norm): the C library's status.
fn c_status<S: Pixel, D: Pixel>(
    samples: &[&[S]],
    (layout, sample): (Layout, Shape),
    dst_shape: Shape,
    norm: Option<&Normalize>,
    gather: impl Fn(
        *const *const c_void,
        &sys::mixcut_tensor,
        &sys::mixcut_tensor,
        *const sys::mixcut_normalize,
    ) -> sys::mixcut_status,
) -> Status {
    let pointers: Vec<*const c_void> = samples.iter().map(|s| s.as_ptr().cast()).collect();
    let n = samples.len();
    let src = raw_tensor::<S>(std::ptr::null_mut(), layout, Shape { n, ..sample });
    let mut out = vec![D::CANARY; dst_shape.n * dst_shape.c * dst_shape.h * dst_shape.w];
    let data = out.as_mut_ptr().cast();
    let dst = raw_tensor::<D>(data, Layout::Nchw, dst_shape);
    let raw_norm = norm.map(|m| sys::mixcut_normalize {
        mean: m.mean.as_ptr(),
        std: m.std.as_ptr(),
    });
    let norm_ptr = raw_norm
        .as_ref()
        .map_or(std::ptr::null(), |m| m as *const _);
    let code = gather(pointers.as_ptr(), &src, &dst, norm_ptr);
    assert!(out.iter().all(|v| *v == D::CANARY), "C wrote dst");
    assert_ne!(code, sys::MIXCUT_OK);
    Status::from_code(code)
}

/// A mix gather the C library can also be asked: the safe API's status must be
/// the library's, and neither may write the destination.
fn mix_mirrored<S: Pixel, D: Pixel>(
    plan: &[MixSample],
    samples: &[&[S]],
    sample: Shape,
    dst_shape: Shape,
    norm: Option<&Normalize>,
) -> Status {
    let views: Vec<View<S>> = samples
        .iter()
        .map(|s| View::new(s, Layout::Nhwc, sample).unwrap())
        .collect();
    let call: Call<S, D> = &|ctx, samples, dst| ctx.mix_apply_gather(plan, samples, dst, norm);
    let ours = refused(call, &views, dst_shape);
    let records = raw_plan(plan);
    let theirs = c_status::<S, D>(
        samples,
        (Layout::Nhwc, sample),
        dst_shape,
        norm,
        |p, s, d, m| {
            // SAFETY: records holds at least n = samples.len() entries (every case
            // below keeps the plan that long); the rest is described by the tensors.
            unsafe {
                sys::mixcut_mix_apply_gather(std::ptr::null_mut(), records.as_ptr(), p, s, d, m)
            }
        },
    );
    assert_eq!(ours, theirs, "the safe API and the C library disagree");
    ours
}

#[test]
fn bad_mix_gathers_get_the_library_status() {
    let good = mixed_plan(7);
    let cut = good.iter().position(|s| s.kind == MixKind::CutMix).unwrap();
    let with = |change: &dyn Fn(&mut Vec<MixSample>)| changed(&good, change);
    let (pool8, pool32) = (pool::<u8>(), pool::<f32>());
    let s8: Vec<&[u8]> = pool8.iter().map(Vec::as_slice).collect();
    let s32: Vec<&[f32]> = pool32.iter().map(Vec::as_slice).collect();
    let one = Shape::new(1, C, H, W);
    let norm = |mean, std| Normalize { mean, std };
    let bad_std = [0.5f32, 0.0, 1.0];

    let m = mix_mirrored::<u8, u8>;
    assert_eq!(
        m(&good, &s8[1..], one, shape(), None),
        Status::ShapeMismatch
    );
    let one_channel: Vec<&[u8]> = s8.iter().map(|s| &s[..H * W]).collect();
    let gray = Shape::new(1, 1, H, W);
    assert_eq!(
        m(&good, &one_channel, gray, shape(), None),
        Status::ShapeMismatch
    );
    assert_eq!(
        m(&with(&|p| p[0].partner = N), &s8, one, shape(), None),
        Status::BadPartner
    );
    assert_eq!(
        m(&with(&|p| p[1].lam = 1.5), &s8, one, shape(), None),
        Status::BadLam
    );
    assert_eq!(
        m(&with(&|p| p[1].lam = f32::NAN), &s8, one, shape(), None),
        Status::BadLam
    );
    assert_eq!(
        m(&with(&|p| p[cut].y1 = H + 1), &s8, one, shape(), None),
        Status::BadBox
    );
    let norm_u8 = norm(&MEAN, &STD);
    assert_eq!(
        m(&good, &s8, one, shape(), Some(&norm_u8)),
        Status::BadParam
    );
    let bad = norm(&MEAN, &bad_std);
    let m = mix_mirrored::<u8, f32>;
    assert_eq!(m(&good, &s8, one, shape(), Some(&bad)), Status::BadParam);
    assert_eq!(
        mix_mirrored::<f32, u8>(&good, &s32, one, shape(), None),
        Status::BadDtype
    );
}

/// A cutout gather the C library can also be asked, as [`mix_mirrored`].
fn cutout_mirrored(holes: &[CutoutHole], fill_value: f32, samples: &[&[u8]]) -> Status {
    let one = Shape::new(1, C, H, W);
    let views: Vec<View<u8>> = samples
        .iter()
        .map(|s| View::new(s, Layout::Nhwc, one).unwrap())
        .collect();
    let fill = Fill::Constant(fill_value);
    let call: Call<u8, u8> =
        &|ctx, samples, dst| ctx.cutout_apply_gather(holes, &fill, samples, dst, None);
    let ours = refused(call, &views, shape());
    let records: Vec<sys::mixcut_cutout_hole> = holes.iter().map(raw_hole).collect();
    let raw_fill = sys::mixcut_fill {
        kind: sys::MIXCUT_FILL_CONSTANT,
        value: fill_value,
        channel_values: std::ptr::null(),
    };
    let theirs = c_status::<u8, u8>(samples, (Layout::Nhwc, one), shape(), None, |p, s, d, m| {
        // SAFETY: records holds holes.len() entries; the rest is described by the tensors.
        unsafe {
            let count = records.len() as i64;
            sys::mixcut_cutout_apply_gather(
                std::ptr::null_mut(),
                records.as_ptr(),
                count,
                &raw_fill,
                p,
                s,
                d,
                m,
            )
        }
    });
    assert_eq!(ours, theirs, "the safe API and the C library disagree");
    ours
}

#[test]
fn bad_cutout_gathers_get_the_library_status() {
    let holes = small_holes();
    let with = |change: &dyn Fn(&mut Vec<CutoutHole>)| changed(&holes, change);
    let pool = pool::<u8>();
    let s: Vec<&[u8]> = pool.iter().map(Vec::as_slice).collect();
    assert_eq!(cutout_mirrored(&holes, 0.0, &s[1..]), Status::ShapeMismatch);
    assert_eq!(
        cutout_mirrored(&with(&|h| h[0].sample = N), 0.0, &s),
        Status::BadPartner
    );
    assert_eq!(
        cutout_mirrored(&with(&|h| h.swap(0, 3)), 0.0, &s),
        Status::BadParam
    );
    assert_eq!(
        cutout_mirrored(&with(&|h| h[2].x1 = W + 1), 0.0, &s),
        Status::BadBox
    );
    assert_eq!(cutout_mirrored(&holes, 255.6, &s), Status::BadParam);
    assert_eq!(cutout_mirrored(&holes, f32::NAN, &s), Status::BadParam);
}

#[test]
fn bad_gathers_are_refused_before_the_library_is_called() {
    // Faults the C library cannot see: it takes one layout and shape for all
    // the samples, and reads as many records and values as the shape needs.
    let plan = mixed_plan(7);
    let holes = small_holes();
    let pool = pool::<u8>();
    let good = sample_views(&pool, Layout::Nhwc);
    let two = [pool[0].clone(), pool[1].clone()].concat();
    let view = |data, layout, n, h, w| View::new(data, layout, Shape::new(n, C, h, w)).unwrap();
    let odd = [
        (
            view(&pool[3], Layout::Nhwc, 1, H, W - 1),
            Status::ShapeMismatch,
        ),
        (
            view(&pool[3], Layout::Nhwc, 1, H - 1, W),
            Status::ShapeMismatch,
        ),
        (view(&two, Layout::Nhwc, 2, H, W), Status::ShapeMismatch),
        (view(&pool[3], Layout::Nchw, 1, H, W), Status::BadLayout),
    ];
    let mix: Call<u8, f32> = &|ctx, s, dst| ctx.mix_apply_gather(&plan, s, dst, None);
    let cutout: Call<u8, f32> =
        &|ctx, s, dst| ctx.cutout_apply_gather(&holes, &Fill::Noise, s, dst, None);
    for call in [mix, cutout] {
        for (view, status) in &odd {
            for i in [0, 3, N - 1] {
                let mut samples = good.clone();
                samples[i] = *view;
                assert_eq!(refused(call, &samples, shape()), *status, "samples[{i}]");
            }
        }
        let more = [&good[..], &good[..1]].concat();
        assert_eq!(refused(call, &more, shape()), Status::ShapeMismatch);
    }

    let short_plan: Call<u8, f32> = &|ctx, s, dst| ctx.mix_apply_gather(&plan[1..], s, dst, None);
    assert_eq!(refused(short_plan, &good, shape()), Status::ShapeMismatch);
    let short = Normalize {
        mean: &MEAN[..2],
        std: &STD,
    };
    let short_norm: Call<u8, f32> =
        &|ctx, s, dst| ctx.mix_apply_gather(&plan, s, dst, Some(&short));
    assert_eq!(refused(short_norm, &good, shape()), Status::BadSize);
    let short_fill: Call<u8, f32> =
        &|ctx, s, dst| ctx.cutout_apply_gather(&holes, &Fill::Channel(&MEAN[..2]), s, dst, None);
    assert_eq!(refused(short_fill, &good, shape()), Status::BadSize);
    // A sample slice too short for its shape cannot become a view at all.
    let one = Shape::new(1, C, H, W);
    assert_eq!(
        status_of(View::new(&pool[0][1..], Layout::Nhwc, one)),
        Status::BadSize
    );
}
