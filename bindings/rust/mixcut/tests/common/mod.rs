//! What the test files share: the batch shape, varied pixels, a mixed plan,
//! exact comparisons and error checks.
#![allow(dead_code)] // each test file uses its own part
use mixcut::*;

pub const N: usize = 7; // odd: flip leaves the middle sample alone
pub const C: usize = 3;
pub const H: usize = 9;
pub const W: usize = 11;
pub const CHW: usize = C * H * W;

pub const LAYOUTS: [Layout; 2] = [Layout::Nchw, Layout::Nhwc];
pub const ISAS: [Isa; 4] = [Isa::Scalar, Isa::Sse2, Isa::Avx2, Isa::Avx512];
pub const MEAN: [f32; 3] = [0.25, 0.5, 0.75];
pub const STD: [f32; 3] = [0.5, 0.25, 2.0];

pub fn shape() -> Shape {
    Shape::new(N, C, H, W)
}

/// Element offset of (sample i, channel c, row y, column x).
pub fn at(layout: Layout, stride: usize, i: usize, c: usize, y: usize, x: usize) -> usize {
    i * stride
        + match layout {
            Layout::Nchw => (c * H + y) * W + x,
            Layout::Nhwc => (y * W + x) * C + c,
        }
}

/// What the tests need of a pixel type: varied values, a canary, exact bits.
pub trait Pixel: Element + Default + PartialEq + std::fmt::Debug {
    const NAME: &'static str;
    /// A value no apply of the tests' inputs writes.
    const CANARY: Self;
    /// Deterministic, varied pixels (for u8 every byte value appears).
    fn pixels(len: usize) -> Vec<Self>;
    fn bits(self) -> u32;
    /// A fill value in this type (exact for the integers the tests use).
    fn from_f32(v: f32) -> Self;
}

impl Pixel for u8 {
    const NAME: &'static str = "u8";
    const CANARY: u8 = 0xA5;
    fn pixels(len: usize) -> Vec<u8> {
        (0..len).map(|k| (k * 37 + k / 5) as u8).collect()
    }
    fn bits(self) -> u32 {
        self.into()
    }
    fn from_f32(v: f32) -> u8 {
        v as u8
    }
}

impl Pixel for f32 {
    const NAME: &'static str = "f32";
    const CANARY: f32 = -7.25;
    fn pixels(len: usize) -> Vec<f32> {
        (0..len)
            .map(|k| ((k * 37) % 101) as f32 / 7.0 - 3.0)
            .collect()
    }
    fn bits(self) -> u32 {
        self.to_bits()
    }
    fn from_f32(v: f32) -> f32 {
        v
    }
}

/// Values as bits, so that comparisons are exact (-0.0 is not 0.0).
pub fn bits<T: Pixel>(v: &[T]) -> Vec<u32> {
    v.iter().map(|x| x.bits()).collect()
}

/// A plan with Mixup, CutMix and unchanged samples, partners in cycles.
pub fn mixed_plan(seed: u64) -> Vec<MixSample> {
    let policy = MixPolicy {
        cutmix_alpha: 1.0,
        mode: Mode::Elem,
        partner: Partner::Permutation,
        prob: 0.9,
        ..MixPolicy::default()
    };
    mix_plan(&policy, seed, 3, N, H, W).unwrap()
}

/// Equal slices, or a failure naming the first differing element (not the whole batch).
pub fn assert_same<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    if let Some(k) = (0..got.len()).find(|&k| got[k] != want[k]) {
        panic!(
            "{what}: element {k} is {:?}, expected {:?}",
            got[k], want[k]
        );
    }
}

/// The status of a failed call, after checking that it carries a message.
pub fn status_of<T>(r: Result<T>) -> Status {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            assert!(!e.message().is_empty());
            assert!(e.to_string().contains(e.message()));
            e.status()
        }
    }
}

/// Contexts that must all give the same bytes: every ISA cap on one thread,
/// and two threads with streaming stores.
pub fn contexts() -> Vec<(String, Ctx)> {
    let mut all: Vec<(String, Ctx)> = ISAS
        .iter()
        .map(|&isa| {
            let mut ctx = Ctx::new().unwrap();
            ctx.set_max_isa(isa).unwrap();
            ctx.set_num_threads(1).unwrap();
            assert!(ctx.isa().unwrap() <= isa);
            (format!("{isa:?}"), ctx)
        })
        .collect();
    let mut ctx = Ctx::new().unwrap();
    ctx.set_num_threads(2).unwrap();
    ctx.set_stream_threshold(0).unwrap();
    assert_eq!(ctx.num_threads().unwrap(), 2);
    all.push(("2 threads, streaming stores".into(), ctx));
    all
}

/// One 3 x 3 hole per sample.
pub fn small_holes() -> Vec<CutoutHole> {
    let policy = CutoutPolicy {
        length: 3,
        ..CutoutPolicy::default()
    };
    cutout_plan(&policy, 1, 1, N, H, W).unwrap()
}

/// The C records of a plan, field by field.
pub fn raw_plan(plan: &[MixSample]) -> Vec<sys::mixcut_mix_sample> {
    plan.iter()
        .map(|s| sys::mixcut_mix_sample {
            partner: s.partner as i64,
            lam: s.lam,
            kind: match s.kind {
                MixKind::None => sys::MIXCUT_KIND_NONE,
                MixKind::Mixup => sys::MIXCUT_KIND_MIXUP,
                MixKind::CutMix => sys::MIXCUT_KIND_CUTMIX,
            },
            y0: s.y0 as i32,
            x0: s.x0 as i32,
            y1: s.y1 as i32,
            x1: s.x1 as i32,
        })
        .collect()
}

/// The C record of a hole, field by field.
pub fn raw_hole(h: &CutoutHole) -> sys::mixcut_cutout_hole {
    sys::mixcut_cutout_hole {
        sample: h.sample as i64,
        y0: h.y0 as i32,
        x0: h.x0 as i32,
        y1: h.y1 as i32,
        x1: h.x1 as i32,
        noise_key: h.noise_key,
    }
}

/// `v` changed by `change` (a bad plan or hole list from a good one).
pub fn changed<T: Clone>(v: &[T], change: &dyn Fn(&mut Vec<T>)) -> Vec<T> {
    let mut v = v.to_vec();
    change(&mut v);
    v
}

/// A C tensor of `shape` in `layout` at `data`, packed.
pub fn raw_tensor<T: Element>(
    data: *mut std::ffi::c_void,
    layout: Layout,
    shape: Shape,
) -> sys::mixcut_tensor {
    sys::mixcut_tensor {
        data,
        dtype: T::DTYPE,
        layout: match layout {
            Layout::Nchw => sys::MIXCUT_NCHW,
            Layout::Nhwc => sys::MIXCUT_NHWC,
        },
        n: shape.n as i64,
        c: shape.c as i64,
        h: shape.h as i64,
        w: shape.w as i64,
        sample_stride: 0,
    }
}
