//! Mixup and CutMix: the policy (timm's knobs), planning a batch into per-sample
//! records, and mixing hard or soft labels with the same records.
use crate::error::{check, fail, Result};
use crate::view::check_box;
use mixcut_sys as sys;

/// How many draws a batch gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One draw for the whole batch.
    Batch,
    /// A sample and its partner share one draw.
    Pair,
    /// Every sample draws on its own (costs what `Batch` costs).
    Elem,
}

/// Which sample `j` sample `i` mixes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partner {
    /// `j = n - 1 - i` (timm).
    Flip,
    /// `j = (i - 1) mod n` (torchvision v2's `batch.roll(1, 0)`).
    Roll,
    /// A seeded uniform permutation (the papers' `randperm`).
    Permutation,
    /// Your own partner of each sample: `n` indices in `[0, n)`.
    Explicit(Vec<usize>),
}

/// What a record does to its sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MixKind {
    /// Unchanged (not drawn for mixing, or its partner is itself).
    None,
    /// `out = lam * x_i + (1 - lam) * x_partner`.
    Mixup,
    /// `x_i` outside the box, `x_partner` inside.
    CutMix,
}

/// One sample's fate: `out_i` from `x_i` and `x_partner`. `lam` is the weight
/// of `x_i` in the pixels and in the labels (after uint8 quantisation and box
/// correction); the box `[y0, y1) x [x0, x1)` is used by CutMix records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixSample {
    pub partner: usize,
    pub lam: f32,
    pub kind: MixKind,
    pub y0: usize,
    pub x0: usize,
    pub y1: usize,
    pub x1: usize,
}

/// Every knob of timm's `Mixup` that decides the draws. `Default` is timm's
/// defaults, read from the C library's `mixcut_mix_policy_init`.
#[derive(Debug, Clone, PartialEq)]
pub struct MixPolicy {
    /// Beta(a, a) for Mixup; 0 disables Mixup. Default 1.
    pub mixup_alpha: f32,
    /// Beta(a, a) for CutMix; 0 disables CutMix. Default 0.
    pub cutmix_alpha: f32,
    /// timm's `cutmix_minmax`: box sides uniform in `[lo*H, hi*H) x [lo*W, hi*W)`,
    /// `0 <= lo < hi <= 1`; implies CutMix. Default None.
    pub cutmix_minmax: Option<(f32, f32)>,
    /// Probability that a draw mixes at all. Default 1.
    pub prob: f32,
    /// Probability of CutMix when both are enabled. Default 0.5.
    pub switch_prob: f32,
    /// Default [`Mode::Batch`].
    pub mode: Mode,
    /// Default [`Partner::Flip`].
    pub partner: Partner,
    /// CutMix `lam = 1 - box area / (H * W)`. Default true.
    pub correct_lam: bool,
}

impl Default for MixPolicy {
    fn default() -> MixPolicy {
        let mut p = std::mem::MaybeUninit::<sys::mixcut_mix_policy>::zeroed();
        // SAFETY: p is valid for writes; init only fails for a NULL pointer.
        check(unsafe { sys::mixcut_mix_policy_init(p.as_mut_ptr()) })
            .expect("mixcut_mix_policy_init");
        // SAFETY: initialised by the call above (and all-zero is a valid value anyway).
        let p = unsafe { p.assume_init() };
        let mode = match p.mode {
            sys::MIXCUT_MODE_PAIR => Mode::Pair,
            sys::MIXCUT_MODE_ELEM => Mode::Elem,
            _ => Mode::Batch,
        };
        let partner = match p.partner {
            sys::MIXCUT_PARTNER_ROLL => Partner::Roll,
            sys::MIXCUT_PARTNER_PERMUTATION => Partner::Permutation,
            _ => Partner::Flip,
        };
        let (lo, hi) = (p.cutmix_minmax_lo, p.cutmix_minmax_hi);
        MixPolicy {
            mixup_alpha: p.mixup_alpha,
            cutmix_alpha: p.cutmix_alpha,
            cutmix_minmax: (lo != 0.0 || hi != 0.0).then_some((lo, hi)),
            prob: p.prob,
            switch_prob: p.switch_prob,
            mode,
            partner,
            correct_lam: p.correct_lam != 0,
        }
    }
}

