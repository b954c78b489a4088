// Philox4x32-10 (Salmon et al., SC'11): a counter-based generator. A draw is a
// pure function of (key, counter), which is what makes plans reproducible
// across threads, processes and devices. Header-only so kernels can inline it.
#pragma once

#include <array>
#include <cstdint>

namespace mixcut {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

inline PhiloxCounter philox4x32_10(PhiloxCounter ctr, PhiloxKey key) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(kM0) * ctr[0];
    const uint64_t p1 = uint64_t(kM1) * ctr[2];
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
    key[0] += kW0;
    key[1] += kW1;
  }
  return ctr;
}

inline PhiloxKey philox_key(uint64_t seed) { return {uint32_t(seed), uint32_t(seed >> 32)}; }

// The library's counter convention: (draw index, sample key, step low 32 bits,
// step high 24 bits | purpose << 24). Step must be < 2^56.
inline PhiloxCounter philox_counter(uint32_t purpose, uint64_t step, uint32_t sample_key,
                                    uint32_t draw) {
  return {draw, sample_key, uint32_t(step), uint32_t(step >> 32) | (purpose << 24)};
}

}  // namespace mixcut
