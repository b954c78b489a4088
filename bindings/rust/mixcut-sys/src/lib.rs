//! Raw FFI bindings to mixcut's C ABI, `include/mixcut/mixcut.h`, one to one.
//!
//! Written by hand (no bindgen: the crates depend on `std` only) and kept
//! equal to the header by `tests/drift.rs`, which parses the header and
//! compares every function, struct layout and constant with this file.
//! Every function here is `unsafe`; the contracts (aliasing, ownership, what
//! is written on error) are the header's. The safe API is the `mixcut` crate.
//!
//! C enums are plain `i32` type aliases plus constants, never Rust enums: a
//! value the library returns that Rust does not know must not be undefined
//! behaviour.
#![no_std]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_uint, c_void};

// ---------------------------------------------------------------------------
// Version

pub const MIXCUT_VERSION_MAJOR: c_uint = 0;
pub const MIXCUT_VERSION_MINOR: c_uint = 1;
pub const MIXCUT_VERSION_PATCH: c_uint = 0;
/// `MAJOR * 10000 + MINOR * 100 + PATCH`. The ABI changes only with MAJOR.
pub const MIXCUT_VERSION_NUMBER: c_uint =
    MIXCUT_VERSION_MAJOR * 10000 + MIXCUT_VERSION_MINOR * 100 + MIXCUT_VERSION_PATCH;

// ---------------------------------------------------------------------------
// Status codes (pinned forever)

/// `mixcut_status`: the return value of every fallible function.
pub type mixcut_status = i32;
pub const MIXCUT_OK: mixcut_status = 0;
pub const MIXCUT_ERR_NULL_POINTER: mixcut_status = 1;
pub const MIXCUT_ERR_BAD_SIZE: mixcut_status = 2;
pub const MIXCUT_ERR_BAD_DTYPE: mixcut_status = 3;
pub const MIXCUT_ERR_BAD_LAYOUT: mixcut_status = 4;
pub const MIXCUT_ERR_BAD_ENUM: mixcut_status = 5;
pub const MIXCUT_ERR_BAD_PARAM: mixcut_status = 6;
pub const MIXCUT_ERR_BAD_PARTNER: mixcut_status = 7;
pub const MIXCUT_ERR_BAD_LABEL: mixcut_status = 8;
pub const MIXCUT_ERR_BAD_LAM: mixcut_status = 9;
pub const MIXCUT_ERR_BAD_BOX: mixcut_status = 10;
pub const MIXCUT_ERR_SHAPE_MISMATCH: mixcut_status = 11;
pub const MIXCUT_ERR_OVERLAP: mixcut_status = 12;
pub const MIXCUT_ERR_UNSUPPORTED: mixcut_status = 13;
pub const MIXCUT_ERR_OUT_OF_MEMORY: mixcut_status = 14;
pub const MIXCUT_ERR_INTERNAL: mixcut_status = 15;

// ---------------------------------------------------------------------------
// Context

/// Opaque `mixcut_ctx`; only ever used behind a pointer.
#[repr(C)]
pub struct mixcut_ctx {
    _opaque: [u8; 0],
}

/// The most threads one call starts (`MIXCUT_OPT_NUM_THREADS` above it is an error).
pub const MIXCUT_MAX_THREADS: i64 = 1024;

pub type mixcut_isa = i32;
pub const MIXCUT_ISA_SCALAR: mixcut_isa = 0;
pub const MIXCUT_ISA_SSE2: mixcut_isa = 1;
pub const MIXCUT_ISA_AVX2: mixcut_isa = 2;
pub const MIXCUT_ISA_AVX512: mixcut_isa = 3;

pub type mixcut_backend = i32;
pub const MIXCUT_BACKEND_CPU: mixcut_backend = 1;
pub const MIXCUT_BACKEND_CUDA: mixcut_backend = 2;

pub type mixcut_option = i32;
pub const MIXCUT_OPT_NUM_THREADS: mixcut_option = 1;
pub const MIXCUT_OPT_MAX_ISA: mixcut_option = 2;
pub const MIXCUT_OPT_BACKEND: mixcut_option = 3;
pub const MIXCUT_OPT_CUDA_STREAM: mixcut_option = 4;
pub const MIXCUT_OPT_STREAM_THRESHOLD: mixcut_option = 5;

