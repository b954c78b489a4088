//! Behaviour of the safe API: results against a reference written here from the
//! header's formulas, every error path (with canary destinations), threads.
mod common;
use common::*;
use mixcut::*;
use std::thread;

fn in_box(s: &MixSample, y: usize, x: usize) -> bool {
    s.y0 <= y && y < s.y1 && s.x0 <= x && x < s.x1
}

/// The header's per-element rule: out(i, c, y, x) from x_i's value `a` and
/// x_partner's `b`; `blend` is Mixup's formula for the dtype.
fn mix_ref<T>(
    s: &MixSample,
    i: usize,
    y: usize,
    x: usize,
    a: T,
    b: T,
    blend: impl Fn(T, T) -> T,
) -> T {
    match s.kind {
        _ if s.partner == i => a,
        MixKind::None => a,
        MixKind::CutMix if in_box(s, y, x) => b,
        MixKind::CutMix => a,
        MixKind::Mixup => blend(a, b),
    }
}

fn mix_u8(s: &MixSample, i: usize, y: usize, x: usize, a: u8, b: u8) -> u8 {
    mix_ref(s, i, y, x, a, b, |a, b| {
        let q = (f64::from(s.lam) * 16384.0).round_ties_even() as i32;
        ((q * i32::from(a) + (16384 - q) * i32::from(b) + 8192) >> 14) as u8
    })
}

fn mix_f32(s: &MixSample, i: usize, y: usize, x: usize, a: f32, b: f32) -> f32 {
    // Two roundings, no FMA (Rust never contracts).
    mix_ref(s, i, y, x, a, b, |a, b| a * s.lam + b * (1.0 - s.lam))
}

/// Reference output of a whole batch: f(i, c, y, x, a, b) into dst order.
fn reference<S: Copy, D: Default + Copy>(
    src: &[S],
    (src_layout, dst_layout): (Layout, Layout),
    (dst_stride, dst_len): (usize, usize),
    plan: &[MixSample],
    f: impl Fn(usize, usize, usize, usize, S, S) -> D,
) -> Vec<D> {
    let mut out = vec![D::default(); dst_len];
    for (i, s) in plan.iter().enumerate() {
        for c in 0..C {
            for y in 0..H {
                for x in 0..W {
                    let a = src[at(src_layout, CHW, i, c, y, x)];
                    let b = src[at(src_layout, CHW, s.partner, c, y, x)];
                    out[at(dst_layout, dst_stride, i, c, y, x)] = f(i, c, y, x, a, b);
                }
            }
        }
    }
    out
}

/// `ctx.mix_apply` from `src` into a new packed batch.
fn mixed<S: Pixel, D: Pixel>(
    ctx: &mut Ctx,
    plan: &[MixSample],
    src: &[S],
    (sl, dl): (Layout, Layout),
    norm: Option<&Normalize>,
) -> Vec<D> {
    let mut out = vec![D::default(); N * CHW];
    let view = View::new(src, sl, shape()).unwrap();
    let mut dst = ViewMut::new(&mut out, dl, shape()).unwrap();
    ctx.mix_apply(plan, &view, &mut dst, norm).unwrap();
    out
}

#[test]
fn mix_matches_the_reference_for_every_dtype_pair_and_layout() {
    let mut ctx = Ctx::new().unwrap();
    let plan = mixed_plan(11);
    assert!(plan.iter().any(|s| s.kind == MixKind::Mixup));
    assert!(plan.iter().any(|s| s.kind == MixKind::CutMix));
    let (src8, src32) = (u8::pixels(N * CHW), f32::pixels(N * CHW));
    let norm = Normalize {
        mean: &MEAN,
        std: &STD,
    };
    let packed = (CHW, N * CHW);
    for sl in LAYOUTS {
        for dl in LAYOUTS {
            let layouts = (sl, dl);
            let got: Vec<u8> = mixed(&mut ctx, &plan, &src8, layouts, None);
            let want = reference(&src8, layouts, packed, &plan, |i, _, y, x, a, b| {
                mix_u8(&plan[i], i, y, x, a, b)
            });
            assert_same(&got, &want, &format!("u8 {sl:?} -> {dl:?}"));

            let got: Vec<f32> = mixed(&mut ctx, &plan, &src32, layouts, None);
            let want = reference(&src32, layouts, packed, &plan, |i, _, y, x, a, b| {
                mix_f32(&plan[i], i, y, x, a, b)
            });
            assert_same(&bits(&got), &bits(&want), &format!("f32 {sl:?} -> {dl:?}"));

            // u8 -> normalised f32 in one pass: the u8 result, then (v / 255 - mean) / std.
            let got: Vec<f32> = mixed(&mut ctx, &plan, &src8, layouts, Some(&norm));
            let want = reference(&src8, layouts, packed, &plan, |i, c, y, x, a, b| {
                (f32::from(mix_u8(&plan[i], i, y, x, a, b)) / 255.0 - MEAN[c]) / STD[c]
            });
            assert_same(
                &bits(&got),
                &bits(&want),
                &format!("u8 -> f32 {sl:?} -> {dl:?}"),
            );
        }
    }
}

