// Noise fills for Cutout / RandomErasing: pure functions of (hole key, element
// index), so every kernel, ISA, thread split and layout produces the same
// values. Header-only so the fast kernels inline the very same arithmetic.
//
// Counter: {e low 32 bits, e high 32 bits, 0, purpose << 24}, key = hole key.
//   Purpose::Noise        e = (c*H + y)*W + x, the canonical CHW index of the
//                         element (NCHW and NHWC get the same pixels).
//   Purpose::ChannelNoise e = c: one value per channel per hole (timm 'rand').
#pragma once

#include <cmath>
#include <cstdint>

#include "plan/philox.hpp"
#include "plan/plan.hpp"

namespace mixcut {

// Canonical element index of (channel, row, column) in an h x w image.
inline int64_t noise_element_index(int64_t c, int64_t y, int64_t x, int64_t h, int64_t w) {
  return (c * h + y) * w + x;
}

template <Purpose kPurpose>
inline PhiloxCounter noise_bits(uint64_t key, int64_t e) {
  const uint64_t index = static_cast<uint64_t>(e);
  const PhiloxCounter ctr = {uint32_t(index), uint32_t(index >> 32), 0u,
                             static_cast<uint32_t>(kPurpose) << 24};
  return philox4x32_10(ctr, philox_key(key));
}

// Uniform on 0..255: the top byte of the first word.
template <Purpose kPurpose = Purpose::Noise>
inline uint8_t noise_u8(uint64_t key, int64_t e) {
  return uint8_t(noise_bits<kPurpose>(key, e)[0] >> 24);
}

// Standard normal by Box-Muller in double from two 53-bit uniforms:
// u1 in (0, 1] (so the log is finite), u2 in [0, 1). The only rounding to
// float is the last step.
template <Purpose kPurpose = Purpose::Noise>
inline float noise_f32(uint64_t key, int64_t e) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  constexpr double kInv2Pow53 = 1.0 / 9007199254740992.0;  // 2^-53
  const PhiloxCounter r = noise_bits<kPurpose>(key, e);
  const uint64_t bits1 = (uint64_t(r[0]) << 21) ^ (r[1] >> 11);
  const uint64_t bits2 = (uint64_t(r[2]) << 21) ^ (r[3] >> 11);
  const double u1 = double(bits1 + 1) * kInv2Pow53;
  const double u2 = double(bits2) * kInv2Pow53;
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double z = radius * std::cos(kTwoPi * u2);
  return float(z);
}

// One value per channel per hole (FillKind::ChannelNoise).
inline uint8_t channel_noise_u8(uint64_t key, int64_t c) {
  return noise_u8<Purpose::ChannelNoise>(key, c);
}
inline float channel_noise_f32(uint64_t key, int64_t c) {
  return noise_f32<Purpose::ChannelNoise>(key, c);
}

}  // namespace mixcut
