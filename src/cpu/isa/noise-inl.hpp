// Noise blocks on vector lanes for one ISA: Philox4x32-10 with one call per
// lane and the normal transform on float lanes, the values of
// kernels/noise.hpp bit for bit. The ISA's TU provides Arch and the shims
// mul_u32_wide (32 x 32 -> 64 bit products of the low halves of 64-bit
// lanes), swap_u32_halves (of each 64-bit lane), pack_low_u32 (the low
// halves of two vectors' 64-bit lanes), transpose_words (4 x 4 transpose of
// the 32-bit words in each 128-bit lane) and transpose_blocks (4 x 4
// transpose of 128-bit lanes).
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "include cpu/isa/noise-inl.hpp through cpu/isa/kernels-inl.hpp from an ISA TU"
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
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

// Philox calls per vector, one per 32-bit lane: a chunk of kNoiseLanes
// calls is kNoiseLanes blocks.
constexpr int64_t kNoiseLanes = int64_t(NoiseU32::size);

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

// The four output words of the calls ids[0 .. kChunks * kNoiseLanes):
// word k of call ids[ch * kNoiseLanes + l] in 32-bit lane l of w[ch][k].
// A chunk runs as two sets of 64-bit lanes, its first and its second half,
// packed back together at the end.
template <int kChunks>
inline void philox_words(const uint64_t* ids, uint32_t purpose_word, uint32_t k0, uint32_t k1,
                         NoiseU32 (&w)[kChunks][4]) {
  const NoiseU64 zero(uint64_t{0}), purpose(uint64_t{purpose_word});
  NoiseU64 c[2 * kChunks][4];
  for (int s = 0; s < 2 * kChunks; ++s) {
    const NoiseU64 g = NoiseU64::load_unaligned(ids + s * int64_t(NoiseU64::size));
    c[s][0] = g, c[s][1] = g >> 32, c[s][2] = zero, c[s][3] = purpose;
  }
  philox_rounds<2 * kChunks>(c, k0, k1);
  for (int ch = 0; ch < kChunks; ++ch) {
    for (int k = 0; k < 4; ++k) w[ch][k] = pack_low_u32(c[2 * ch][k], c[2 * ch + 1][k]);
  }
}

// noise_normal_pair on lanes, operation for operation (the float steps are
// kernels/noise.hpp's templates); the swap is a select, a sign an xor of
// bit 31 on both sides.
inline void normal_pair_lanes(NoiseU32 w, NoiseF32& z_cos, NoiseF32& z_sin) {
  using namespace noise_constants;
  const NoiseI32 k = xsimd::bitwise_cast<NoiseI32>((w >> kAngleBits) + NoiseU32(1u));
  const NoiseU32 ix =
      xsimd::bitwise_cast<NoiseU32>(xsimd::to_float(k)) + NoiseU32(0x3F800000u - kSqrtHalfBits);
  const NoiseI32 m = NoiseI32(147) - xsimd::bitwise_cast<NoiseI32>(ix >> 23);
  const NoiseF32 f =
      xsimd::bitwise_cast<NoiseF32>((ix & NoiseU32(0x7FFFFFu)) + NoiseU32(kSqrtHalfBits));
  const NoiseF32 r = xsimd::sqrt(noise_radius_squared(xsimd::to_float(m), f));

  const NoiseU32 q = (w << (32 - kAngleBits)) + NoiseU32(1u << 29);
  const NoiseF32 phi = xsimd::to_float(xsimd::bitwise_cast<NoiseI32>(w << (34 - kAngleBits))) *
                       NoiseF32(kPiOver2p33);
  const NoiseF32 x = phi * phi;
  const NoiseU32 c = xsimd::bitwise_cast<NoiseU32>(noise_cos_reduced(x));
  const NoiseU32 s = xsimd::bitwise_cast<NoiseU32>(noise_sin_reduced(phi, x));
  const auto swap = (q & NoiseU32(0x40000000u)) != NoiseU32(0u);
  const NoiseU32 sign(0x80000000u);
  const NoiseU32 cos_sign = (q + NoiseU32(0x40000000u)) & sign, sin_sign = q & sign;
  z_cos = r * xsimd::bitwise_cast<NoiseF32>(xsimd::select(swap, s, c) ^ cos_sign);
  z_sin = r * xsimd::bitwise_cast<NoiseF32>(xsimd::select(swap, c, s) ^ sin_sign);
}

// Vectors of a chunk: 4 of bytes (16 per call), 8 of floats (8 per call).
template <class T>
constexpr int kChunkVectors = std::is_same_v<T, float> ? 8 : 4;