/// Plans a batch of `n` samples of `h` x `w` pixels: one record per sample.
///
/// A pure function of its arguments: the same on every machine, thread count
/// and run. Pass e.g. `step = epoch * batches_per_epoch + batch` and fold the
/// worker or rank into `seed`. The policy is checked by the library (`BadParam`
/// for a NaN alpha, a probability outside `[0, 1]`, ...).
pub fn mix_plan(
    policy: &MixPolicy,
    seed: u64,
    step: u64,
    n: usize,
    h: usize,
    w: usize,
) -> Result<Vec<MixSample>> {
    let (n64, h64, w64) = (to_i64(n, "n")?, to_i64(h, "h")?, to_i64(w, "w")?);
    let explicit: Vec<i64> = match &policy.partner {
        Partner::Explicit(index) if index.len() != n => {
            fail!(
                BadSize,
                "Partner::Explicit has {} indices for n = {n}",
                index.len()
            )
        }
        Partner::Explicit(index) => index
            .iter()
            .map(|&j| i64::try_from(j).unwrap_or(i64::MAX))
            .collect(),
        _ => Vec::new(),
    };
    let (lo, hi) = policy.cutmix_minmax.unwrap_or((0.0, 0.0));
    let raw = sys::mixcut_mix_policy {
        mixup_alpha: policy.mixup_alpha,
        cutmix_alpha: policy.cutmix_alpha,
        cutmix_minmax_lo: lo,
        cutmix_minmax_hi: hi,
        prob: policy.prob,
        switch_prob: policy.switch_prob,
        mode: match policy.mode {
            Mode::Batch => sys::MIXCUT_MODE_BATCH,
            Mode::Pair => sys::MIXCUT_MODE_PAIR,
            Mode::Elem => sys::MIXCUT_MODE_ELEM,
        },
        partner: match policy.partner {
            Partner::Flip => sys::MIXCUT_PARTNER_FLIP,
            Partner::Roll => sys::MIXCUT_PARTNER_ROLL,
            Partner::Permutation => sys::MIXCUT_PARTNER_PERMUTATION,
            Partner::Explicit(_) => sys::MIXCUT_PARTNER_EXPLICIT,
        },
        correct_lam: i32::from(policy.correct_lam),
        reserved: 0,
        partner_index: if explicit.is_empty() {
            std::ptr::null()
        } else {
            explicit.as_ptr()
        },
    };
    let mut out = vec![sys::mixcut_mix_sample::default(); n];
    // SAFETY: raw.partner_index holds n entries when explicit; out has room for n records.
    check(unsafe { sys::mixcut_mix_plan(&raw, seed, step, n64, h64, w64, out.as_mut_ptr()) })?;
    Ok(out.iter().map(from_raw).collect())
}

fn to_i64(v: usize, name: &str) -> Result<i64> {
    match i64::try_from(v) {
        Ok(v) => Ok(v),
        Err(_) => fail!(BadSize, "{name} = {v} does not fit in int64"),
    }
}

fn from_raw(s: &sys::mixcut_mix_sample) -> MixSample {
    MixSample {
        partner: s.partner as usize,
        lam: s.lam,
        kind: match s.kind {
            sys::MIXCUT_KIND_MIXUP => MixKind::Mixup,
            sys::MIXCUT_KIND_CUTMIX => MixKind::CutMix,
            _ => MixKind::None,
        },
        y0: s.y0 as usize,
        x0: s.x0 as usize,
        y1: s.y1 as usize,
        x1: s.x1 as usize,
    }
}

