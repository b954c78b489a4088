// Per-element arithmetic shared by the reference kernels and the scalar tails
// of the fast kernels, so both round identically. Every TU including this is
// built with -ffp-contract=off: a*lam + b*(1-lam) must round twice, never fuse.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/types.hpp"
#include "plan/philox.hpp"

namespace mixcut::pixel {

// uint8 weight of x_i for lam (the plan keeps lam on this grid already).
inline int32_t lam_weight(float lam) { return int32_t(std::nearbyint(double(lam) * kLamOne)); }

// Exact fixed-point blend, rounding half up: (q*a + (2^14-q)*b + 2^13) >> 14.
inline uint8_t blend_u8(uint8_t a, uint8_t b, int32_t q) {
  return uint8_t((q * int32_t(a) + (kLamOne - q) * int32_t(b) + (kLamOne >> 1)) >> kLamBits);
}

// lam*a + (1-lam)*b with two separate roundings; one_minus_lam = 1.0f - lam.
inline float blend_f32(float a, float b, float lam, float one_minus_lam) {
  const float ta = a * lam;
  const float tb = b * one_minus_lam;
  return ta + tb;
}

// torchvision ToTensor + Normalize on one value.
inline float normalize_u8(uint8_t v, float mean, float std) {
  return (float(v) / 255.0f - mean) / std;
}

}  // namespace mixcut::pixel
