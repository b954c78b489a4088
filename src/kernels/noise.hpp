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
// w0..w3 and, from them, the 16 uint8 or 8 float32 values of one block of
// elements, in order: element e is value p = e % 16 (uint8) or e % 8 (float32)
// of call e / 16 or e / 8.
//   uint8:   byte p % 4 of word p / 4 (bits 8 (p % 4) .. 8 (p % 4) + 7): the
//            words' little-endian bytes.
//   float32: the cos output (p even) or the sin output (p odd) of
//            noise_normal_pair(w[p / 2]).
// A hole row of n elements so computes at most one block more than it
// writes; a vector of calls yields whole blocks after a transpose
// (src/cpu/isa/noise-inl.hpp).
//
// noise_normal_pair(w) is Box-Muller on one word: u = ((w >> 12) + 1) * 2^-20
// in (0, 1] from the 20 high bits, angle theta = 2*pi*(w & 0xFFF) * 2^-12
// from the 12 low bits, outputs r*cos(theta) and r*sin(theta) with
// r = sqrt(-2 ln u); ln by exponent split and a short atanh polynomial, cos
// and sin by quarter turn and polynomials on [-pi/4, pi/4] (the functions
// below give the exact order of operations). Each output is within 1e-6 of
// Box-Muller in exact arithmetic on the same u and theta (tests/noise_test.cpp
// checks every radius and every angle). |z| <= sqrt(40 ln 2) = 5.27: a
// standard normal exceeds that with probability 1.4e-7. The angle takes 4096
// values; each output's own distribution does not show it (a sum over 4096
// equally spaced angles of a smooth periodic function), only the pair's joint
// one does, as 4096 rays.
#pragma once

#include <cstdint>
#include <cstring>

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

// ---- The normal transform ---------------------------------------------------
// Bits of a float and back.
MIXCUT_HD inline uint32_t float_bits(float v) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(v);
#else
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
#endif
}
MIXCUT_HD inline float bits_float(uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(b);
#else
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
#endif
}

namespace noise_constants {
constexpr int kAngleBits = 12;  // the low bits of a word; the 20 above are the radius's
constexpr float kTwoLn2 = 1.38629436111989061f;
// float(k)'s bits plus 0x3F800000 - kSqrtHalfBits: the exponent field is
// n + 127 and the mantissa field plus kSqrtHalfBits the bits of f, where
// k = f 2^n with f in [sqrt(1/2), sqrt(2)) (the reduction of musl's logf).
constexpr uint32_t kSqrtHalfBits = 0x3F3504F3u;
// 2 ln f = s (4 + x (kLog1 + x kLog2)), s = (f - 1) / (f + 1), x = s^2,
// |s| <= 0.1716: minimax over x, absolute error below 7e-8 before rounding.
constexpr float kLog1 = 1.33306861f, kLog2 = 0.825747907f;
// cos(phi) = 1 + x (kCos1 + x (kCos2 + x kCos3)) and sin(phi) = phi + phi x
// (kSin1 + x (kSin2 + x kSin3)), x = phi^2, |phi| <= pi/4: minimax, absolute
// errors below 4e-8 and 2e-9 before rounding.
constexpr float kCos1 = -0.499998957f, kCos2 = 0.0416562967f, kCos3 = -0.00135978323f;
constexpr float kSin1 = -0.166666508f, kSin2 = 0.00833197869f, kSin3 = -0.000194956447f;
constexpr float kPiOver2p33 = 3.65729519816789915e-10f;  // phi per unit of int32(w << 22)
}  // namespace noise_constants

// The float steps are templates over F, float or a SIMD batch of floats, so
// that the scalar definition and the lanes (cpu/isa/noise-inl.hpp) are the
// same operations in the same order; the few integer steps are written out
// again there. Horner from the inside out.

// r^2 = 2 m ln 2 - 2 ln f (m = 20 - n, see noise_radius); f - 1 is exact.
template <class F>
MIXCUT_HD inline F noise_radius_squared(F m, F f) {
  using namespace noise_constants;
  const F one(1.0f);
  const F s = div_rn(sub_rn(f, one), add_rn(f, one));
  const F x = mul_rn(s, s);
  F p = add_rn(mul_rn(F(kLog2), x), F(kLog1));
  p = add_rn(mul_rn(p, x), F(4.0f));
  return sub_rn(mul_rn(m, F(kTwoLn2)), mul_rn(s, p));
}