/// The C records of `plan` for a batch of `n`, each checked as the library would:
/// partner in `[0, n)`, `lam` in `[0, 1]`, CutMix boxes inside `image` (h, w) when given.
pub(crate) fn raw_plan(
    plan: &[MixSample],
    n: usize,
    image: Option<(usize, usize)>,
) -> Result<Vec<sys::mixcut_mix_sample>> {
    if plan.len() != n {
        fail!(
            ShapeMismatch,
            "the plan has {} records for a batch of n = {n}",
            plan.len()
        );
    }
    let mut out = Vec::with_capacity(n);
    for (i, s) in plan.iter().enumerate() {
        if s.partner >= n {
            fail!(
                BadPartner,
                "plan[{i}].partner = {} is outside [0, {n})",
                s.partner
            );
        }
        if !(0.0..=1.0).contains(&s.lam) {
            fail!(BadLam, "plan[{i}].lam = {} is outside [0, 1]", s.lam);
        }
        if let (MixKind::CutMix, Some((h, w))) = (s.kind, image) {
            check_box("plan", i, [s.y0, s.x0, s.y1, s.x1], (h, w))?;
        }
        // Boxes of other kinds are not read; out-of-range ones are clamped to stay valid C.
        let coord = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        out.push(sys::mixcut_mix_sample {
            partner: s.partner as i64,
            lam: s.lam,
            kind: match s.kind {
                MixKind::None => sys::MIXCUT_KIND_NONE,
                MixKind::Mixup => sys::MIXCUT_KIND_MIXUP,
                MixKind::CutMix => sys::MIXCUT_KIND_CUTMIX,
            },
            y0: coord(s.y0),
            x0: coord(s.x0),
            y1: coord(s.y1),
            x1: coord(s.x1),
        });
    }
    Ok(out)
}

/// Checks what hard and soft labels share; returns the plan's C records.
fn label_call(
    plan: &[MixSample],
    rows: usize,
    num_classes: usize,
    eps: f32,
    out_len: usize,
) -> Result<Vec<sys::mixcut_mix_sample>> {
    if num_classes < 1 {
        fail!(BadSize, "num_classes = {num_classes} must be >= 1");
    }
    if !(0.0..=1.0).contains(&eps) {
        fail!(BadParam, "label_smoothing = {eps} is outside [0, 1]");
    }
    if rows != plan.len() {
        fail!(
            ShapeMismatch,
            "{rows} label rows for a plan of {} records",
            plan.len()
        );
    }
    match rows.checked_mul(num_classes) {
        Some(len) if len == out_len => {}
        _ => fail!(
            ShapeMismatch,
            "out has {out_len} floats, n * num_classes = {rows} * {num_classes}"
        ),
    }
    raw_plan(plan, plan.len(), None)
}

/// Soft targets `out[n][num_classes]` (row-major) from hard labels in
/// `[0, num_classes)`, with label smoothing `eps` (timm's: off = eps/K,
/// on = 1 - eps + off): `out_i = lam_i * smooth(y_i) + (1 - lam_i) * smooth(y_partner)`.
/// Everything is checked first; on error `out` is untouched.
pub fn mix_labels(
    plan: &[MixSample],
    labels: &[i64],
    num_classes: usize,
    label_smoothing: f32,
    out: &mut [f32],
) -> Result<()> {
    let n = labels.len();
    let k = num_classes;
    let records = label_call(plan, n, k, label_smoothing, out.len())?;
    if let Some((i, y)) = labels
        .iter()
        .enumerate()
        .find(|(_, &y)| y < 0 || y as u64 >= k as u64)
    {
        fail!(BadLabel, "labels[{i}] = {y} is outside [0, {k})");
    }
    // SAFETY: records and labels hold n entries, out n * k floats; out cannot alias labels.
    check(unsafe {
        sys::mixcut_mix_labels(
            records.as_ptr(),
            n as i64,
            labels.as_ptr(),
            k as i64,
            label_smoothing,
            out.as_mut_ptr(),
        )
    })
}

