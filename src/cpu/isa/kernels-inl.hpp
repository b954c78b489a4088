// The per-ISA kernel table, included once by each src/cpu/isa/kernels_<isa>.cpp.
// That TU first defines MIXCUT_CPU_ISA_NS and MIXCUT_CPU_ISA_NAME, includes
// shims128-inl.hpp, and defines in mixcut::cpu::<ns> its `Arch` (an xsimd
// arch) and its intrinsic shims: mulhrs, stream_store, stream_fence,
// widen_u8x4_to_f32, rgb_to_f32, mul_u32_wide, swap_u32_halves, reverse_u32_quads,
// transpose_blocks; with MIXCUT_CPU_ISA_HAS_FMA fused_mul_add;
// with MIXCUT_CPU_ISA_HAS_MASKED_BYTES copy_short and load_into (else
// common-inl.hpp's); with MIXCUT_CPU_ISA_HAS_RGB_TO_PLANES rgb_to_planes.
// Raw intrinsics live only in those shims. The kernels, one -inl header per
// operation, live in that ISA's namespace (and an anonymous one), so no
// helper compiled with one ISA's flags is merged by the linker with another
// ISA's copy. Built with -ffp-contract=off: a*lam + b*(1-lam) rounds twice on
// every ISA, as in formulas.hpp.
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "define MIXCUT_CPU_ISA_NS before including cpu/isa/kernels-inl.hpp"
#endif

#include "cpu/isa/blend-inl.hpp"
#include "cpu/isa/copy-inl.hpp"
#include "cpu/isa/layout-inl.hpp"
#include "cpu/isa/noise-inl.hpp"
#include "cpu/isa/normalize-inl.hpp"
#include "cpu/isa/philox-inl.hpp"
#include "cpu/isa/spans-inl.hpp"
#include "cpu/kernel_table.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

KernelTable make_table() {
  KernelTable t{};
  t.name = MIXCUT_CPU_ISA_NAME;
  t.blend_f32 = &blend_f32;
  t.blend_f32_pair = &blend_f32_pair;
  t.blend_u8 = &blend_u8;
  t.blend_u8_pair = &blend_u8_pair;
  t.normalize_u8 = &normalize_u8;
  t.normalize3_u8 = &normalize3_u8;
  t.deinterleave3 = &deinterleave3;
  t.interleave3 = &interleave3;
  t.select_spans = &select_spans;
  t.select_spans_pair = &select_spans_pair;
  t.swap_boxes = &swap_boxes;
  t.copy_stream = &copy_stream;
  t.stream_fence = &stream_fence;
  t.noise_u8 = &noise_runs_u8;
  t.noise_f32 = &noise_runs_f32;
  t.philox_many = &philox_many;
  return t;
}

}  // namespace

const KernelTable& table() {
  static const KernelTable kTable = make_table();
  return kTable;
}

}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
