//! Batch Cutout, Mixup and CutMix for image classifiers: a safe Rust API over
//! mixcut's C library (no `unsafe` for callers, zero-copy on slices, `Result` errors).
//!
//! Every augmentation is two steps: **plan** ([`mix_plan`], [`cutout_plan`]:
//! from a policy, a seed and a step, one plain record per sample) then **apply**
//! ([`Ctx::mix_apply`], [`Ctx::cutout_apply`], [`mix_labels`]: the records on
//! pixels and labels; [`Ctx::mix_apply_gather`] and [`Ctx::cutout_apply_gather`]
//! write a batch straight from separate sample buffers, a loader's collate in
//! one pass). Draws are pure functions of `(seed, step, sample)`, so
//! any batch can be reproduced anywhere, and results are bit-identical across
//! ISA levels and thread counts.
//!
//! ```
//! use mixcut::{mix_labels, mix_plan, Ctx, Layout, MixPolicy, Mode, Shape, ViewMut};
//!
//! let (n, c, h, w, classes) = (4, 3, 8, 8, 10);
//! let mut pixels = vec![0.5f32; n * c * h * w];
//! let labels = [1i64, 2, 3, 4];
//! let policy = MixPolicy { cutmix_alpha: 1.0, mode: Mode::Elem, ..MixPolicy::default() };
//! let plan = mix_plan(&policy, /* seed */ 42, /* step */ 0, n, h, w)?;
//!
//! let mut ctx = Ctx::new()?;
//! let mut batch = ViewMut::new(&mut pixels, Layout::Nchw, Shape::new(n, c, h, w))?;
//! ctx.mix_apply_in_place(&plan, &mut batch)?;
//! let mut targets = vec![0.0f32; n * classes];
//! mix_labels(&plan, &labels, classes, 0.1, &mut targets)?;
//! assert!((targets[..classes].iter().sum::<f32>() - 1.0).abs() < 1e-5);
//! # Ok::<(), mixcut::Error>(())
//! ```
//!
//! Bad input returns an [`Error`] whose [`Status`] names the kind of failure,
//! and leaves every destination untouched: shapes, plans, labels, fills and
//! normalisation are checked in Rust before the library is called (and again
//! by the library).

mod ctx;
mod cutout;
mod error;
mod mix;
mod view;

pub use ctx::{Ctx, Isa};
pub use cutout::{cutout_plan, CutoutForm, CutoutHole, CutoutPolicy, Fill};
pub use error::{Error, Result, Status};
pub use mix::{
    mix_labels, mix_multi_labels, mix_multi_labels_in_place, mix_plan, mix_soft_labels,
    mix_soft_labels_in_place, MixKind, MixPolicy, MixSample, Mode, Partner,
};
pub use view::{Element, Layout, Normalize, Shape, View, ViewMut, IMAGENET_MEAN, IMAGENET_STD};

/// The raw FFI (`mixcut-sys`), for what the safe API does not cover.
pub use mixcut_sys as sys;

/// The version of the loaded library, "MAJOR.MINOR.PATCH".
pub fn version() -> &'static str {
    // SAFETY: static storage, never NULL.
    let text = unsafe { std::ffi::CStr::from_ptr(sys::mixcut_version_string()) };
    text.to_str().unwrap_or("unknown")
}