fn in_place_case<T: Pixel>(ctx: &mut Ctx, plan: &[MixSample], layout: Layout, what: &str) {
    let src = T::pixels(N * CHW);
    let out: Vec<T> = mixed(ctx, plan, &src, (layout, layout), None);
    let mut batch = src.clone();
    let mut view = ViewMut::new(&mut batch, layout, shape()).unwrap();
    ctx.mix_apply_in_place(plan, &mut view).unwrap();
    assert_same(&bits(&batch), &bits(&out), &format!("{} {what}", T::NAME));
}

#[test]
fn in_place_equals_out_of_place() {
    let mut ctx = Ctx::new().unwrap();
    for seed in 0..4 {
        let plan = mixed_plan(seed);
        for layout in LAYOUTS {
            let what = format!("{layout:?} seed {seed}");
            in_place_case::<u8>(&mut ctx, &plan, layout, &what);
            in_place_case::<f32>(&mut ctx, &plan, layout, &what);
        }
    }
}

#[test]
fn strided_destination_leaves_the_gaps_alone() {
    let stride = CHW + 5;
    let plan = mixed_plan(5);
    let src = u8::pixels(N * CHW);
    let mut out = vec![u8::CANARY; (N - 1) * stride + CHW + 5];
    let mut dst = ViewMut::strided(&mut out, Layout::Nhwc, shape(), Some(stride)).unwrap();
    let view = View::new(&src, Layout::Nchw, shape()).unwrap();
    Ctx::new()
        .unwrap()
        .mix_apply(&plan, &view, &mut dst, None)
        .unwrap();
    let layouts = (Layout::Nchw, Layout::Nhwc);
    let want = reference(
        &src,
        layouts,
        (stride, out.len()),
        &plan,
        |i, _, y, x, a, b| mix_u8(&plan[i], i, y, x, a, b),
    );
    for i in 0..N {
        let sample = i * stride..i * stride + CHW;
        assert_same(&out[sample.clone()], &want[sample], &format!("sample {i}"));
        let gap = i * stride + CHW..(i * stride + stride).min(out.len());
        assert!(
            out[gap].iter().all(|&v| v == u8::CANARY),
            "gap after sample {i} written"
        );
    }
}

/// The safe API and a direct mixcut-sys call give the same bytes (noise fills,
/// which the reference below does not model).
#[test]
fn cutout_noise_is_the_c_api_result() {
    let policy = CutoutPolicy {
        min_count: 1,
        max_count: 3,
        length: 4,
        ..CutoutPolicy::default()
    };
    let holes = cutout_plan(&policy, 9, 1, N, H, W).unwrap();
    assert_eq!(holes.len(), N * 3);
    let raw_holes: Vec<sys::mixcut_cutout_hole> = holes.iter().map(raw_hole).collect();
    for (fill, kind) in [
        (Fill::Noise, sys::MIXCUT_FILL_NOISE),
        (Fill::ChannelNoise, sys::MIXCUT_FILL_CHANNEL_NOISE),
    ] {
        let src = u8::pixels(N * CHW);
        let mut safe = vec![0u8; N * CHW];
        let view = View::new(&src, Layout::Nchw, shape()).unwrap();
        let mut dst = ViewMut::new(&mut safe, Layout::Nchw, shape()).unwrap();
        Ctx::new()
            .unwrap()
            .cutout_apply(&holes, &fill, &view, &mut dst, None)
            .unwrap();

        let mut raw_out = vec![0u8; N * CHW];
        let raw_fill = sys::mixcut_fill {
            kind,
            value: 0.0,
            channel_values: std::ptr::null(),
        };
        let s = raw_tensor::<u8>(src.as_ptr() as *mut _, Layout::Nchw, shape());
        let d = raw_tensor::<u8>(raw_out.as_mut_ptr().cast(), Layout::Nchw, shape());
        // SAFETY: both tensors describe live buffers of N * CHW bytes.
        let status = unsafe {
            let (count, holes) = (raw_holes.len() as i64, raw_holes.as_ptr());
            let (ctx, norm) = (std::ptr::null_mut(), std::ptr::null());
            sys::mixcut_cutout_apply(ctx, holes, count, &raw_fill, &s, &d, norm)
        };
        assert_eq!(status, sys::MIXCUT_OK);
        assert_same(&safe, &raw_out, &format!("{fill:?}"));
        assert_ne!(safe, src, "{fill:?} filled nothing");
    }
}

