// Noise blocks on vector lanes for one ISA: Philox4x32-10 with one call per
// lane and the normal transform on float lanes, the values of
// kernels/noise.hpp bit for bit. The ISA's TU provides Arch and the shims
// mul_u32_wide (32 x 32 -> 64 bit products of the low halves of 64-bit
// lanes), swap_u32_halves (of each 64-bit lane) and transpose_blocks (4 x 4
// transpose of 128-bit lanes).
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "include cpu/isa/noise-inl.hpp through cpu/isa/kernels-inl.hpp from an ISA TU"
#endif

#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "kernels/noise.hpp"
#include "plan/philox.hpp"
#include "plan/plan.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

using NoiseU32 = xsimd::batch<uint32_t, Arch>;
using NoiseI32 = xsimd::batch<int32_t, Arch>;
using NoiseU64 = xsimd::batch<uint64_t, Arch>;
using NoiseF32 = xsimd::batch<float, Arch>;

// Philox calls per vector (one per 32-bit lane); every 4 consecutive calls
// fill one noise block, so a chunk of kNoiseLanes calls is kNoiseLanes / 4
// blocks.
constexpr int64_t kNoiseLanes = int64_t(NoiseU32::size);
constexpr int64_t kNoiseBlocksPerChunk = kNoiseLanes / 4;

