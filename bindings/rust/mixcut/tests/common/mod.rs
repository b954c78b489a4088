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
    all.push(("2 threads, streaming stores".into(), ctx));
    all
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
