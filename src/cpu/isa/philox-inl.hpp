// Philox4x32-10 of many independent counters on vector lanes (the plans'
// look-ahead blocks, see plan/mix_plan.cpp): the values of
// plan/philox.hpp's philox4x32_10 bit for bit. The ISA's TU provides Arch
// and the shims mul_u32_wide and reverse_u32_quads (see kernels-inl.hpp).
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "include cpu/isa/philox-inl.hpp through cpu/isa/kernels-inl.hpp from an ISA TU"
#endif

#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "plan/philox.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

using PhiloxU64 = xsimd::batch<uint64_t, Arch>;

// Each 128-bit lane holds one counter as it lies in memory, words w0..w3,
// i.e. the 64-bit lanes A = w0 | w1 << 32 and B = w2 | w3 << 32. A round
// multiplies the low halves by (M0, M1) in one mul_u32_wide, giving
// (p0, p1); its new words (hi p1 ^ w1 ^ k0, lo p1, hi p0 ^ w3 ^ k1, lo p0)
// are the product's four words reversed, xor (w1, 0, w3, 0) (the old lanes
// shifted down by 32) and the key. No transposes: counters load and store
// whole. kSets vectors go through the rounds together, so that their
// multiplies overlap.
void philox_many(const PhiloxCounter* ctr, PhiloxKey key, PhiloxCounter* out, int64_t n) {
  static_assert(sizeof(PhiloxCounter) == 16, "one counter per 128-bit lane");
  constexpr int kSets = 4;
  constexpr int64_t kPer = int64_t(PhiloxU64::size) / 2;  // counters per vector
  constexpr int64_t kGroup = kSets * kPer;
  alignas(64) static const uint64_t kMul[8] = {kPhiloxM0, kPhiloxM1, kPhiloxM0, kPhiloxM1,
                                               kPhiloxM0, kPhiloxM1, kPhiloxM0, kPhiloxM1};
  alignas(64) uint64_t keys[8];
  static_assert(PhiloxU64::size <= 8, "kMul covers the widest vector");
  const PhiloxU64 mul = PhiloxU64::load_aligned(kMul);
  for (int64_t base = 0; base < n; base += kGroup) {
    const int64_t m = n - base < kGroup ? n - base : kGroup;
    alignas(64) PhiloxCounter part[kGroup];
    const uint64_t* from = reinterpret_cast<const uint64_t*>(ctr + base);
    if (m < kGroup) {  // the last, partial group through a buffer
      std::memcpy(part, ctr + base, size_t(m) * sizeof(PhiloxCounter));
      from = reinterpret_cast<const uint64_t*>(part);
    }
    PhiloxU64 x[kSets];
    for (int s = 0; s < kSets; ++s) x[s] = PhiloxU64::load_unaligned(from + 2 * kPer * s);
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; ++round) {
      for (size_t l = 0; l < PhiloxU64::size; l += 2) keys[l] = k0, keys[l + 1] = k1;
      const PhiloxU64 round_key = PhiloxU64::load_aligned(keys);
      for (int s = 0; s < kSets; ++s) {
        x[s] = reverse_u32_quads(mul_u32_wide(x[s], mul)) ^ (x[s] >> 32) ^ round_key;
      }
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    uint64_t* to =
        m < kGroup ? reinterpret_cast<uint64_t*>(part) : reinterpret_cast<uint64_t*>(out + base);
    for (int s = 0; s < kSets; ++s) x[s].store_unaligned(to + 2 * kPer * s);
    if (m < kGroup) std::memcpy(out + base, part, size_t(m) * sizeof(PhiloxCounter));
  }
}

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