// Ten Philox rounds on kSets sets of lanes at once: independent chains hide
// the multiplies' latency. Counter word k of a call sits in the low half of
// a 64-bit lane of c[s][k]; the high halves carry junk that the products
// (which read only low halves) and the final extraction ignore. The high
// word of a product reaches the low half by swapping halves (a shuffle),
// not by a shift, which would compete with the multiplies for their port.
template <int kSets>
inline void philox_rounds(NoiseU64 (&c)[kSets][4], uint32_t k0, uint32_t k1) {
  const NoiseU64 m0(uint64_t{kPhiloxM0}), m1(uint64_t{kPhiloxM1});
  for (int round = 0; round < 10; ++round) {
    const NoiseU64 key0(uint64_t{k0}), key1(uint64_t{k1});
    for (int s = 0; s < kSets; ++s) {
      const NoiseU64 p0 = mul_u32_wide(c[s][0], m0), p1 = mul_u32_wide(c[s][2], m1);
      c[s][0] = swap_u32_halves(p1) ^ c[s][1] ^ key0;
      c[s][2] = swap_u32_halves(p0) ^ c[s][3] ^ key1;
      c[s][1] = p1;
      c[s][3] = p0;
    }
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
}

// The four output words of calls g0 .. g0 + kChunks * kNoiseLanes - 1: call
// g0 + kNoiseLanes * ch + l in 32-bit lane l of w[ch]. Within a chunk, even
// calls run in one set of 64-bit lanes and odd ones in another; the low
// halves of the first and the swapped halves of the second put them back in
// call order.
template <int kChunks>
inline void philox_words(uint64_t g0, uint32_t purpose_word, uint32_t k0, uint32_t k1,
                         NoiseU32 (&w)[kChunks][4]) {
  alignas(64) static const uint64_t kEven[8] = {0, 2, 4, 6, 8, 10, 12, 14};
  static_assert(NoiseU64::size <= 8, "kEven covers the widest vector");
  const NoiseU64 even = NoiseU64::load_aligned(kEven);
  const NoiseU64 zero(uint64_t{0}), purpose(uint64_t{purpose_word}), one(uint64_t{1});
  NoiseU64 c[2 * kChunks][4];
  for (int ch = 0; ch < kChunks; ++ch) {
    const NoiseU64 ga = NoiseU64(g0 + uint64_t(ch * kNoiseLanes)) + even, gb = ga + one;
    c[2 * ch][0] = ga, c[2 * ch][1] = ga >> 32, c[2 * ch][2] = zero, c[2 * ch][3] = purpose;
    c[2 * ch + 1][0] = gb, c[2 * ch + 1][1] = gb >> 32, c[2 * ch + 1][2] = zero;
    c[2 * ch + 1][3] = purpose;
  }
  philox_rounds<2 * kChunks>(c, k0, k1);
  const NoiseU64 low(uint64_t{0xFFFFFFFFu});
  for (int ch = 0; ch < kChunks; ++ch) {
    for (int k = 0; k < 4; ++k) {
      w[ch][k] = xsimd::bitwise_cast<NoiseU32>((c[2 * ch][k] & low) |
                                               (swap_u32_halves(c[2 * ch + 1][k]) & ~low));
    }
  }
}

// noise_normal_pair on lanes, operation for operation: the exponent and
// mantissa of k come from its float bits (k < 2^24 converts exactly), which
// equals the scalar integer split; negation is a sign flip on both sides.
inline void normal_pair_lanes(NoiseU32 a, NoiseU32 b, NoiseF32& z_cos, NoiseF32& z_sin) {
  using namespace noise_constants;
  const NoiseI32 k = xsimd::bitwise_cast<NoiseI32>((a >> 8) + NoiseU32(1u));
  const NoiseU32 bits = xsimd::bitwise_cast<NoiseU32>(xsimd::to_float(k));
  const NoiseI32 n = xsimd::bitwise_cast<NoiseI32>(bits >> 23) - NoiseI32(127);
  const NoiseU32 mantissa = bits & NoiseU32(0x7FFFFFu);
  const auto halve =
      xsimd::bitwise_cast<NoiseI32>(mantissa) >= NoiseI32(int32_t(kSqrt2Mantissa - 0x800000u));
  // m * 2^-24 (halved) or m * 2^-23: exponent field 126 or 127.
  const NoiseI32 exponent = xsimd::select(halve, NoiseI32(0x3F000000), NoiseI32(0x3F800000));
  const NoiseF32 f =
      xsimd::bitwise_cast<NoiseF32>(mantissa | xsimd::bitwise_cast<NoiseU32>(exponent));
  const NoiseI32 minus_e = xsimd::select(halve, NoiseI32(23), NoiseI32(24)) - n;
  const NoiseF32 t = xsimd::to_float(minus_e) * NoiseF32(kLn2) - noise_log_reduced(f);
  const NoiseF32 r = xsimd::sqrt(t + t);

  const NoiseU32 j = b >> 8;
  const NoiseU32 turn = (j + NoiseU32(1u << 21)) >> 22;
  const NoiseI32 i = xsimd::bitwise_cast<NoiseI32>(j) - xsimd::bitwise_cast<NoiseI32>(turn << 22);
  const NoiseF32 phi = xsimd::to_float(i) * NoiseF32(kTwoPiOver2p24);
  const NoiseF32 phi2 = phi * phi;
  const NoiseU32 c = xsimd::bitwise_cast<NoiseU32>(noise_cos_reduced(phi2));
  const NoiseU32 s = xsimd::bitwise_cast<NoiseU32>(noise_sin_reduced(phi, phi2));
  // Odd quarter turns swap cos and sin; cos is negative for turns 1, 2 and
  // sin for turns 2, 3 (mod 4).
  const NoiseU32 swap = NoiseU32(0u) - (turn & NoiseU32(1u));
  const NoiseU32 cos_sign = ((turn + NoiseU32(1u)) & NoiseU32(2u)) << 30;
  const NoiseU32 sin_sign = (turn & NoiseU32(2u)) << 30;
  const NoiseU32 cos_theta = ((s & swap) | (c & ~swap)) ^ cos_sign;
  const NoiseU32 sin_theta = ((c & swap) | (s & ~swap)) ^ sin_sign;
  z_cos = r * xsimd::bitwise_cast<NoiseF32>(cos_theta);
  z_sin = r * xsimd::bitwise_cast<NoiseF32>(sin_theta);
}

// Blocks b0 .. b0 + kChunks * kNoiseBlocksPerChunk - 1 of FillKind::Noise
// values: v[ch] holds chunk ch as four vectors of bits in memory order (16
// floats or 64 bytes per block). Several chunks at once interleave their
// Philox chains.
template <class T, int kChunks>
inline void noise_chunks(uint64_t b0, uint32_t k0, uint32_t k1, NoiseU32 (&v)[kChunks][4]) {
  constexpr uint32_t kPurposeWord = uint32_t(Purpose::Noise) << 24;
  NoiseU32 w[kChunks][4];
  philox_words<kChunks>(4 * b0, kPurposeWord, k0, k1, w);
  for (int ch = 0; ch < kChunks; ++ch) {
    if constexpr (std::is_same_v<T, float>) {
      NoiseF32 z[4];
      normal_pair_lanes(w[ch][0], w[ch][1], z[0], z[1]);
      normal_pair_lanes(w[ch][2], w[ch][3], z[2], z[3]);
      for (int o = 0; o < 4; ++o) w[ch][o] = xsimd::bitwise_cast<NoiseU32>(z[o]);
    }
    // Lane l of w[ch][o] is output o of call 4*(b + l/4) + l%4 (b the chunk's
    // first block); block b + m is the 128-bit lanes m of w[ch][0..3], one
    // after another.
    transpose_blocks(w[ch], v[ch]);
  }
}

// Stores the vectors of chunk v that fall before element `limit` of out.
template <class T>
inline void put_chunk(const NoiseU32 (&v)[4], T* out, int64_t limit) {
  using Vec = xsimd::batch<T, Arch>;
  for (int k = 0; k < 4 && k * int64_t(Vec::size) < limit; ++k) {
    xsimd::bitwise_cast<Vec>(v[k]).store_unaligned(out + k * int64_t(Vec::size));
  }
}

// See KernelTable::noise_u8 / noise_f32.
template <class T>
void noise_blocks(T* out, uint64_t key, int64_t b0, int64_t count) {
  constexpr int64_t kBlock = std::is_same_v<T, float> ? 16 : 64;
  constexpr int64_t kChunk = kBlock * kNoiseBlocksPerChunk;
  static_assert(kChunk == 4 * int64_t(xsimd::batch<T, Arch>::size), "a chunk is four vectors");
  const uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
  const int64_t total = count * kBlock;
  int64_t at = 0;  // elements written
  // Two chunks a pass while more than one is left, then one.
  for (; at + kChunk < total; at += 2 * kChunk) {
    NoiseU32 v[2][4];
    noise_chunks<T, 2>(uint64_t(b0 + at / kBlock), k0, k1, v);
    put_chunk<T>(v[0], out + at, total - at);
    put_chunk<T>(v[1], out + at + kChunk, total - at - kChunk);
  }
  if (at < total) {
    NoiseU32 v[1][4];
    noise_chunks<T, 1>(uint64_t(b0 + at / kBlock), k0, k1, v);
    put_chunk<T>(v[0], out + at, total - at);
  }
}

void noise_blocks_u8(uint8_t* out, uint64_t key, int64_t b0, int64_t count) {
  noise_blocks<uint8_t>(out, key, b0, count);
}
void noise_blocks_f32(float* out, uint64_t key, int64_t b0, int64_t count) {
  noise_blocks<float>(out, key, b0, count);
}

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