fn cutout_case<T: Pixel>(holes: &[CutoutHole], fill: Fill, layout: Layout) {
    let value = |c: usize| match fill {
        Fill::Constant(v) => T::from_f32(v),
        Fill::Channel(v) => T::from_f32(v[c]),
        _ => unreachable!(),
    };
    let src = T::pixels(N * CHW);
    let mut want = src.clone();
    for h in holes {
        for c in 0..C {
            for (y, x) in (h.y0..h.y1).flat_map(|y| (h.x0..h.x1).map(move |x| (y, x))) {
                want[at(layout, CHW, h.sample, c, y, x)] = value(c);
            }
        }
    }
    let what = format!("{} {layout:?} {fill:?}", T::NAME);
    let mut ctx = Ctx::new().unwrap();
    let mut out = vec![T::default(); N * CHW];
    let view = View::new(&src, layout, shape()).unwrap();
    let mut dst = ViewMut::new(&mut out, layout, shape()).unwrap();
    ctx.cutout_apply(holes, &fill, &view, &mut dst, None)
        .unwrap();
    assert_same(&bits(&out), &bits(&want), &what);
    let mut batch = src.clone();
    let mut view = ViewMut::new(&mut batch, layout, shape()).unwrap();
    ctx.cutout_apply_in_place(holes, &fill, &mut view).unwrap();
    assert_same(&bits(&batch), &bits(&want), &format!("in place {what}"));
}

#[test]
fn cutout_constant_and_channel_fills_match_the_reference() {
    let policy = CutoutPolicy {
        min_count: 0,
        max_count: 2,
        length: 5,
        ..CutoutPolicy::default()
    };
    let holes = cutout_plan(&policy, 4, 2, N, H, W).unwrap();
    assert!(holes.iter().any(|h| !h.is_empty()));
    let values = [7.0f32, 100.0, 255.0];
    for layout in LAYOUTS {
        for fill in [Fill::Constant(42.0), Fill::Channel(&values)] {
            cutout_case::<u8>(&holes, fill, layout);
            cutout_case::<f32>(&holes, fill, layout);
        }
    }
}

#[test]
fn labels_are_the_smoothed_mix_of_the_pair() {
    let plan = mixed_plan(2);
    let labels: Vec<i64> = (0..N as i64).map(|i| (i * 3) % 5).collect();
    let (k, eps) = (5usize, 0.1f32);
    let mut out = vec![0f32; N * k];
    mix_labels(&plan, &labels, k, eps, &mut out).unwrap();
    let smooth = |y: i64, c: usize| {
        if c as i64 == y {
            1.0 - eps + eps / k as f32
        } else {
            eps / k as f32
        }
    };
    for (i, s) in plan.iter().enumerate() {
        for c in 0..k {
            let want = if s.kind == MixKind::None || s.partner == i {
                smooth(labels[i], c)
            } else {
                s.lam * smooth(labels[i], c) + (1.0 - s.lam) * smooth(labels[s.partner], c)
            };
            assert!(
                (out[i * k + c] - want).abs() < 1e-6,
                "row {i} class {c}: {} vs {want}",
                out[i * k + c]
            );
        }
    }
    // Soft labels: mixing the one-hot rows equals mixing the hard labels; in place too.
    let mut soft = vec![0f32; N * k];
    for (i, &y) in labels.iter().enumerate() {
        soft[i * k + y as usize] = 1.0;
    }
    let mut from_soft = vec![0f32; N * k];
    mix_soft_labels(&plan, &soft, k, eps, &mut from_soft).unwrap();
    mix_soft_labels_in_place(&plan, &mut soft, k, eps).unwrap();
    assert_same(&bits(&soft), &bits(&from_soft), "soft labels in place");
    for (a, b) in from_soft.iter().zip(&out) {
        assert!((a - b).abs() < 1e-6);
    }
}

