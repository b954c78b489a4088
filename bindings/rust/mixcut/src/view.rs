//! Typed views of image batches over Rust slices: element type, layout, shape
//! and sample stride, checked against the slice length when the view is made.
use crate::error::{fail, Result};
use mixcut_sys as sys;

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

/// A read-only batch: the source of an apply.
#[derive(Debug, Clone, Copy)]
pub struct View<'a, T: Element> {
    pub(crate) data: &'a [T],
    pub(crate) geometry: Geometry,
}

impl<'a, T: Element> View<'a, T> {
    /// A packed batch: sample `i` starts at element `i * c * h * w`.
    /// Fails with `BadSize` if the shape is out of range or `data` too short.
    pub fn new(data: &'a [T], layout: Layout, shape: Shape) -> Result<Self> {
        Self::strided(data, layout, shape, None)
    }

    /// A batch whose samples start `sample_stride` elements apart (None: packed),
    /// e.g. a sub-batch of a larger buffer.
    pub fn strided(
        data: &'a [T],
        layout: Layout,
        shape: Shape,
        sample_stride: Option<usize>,
    ) -> Result<Self> {
        let geometry = Geometry::new(layout, shape, sample_stride, data.len())?;
        Ok(View { data, geometry })
    }

    pub fn shape(&self) -> Shape {
        self.geometry.shape
    }

    pub fn layout(&self) -> Layout {
        self.geometry.layout
    }
}

/// A writable batch: the destination of an apply, or a batch changed in place.
#[derive(Debug)]
pub struct ViewMut<'a, T: Element> {
    pub(crate) data: &'a mut [T],
    pub(crate) geometry: Geometry,
}

impl<'a, T: Element> ViewMut<'a, T> {
    /// A packed batch; see [`View::new`].
    pub fn new(data: &'a mut [T], layout: Layout, shape: Shape) -> Result<Self> {
        Self::strided(data, layout, shape, None)
    }

    /// A batch with a sample stride; see [`View::strided`]. Elements between
    /// samples are never written.
    pub fn strided(
        data: &'a mut [T],
        layout: Layout,
        shape: Shape,
        sample_stride: Option<usize>,
    ) -> Result<Self> {
        let geometry = Geometry::new(layout, shape, sample_stride, data.len())?;
        Ok(ViewMut { data, geometry })
    }

    pub fn shape(&self) -> Shape {
        self.geometry.shape
    }

    pub fn layout(&self) -> Layout {
        self.geometry.layout
    }
}

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

/// Source/destination rules shared by every apply (the header's, checked here
/// first): same shape, a supported dtype pair, `norm` only for u8 -> f32.
pub(crate) fn check_pair<S: Element, D: Element>(
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
