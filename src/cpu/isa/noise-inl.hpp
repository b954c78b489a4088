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

#include <algorithm>
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

// 64-bit lane j of chunk kChunk (0 or 1) takes block j / 2 of the chunk,
// from the listed blocks of two chunks (see philox_words).
template <int kChunk>
struct ChunkBlockOfLane {
  static constexpr uint64_t get(size_t j, size_t lanes) { return kChunk * lanes / 2 + j / 2; }
};
// 0, 2, 0, 2, ...: the call within the block of lane j's even call.
struct EvenCallOfLane {
  static constexpr uint64_t get(size_t j, size_t) { return 2 * (j % 2); }
};

// The four output words of the calls of the blocks in `listed` (kChunks <= 2
// chunks, kNoiseBlocksPerChunk blocks each, one per 64-bit lane): call
// 4 * block + c (c = 0..3) of the chunk's block m in 32-bit lane 4 * m + c
// of w[ch]. Within a chunk, even calls run in one set of 64-bit lanes and
// odd ones in another; the low halves of the first and the swapped halves of
// the second put them back in call order.
template <int kChunks>
inline void philox_words(NoiseU64 listed, uint32_t purpose_word, uint32_t k0, uint32_t k1,
                         NoiseU32 (&w)[kChunks][4]) {
  static_assert(kChunks == 1 || kChunks == 2, "listed holds two chunks' blocks");
  const NoiseU64 zero(uint64_t{0}), purpose(uint64_t{purpose_word}), one(uint64_t{1});
  const NoiseU64 even_call = xsimd::make_batch_constant<NoiseU64, EvenCallOfLane>();
  NoiseU64 c[2 * kChunks][4];
  for (int ch = 0; ch < kChunks; ++ch) {
    const NoiseU64 block =
        ch == 0
            ? xsimd::swizzle(listed, xsimd::make_batch_constant<NoiseU64, ChunkBlockOfLane<0>>())
            : xsimd::swizzle(listed, xsimd::make_batch_constant<NoiseU64, ChunkBlockOfLane<1>>());
    const NoiseU64 ga = (block << 2) + even_call, gb = ga + one;
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

// Vectors of a chunk: 4 of bytes (64 per block), 8 of floats (32 per block).
template <class T>
constexpr int kChunkVectors = std::is_same_v<T, float> ? 8 : 4;

// The FillKind::Noise values of kChunks chunks of the blocks in `listed`:
// v[ch] holds chunk ch as vectors of bits in memory order. Two chunks at once
// interleave their Philox chains.
template <class T, int kChunks>
inline void noise_chunks(NoiseU64 listed, uint32_t k0, uint32_t k1,
                         NoiseU32 (&v)[kChunks][kChunkVectors<T>]) {
  constexpr uint32_t kPurposeWord = uint32_t(Purpose::Noise) << 24;
  NoiseU32 w[kChunks][4];
  philox_words<kChunks>(listed, kPurposeWord, k0, k1, w);
  for (int ch = 0; ch < kChunks; ++ch) {
    if constexpr (std::is_same_v<T, float>) {
      // Lane l of z[o] is output o of call l % 4 of the chunk's block l / 4:
      // block m is the 128-bit lanes m of z[0..7], one after another, so
      // the two transposes' pieces of it alternate.
      NoiseF32 zf[8];
      for (size_t word = 0; word < 4; ++word) {
        normal_pair_lanes(w[ch][word], zf[2 * word], zf[2 * word + 1]);
      }
      NoiseU32 z[8], t[8];
      for (int o = 0; o < 8; ++o) z[o] = xsimd::bitwise_cast<NoiseU32>(zf[o]);
      transpose_blocks(z, t);
      transpose_blocks(z + 4, t + 4);
      constexpr int kPer = int(4 / kNoiseBlocksPerChunk);  // vectors per half block
      for (int m = 0; m < int(kNoiseBlocksPerChunk); ++m) {
        for (int h = 0; h < 2; ++h) {
          for (int q = 0; q < kPer; ++q) v[ch][(2 * m + h) * kPer + q] = t[4 * h + m * kPer + q];
        }
      }
    } else {
      // Lane l of w[ch][o] is word o of call l % 4 of block l / 4: block m
      // is the 128-bit lanes m of w[ch][0..3], one after another.
      transpose_blocks(w[ch], v[ch]);
    }
  }
}

// Stores the vectors of chunk v that fall before element `limit` of out.
template <class T>
inline void put_chunk(const NoiseU32 (&v)[kChunkVectors<T>], T* out, int64_t limit) {
  using Vec = xsimd::batch<T, Arch>;
  for (int k = 0; k < kChunkVectors<T> && k * int64_t(Vec::size) < limit; ++k) {
    xsimd::bitwise_cast<Vec>(v[k]).store_unaligned(out + k * int64_t(Vec::size));
  }
}

// See KernelTable::noise_u8 / noise_f32. A last, partial chunk repeats its
// last block in the unused lanes and stores only the blocks asked for.
template <class T>
void noise_blocks(T* out, uint64_t key, const int64_t* blocks, int64_t count) {
  constexpr int64_t kBlock = std::is_same_v<T, float> ? kNoiseBlockF32 : kNoiseBlockU8;
  constexpr int64_t kChunk = kBlock * kNoiseBlocksPerChunk;
  static_assert(kChunk == kChunkVectors<T> * int64_t(xsimd::batch<T, Arch>::size),
                "a chunk is whole vectors");
  const uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
  int64_t i = 0;  // blocks written
  static_assert(2 * kNoiseBlocksPerChunk == int64_t(NoiseU64::size), "a vector lists two chunks");
  for (; i + 2 * kNoiseBlocksPerChunk <= count; i += 2 * kNoiseBlocksPerChunk) {
    NoiseU32 v[2][kChunkVectors<T>];
    const NoiseU64 listed = NoiseU64::load_unaligned(reinterpret_cast<const uint64_t*>(blocks + i));
    noise_chunks<T, 2>(listed, k0, k1, v);
    put_chunk<T>(v[0], out + i * kBlock, kChunk);
    put_chunk<T>(v[1], out + i * kBlock + kChunk, kChunk);
  }
  for (; i < count; i += kNoiseBlocksPerChunk) {
    alignas(64) uint64_t tail[NoiseU64::size] = {};
    for (int64_t m = 0; m < kNoiseBlocksPerChunk; ++m) {
      tail[m] = uint64_t(blocks[std::min(i + m, count - 1)]);
    }
    NoiseU32 v[1][kChunkVectors<T>];
    noise_chunks<T, 1>(NoiseU64::load_aligned(tail), k0, k1, v);
    put_chunk<T>(v[0], out + i * kBlock, (count - i) * kBlock);
  }
}

void noise_blocks_u8(uint8_t* out, uint64_t key, const int64_t* blocks, int64_t count) {
  noise_blocks<uint8_t>(out, key, blocks, count);
}
void noise_blocks_f32(float* out, uint64_t key, const int64_t* blocks, int64_t count) {
  noise_blocks<float>(out, key, blocks, count);
}

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