#[test]
fn multi_labels_smooth_toward_one_half_then_mix() {
    let plan = mixed_plan(3);
    let (k, eps) = (4usize, 0.2f32);
    let targets: Vec<f32> = (0..N * k)
        .map(|e| ((e * 7) % 3 == 0) as u8 as f32)
        .collect();
    let mut out = vec![0f32; N * k];
    mix_multi_labels(&plan, &targets, k, eps, &mut out).unwrap();
    let smooth = |v: f32| v * (1.0 - eps) + 0.5 * eps;
    for (i, s) in plan.iter().enumerate() {
        for c in 0..k {
            let a = smooth(targets[i * k + c]);
            let want = if s.kind == MixKind::None || s.partner == i {
                a
            } else {
                s.lam * a + (1.0 - s.lam) * smooth(targets[s.partner * k + c])
            };
            assert!((out[i * k + c] - want).abs() < 1e-6, "row {i} class {c}");
        }
    }
    let mut in_place = targets.clone();
    mix_multi_labels_in_place(&plan, &mut in_place, k, eps).unwrap();
    assert_same(&bits(&in_place), &bits(&out), "multi labels in place");

    let mut bad = targets.clone();
    bad[2] = f32::NAN;
    let mut out = vec![f32::CANARY; N * k];
    assert_eq!(
        status_of(mix_multi_labels(&plan, &bad, k, eps, &mut out)),
        Status::BadParam
    );
    assert_eq!(
        status_of(mix_multi_labels(&plan, &targets, k, eps, &mut out[1..])),
        Status::ShapeMismatch
    );
    assert!(out.iter().all(|&v| v == f32::CANARY));
}

#[test]
fn plans_are_keyed_and_policies_default_to_timm() {
    let p = MixPolicy::default();
    assert_eq!(
        (p.mixup_alpha, p.cutmix_alpha, p.prob, p.switch_prob),
        (1.0, 0.0, 1.0, 0.5)
    );
    assert_eq!(
        (p.mode, p.partner.clone(), p.correct_lam, p.cutmix_minmax),
        (Mode::Batch, Partner::Flip, true, None)
    );
    let c = CutoutPolicy::default();
    assert_eq!(
        (c.form, c.prob, c.min_count, c.max_count, c.length),
        (CutoutForm::Holes, 1.0, 1, 1, 16)
    );

    assert_eq!(mixed_plan(1), mixed_plan(1));
    assert_ne!(mixed_plan(1), mixed_plan(2));
    let flip = mix_plan(&p, 0, 0, N, H, W).unwrap();
    assert!(flip.iter().enumerate().all(|(i, s)| s.partner == N - 1 - i));
    assert_eq!(flip[N / 2].kind, MixKind::None); // its partner is itself
    let explicit = MixPolicy {
        partner: Partner::Explicit(vec![1, 0, 3, 2, 5, 4, 6]),
        ..p
    };
    let plan = mix_plan(&explicit, 0, 0, N, H, W).unwrap();
    assert_eq!(
        plan.iter().map(|s| s.partner).collect::<Vec<_>>(),
        [1, 0, 3, 2, 5, 4, 6]
    );
}

// ---------------------------------------------------------------------------
// Errors: the right Status, a message, and the destination untouched.

/// Runs a mix apply of a u8 batch with a modified plan/shape/norm into a
/// canary batch: the status, and whether the canary survived.
fn mix_error<D: Pixel>(
    plan: &[MixSample],
    dst_shape: Shape,
    norm: Option<&Normalize>,
) -> (Status, bool) {
    let src = u8::pixels(N * CHW);
    let canary = D::CANARY;
    let mut out = vec![canary; dst_shape.n * dst_shape.c * dst_shape.h * dst_shape.w];
    let mut dst = ViewMut::new(&mut out, Layout::Nchw, dst_shape).unwrap();
    let view = View::new(&src, Layout::Nhwc, shape()).unwrap();
    let status = status_of(Ctx::new().unwrap().mix_apply(plan, &view, &mut dst, norm));
    (status, out.iter().all(|v| *v == canary))
}