/// The C signature shared by soft and multi-label mixing.
type DenseFn = unsafe extern "C" fn(
    *const sys::mixcut_mix_sample,
    i64,
    *const f32,
    i64,
    f32,
    *mut f32,
) -> sys::mixcut_status;

/// Dense label rows `[n][k]` and where the mixed rows go.
enum Rows<'a> {
    Separate(&'a [f32], &'a mut [f32]),
    InPlace(&'a mut [f32]),
}

/// Checks dense rows (finite, `n` = the plan's length, the output as long as
/// the input) and runs `f` on them.
fn mix_dense(f: DenseFn, plan: &[MixSample], rows: Rows, k: usize, eps: f32) -> Result<()> {
    let (values, out_len) = match &rows {
        Rows::Separate(values, out) => (&values[..], out.len()),
        Rows::InPlace(values) => (&values[..], values.len()),
    };
    if values.len() != out_len {
        fail!(
            ShapeMismatch,
            "the input has {} floats but out {out_len}",
            values.len()
        );
    }
    let records = label_call(plan, values.len() / k.max(1), k, eps, out_len)?;
    if let Some((e, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        fail!(
            BadParam,
            "row {} class {} = {v} is not finite",
            e / k,
            e % k
        );
    }
    // In place, both pointers come from the one &mut: no shared borrow of the
    // rows is alive while the library writes them.
    let (src, out) = match rows {
        Rows::Separate(values, out) => (values.as_ptr(), out.as_mut_ptr()),
        Rows::InPlace(values) => {
            let rows = values.as_mut_ptr();
            (rows.cast_const(), rows)
        }
    };
    // SAFETY: records has n entries; src and out hold n * k floats each and are
    // either disjoint (& and &mut) or the same slice (the in-place call).
    check(unsafe {
        f(
            records.as_ptr(),
            records.len() as i64,
            src,
            k as i64,
            eps,
            out,
        )
    })
}

/// As [`mix_labels`] for soft labels `soft[n][num_classes]` (each row a
/// distribution, e.g. already mixed targets), `smooth(p) = p * (1 - eps) + eps / K`.
pub fn mix_soft_labels(
    plan: &[MixSample],
    soft: &[f32],
    num_classes: usize,
    label_smoothing: f32,
    out: &mut [f32],
) -> Result<()> {
    let rows = Rows::Separate(soft, out);
    mix_dense(
        sys::mixcut_mix_soft_labels,
        plan,
        rows,
        num_classes,
        label_smoothing,
    )
}

/// [`mix_soft_labels`] in place.
pub fn mix_soft_labels_in_place(
    plan: &[MixSample],
    soft: &mut [f32],
    num_classes: usize,
    label_smoothing: f32,
) -> Result<()> {
    let rows = Rows::InPlace(soft);
    mix_dense(
        sys::mixcut_mix_soft_labels,
        plan,
        rows,
        num_classes,
        label_smoothing,
    )
}

/// timm 1.0's `multi_label` targets: dense rows `targets[n][num_classes]`
/// (multi-hot, or any finite values) smoothed toward 0.5,
/// `smooth(y) = y * (1 - eps) + 0.5 * eps`, then mixed as in [`mix_labels`].
pub fn mix_multi_labels(
    plan: &[MixSample],
    targets: &[f32],
    num_classes: usize,
    label_smoothing: f32,
    out: &mut [f32],
) -> Result<()> {
    let rows = Rows::Separate(targets, out);
    mix_dense(
        sys::mixcut_mix_multi_labels,
        plan,
        rows,
        num_classes,
        label_smoothing,
    )
}

/// [`mix_multi_labels`] in place.
pub fn mix_multi_labels_in_place(
    plan: &[MixSample],
    targets: &mut [f32],
    num_classes: usize,
    label_smoothing: f32,
) -> Result<()> {
    let rows = Rows::InPlace(targets);
    mix_dense(
        sys::mixcut_mix_multi_labels,
        plan,
        rows,
        num_classes,
        label_smoothing,
    )
}
