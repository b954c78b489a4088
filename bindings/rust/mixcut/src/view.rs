//! Typed views of image batches over Rust slices: element type, layout, shape
//! and sample stride, checked against the slice length when the view is made.
use crate::error::{fail, Result};
use mixcut_sys as sys;
use std::ffi::c_void;
use std::ptr;

mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for f32 {}
}

/// A pixel type mixcut works on: `u8` or `f32`.
pub trait Element: Copy + sealed::Sealed {
    /// The C `mixcut_dtype`.
    const DTYPE: i32;
}
impl Element for u8 {
    const DTYPE: i32 = sys::MIXCUT_UINT8;
}
impl Element for f32 {
    const DTYPE: i32 = sys::MIXCUT_FLOAT32;
}

/// Memory order of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Sample, channel, row, column.
    Nchw,
    /// Sample, row, column, channel.
    Nhwc,
}

impl Layout {
    fn raw(self) -> i32 {
        match self {
            Layout::Nchw => sys::MIXCUT_NCHW,
            Layout::Nhwc => sys::MIXCUT_NHWC,
        }
    }
}

/// Batch shape: `n` samples of `c` channels of `h` x `w` pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
}

impl Shape {
    pub fn new(n: usize, c: usize, h: usize, w: usize) -> Shape {
        Shape { n, c, h, w }
    }
}

/// `BadBox` unless the box `[y0, y1) x [x0, x1)` of `list[i]` lies inside an
/// `h` x `w` image (empty boxes included), as the library checks plans and holes.
pub(crate) fn check_box(
    list: &str,
    i: usize,
    [y0, x0, y1, x1]: [usize; 4],
    (h, w): (usize, usize),
) -> Result<()> {
    if !(y0 <= y1 && y1 <= h && x0 <= x1 && x1 <= w) {
        fail!(
            BadBox,
            "{list}[{i}] box (y0 = {y0}, x0 = {x0}, y1 = {y1}, x1 = {x1}) is not inside \
             0 <= y0 <= y1 <= {h}, 0 <= x0 <= x1 <= {w}"
        );
    }
    Ok(())
}

/// Layout, shape and stride shared by [`View`] and [`ViewMut`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub layout: Layout,
    pub shape: Shape,
    pub stride: usize,
}

/// The C limits: at most i32::MAX samples, rows and columns.
const MAX_SIDE: usize = i32::MAX as usize;

impl Geometry {
    /// Checks the shape and that `len` elements hold it; `stride` None means packed.
    fn new(layout: Layout, shape: Shape, stride: Option<usize>, len: usize) -> Result<Geometry> {
        let Shape { n, c, h, w } = shape;
        if n > MAX_SIDE {
            fail!(BadSize, "n = {n} is outside [0, {MAX_SIDE}]");
        }
        if c < 1 {
            fail!(BadSize, "c = {c} must be >= 1");
        }
        for (name, side) in [("h", h), ("w", w)] {
            if !(1..=MAX_SIDE).contains(&side) {
                fail!(BadSize, "{name} = {side} is outside [1, {MAX_SIDE}]");
            }
        }
        let Some(sample) = c.checked_mul(h).and_then(|v| v.checked_mul(w)) else {
            fail!(BadSize, "c * h * w = {c} * {h} * {w} overflows");
        };
        let stride = stride.unwrap_or(sample);
        if stride < sample {
            fail!(
                BadSize,
                "sample_stride = {stride} is less than c * h * w = {sample}"
            );
        }
        let needed = match n {
            0 => Some(0),
            _ => (n - 1)
                .checked_mul(stride)
                .and_then(|v| v.checked_add(sample)),
        };
        match needed {
            // Real memory: no slice reaches the C limit of 2^56 bytes per view.
            Some(needed) if needed <= len => {}
            Some(needed) => fail!(
                BadSize,
                "the slice has {len} elements but n = {n}, c * h * w = {sample}, sample_stride = \
                 {stride} needs {needed}"
            ),
            None => fail!(BadSize, "(n - 1) * sample_stride + c * h * w overflows"),
        }
        Ok(Geometry {
            layout,
            shape,
            stride,
        })
    }

    pub(crate) fn raw<T: Element>(&self, data: *const T) -> sys::mixcut_tensor {
        sys::mixcut_tensor {
            data: data as *mut std::ffi::c_void,
            dtype: T::DTYPE,
            layout: self.layout.raw(),
            n: self.shape.n as i64,
            c: self.shape.c as i64,
            h: self.shape.h as i64,
            w: self.shape.w as i64,
            sample_stride: self.stride as i64,
        }
    }
}

