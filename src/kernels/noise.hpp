// Noise fills for Cutout / RandomErasing: uint8 uniform and float32 standard
// normal values, pure functions of (hole key, element index), built only from
// integer operations and IEEE-exact float operations (+ - * / sqrt, one
// rounding each, in a fixed order): no libm, no FMA. The same values come out
// of the scalar oracle, every SIMD level and CUDA (MIXCUT_HD).
//
// Element index e: the canonical CHW index (c*H + y)*W + x of a sample
// (FillKind::Noise, so NCHW and NHWC get the same pixels), or the channel c
// (FillKind::ChannelNoise, one value per channel per hole).
//
// Philox call g: counter {g low 32 bits, g high 32 bits, 0, purpose << 24},
// key = the hole key (low word, high word). One call gives four 32-bit words
// w0..w3 and, from them, 16 uint8 values or 4 float32 values:
//   uint8:   blocks of 64 elements; e belongs to call 4*(e >> 6) + ((e >> 2) & 3),
//            word (e >> 4) & 3, byte e & 3 (bits 8*byte .. 8*byte + 7).
//   float32: blocks of 16 elements; e belongs to call 4*(e >> 4) + (e & 3),
//            output (e >> 2) & 3 of normal_pair(w0, w1) = outputs 0, 1 and
//            normal_pair(w2, w3) = outputs 2, 3.
// So four neighbouring calls fill a block, and a vector of calls yields whole
// contiguous runs of a block without gathers (src/cpu/noise-inl.hpp).
//
// normal_pair(a, b) is Box-Muller: u = ((a >> 8) + 1) * 2^-24 in (0, 1],
// angle 2*pi*(b >> 8) * 2^-24, outputs r*cos and r*sin with r = sqrt(-2 ln u);
// ln by exponent split and the atanh series, cos and sin by quadrant and
// Taylor polynomials on [-pi/4, pi/4] (see the functions below for the exact
// order of operations). |z| <= sqrt(48 ln 2) = 5.77.
#pragma once

#include <cstdint>

#include "core/hd.hpp"
#include "plan/philox.hpp"
#include "plan/plan.hpp"

#if !defined(__CUDA_ARCH__)
#include <cmath>
#endif

namespace mixcut {

// ---- Float operations with exactly one rounding ----------------------------
// On the host every TU is built with -ffp-contract=off; on the device the _rn
// intrinsics are never fused, whatever -fmad says. The templates serve SIMD
// batches (xsimd), whose operators compile to the plain vector instructions.
MIXCUT_HD inline float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
MIXCUT_HD inline float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
MIXCUT_HD inline float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
MIXCUT_HD inline float div_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
MIXCUT_HD inline float sqrt_rn(float a) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(a);
#else
  return std::sqrt(a);  // correctly rounded (IEEE 754), a single sqrtss
#endif
}
template <class F>
inline F add_rn(const F& a, const F& b) {
  return a + b;
}
template <class F>
inline F sub_rn(const F& a, const F& b) {
  return a - b;
}
template <class F>
inline F mul_rn(const F& a, const F& b) {
  return a * b;
}
template <class F>
inline F div_rn(const F& a, const F& b) {
  return a / b;
}

// ---- Constants of the normal transform --------------------------------------
namespace noise_constants {
constexpr float kLn2 = 0.693147180559945309f;
// Mantissas m in [2^23, 2^24) from kSqrt2Mantissa up (m * 2^-23 > sqrt 2) are
// halved, so the log's argument lies in [sqrt(1/2), sqrt(2)].
constexpr uint32_t kSqrt2Mantissa = 0xB504F4u;
// 2 atanh(s) = 2s + 2s^3/3 + 2s^5/5 + ...; |s| <= 0.1716 here, so the terms
// after s^9 are below 2^-28 relative.
constexpr float kLog3 = 0.666666666666666667f, kLog5 = 0.4f, kLog7 = 0.285714285714285714f,
                kLog9 = 0.222222222222222222f;
// Taylor coefficients of cos and sin; on [-pi/4, pi/4] the first omitted
// terms are below 2^-25.
constexpr float kCos2 = -0.5f, kCos4 = 0.0416666666666666667f, kCos6 = -0.00138888888888888889f,
                kCos8 = 2.48015873015873016e-05f;
constexpr float kSin3 = -0.166666666666666667f, kSin5 = 0.00833333333333333333f,
                kSin7 = -0.000198412698412698413f, kSin9 = 2.75573192239858907e-06f;
constexpr float kTwoPiOver2p24 = 3.74507028292392862e-07f;  // 2*pi / 2^24
}  // namespace noise_constants