#[test]
fn bad_plans_are_refused_and_leave_the_destination_untouched() {
    let good = mixed_plan(7);
    let cut = good.iter().position(|s| s.kind == MixKind::CutMix).unwrap();
    type Change = Box<dyn Fn(&mut Vec<MixSample>)>;
    let cases: Vec<(Status, Change)> = vec![
        (Status::BadPartner, Box::new(|p| p[0].partner = N)),
        (Status::BadLam, Box::new(|p| p[1].lam = 1.5)),
        (Status::BadLam, Box::new(|p| p[1].lam = f32::NAN)),
        (Status::BadBox, Box::new(move |p| p[cut].y1 = H + 1)),
        (
            Status::BadBox,
            Box::new(move |p| (p[cut].x0, p[cut].x1) = (5, 4)),
        ),
        (Status::ShapeMismatch, Box::new(|p| p.truncate(N - 1))),
    ];
    for (want, change) in &cases {
        let want = *want;
        let plan = changed(&good, change);
        assert_eq!(mix_error::<u8>(&plan, shape(), None), (want, true));
        assert_eq!(mix_error::<f32>(&plan, shape(), None), (want, true));
        // In place: the batch itself is the canary.
        let mut batch = f32::pixels(N * CHW);
        let before = batch.clone();
        let mut view = ViewMut::new(&mut batch, Layout::Nchw, shape()).unwrap();
        assert_eq!(
            status_of(Ctx::new().unwrap().mix_apply_in_place(&plan, &mut view)),
            want
        );
        assert_same(&bits(&batch), &bits(&before), &format!("in place {want:?}"));
    }
}

#[test]
fn bad_views_pairs_and_normalisation_are_refused() {
    let plan = mixed_plan(7);
    assert_eq!(
        mix_error::<u8>(&plan, Shape::new(N, C, H, W + 1), None),
        (Status::ShapeMismatch, true)
    );
    assert_eq!(
        mix_error::<u8>(&plan, Shape::new(N, 1, H, W), None),
        (Status::ShapeMismatch, true)
    );
    let bad_std = [0.5f32, 0.0, 1.0];
    let nan_mean = [0.5f32, f32::NAN, 1.0];
    let norm = |mean, std| Normalize { mean, std };
    assert_eq!(
        mix_error::<f32>(&plan, shape(), Some(&norm(&MEAN, &bad_std))),
        (Status::BadParam, true)
    );
    assert_eq!(
        mix_error::<f32>(&plan, shape(), Some(&norm(&nan_mean, &STD))),
        (Status::BadParam, true)
    );
    assert_eq!(
        mix_error::<f32>(&plan, shape(), Some(&norm(&MEAN[..2], &STD))),
        (Status::BadSize, true)
    );
    // norm on u8 -> u8 is meaningless.
    assert_eq!(
        mix_error::<u8>(&plan, shape(), Some(&norm(&MEAN, &STD))),
        (Status::BadParam, true)
    );

    // float32 -> uint8 is not a supported pair.
    let src = f32::pixels(N * CHW);
    let mut out = vec![u8::CANARY; N * CHW];
    let mut dst = ViewMut::new(&mut out, Layout::Nchw, shape()).unwrap();
    let view = View::new(&src, Layout::Nchw, shape()).unwrap();
    assert_eq!(
        status_of(Ctx::new().unwrap().mix_apply(&plan, &view, &mut dst, None)),
        Status::BadDtype
    );
    assert!(out.iter().all(|&v| v == u8::CANARY));

    // Views: slices too short, zero or huge sides, a stride below c*h*w.
    let data = vec![0u8; N * CHW];
    assert_eq!(
        status_of(View::new(&data[1..], Layout::Nchw, shape())),
        Status::BadSize
    );
    assert_eq!(
        status_of(View::new(&data, Layout::Nchw, Shape::new(N, 0, H, W))),
        Status::BadSize
    );
    assert_eq!(
        status_of(View::new(&data, Layout::Nchw, Shape::new(1, 1, 1, 1 << 31))),
        Status::BadSize
    );
    assert_eq!(
        status_of(View::strided(&data, Layout::Nchw, shape(), Some(CHW - 1))),
        Status::BadSize
    );
    assert_eq!(
        status_of(View::new(
            &data,
            Layout::Nchw,
            Shape::new(usize::MAX, C, H, W)
        )),
        Status::BadSize
    );
}

