//! Cutout and RandomErasing: the policy, planning holes, and the fill of a hole.
use crate::error::{check, fail, Result};
use crate::view::{check_box, Shape};
use mixcut_sys as sys;

/// The shape of the holes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutoutForm {
    /// DeVries & Taylor: squares of side `length`, centre uniform, clipped at the borders.
    Holes,
    /// Zhong et al. / timm RandomErasing: area fraction in `scale`, aspect in
    /// `ratio` (log-uniform), fully inside the image, up to 10 tries.
    Erasing,
}

/// Cutout / RandomErasing knobs. `Default` is the C library's
/// `mixcut_cutout_policy_init`: Holes, prob 1, one hole of side 16,
/// scale (0.02, 1/3), ratio (0.3, 1/0.3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CutoutPolicy {
    pub form: CutoutForm,
    /// Probability that a sample gets any hole.
    pub prob: f32,
    /// Holes per sample, uniform in `[min_count, max_count]`, at most 1024.
    pub min_count: u32,
    pub max_count: u32,
    /// Holes: side in pixels, `1 <= length <= min(h, w)`.
    pub length: u32,
    /// Erasing: area fraction range, `0 < lo <= hi <= 1`.
    pub scale: (f32, f32),
    /// Erasing: aspect range, `0 < lo <= hi`.
    pub ratio: (f32, f32),
}

impl Default for CutoutPolicy {
    fn default() -> CutoutPolicy {
        let mut p = sys::mixcut_cutout_policy::default();
        // SAFETY: p is valid for writes; init only fails for a NULL pointer.
        check(unsafe { sys::mixcut_cutout_policy_init(&mut p) })
            .expect("mixcut_cutout_policy_init");
        CutoutPolicy {
            form: if p.form == sys::MIXCUT_CUTOUT_ERASING {
                CutoutForm::Erasing
            } else {
                CutoutForm::Holes
            },
            prob: p.prob,
            min_count: p.min_count as u32,
            max_count: p.max_count as u32,
            length: p.length as u32,
            scale: (p.scale_lo, p.scale_hi),
            ratio: (p.ratio_lo, p.ratio_hi),
        }
    }
}

/// One hole `[y0, y1) x [x0, x1)` of sample `sample`; `noise_key` keys its noise fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutoutHole {
    pub sample: usize,
    pub y0: usize,
    pub x0: usize,
    pub y1: usize,
    pub x1: usize,
    pub noise_key: u64,
}

impl CutoutHole {
    /// True for the unused slots of a plan (nothing is filled).
    pub fn is_empty(&self) -> bool {
        self.y0 == self.y1 || self.x0 == self.x1
    }
}

/// What a hole is filled with, in the destination's units (a `u8` destination
/// needs values that round, half to even, into `[0, 255]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fill<'a> {
    /// Every channel the same value.
    Constant(f32),
    /// One value per channel (e.g. the dataset mean): `c` values.
    Channel(&'a [f32]),
    /// Per-element noise (timm's mode 'pixel'): uniform 0..=255 for `u8`, standard
    /// normal for `f32`; a pure function of the hole's key and the position.
    Noise,
    /// One noise value per channel per hole (timm's mode 'rand').
    ChannelNoise,
}

