//! `Ctx`: owns a C `mixcut_ctx` (threads, ISA cap, reusable scratch) and runs the
//! apply calls. One per thread: it is `Send` but not `Sync`.
use crate::cutout::{raw_fill, raw_holes, CutoutHole, Fill};
use crate::error::{check, Result};
use crate::mix::{raw_plan, MixSample};
use crate::view::{Element, Normalize, Operands, View, ViewMut};
use mixcut_sys as sys;
use std::ptr::{self, NonNull};

/// Instruction set the kernels run, from the plain reference kernels up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    Scalar,
    Sse2,
    Avx2,
    Avx512,
}

impl Isa {
    fn raw(self) -> i32 {
        match self {
            Isa::Scalar => sys::MIXCUT_ISA_SCALAR,
            Isa::Sse2 => sys::MIXCUT_ISA_SSE2,
            Isa::Avx2 => sys::MIXCUT_ISA_AVX2,
            Isa::Avx512 => sys::MIXCUT_ISA_AVX512,
        }
    }

    fn from_raw(v: i32) -> Isa {
        [Isa::Sse2, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .find(|i| i.raw() == v)
            .unwrap_or(Isa::Scalar)
    }
}

/// A mixcut context: thread count, ISA cap and scratch memory reused across calls.
///
/// Use one per thread (a loader worker makes its own); `Ctx` moves between
/// threads but cannot be shared by them, as the C contract requires:
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<mixcut::Ctx>();
/// ```
#[derive(Debug)]
pub struct Ctx {
    raw: NonNull<sys::mixcut_ctx>,
}

// SAFETY: a mixcut_ctx may be used from any thread, one call at a time; `&mut self`
// on every call that uses it and no `Sync` guarantee that.
unsafe impl Send for Ctx {}

impl Ctx {
    /// A context with the defaults: OpenMP's thread count, the best ISA the CPU
    /// has (capped by the environment variable `MIXCUT_FORCE_ISA`), the CPU backend.
    pub fn new() -> Result<Ctx> {
        let mut raw = ptr::null_mut();
        // SAFETY: raw is a valid out pointer; it is set only on success.
        check(unsafe { sys::mixcut_ctx_create(&mut raw) })?;
        Ok(Ctx {
            raw: NonNull::new(raw).expect("mixcut_ctx_create returned OK with NULL"),
        })
    }

    fn set(&mut self, key: i32, value: i64) -> Result<()> {
        // SAFETY: self.raw is a live ctx, used by one call at a time (&mut self).
        check(unsafe { sys::mixcut_ctx_set(self.raw.as_ptr(), key, value) })
    }

    fn get(&self, key: i32) -> Result<i64> {
        let mut value = 0;
        // SAFETY: as in set; value is a valid out pointer.
        check(unsafe { sys::mixcut_ctx_get(self.raw.as_ptr(), key, &mut value) })?;
        Ok(value)
    }

    /// Threads per call; 0 (the default) means OpenMP's default, read at each call.
    /// More than `sys::MIXCUT_MAX_THREADS` (1024) is refused with `BadParam`.
    pub fn set_num_threads(&mut self, threads: usize) -> Result<()> {
        let value = i64::try_from(threads).unwrap_or(i64::MAX);
        self.set(sys::MIXCUT_OPT_NUM_THREADS, value)
    }

    /// The thread count set by [`Ctx::set_num_threads`] (0 = OpenMP's default).
    pub fn num_threads(&self) -> Result<usize> {
        Ok(self.get(sys::MIXCUT_OPT_NUM_THREADS)? as usize)
    }

    /// Caps the ISA the kernels may use; asking for more than the CPU has is fine.
    /// Results are bit-identical at every level.
    pub fn set_max_isa(&mut self, isa: Isa) -> Result<()> {
        self.set(sys::MIXCUT_OPT_MAX_ISA, i64::from(isa.raw()))
    }

    /// The ISA the kernels of this context actually run.
    pub fn isa(&self) -> Result<Isa> {
        let mut isa = 0;
        // SAFETY: self.raw is a live ctx; isa is a valid out pointer.
        check(unsafe { sys::mixcut_ctx_isa(self.raw.as_ptr(), &mut isa) })?;
        Ok(Isa::from_raw(isa))
    }

    /// Destinations of at least `bytes` are written with non-temporal stores
    /// (default 16 MiB; 0 = always, `u64::MAX` = never). Results are the same.
    pub fn set_stream_threshold(&mut self, bytes: u64) -> Result<()> {
        self.set(
            sys::MIXCUT_OPT_STREAM_THRESHOLD,
            i64::try_from(bytes).unwrap_or(i64::MAX),
        )
    }

    // The CUDA options are not offered: the safe API passes host slices, which a
    // CUDA context would read as device pointers.

    /// Applies a Mixup/CutMix plan (one record per sample, from [`crate::mix_plan`]
    /// or your own) to `src`, writing `dst`. Layouts may differ, and a `u8` source
    /// may go to an `f32` destination with `norm` (one pass). Everything is
    /// checked first; on error `dst` is untouched.
    pub fn mix_apply<S: Element, D: Element>(
        &mut self,
        plan: &[MixSample],
        src: &View<S>,
        dst: &mut ViewMut<D>,
        norm: Option<&Normalize>,
    ) -> Result<()> {
        self.mix(plan, Operands::pair(src, dst, norm)?)
    }

    /// [`Ctx::mix_apply`] in place: `batch` is both source and destination. The
    /// result equals the out-of-place one, for every partner pattern.
    pub fn mix_apply_in_place<T: Element>(
        &mut self,
        plan: &[MixSample],
        batch: &mut ViewMut<T>,
    ) -> Result<()> {
        self.mix(plan, Operands::in_place(batch))
    }

