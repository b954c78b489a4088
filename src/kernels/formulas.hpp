// The per-element rules, once, for every backend: the reference kernels, the
// CPU table's scalar level and the SIMD kernels' scalar tails here, a CUDA
// kernel on the device. constexpr, no libm, no exceptions; every TU that
// includes this is built with -ffp-contract=off (a*lam + b*(1-lam) rounds
// twice on every ISA and on the GPU, never fused).
#pragma once

#include <cstdint>

#include "core/hd.hpp"
#include "core/types.hpp"
#include "kernels/noise.hpp"  // the noise fills: pure functions of (hole key, element)

namespace mixcut::formulas {
// Internal linkage: each TU (the per-ISA ones included) keeps its own copy,
// compiled with its own flags; an inline function of external linkage would
// be merged by the linker across ISAs (xsimd#633).
namespace {

// x rounded to the nearest integer, ties to even, as std::nearbyint in the
// default rounding mode; |x| < 2^52.
MIXCUT_HD constexpr int64_t round_half_even(double x) {
  const int64_t t = int64_t(x);  // toward zero
  const double frac = x - double(t);
  const int64_t away = x < 0.0 ? -1 : 1;
  const double half = x < 0.0 ? -frac : frac;
  if (half > 0.5 || (half == 0.5 && (t & 1) != 0)) return t + away;
  return t;
}

// uint8 weight of x_i for lam in [0, 1] (the plan keeps lam on this grid).
MIXCUT_HD constexpr int32_t lam_weight(float lam) {
  return int32_t(round_half_even(double(lam) * kLamOne));
}

// Exact fixed-point blend, rounding half up: (q*a + (2^14-q)*b + 2^13) >> 14.
MIXCUT_HD constexpr uint8_t blend_u8(uint8_t a, uint8_t b, int32_t q) {
  return uint8_t((q * int32_t(a) + (kLamOne - q) * int32_t(b) + (kLamOne >> 1)) >> kLamBits);
}

// lam*a + (1-lam)*b with two separate roundings; one_minus_lam = 1.0f - lam.
MIXCUT_HD constexpr float blend_f32(float a, float b, float lam, float one_minus_lam) {
  const float ta = a * lam;
  const float tb = b * one_minus_lam;
  return ta + tb;
}

// torchvision ToTensor + Normalize on one value. IEEE division is correctly
// rounded everywhere, so every backend gets these bits.
MIXCUT_HD constexpr float normalize_u8(uint8_t v, float mean, float std) {
  return (float(v) / 255.0f - mean) / std;
}

// A constant fill value in uint8 units: rounded half to even (capi checks
// that the result lies in [0, 255]).
MIXCUT_HD constexpr uint8_t fill_u8(float v) { return uint8_t(round_half_even(double(v))); }

// 1/d as hi + lo (hi = float(1/d), lo = float(1/d - hi), in double): fast
// normalize kernels divide as fma(a, hi, a*lo) where that equals the division
// (the CPU checks it per channel, on all 256 inputs).
struct SplitReciprocal {
  float hi, lo;
};
MIXCUT_HD constexpr SplitReciprocal split_reciprocal(float d) {
  const double r = 1.0 / double(d);
  const float hi = float(r);
  return {hi, float(r - double(hi))};
}

}  // namespace
}  // namespace mixcut::formulas