/// A read-only batch: the source of an apply. A one-sample view (`n` = 1) is
/// also one sample of a gather ([`crate::Ctx::mix_apply_gather`]).
#[derive(Debug, Clone, Copy)]
pub struct View<'a, T: Element> {
    pub(crate) data: &'a [T],
    pub(crate) geometry: Geometry,
}

/// A writable batch: the destination of an apply, or a batch changed in place.
#[derive(Debug)]
pub struct ViewMut<'a, T: Element> {
    pub(crate) data: &'a mut [T],
    pub(crate) geometry: Geometry,
}

/// The constructors and accessors of [`View`] and [`ViewMut`], which differ
/// only in the mutability of the slice.
macro_rules! view_methods {
    ($view:ident, $slice:ty) => {
        impl<'a, T: Element> $view<'a, T> {
            /// A packed batch: sample `i` starts at element `i * c * h * w`.
            /// Fails with `BadSize` if the shape is out of range or `data` too short.
            pub fn new(data: $slice, layout: Layout, shape: Shape) -> Result<Self> {
                Self::strided(data, layout, shape, None)
            }

            /// A batch whose samples start `sample_stride` elements apart (None:
            /// packed), e.g. a sub-batch of a larger buffer. Elements between
            /// samples are never read or written.
            pub fn strided(
                data: $slice,
                layout: Layout,
                shape: Shape,
                sample_stride: Option<usize>,
            ) -> Result<Self> {
                let geometry = Geometry::new(layout, shape, sample_stride, data.len())?;
                Ok($view { data, geometry })
            }

            pub fn shape(&self) -> Shape {
                self.geometry.shape
            }

            pub fn layout(&self) -> Layout {
                self.geometry.layout
            }
        }
    };
}
view_methods!(View, &'a [T]);
view_methods!(ViewMut, &'a mut [T]);

/// Per-channel normalisation of a `u8` source written to an `f32` destination:
/// `out = (v / 255 - mean[c]) / std[c]`, as torchvision's ToTensor + Normalize.
#[derive(Debug, Clone, Copy)]
pub struct Normalize<'a> {
    /// `c` finite values.
    pub mean: &'a [f32],
    /// `c` finite values, each > 0.
    pub std: &'a [f32],
}

/// The ImageNet mean and standard deviation (RGB), the usual `Normalize`.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// The C arguments of one apply, checked: source and destination tensors, the
/// normalisation and, for a gather, the sample pointers. They point into the
/// views (and `Normalize`) they were made from, so an `Operands` is used only
/// while those are borrowed: inside the `Ctx` method that made it.
pub(crate) struct Operands {
    pub src: sys::mixcut_tensor,
    pub dst: sys::mixcut_tensor,
    pub norm: Option<sys::mixcut_normalize>,
    /// `Some` for a gather: `src.data` is NULL and sample `i` is `samples[i]`.
    pub samples: Option<Vec<*const c_void>>,
    /// n, c, h, w of source and destination (equal, checked).
    pub shape: Shape,
}

impl Operands {
    /// `src` into `dst`: they cannot overlap (`&` and `&mut` of live slices).
    pub fn pair<S: Element, D: Element>(
        src: &View<S>,
        dst: &mut ViewMut<D>,
        norm: Option<&Normalize>,
    ) -> Result<Operands> {
        Ok(Operands {
            norm: check_pair::<S, D>(&src.geometry, &dst.geometry, norm)?,
            src: src.geometry.raw(src.data.as_ptr()),
            dst: dst.geometry.raw(dst.data.as_mut_ptr()),
            samples: None,
            shape: src.geometry.shape,
        })
    }

    /// `batch` in place: one tensor as source and destination, no conversion.
    pub fn in_place<T: Element>(batch: &mut ViewMut<T>) -> Operands {
        let t = batch.geometry.raw(batch.data.as_mut_ptr());
        Operands {
            src: t,
            dst: t,
            norm: None,
            samples: None,
            shape: batch.geometry.shape,
        }
    }

    /// A gather: sample `i` of `dst` from the one-sample view `samples[i]`. The
    /// samples share one layout and `c`, `h`, `w`; they may repeat. None can
    /// overlap `dst` (`&` and `&mut`), so the C call's never-in-place rule holds.
    pub fn gather<S: Element, D: Element>(
        samples: &[View<S>],
        dst: &mut ViewMut<D>,
        norm: Option<&Normalize>,
    ) -> Result<Operands> {
        let n = dst.geometry.shape.n;
        let first = samples.first().map_or(dst.geometry, |v| v.geometry);
        let sample = Shape {
            n: 1,
            ..first.shape
        };
        for (i, v) in samples.iter().enumerate() {
            let g = &v.geometry;
            if g.shape.n != 1 {
                fail!(
                    ShapeMismatch,
                    "samples[{i}] holds n = {} samples; each sample of a gather is a \
                     one-sample view",
                    g.shape.n
                );
            }
            if g.shape != sample {
                let s = g.shape;
                fail!(
                    ShapeMismatch,
                    "samples[{i}] is c x h x w = {} x {} x {} but samples[0] is {} x {} x {}",
                    s.c,
                    s.h,
                    s.w,
                    sample.c,
                    sample.h,
                    sample.w
                );
            }
            if g.layout != first.layout {
                fail!(
                    BadLayout,
                    "samples[{i}] is {:?} but samples[0] is {:?}; the samples of one gather \
                     share a layout",
                    g.layout,
                    first.layout
                );
            }
        }
        if samples.len() != n {
            fail!(
                ShapeMismatch,
                "{} samples for a destination of n = {n}",
                samples.len()
            );
        }
        let src = Geometry {
            layout: first.layout,
            shape: Shape { n, ..first.shape },
            // No overflow: the view of samples[0] (or dst) checked it.
            stride: sample.c * sample.h * sample.w,
        };
        let norm = check_pair::<S, D>(&src, &dst.geometry, norm)?;
        // The C gather takes the samples' dtype, layout and shape from a tensor
        // with no data and a packed stride.
        let mut raw = src.raw::<S>(ptr::null());
        raw.sample_stride = 0;
        Ok(Operands {
            src: raw,
            dst: dst.geometry.raw(dst.data.as_mut_ptr()),
            norm,
            samples: Some(samples.iter().map(|v| v.data.as_ptr().cast()).collect()),
            shape: src.shape,
        })
    }

    pub fn norm_ptr(&self) -> *const sys::mixcut_normalize {
        self.norm.as_ref().map_or(ptr::null(), |n| n as *const _)
    }
}

/// Source/destination rules shared by every apply (the header's, checked here
/// first): same shape, a supported dtype pair, `norm` only for u8 -> f32.
fn check_pair<S: Element, D: Element>(
    src: &Geometry,
    dst: &Geometry,
    norm: Option<&Normalize>,
) -> Result<Option<sys::mixcut_normalize>> {
    let (s, d) = (src.shape, dst.shape);
    for (name, a, b) in [
        ("n", s.n, d.n),
        ("c", s.c, d.c),
        ("h", s.h, d.h),
        ("w", s.w, d.w),
    ] {
        if a != b {
            fail!(ShapeMismatch, "src {name} = {a} but dst {name} = {b}");
        }
    }
    if S::DTYPE == sys::MIXCUT_FLOAT32 && D::DTYPE == sys::MIXCUT_UINT8 {
        fail!(
            BadDtype,
            "f32 -> u8 is not a supported pair (u8 -> u8, f32 -> f32, u8 -> f32)"
        );
    }
    let Some(norm) = norm else { return Ok(None) };
    if !(S::DTYPE == sys::MIXCUT_UINT8 && D::DTYPE == sys::MIXCUT_FLOAT32) {
        fail!(
            BadParam,
            "norm must be None unless src is u8 and dst is f32"
        );
    }
    for (name, values) in [("mean", norm.mean), ("std", norm.std)] {
        if values.len() != s.c {
            fail!(
                BadSize,
                "norm.{name} has {} values for c = {}",
                values.len(),
                s.c
            );
        }
        for (i, &v) in values.iter().enumerate() {
            if !v.is_finite() || (name == "std" && v <= 0.0) {
                fail!(
                    BadParam,
                    "norm.{name}[{i}] = {v} must be finite{}",
                    if name == "std" { " and > 0" } else { "" }
                );
            }
        }
    }
    Ok(Some(sys::mixcut_normalize {
        mean: norm.mean.as_ptr(),
        std: norm.std.as_ptr(),
    }))
}
