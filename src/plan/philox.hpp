// Philox4x32-10 (Salmon et al., SC'11): a counter-based generator. A draw is a
// pure function of (key, counter), which is what makes plans reproducible
// across threads, processes and devices. Header-only and MIXCUT_HD so that
// kernels (CPU and CUDA) inline the very same rounds.
#pragma once

#include <cstdint>

#include "core/hd.hpp"

namespace mixcut {

// Plain aggregates (not std::array) so that device code can use them:
// PhiloxCounter c = {a, b, c, d} and c[k] work as with an array.
struct PhiloxCounter {
  uint32_t v[4];
  MIXCUT_HD constexpr uint32_t& operator[](int k) { return v[k]; }
  MIXCUT_HD constexpr const uint32_t& operator[](int k) const { return v[k]; }
};
struct PhiloxKey {
  uint32_t v[2];
  MIXCUT_HD constexpr uint32_t& operator[](int k) { return v[k]; }
  MIXCUT_HD constexpr const uint32_t& operator[](int k) const { return v[k]; }
};

MIXCUT_HD constexpr bool operator==(const PhiloxCounter& a, const PhiloxCounter& b) {
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}
MIXCUT_HD constexpr bool operator!=(const PhiloxCounter& a, const PhiloxCounter& b) {
  return !(a == b);
}
// Lexicographic, so that counters can key ordered containers (tests).
MIXCUT_HD constexpr bool operator<(const PhiloxCounter& a, const PhiloxCounter& b) {
  for (int k = 0; k < 4; ++k) {
    if (a[k] != b[k]) return a[k] < b[k];
  }
  return false;
}

// The round constants: multipliers and the Weyl key increments.
constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

MIXCUT_HD constexpr PhiloxCounter philox4x32_10(PhiloxCounter ctr, PhiloxKey key) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(kPhiloxM0) * ctr[0];
    const uint64_t p1 = uint64_t(kPhiloxM1) * ctr[2];
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
    key[0] += kPhiloxW0;
    key[1] += kPhiloxW1;
  }
  return ctr;
}

MIXCUT_HD constexpr PhiloxKey philox_key(uint64_t seed) {
  return {uint32_t(seed), uint32_t(seed >> 32)};
}

// The library's counter convention: (draw index, sample key, step low 32 bits,
// step high 24 bits | purpose << 24). Step must be < 2^56.
MIXCUT_HD constexpr PhiloxCounter philox_counter(uint32_t purpose, uint64_t step,
                                                 uint32_t sample_key, uint32_t draw) {
  return {draw, sample_key, uint32_t(step), uint32_t(step >> 32) | (purpose << 24)};
}

}  // namespace mixcut