// The FillKind::Noise values of the calls ids[0 .. kChunks * kNoiseLanes):
// v[ch] holds chunk ch's blocks one after another, as vectors of bits in
// memory order. Two chunks at once interleave their Philox chains.
template <class T, int kChunks>
inline void noise_chunks(const uint64_t* ids, uint32_t k0, uint32_t k1,
                         NoiseU32 (&v)[kChunks][kChunkVectors<T>]) {
  constexpr uint32_t kPurposeWord = uint32_t(Purpose::Noise) << 24;
  constexpr int kLanes128 = int(kNoiseLanes / 4);  // 128-bit lanes per vector
  NoiseU32 w[kChunks][4];
  philox_words<kChunks>(ids, kPurposeWord, k0, k1, w);
  for (int ch = 0; ch < kChunks; ++ch) {
    // After transpose_words, 128-bit lane j of t[k] is call 4j + k's block
    // (uint8) or its outputs 0-3 and 4-7 (float32, t[k] and t[4 + k]).
    NoiseU32 t[8];
    if constexpr (std::is_same_v<T, float>) {
      NoiseU32 z[8];
      for (size_t word = 0; word < 4; ++word) {
        NoiseF32 zc, zs;
        normal_pair_lanes(w[ch][word], zc, zs);
        z[2 * word] = xsimd::bitwise_cast<NoiseU32>(zc);
        z[2 * word + 1] = xsimd::bitwise_cast<NoiseU32>(zs);
      }
      transpose_words(z, t);
      transpose_words(z + 4, t + 4);
      // Calls 4j and 4j + 1 (then 4j + 2 and 4j + 3) are the 128-bit lanes j
      // of (t[0], t[4], t[1], t[5]) (then of t[2], t[6], t[3], t[7]).
      const NoiseU32 pair0[4] = {t[0], t[4], t[1], t[5]}, pair1[4] = {t[2], t[6], t[3], t[7]};
      NoiseU32 a[4], b[4];
      transpose_blocks(pair0, a);
      transpose_blocks(pair1, b);
      constexpr int kPer = 4 / kLanes128;  // vectors per two calls
      for (int j = 0; j < kLanes128; ++j) {
        for (int q = 0; q < kPer; ++q) {
          v[ch][2 * j * kPer + q] = a[j * kPer + q];
          v[ch][(2 * j + 1) * kPer + q] = b[j * kPer + q];
        }
      }
    } else {
      transpose_words(w[ch], t);
      transpose_blocks(t, v[ch]);
    }
  }
}

// Stores the first `limit` elements of chunk v (a block can be shorter than
// a vector: a partial last vector goes through a buffer).
template <class T>
inline void put_chunk(const NoiseU32 (&v)[kChunkVectors<T>], T* out, int64_t limit) {
  using Vec = xsimd::batch<T, Arch>;
  constexpr int64_t kSize = int64_t(Vec::size);
  int k = 0;
  for (; k < kChunkVectors<T> && (k + 1) * kSize <= limit; ++k) {
    xsimd::bitwise_cast<Vec>(v[k]).store_unaligned(out + k * kSize);
  }
  if (k < kChunkVectors<T> && k * kSize < limit) {
    alignas(64) T part[kSize];
    xsimd::bitwise_cast<Vec>(v[k]).store_aligned(part);
    std::memcpy(out + k * kSize, part, size_t(limit - k * kSize) * sizeof(T));
  }
}

// 0, 1, 2, ...: a lane's offset in a vector of consecutive block indices.
struct LaneIndex {
  static constexpr uint64_t get(size_t j, size_t) { return j; }
};

// See KernelTable::noise_u8 / noise_f32. The runs' blocks are listed into
// `ids`, kPair at a time, and computed two chunks at a time as the list
// fills; a last, partial chunk repeats its last block in the unused lanes
// and stores only the blocks asked for.
template <class T>
void noise_runs(T* out, uint64_t key, const NoiseRun* runs, int64_t num_runs) {
  constexpr int64_t kBlock = std::is_same_v<T, float> ? kNoiseBlockF32 : kNoiseBlockU8;
  constexpr int64_t kChunk = kBlock * kNoiseLanes;  // values per chunk
  constexpr int64_t kPair = 2 * kNoiseLanes;        // blocks per two chunks
  constexpr int64_t kStep = int64_t(NoiseU64::size);
  static_assert(kChunk == kChunkVectors<T> * int64_t(xsimd::batch<T, Arch>::size),
                "a chunk is whole vectors");
  static_assert(kPair % kStep == 0, "two chunks list as whole vectors of block indices");
  const uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
  const NoiseU64 lane = xsimd::make_batch_constant<NoiseU64, LaneIndex>();
  // ids[0 .. listed) are listed and not yet computed; listed < kPair between
  // runs' pieces, and a piece lists at most kPair more.
  alignas(64) uint64_t ids[2 * kPair];
  int64_t listed = 0;
  for (int64_t r = 0; r < num_runs; ++r) {
    uint64_t first = uint64_t(runs[r].first);
    for (int64_t left = runs[r].count; left > 0;) {
      const int64_t take = std::min(left, kPair);
      for (int64_t j = 0; j < kPair; j += kStep) {  // whole vectors; only `take` ids count
        (NoiseU64(first + uint64_t(j)) + lane).store_unaligned(ids + listed + j);
      }
      listed += take;
      first += uint64_t(take);
      left -= take;
      if (listed < kPair) continue;
      NoiseU32 v[2][kChunkVectors<T>];
      noise_chunks<T, 2>(ids, k0, k1, v);
      put_chunk<T>(v[0], out, kChunk);
      put_chunk<T>(v[1], out + kChunk, kChunk);
      out += 2 * kChunk;
      listed -= kPair;
      for (int64_t j = 0; j < listed; j += kStep) {
        NoiseU64::load_aligned(ids + kPair + j).store_aligned(ids + j);
      }
    }
  }
  for (int64_t i = 0; i < listed; i += kNoiseLanes) {
    const int64_t n = std::min(listed - i, kNoiseLanes);
    alignas(64) uint64_t tail[kNoiseLanes];
    for (int64_t m = 0; m < kNoiseLanes; ++m) tail[m] = ids[i + std::min(m, n - 1)];
    NoiseU32 v[1][kChunkVectors<T>];
    noise_chunks<T, 1>(tail, k0, k1, v);
    put_chunk<T>(v[0], out, n * kBlock);
    out += n * kBlock;
  }
}

void noise_runs_u8(uint8_t* out, uint64_t key, const NoiseRun* runs, int64_t num_runs) {
  noise_runs<uint8_t>(out, key, runs, num_runs);
}
void noise_runs_f32(float* out, uint64_t key, const NoiseRun* runs, int64_t num_runs) {
  noise_runs<float>(out, key, runs, num_runs);
}

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