#[test]
fn bad_labels_are_refused_and_leave_the_targets_untouched() {
    let plan = mixed_plan(7);
    let labels: Vec<i64> = (0..N as i64).collect();
    let k = N;
    let check = |labels: &[i64], k: usize, eps: f32, out_len: usize, want: Status| {
        let mut out = vec![f32::CANARY; out_len];
        assert_eq!(status_of(mix_labels(&plan, labels, k, eps, &mut out)), want);
        assert!(out.iter().all(|&v| v == f32::CANARY));
    };
    let mut bad = labels.clone();
    bad[3] = k as i64;
    check(&bad, k, 0.1, N * k, Status::BadLabel);
    bad[3] = -1;
    check(&bad, k, 0.1, N * k, Status::BadLabel);
    check(&labels, k, 1.5, N * k, Status::BadParam);
    check(&labels, k, f32::NAN, N * k, Status::BadParam);
    check(&labels, 0, 0.1, 0, Status::BadSize);
    check(&labels, k, 0.1, N * k - 1, Status::ShapeMismatch);
    check(&labels[1..], k, 0.1, (N - 1) * k, Status::ShapeMismatch);

    let mut soft = vec![0.1f32; N * k];
    soft[5] = f32::INFINITY;
    let before = soft.clone();
    let mut out = vec![f32::CANARY; N * k];
    assert_eq!(
        status_of(mix_soft_labels(&plan, &soft, k, 0.1, &mut out)),
        Status::BadParam
    );
    assert!(out.iter().all(|&v| v == f32::CANARY));
    assert_eq!(
        status_of(mix_soft_labels_in_place(&plan, &mut soft, k, 0.1)),
        Status::BadParam
    );
    assert_eq!(
        soft.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        before.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn bad_cutout_holes_and_fills_are_refused() {
    let holes = small_holes();
    let run = |holes: &[CutoutHole], fill: Fill| {
        let src = u8::pixels(N * CHW);
        let mut out = vec![u8::CANARY; N * CHW];
        let mut dst = ViewMut::new(&mut out, Layout::Nhwc, shape()).unwrap();
        let view = View::new(&src, Layout::Nchw, shape()).unwrap();
        let status = status_of(
            Ctx::new()
                .unwrap()
                .cutout_apply(holes, &fill, &view, &mut dst, None),
        );
        assert!(
            out.iter().all(|&v| v == u8::CANARY),
            "{status:?} wrote the destination"
        );
        status
    };
    let with = |change: &dyn Fn(&mut Vec<CutoutHole>)| changed(&holes, change);
    assert_eq!(
        run(&with(&|h| h[0].sample = N), Fill::Constant(0.0)),
        Status::BadPartner
    );
    assert_eq!(
        run(&with(&|h| h.swap(0, 3)), Fill::Constant(0.0)),
        Status::BadParam
    );
    assert_eq!(
        run(&with(&|h| h[2].x1 = W + 1), Fill::Constant(0.0)),
        Status::BadBox
    );
    assert_eq!(run(&holes, Fill::Constant(255.6)), Status::BadParam);
    assert_eq!(run(&holes, Fill::Constant(-0.6)), Status::BadParam);
    assert_eq!(run(&holes, Fill::Constant(f32::NAN)), Status::BadParam);
    assert_eq!(run(&holes, Fill::Channel(&[1.0, 2.0])), Status::BadSize);
    assert_eq!(
        run(&holes, Fill::Channel(&[1.0, 2.0, 300.0])),
        Status::BadParam
    );
}

#[test]
fn bad_policies_are_refused_by_the_library() {
    let nan = MixPolicy {
        mixup_alpha: f32::NAN,
        ..MixPolicy::default()
    };
    let err = mix_plan(&nan, 0, 0, N, H, W).unwrap_err();
    assert_eq!(err.status(), Status::BadParam);
    assert!(err.message().contains("mixup_alpha"), "{err}");
    let prob = MixPolicy {
        prob: 1.5,
        ..MixPolicy::default()
    };
    assert_eq!(status_of(mix_plan(&prob, 0, 0, N, H, W)), Status::BadParam);
    let short = MixPolicy {
        partner: Partner::Explicit(vec![0; N - 1]),
        ..MixPolicy::default()
    };
    assert_eq!(status_of(mix_plan(&short, 0, 0, N, H, W)), Status::BadSize);
    let outside = MixPolicy {
        partner: Partner::Explicit(vec![N; N]),
        ..MixPolicy::default()
    };
    assert_eq!(
        status_of(mix_plan(&outside, 0, 0, N, H, W)),
        Status::BadPartner
    );
    assert_eq!(
        status_of(mix_plan(&MixPolicy::default(), 0, 0, N, 0, W)),
        Status::BadSize
    );

    let big_hole = CutoutPolicy {
        length: H as u32 + 1,
        ..CutoutPolicy::default()
    };
    assert_eq!(
        status_of(cutout_plan(&big_hole, 0, 0, N, H, W)),
        Status::BadBox
    );
    // Refused before n * max_count records are allocated.
    let many = CutoutPolicy {
        max_count: u32::MAX / 2,
        ..CutoutPolicy::default()
    };
    assert_eq!(
        status_of(cutout_plan(&many, 0, 0, 1 << 30, H, W)),
        Status::BadParam
    );

    let mut ctx = Ctx::new().unwrap();
    assert_eq!(status_of(ctx.set_num_threads(usize::MAX)), Status::BadParam);
}

/// Status drift: every code the C library names has its own `Status` with the
/// library's description, so a status added to the header fails here until
/// the crate mirrors it; codes it does not name are `Internal`.
#[test]
fn status_mirrors_every_c_status() {
    let text = |code| {
        // SAFETY: mixcut_status_string takes any int and returns static storage.
        let c = unsafe { std::ffi::CStr::from_ptr(sys::mixcut_status_string(code)) };
        c.to_str().unwrap()
    };
    let unknown = text(-1);
    let mut named = 0;
    for code in 1..=255 {
        let status = Status::from_code(code);
        if text(code) == unknown {
            assert_eq!(status, Status::Internal, "code {code}");
            continue;
        }
        named += 1;
        assert_eq!(
            status.code(),
            code,
            "C status {code} ({}) has no Status",
            text(code)
        );
        assert_eq!(status.description(), text(code));
    }
    assert_eq!(
        named,
        sys::MIXCUT_ERR_INTERNAL,
        "the C codes are 1..=INTERNAL"
    );
}

// ---------------------------------------------------------------------------
// Contexts and threads.

#[test]
fn every_isa_and_thread_count_gives_the_same_bytes() {
    let plan = mixed_plan(21);
    let src = f32::pixels(N * CHW);
    let layouts = (Layout::Nhwc, Layout::Nchw);
    let want: Vec<f32> = mixed(&mut Ctx::new().unwrap(), &plan, &src, layouts, None);
    for (name, mut ctx) in contexts() {
        let got: Vec<f32> = mixed(&mut ctx, &plan, &src, layouts, None);
        assert_same(&bits(&got), &bits(&want), &name);
    }
}

#[test]
fn one_ctx_per_thread() {
    let src = u8::pixels(N * CHW);
    let collate = |ctx: &mut Ctx, step: u64| {
        let policy = MixPolicy {
            cutmix_alpha: 1.0,
            mode: Mode::Elem,
            ..MixPolicy::default()
        };
        let plan = mix_plan(&policy, 77, step, N, H, W).unwrap();
        let mut out = vec![0f32; N * CHW];
        let view = View::new(&src, Layout::Nhwc, shape()).unwrap();
        let norm = Normalize {
            mean: &IMAGENET_MEAN,
            std: &IMAGENET_STD,
        };
        ctx.mix_apply(
            &plan,
            &view,
            &mut ViewMut::new(&mut out, Layout::Nchw, shape()).unwrap(),
            Some(&norm),
        )
        .unwrap();
        out
    };
    let mut main_ctx = Ctx::new().unwrap();
    let want: Vec<Vec<f32>> = (0..8).map(|step| collate(&mut main_ctx, step)).collect();
    let got: Vec<Vec<Vec<f32>>> = thread::scope(|scope| {
        let workers: Vec<_> = (0..4u64)
            .map(|t| {
                let collate = &collate;
                let mut ctx = Ctx::new().unwrap(); // made here, moved to the worker (Send)
                scope.spawn(move || {
                    ctx.set_num_threads(1 + t as usize % 2).unwrap();
                    (0..8).map(|step| collate(&mut ctx, step)).collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for (t, per_thread) in got.iter().enumerate() {
        for (step, batch) in per_thread.iter().enumerate() {
            assert_same(
                &bits(batch),
                &bits(&want[step]),
                &format!("thread {t} step {step}"),
            );
        }
    }
}

#[test]
fn the_library_is_the_crate_version() {
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
}