// ln f for f in [sqrt(1/2), sqrt(2)]: s = (f - 1) / (f + 1) (f - 1 is exact),
// then s * (2 + s^2 (2/3 + s^2 (2/5 + s^2 (2/7 + s^2 2/9)))), Horner from the
// inside out. F is float or a SIMD batch of floats.
template <class F>
MIXCUT_HD inline F noise_log_reduced(F f) {
  using namespace noise_constants;
  const F one(1.0f);
  const F s = div_rn(sub_rn(f, one), add_rn(f, one));
  const F s2 = mul_rn(s, s);
  F p(kLog9);
  p = add_rn(mul_rn(p, s2), F(kLog7));
  p = add_rn(mul_rn(p, s2), F(kLog5));
  p = add_rn(mul_rn(p, s2), F(kLog3));
  p = add_rn(mul_rn(p, s2), F(2.0f));
  return mul_rn(s, p);
}

// cos(phi) from phi2 = phi^2, |phi| <= pi/4:
// 1 + phi2 (-1/2 + phi2 (1/24 + phi2 (-1/720 + phi2 / 40320))).
template <class F>
MIXCUT_HD inline F noise_cos_reduced(F phi2) {
  using namespace noise_constants;
  F p(kCos8);
  p = add_rn(mul_rn(p, phi2), F(kCos6));
  p = add_rn(mul_rn(p, phi2), F(kCos4));
  p = add_rn(mul_rn(p, phi2), F(kCos2));
  return add_rn(mul_rn(p, phi2), F(1.0f));
}

// sin(phi), |phi| <= pi/4: phi + (phi * phi2) (-1/6 + phi2 (1/120 + phi2
// (-1/5040 + phi2 / 362880))).
template <class F>
MIXCUT_HD inline F noise_sin_reduced(F phi, F phi2) {
  using namespace noise_constants;
  F p(kSin9);
  p = add_rn(mul_rn(p, phi2), F(kSin7));
  p = add_rn(mul_rn(p, phi2), F(kSin5));
  p = add_rn(mul_rn(p, phi2), F(kSin3));
  return add_rn(phi, mul_rn(mul_rn(phi, phi2), p));
}

// floor(log2 k) for k >= 1.
MIXCUT_HD constexpr int noise_floor_log2(uint32_t k) {
  int n = 0;
  if (k >> 16) k >>= 16, n += 16;
  if (k >> 8) k >>= 8, n += 8;
  if (k >> 4) k >>= 4, n += 4;
  if (k >> 2) k >>= 2, n += 2;
  if (k >> 1) n += 1;
  return n;
}

// -ln(u) for u = ((a >> 8) + 1) * 2^-24 in (0, 1]: with k = (a >> 8) + 1 =
// m * 2^(n - 23), m in [2^23, 2^24), u = f * 2^e where f = m * 2^-23, e = n - 24,
// or, for m >= kSqrt2Mantissa, f = m * 2^-24, e = n - 23 (f and e exact);
// then -ln u = (-e) * ln2 - ln f. Never negative (e <= 0, and e = 0 only with
// f <= 1).
MIXCUT_HD inline float noise_neg_log_u(uint32_t a) {
  using namespace noise_constants;
  const uint32_t k = (a >> 8) + 1u;
  const int n = noise_floor_log2(k);
  const uint32_t m = n <= 23 ? k << (23 - n) : k >> (n - 23);
  const bool halve = m >= kSqrt2Mantissa;
  const float f = mul_rn(float(int32_t(m)), halve ? 0x1p-24f : 0x1p-23f);
  const int e = halve ? n - 23 : n - 24;
  return sub_rn(mul_rn(float(-e), kLn2), noise_log_reduced(f));
}

struct NormalPair {
  float cos_out, sin_out;  // r cos(theta), r sin(theta)
};