// ---------------------------------------------------------------------------
// Tensors

pub type mixcut_dtype = i32;
pub const MIXCUT_UINT8: mixcut_dtype = 1;
pub const MIXCUT_FLOAT32: mixcut_dtype = 2;

pub type mixcut_layout = i32;
pub const MIXCUT_NCHW: mixcut_layout = 1;
pub const MIXCUT_NHWC: mixcut_layout = 2;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mixcut_tensor {
    pub data: *mut c_void,
    pub dtype: i32,
    pub layout: i32,
    pub n: i64,
    pub c: i64,
    pub h: i64,
    pub w: i64,
    pub sample_stride: i64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mixcut_normalize {
    pub mean: *const f32,
    pub std: *const f32,
}

// ---------------------------------------------------------------------------
// Mixup and CutMix

pub type mixcut_mode = i32;
pub const MIXCUT_MODE_BATCH: mixcut_mode = 1;
pub const MIXCUT_MODE_PAIR: mixcut_mode = 2;
pub const MIXCUT_MODE_ELEM: mixcut_mode = 3;

pub type mixcut_partner = i32;
pub const MIXCUT_PARTNER_FLIP: mixcut_partner = 1;
pub const MIXCUT_PARTNER_ROLL: mixcut_partner = 2;
pub const MIXCUT_PARTNER_PERMUTATION: mixcut_partner = 3;
pub const MIXCUT_PARTNER_EXPLICIT: mixcut_partner = 4;

pub type mixcut_mix_kind = i32;
pub const MIXCUT_KIND_NONE: mixcut_mix_kind = 0;
pub const MIXCUT_KIND_MIXUP: mixcut_mix_kind = 1;
pub const MIXCUT_KIND_CUTMIX: mixcut_mix_kind = 2;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mixcut_mix_policy {
    pub mixup_alpha: f32,
    pub cutmix_alpha: f32,
    pub cutmix_minmax_lo: f32,
    pub cutmix_minmax_hi: f32,
    pub prob: f32,
    pub switch_prob: f32,
    pub mode: i32,
    pub partner: i32,
    pub correct_lam: i32,
    pub reserved: i32,
    pub partner_index: *const i64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct mixcut_mix_sample {
    pub partner: i64,
    pub lam: f32,
    pub kind: i32,
    pub y0: i32,
    pub x0: i32,
    pub y1: i32,
    pub x1: i32,
}

// ---------------------------------------------------------------------------
// Cutout and RandomErasing

pub type mixcut_cutout_form = i32;
pub const MIXCUT_CUTOUT_HOLES: mixcut_cutout_form = 1;
pub const MIXCUT_CUTOUT_ERASING: mixcut_cutout_form = 2;

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct mixcut_cutout_policy {
    pub form: i32,
    pub prob: f32,
    pub min_count: i32,
    pub max_count: i32,
    pub length: i32,
    pub scale_lo: f32,
    pub scale_hi: f32,
    pub ratio_lo: f32,
    pub ratio_hi: f32,
    pub reserved: i32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct mixcut_cutout_hole {
    pub sample: i64,
    pub y0: i32,
    pub x0: i32,
    pub y1: i32,
    pub x1: i32,
    pub noise_key: u64,
}

pub type mixcut_fill_kind = i32;
pub const MIXCUT_FILL_CONSTANT: mixcut_fill_kind = 1;
pub const MIXCUT_FILL_CHANNEL: mixcut_fill_kind = 2;
pub const MIXCUT_FILL_NOISE: mixcut_fill_kind = 3;
pub const MIXCUT_FILL_CHANNEL_NOISE: mixcut_fill_kind = 4;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mixcut_fill {
    pub kind: i32,
    pub value: f32,
    pub channel_values: *const f32,
}

// ---------------------------------------------------------------------------
// Functions, in the header's order.

extern "C" {
    pub fn mixcut_version() -> c_uint;
    pub fn mixcut_version_string() -> *const c_char;

    pub fn mixcut_status_string(status: mixcut_status) -> *const c_char;
    pub fn mixcut_last_error() -> *const c_char;

    pub fn mixcut_ctx_create(out: *mut *mut mixcut_ctx) -> mixcut_status;
    pub fn mixcut_ctx_destroy(ctx: *mut mixcut_ctx);
    pub fn mixcut_ctx_set(ctx: *mut mixcut_ctx, key: i32, value: i64) -> mixcut_status;
    pub fn mixcut_ctx_get(ctx: *const mixcut_ctx, key: i32, value: *mut i64) -> mixcut_status;
    pub fn mixcut_ctx_isa(ctx: *const mixcut_ctx, isa: *mut i32) -> mixcut_status;
    pub fn mixcut_isa_string(isa: i32) -> *const c_char;

    pub fn mixcut_mix_policy_init(policy: *mut mixcut_mix_policy) -> mixcut_status;
    pub fn mixcut_mix_plan(
        policy: *const mixcut_mix_policy,
        seed: u64,
        step: u64,
        n: i64,
        h: i64,
        w: i64,
        out: *mut mixcut_mix_sample,
    ) -> mixcut_status;
    pub fn mixcut_mix_apply(
        ctx: *mut mixcut_ctx,
        plan: *const mixcut_mix_sample,
        src: *const mixcut_tensor,
        dst: *const mixcut_tensor,
        norm: *const mixcut_normalize,
    ) -> mixcut_status;
    pub fn mixcut_mix_apply_gather(
        ctx: *mut mixcut_ctx,
        plan: *const mixcut_mix_sample,
        samples: *const *const c_void,
        src: *const mixcut_tensor,
        dst: *const mixcut_tensor,
        norm: *const mixcut_normalize,
    ) -> mixcut_status;
    pub fn mixcut_mix_labels(
        plan: *const mixcut_mix_sample,
        n: i64,
        labels: *const i64,
        num_classes: i64,
        label_smoothing: f32,
        out: *mut f32,
    ) -> mixcut_status;
    pub fn mixcut_mix_labels_ctx(
        ctx: *mut mixcut_ctx,
        plan: *const mixcut_mix_sample,
        n: i64,
        labels: *const i64,
        num_classes: i64,
        label_smoothing: f32,
        out: *mut f32,
    ) -> mixcut_status;
    pub fn mixcut_mix_soft_labels(
        plan: *const mixcut_mix_sample,
        n: i64,
        soft: *const f32,
        num_classes: i64,
        label_smoothing: f32,
        out: *mut f32,
    ) -> mixcut_status;

    pub fn mixcut_mix_multi_labels(
        plan: *const mixcut_mix_sample,
        n: i64,
        targets: *const f32,
        num_classes: i64,
        label_smoothing: f32,
        out: *mut f32,
    ) -> mixcut_status;

    pub fn mixcut_cutout_policy_init(policy: *mut mixcut_cutout_policy) -> mixcut_status;
    pub fn mixcut_cutout_plan(
        policy: *const mixcut_cutout_policy,
        seed: u64,
        step: u64,
        n: i64,
        h: i64,
        w: i64,
        out: *mut mixcut_cutout_hole,
        count: *mut i64,
    ) -> mixcut_status;
    pub fn mixcut_cutout_apply(
        ctx: *mut mixcut_ctx,
        holes: *const mixcut_cutout_hole,
        num_holes: i64,
        fill: *const mixcut_fill,
        src: *const mixcut_tensor,
        dst: *const mixcut_tensor,
        norm: *const mixcut_normalize,
    ) -> mixcut_status;
    pub fn mixcut_cutout_apply_gather(
        ctx: *mut mixcut_ctx,
        holes: *const mixcut_cutout_hole,
        num_holes: i64,
        fill: *const mixcut_fill,
        samples: *const *const c_void,
        src: *const mixcut_tensor,
        dst: *const mixcut_tensor,
        norm: *const mixcut_normalize,
    ) -> mixcut_status;
}