/// Plans holes for `n` samples of `h` x `w` pixels: `n * max_count` records,
/// sample `i` owning records `i * max_count ..`, unused ones empty. A pure function
/// of its arguments, keyed like [`crate::mix_plan`].
pub fn cutout_plan(
    policy: &CutoutPolicy,
    seed: u64,
    step: u64,
    n: usize,
    h: usize,
    w: usize,
) -> Result<Vec<CutoutHole>> {
    let int = |v: u32, name: &str| -> Result<i32> {
        match i32::try_from(v) {
            Ok(v) => Ok(v),
            Err(_) => fail!(BadParam, "policy.{name} = {v} is too large"),
        }
    };
    let raw = sys::mixcut_cutout_policy {
        form: match policy.form {
            CutoutForm::Holes => sys::MIXCUT_CUTOUT_HOLES,
            CutoutForm::Erasing => sys::MIXCUT_CUTOUT_ERASING,
        },
        prob: policy.prob,
        min_count: int(policy.min_count, "min_count")?,
        max_count: int(policy.max_count, "max_count")?,
        length: int(policy.length, "length")?,
        scale_lo: policy.scale.0,
        scale_hi: policy.scale.1,
        ratio_lo: policy.ratio.0,
        ratio_hi: policy.ratio.1,
        reserved: 0,
    };
    let dims = [n, h, w].map(|v| i64::try_from(v).unwrap_or(i64::MAX));
    let mut count = 0i64;
    // The library checks the policy (max_count included) before anything is
    // allocated here: with n = 0 it only validates.
    // SAFETY: raw and count are valid; with n = 0 nothing is written to out.
    check(unsafe {
        sys::mixcut_cutout_plan(
            &raw,
            seed,
            step,
            0,
            dims[1],
            dims[2],
            std::ptr::null_mut(),
            &mut count,
        )
    })?;
    let Some(total) = n.checked_mul(policy.max_count as usize) else {
        fail!(
            BadSize,
            "n * max_count = {n} * {} overflows",
            policy.max_count
        );
    };
    let mut out = vec![sys::mixcut_cutout_hole::default(); total];
    // SAFETY: out has room for n * max_count records.
    check(unsafe {
        sys::mixcut_cutout_plan(
            &raw,
            seed,
            step,
            dims[0],
            dims[1],
            dims[2],
            out.as_mut_ptr(),
            &mut count,
        )
    })?;
    out.truncate(count as usize);
    Ok(out
        .iter()
        .map(|hole| CutoutHole {
            sample: hole.sample as usize,
            y0: hole.y0 as usize,
            x0: hole.x0 as usize,
            y1: hole.y1 as usize,
            x1: hole.x1 as usize,
            noise_key: hole.noise_key,
        })
        .collect())
}

/// The C records of `holes`, checked as the library would: samples in `[0, n)`
/// and non-decreasing, boxes inside the image.
pub(crate) fn raw_holes(
    holes: &[CutoutHole],
    shape: Shape,
) -> Result<Vec<sys::mixcut_cutout_hole>> {
    let Shape { n, h, w, .. } = shape;
    let mut out = Vec::with_capacity(holes.len());
    for (i, hole) in holes.iter().enumerate() {
        if hole.sample >= n {
            fail!(
                BadPartner,
                "holes[{i}].sample = {} is outside [0, {n})",
                hole.sample
            );
        }
        if i > 0 && hole.sample < holes[i - 1].sample {
            fail!(BadParam, "holes[{i}].sample = {} is less than holes[{}].sample (holes must be ordered by sample)", hole.sample, i - 1);
        }
        check_box("holes", i, [hole.y0, hole.x0, hole.y1, hole.x1], (h, w))?;
        // h, w <= i32::MAX (checked by the views), so the coordinates fit.
        out.push(sys::mixcut_cutout_hole {
            sample: hole.sample as i64,
            y0: hole.y0 as i32,
            x0: hole.x0 as i32,
            y1: hole.y1 as i32,
            x1: hole.x1 as i32,
            noise_key: hole.noise_key,
        });
    }
    Ok(out)
}

/// The C fill for a destination of `c` channels and dtype `dst_dtype`, checked.
pub(crate) fn raw_fill(fill: &Fill, c: usize, dst_dtype: i32) -> Result<sys::mixcut_fill> {
    let check_value = |v: f32, name: &str| -> Result<()> {
        if !v.is_finite() {
            fail!(BadParam, "{name} = {v} is not finite");
        }
        if dst_dtype == sys::MIXCUT_UINT8 && !(0.0..=255.0).contains(&v.round_ties_even()) {
            fail!(
                BadParam,
                "{name} = {v} does not round into [0, 255] for a u8 destination"
            );
        }
        Ok(())
    };
    let mut raw = sys::mixcut_fill {
        kind: 0,
        value: 0.0,
        channel_values: std::ptr::null(),
    };
    match fill {
        Fill::Constant(v) => {
            check_value(*v, "Fill::Constant")?;
            raw.kind = sys::MIXCUT_FILL_CONSTANT;
            raw.value = *v;
        }
        Fill::Channel(values) => {
            if values.len() != c {
                fail!(
                    BadSize,
                    "Fill::Channel has {} values for c = {c}",
                    values.len()
                );
            }
            for (i, &v) in values.iter().enumerate() {
                check_value(v, &format!("Fill::Channel[{i}]"))?;
            }
            raw.kind = sys::MIXCUT_FILL_CHANNEL;
            raw.channel_values = values.as_ptr();
        }
        Fill::Noise => raw.kind = sys::MIXCUT_FILL_NOISE,
        Fill::ChannelNoise => raw.kind = sys::MIXCUT_FILL_CHANNEL_NOISE,
    }
    Ok(raw)
}