    /// The collate of a data loader: [`Ctx::mix_apply`] with the source as
    /// separate samples, each read once and `dst` written once (no stacking
    /// copy). Sample `i` of the batch is `samples[i]`, a one-sample [`View`];
    /// the samples share a layout and `c`, `h`, `w`, and may repeat. The
    /// result equals stacking them into one batch and calling
    /// [`Ctx::mix_apply`], byte for byte, with the same conversions and `norm`.
    ///
    /// Checked first, `dst` untouched on error: `ShapeMismatch` for a sample
    /// count other than `dst`'s `n` or the plan's length, a sample of other
    /// `c`, `h`, `w` or with `n != 1`; `BadLayout` for samples in different
    /// layouts; the rest as [`Ctx::mix_apply`]. A sample cannot be part of
    /// `dst` (the C call's never-in-place rule), which the borrows enforce:
    ///
    /// ```compile_fail
    /// # use mixcut::*;
    /// # fn f(ctx: &mut Ctx, plan: &[MixSample]) -> Result<()> {
    /// let mut batch = vec![0u8; 2 * 3 * 4 * 4];
    /// let one = Shape::new(1, 3, 4, 4);
    /// let sample = View::new(&batch[..48], Layout::Nchw, one)?;
    /// let mut dst = ViewMut::new(&mut batch, Layout::Nchw, Shape::new(2, 3, 4, 4))?;
    /// ctx.mix_apply_gather(plan, &[sample, sample], &mut dst, None) // batch is borrowed
    /// # }
    /// ```
    pub fn mix_apply_gather<S: Element, D: Element>(
        &mut self,
        plan: &[MixSample],
        samples: &[View<S>],
        dst: &mut ViewMut<D>,
        norm: Option<&Normalize>,
    ) -> Result<()> {
        self.mix(plan, Operands::gather(samples, dst, norm)?)
    }

    /// Checks the plan against `ops` and runs the C apply (batch or gather).
    fn mix(&mut self, plan: &[MixSample], ops: Operands) -> Result<()> {
        let s = ops.shape;
        let records = raw_plan(plan, s.n, Some((s.h, s.w)))?;
        let (ctx, plan, norm) = (self.raw.as_ptr(), records.as_ptr(), ops.norm_ptr());
        // SAFETY: the tensors, sample pointers and norm describe live, checked
        // slices of at least their extent (Operands); records has n entries;
        // src and dst are disjoint or the same tensor (in place).
        check(unsafe {
            match &ops.samples {
                None => sys::mixcut_mix_apply(ctx, plan, &ops.src, &ops.dst, norm),
                Some(samples) => sys::mixcut_mix_apply_gather(
                    ctx,
                    plan,
                    samples.as_ptr(),
                    &ops.src,
                    &ops.dst,
                    norm,
                ),
            }
        })
    }

    /// Copies (and converts) `src` to `dst`, then fills the holes, later holes
    /// winning where they overlap. Checked first; on error `dst` is untouched.
    pub fn cutout_apply<S: Element, D: Element>(
        &mut self,
        holes: &[CutoutHole],
        fill: &Fill,
        src: &View<S>,
        dst: &mut ViewMut<D>,
        norm: Option<&Normalize>,
    ) -> Result<()> {
        self.cutout::<D>(holes, fill, Operands::pair(src, dst, norm)?)
    }

    /// [`Ctx::cutout_apply`] in place: only the holes are written.
    pub fn cutout_apply_in_place<T: Element>(
        &mut self,
        holes: &[CutoutHole],
        fill: &Fill,
        batch: &mut ViewMut<T>,
    ) -> Result<()> {
        self.cutout::<T>(holes, fill, Operands::in_place(batch))
    }

    /// [`Ctx::cutout_apply`] from separate samples, one pass: the collate of a
    /// Cutout/RandomErasing loader. The samples follow the rules of
    /// [`Ctx::mix_apply_gather`]; the result equals stacking them and calling
    /// [`Ctx::cutout_apply`], byte for byte.
    pub fn cutout_apply_gather<S: Element, D: Element>(
        &mut self,
        holes: &[CutoutHole],
        fill: &Fill,
        samples: &[View<S>],
        dst: &mut ViewMut<D>,
        norm: Option<&Normalize>,
    ) -> Result<()> {
        self.cutout::<D>(holes, fill, Operands::gather(samples, dst, norm)?)
    }

    /// Checks the holes and fill (for a `D` destination) and runs the C apply.
    fn cutout<D: Element>(
        &mut self,
        holes: &[CutoutHole],
        fill: &Fill,
        ops: Operands,
    ) -> Result<()> {
        let raw_fill = raw_fill(fill, ops.shape.c, D::DTYPE)?;
        let records = raw_holes(holes, ops.shape)?;
        let (ctx, count, norm) = (self.raw.as_ptr(), records.len() as i64, ops.norm_ptr());
        let (holes, fill) = (records.as_ptr(), &raw_fill as *const sys::mixcut_fill);
        // SAFETY: as in mix; raw_fill's channel values (if any) hold c floats.
        check(unsafe {
            match &ops.samples {
                None => sys::mixcut_cutout_apply(ctx, holes, count, fill, &ops.src, &ops.dst, norm),
                Some(samples) => sys::mixcut_cutout_apply_gather(
                    ctx,
                    holes,
                    count,
                    fill,
                    samples.as_ptr(),
                    &ops.src,
                    &ops.dst,
                    norm,
                ),
            }
        })
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: self.raw came from mixcut_ctx_create and is destroyed once.
        unsafe { sys::mixcut_ctx_destroy(self.raw.as_ptr()) }
    }
}