// r = sqrt(-2 ln u) for k = (w >> 12) + 1 in 1 .. 2^20, u = k 2^-20: with
// k = f 2^n (see kSqrtHalfBits), -2 ln u = 2 (20 - n) ln 2 - 2 ln f. Never
// negative: n = 20 only with f <= 1.
MIXCUT_HD inline float noise_radius(uint32_t w) {
  using namespace noise_constants;
  const uint32_t k = (w >> kAngleBits) + 1u;  // exact in a float
  const uint32_t ix = float_bits(float(int32_t(k))) + (0x3F800000u - kSqrtHalfBits);
  const int32_t m = 147 - int32_t(ix >> 23);  // 20 - n = (127 + 20) - (n + 127)
  const float f = bits_float((ix & 0x7FFFFFu) + kSqrtHalfBits);
  return sqrt_rn(noise_radius_squared(float(m), f));
}

template <class F>
MIXCUT_HD inline F noise_cos_reduced(F x) {
  using namespace noise_constants;
  F p = add_rn(mul_rn(F(kCos3), x), F(kCos2));
  p = add_rn(mul_rn(p, x), F(kCos1));
  return add_rn(mul_rn(p, x), F(1.0f));
}
template <class F>
MIXCUT_HD inline F noise_sin_reduced(F phi, F x) {
  using namespace noise_constants;
  F p = add_rn(mul_rn(F(kSin3), x), F(kSin2));
  p = add_rn(mul_rn(p, x), F(kSin1));
  return add_rn(phi, mul_rn(mul_rn(phi, x), p));
}

struct NormalPair {
  float cos_out, sin_out;  // r cos(theta), r sin(theta)
};

// Box-Muller from one Philox word w, radius as above. With q = (w << 20) +
// 2^29 (theta in units of 2^-32 turns, plus an eighth of a turn), the
// quarter turn is q >> 30 and the rest is phi = int32(w << 22) pi 2^-33 in
// [-pi/4, pi/4) (int32(w << 22) is exact in a float): (cos, sin)(theta) =
// (c, s), (-s, c), (-c, -s), (s, -c) for quarter turns 0 .. 3, c and s the
// polynomials above. The swap is bit 30 of q, the signs bit 31 of q + 2^30
// (cos) and of q (sin), applied by flipping bit 31.
MIXCUT_HD inline NormalPair noise_normal_pair(uint32_t w) {
  using namespace noise_constants;
  const float r = noise_radius(w);
  const uint32_t q = (w << (32 - kAngleBits)) + (1u << 29);
  const float phi = mul_rn(float(int32_t(w << (34 - kAngleBits))), kPiOver2p33);
  const float x = mul_rn(phi, phi);
  const float c = noise_cos_reduced(x), s = noise_sin_reduced(phi, x);
  const bool swap = (q & 0x40000000u) != 0;
  const uint32_t cos_sign = (q + 0x40000000u) & 0x80000000u, sin_sign = q & 0x80000000u;
  const float cos_theta = bits_float(float_bits(swap ? s : c) ^ cos_sign);
  const float sin_theta = bits_float(float_bits(swap ? c : s) ^ sin_sign);
  return {mul_rn(r, cos_theta), mul_rn(r, sin_theta)};
}

// ---- Element -> Philox call ------------------------------------------------
constexpr int64_t kNoiseBlockU8 = 16, kNoiseBlockF32 = 8;  // elements per block (one call)

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
  const PhiloxCounter w = noise_bits<kPurpose>(key, uint64_t(e) / kNoiseBlockU8);
  return uint8_t(w[int((e >> 2) & 3)] >> (8 * (e & 3)));
}

// Standard normal.
template <Purpose kPurpose = Purpose::Noise>
MIXCUT_HD inline float noise_f32(uint64_t key, int64_t e) {
  const PhiloxCounter w = noise_bits<kPurpose>(key, uint64_t(e) / kNoiseBlockF32);
  const NormalPair z = noise_normal_pair(w[int((e >> 1) & 3)]);
  return (e & 1) ? z.sin_out : z.cos_out;
}

// The 16 uint8 values of block b (elements 16b .. 16b + 15).
template <Purpose kPurpose = Purpose::Noise>
MIXCUT_HD inline void noise_u8_block(uint64_t key, uint64_t b, uint8_t out[kNoiseBlockU8]) {
  const PhiloxCounter w = noise_bits<kPurpose>(key, b);
  for (int p = 0; p < int(kNoiseBlockU8); ++p) out[p] = uint8_t(w[p >> 2] >> (8 * (p & 3)));
}

// The 8 float32 values of block b (elements 8b .. 8b + 7).
template <Purpose kPurpose = Purpose::Noise>
MIXCUT_HD inline void noise_f32_block(uint64_t key, uint64_t b, float out[kNoiseBlockF32]) {
  const PhiloxCounter w = noise_bits<kPurpose>(key, b);
  for (int word = 0; word < 4; ++word, out += 2) {
    const NormalPair z = noise_normal_pair(w[word]);
    out[0] = z.cos_out;
    out[1] = z.sin_out;
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