// Box-Muller from two Philox words: radius word a, angle word b.
// theta = 2 pi j 2^-24 with j = b >> 8; quadrant q = ((j + 2^21) >> 22) mod 4
// and phi = (j - ((j + 2^21) >> 22) 2^22) * (2 pi / 2^24) in [-pi/4, pi/4), so
// theta = q pi/2 + phi: (cos, sin) = (c, s), (-s, c), (-c, -s), (s, -c) for
// q = 0, 1, 2, 3, with c, s the polynomials above.
MIXCUT_HD inline NormalPair noise_normal_pair(uint32_t a, uint32_t b) {
  using namespace noise_constants;
  const float t = noise_neg_log_u(a);
  const float r = sqrt_rn(add_rn(t, t));
  const uint32_t j = b >> 8;
  const uint32_t turn = (j + (1u << 21)) >> 22;  // 0..4
  const int32_t i = int32_t(j) - int32_t(turn << 22);
  const float phi = mul_rn(float(i), kTwoPiOver2p24);
  const float phi2 = mul_rn(phi, phi);
  const float c = noise_cos_reduced(phi2);
  const float s = noise_sin_reduced(phi, phi2);
  float cos_theta = c, sin_theta = s;
  switch (turn & 3u) {
    case 1:
      cos_theta = -s, sin_theta = c;
      break;
    case 2:
      cos_theta = -c, sin_theta = -s;
      break;
    case 3:
      cos_theta = s, sin_theta = -c;
      break;
    default:
      break;
  }
  return {mul_rn(r, cos_theta), mul_rn(r, sin_theta)};
}

// ---- Element -> Philox call ------------------------------------------------
MIXCUT_HD constexpr uint64_t noise_u8_call(int64_t e) {
  return (uint64_t(e) >> 6 << 2) | ((uint64_t(e) >> 2) & 3u);
}
MIXCUT_HD constexpr uint64_t noise_f32_call(int64_t e) {
  return (uint64_t(e) >> 4 << 2) | (uint64_t(e) & 3u);
}

// Canonical element index of (channel, row, column) in an h x w image.
MIXCUT_HD constexpr int64_t noise_element_index(int64_t c, int64_t y, int64_t x, int64_t h,
                                                int64_t w) {
  return (c * h + y) * w + x;
}

template <Purpose kPurpose>
MIXCUT_HD constexpr PhiloxCounter noise_bits(uint64_t key, uint64_t call) {
  return philox4x32_10({uint32_t(call), uint32_t(call >> 32), 0u, uint32_t(kPurpose) << 24},
                       philox_key(key));
}

// Uniform on 0..255.
template <Purpose kPurpose = Purpose::Noise>
MIXCUT_HD inline uint8_t noise_u8(uint64_t key, int64_t e) {
  const PhiloxCounter w = noise_bits<kPurpose>(key, noise_u8_call(e));
  return uint8_t(w[int((e >> 4) & 3)] >> (8 * (e & 3)));
}

// Standard normal.
template <Purpose kPurpose = Purpose::Noise>
MIXCUT_HD inline float noise_f32(uint64_t key, int64_t e) {
  const PhiloxCounter w = noise_bits<kPurpose>(key, noise_f32_call(e));
  const int output = int((e >> 2) & 3);
  const NormalPair z = output < 2 ? noise_normal_pair(w[0], w[1]) : noise_normal_pair(w[2], w[3]);
  return (output & 1) ? z.sin_out : z.cos_out;
}

// The 64 uint8 values of block b (elements 64b .. 64b + 63), four calls.
template <Purpose kPurpose = Purpose::Noise>
MIXCUT_HD inline void noise_u8_block(uint64_t key, uint64_t b, uint8_t out[64]) {
  for (int c = 0; c < 4; ++c) {
    const PhiloxCounter w = noise_bits<kPurpose>(key, 4 * b + uint64_t(c));
    for (int word = 0; word < 4; ++word) {
      for (int byte = 0; byte < 4; ++byte) out[16 * word + 4 * c + byte] = uint8_t(w[word] >> (8 * byte));
    }
  }
}

// The 16 float32 values of block b (elements 16b .. 16b + 15), four calls.
template <Purpose kPurpose = Purpose::Noise>
MIXCUT_HD inline void noise_f32_block(uint64_t key, uint64_t b, float out[16]) {
  for (int c = 0; c < 4; ++c) {
    const PhiloxCounter w = noise_bits<kPurpose>(key, 4 * b + uint64_t(c));
    const NormalPair z01 = noise_normal_pair(w[0], w[1]);
    const NormalPair z23 = noise_normal_pair(w[2], w[3]);
    out[c] = z01.cos_out;
    out[4 + c] = z01.sin_out;
    out[8 + c] = z23.cos_out;
    out[12 + c] = z23.sin_out;
  }
}

// One value per channel per hole (FillKind::ChannelNoise).
MIXCUT_HD inline uint8_t channel_noise_u8(uint64_t key, int64_t c) {
  return noise_u8<Purpose::ChannelNoise>(key, c);
}
MIXCUT_HD inline float channel_noise_f32(uint64_t key, int64_t c) {
  return noise_f32<Purpose::ChannelNoise>(key, c);
}

}  // namespace mixcut
