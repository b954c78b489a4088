// The per-ISA kernels behind one table of function pointers, chosen once per
// call from the ctx's effective ISA. Every kernel works on contiguous spans
// of one dtype; scheduling, layouts and boxes live in mix.cpp, cutout.cpp
// and tiling.hpp. The SIMD levels: src/cpu/isa/kernels-inl.hpp.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/types.hpp"
#include "plan/philox.hpp"

namespace mixcut::cpu {

// How the uint8 kernels that convert (normalize_u8, normalize3_u8,
// deinterleave3) mix their source `a` first: None: a alone; Mixup: the uint8 blend of a and b with
// weight q (as blend_u8); CutMix: b inside the `count` sorted, disjoint byte spans [spans[2k],
// spans[2k+1]), a outside.
struct MixSource {
  enum class Kind { None, Mixup, CutMix };
  Kind kind = Kind::None;
  const uint8_t* b = nullptr;
  int32_t q = 0;
  const int64_t* spans = nullptr;
  int64_t count = 0;
  // float32 sources (deinterleave3): a*lam + b_f32*rest for a Mixup, b_f32
  // inside the spans for a CutMix.
  const float* b_f32 = nullptr;
  float lam = 1.0f, rest = 0.0f;
};

// A tile of a flat sample and the rows of a CutMix box on it, in bytes of
// the sample: box row y of plane pl covers [pl * plane_stride + y *
// row_stride + x0, ... + x1) for y in [y0, y1); the tile is [begin, end).
struct TileRows {
  int64_t begin, end, planes, plane_stride, row_stride;
};
struct BoxBytes {
  int64_t y0, y1, x0, x1;
};
// Noise blocks first .. first + count - 1 (kernels/noise.hpp), the blocks a
// hole row covers.
struct NoiseRun {
  int64_t first, count;
};

// Calls fn(a0, a1, b0, b1) for every row of `tile` that box_a or box_b
// meets, in increasing order: [a0, a1) and [b0, b1) are the parts of the two
// boxes in that row, relative to tile.begin (a0 == a1 = 0 where box_a misses
// the row). A template so that each ISA's kernels inline it with their own
// row operation.
template <class Fn>
void for_each_box_row_pair(const TileRows& tile, const BoxBytes& box_a, const BoxBytes& box_b,
                           Fn&& fn) {
  const auto floor_div = [](int64_t x, int64_t d) { return x >= 0 ? x / d : -((-x + d - 1) / d); };
  const auto meets = [](const BoxBytes& box) { return box.y0 < box.y1 && box.x0 < box.x1; };
  const bool has_a = meets(box_a), has_b = meets(box_b);
  if (!has_a && !has_b) return;
  const int64_t y_lo = has_a && has_b ? std::min(box_a.y0, box_b.y0) : has_a ? box_a.y0 : box_b.y0;
  const int64_t y_hi = has_a && has_b ? std::max(box_a.y1, box_b.y1) : has_a ? box_a.y1 : box_b.y1;
  const int64_t rs = tile.row_stride;
  // The part of one box in row y (starting at byte `row`), tile-relative.
  const auto part = [&](const BoxBytes& box, bool has, int64_t y, int64_t row, int64_t& p0,
                        int64_t& p1) {
    p0 = std::max(row + box.x0, tile.begin) - tile.begin;
    p1 = std::min(row + box.x1, tile.end) - tile.begin;
    if (!has || y < box.y0 || y >= box.y1 || p0 >= p1) p0 = p1 = 0;
  };
  for (int64_t plane = 0; plane < tile.planes; ++plane) {
    const int64_t base = plane * tile.plane_stride;
    const int64_t first = std::max(y_lo, floor_div(tile.begin - base, rs));
    const int64_t last = std::min(y_hi, floor_div(tile.end - base + rs - 1, rs));
    for (int64_t y = first; y < last; ++y) {
      int64_t a0, a1, b0, b1;
      part(box_a, has_a, y, base + y * rs, a0, a1);
      part(box_b, has_b, y, base + y * rs, b0, b1);
      if (a0 < a1 || b0 < b1) fn(a0, a1, b0, b1);
    }
  }
}

// Streaming: every writer takes `bool stream` and then writes the whole
// aligned vectors of its output with non-temporal stores (the output must not
// be read back soon; see each entry for when it falls back to regular stores).
// None fences: a caller calls stream_fence once after a batch of them (a
// fence per short span costs about what the streaming saves). The scalar
// level ignores `stream`.
struct KernelTable {
  const char* name;
  // out = a*lam + b*one_minus_lam (two roundings). out may equal a or b
  // (not when streamed).
  void (*blend_f32)(const float* a, const float* b, float* out, int64_t n, float lam,
                    float one_minus_lam, bool stream);
  // Both sides of a 2-cycle in one pass: out_a = blend(a, b), out_b = blend(b, a).
  // out_a may equal a, out_b may equal b (not when streamed).
  void (*blend_f32_pair)(const float* a, const float* b, float* out_a, float* out_b, int64_t n,
                         float lam_a, float one_minus_lam_a, float lam_b, float one_minus_lam_b,
                         bool stream);
  // out = (q*a + (2^14-q)*b + 2^13) >> 14, q in [0, 2^14]; pair as above.
  void (*blend_u8)(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t n, int32_t q,
                   bool stream);
  void (*blend_u8_pair)(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                        int64_t n, int32_t q_a, int32_t q_b, bool stream);
  // out[i] = (v / 255 - mean) / std for one channel's span, where v is
  // byte i of the source `a` mixed as `mix` says (see MixSource): a Mixup or
  // CutMix fused with the conversion, one read per source byte and one
  // write per output. fma: each division x/d as fma(x, hi, x*lo) with 1/d
  // split as hi + lo in double, about twice as fast; equal to the division
  // whenever ChannelNorm (convert_tile.hpp) found it so for all 256 inputs, and callers
  // pass it only then (the sse2 level, without FMA, ignores it). stream:
  // non-temporal stores.
  void (*normalize_u8)(const uint8_t* a, const MixSource& mix, float* out, int64_t n, float mean,
                       float std, bool fma, bool stream);
  // As normalize_u8 for `pixels` interleaved 3-channel pixels (byte 3p + ch
  // of the source) into the planes out[0], out[1], out[2], with channel
  // ch's mean[ch] and std[ch]; fma for all three channels.
  void (*normalize3_u8)(const uint8_t* a, const MixSource& mix, float* const* out, int64_t pixels,
                        const float* mean, const float* std, bool fma, bool stream);
  // 3-channel layout changes of elem_size-byte elements (1 or 4): `pixels`
  // interleaved pixels (src[3p + ch]) into planes[ch][p], and back. stream:
  // non-temporal stores (planes only when all three share their alignment).
  // deinterleave3 first mixes the pixels as `mix` says (float32: b_f32,
  // lam and rest for a Mixup, b_f32 and byte spans for a CutMix).
  void (*deinterleave3)(const void* src, const MixSource& mix, void* const* planes, int64_t pixels,
                        int64_t elem_size, bool stream);
  void (*interleave3)(const void* const* planes, void* dst, int64_t pixels, int64_t elem_size,
                      bool stream);
  // out[p] = p inside a span ? b[p] : a[p] for bytes p in [0, bytes); spans are
  // `count` sorted, disjoint byte ranges [spans[2k], spans[2k+1]). stream:
  // non-temporal stores for every whole aligned block of out (out must not
  // overlap a or b then).
  void (*select_spans)(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t bytes,
                       const int64_t* spans, int64_t count, bool stream);
  // Both outputs of a CutMix 2-cycle in one walk, so a and b are each read
  // once, whole and in order: out_a = select_spans(a, b, spans_a), out_b =
  // select_spans(b, a, spans_b). stream: non-temporal stores when out_a and
  // out_b share their vector alignment (regular stores otherwise).
  void (*select_spans_pair)(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                            int64_t bytes, const int64_t* spans_a, int64_t count_a,
                            const int64_t* spans_b, int64_t count_b, bool stream);
  // In place, both sides of a CutMix 2-cycle on one tile of two flat
  // samples (a and b point at tile.begin), row by row: a takes b's bytes
  // inside box_a and b takes a's inside box_b, from the values before the
  // call (where both hold, a and b swap). stream: non-temporal stores for the
  // whole lines of one-sided parts.
  void (*swap_boxes)(uint8_t* a, uint8_t* b, const TileRows& tile, const BoxBytes& box_a,
                     const BoxBytes& box_b, bool stream);
  // memcpy with non-temporal stores for every whole 64-byte line of dst (the
  // partial lines at either end take regular stores; copies under 128 bytes
  // take regular stores only).
  void (*copy_stream)(void* dst, const void* src, int64_t bytes);
  // Orders earlier non-temporal stores before later stores (sfence).
  void (*stream_fence)();
  // FillKind::Noise values (kernels/noise.hpp) of the blocks of runs[0 ..
  // num_runs) of the hole with noise key `key` (any blocks, in any order),
  // one after another into out: kNoiseBlockU8 (16) uint8 or kNoiseBlockF32
  // (8) float32 values per block (a block is one Philox call: element e's is
  // e / 16 or e / 8). Only a list's last vector of calls runs partly empty,
  // so callers list the rows of several spans at once. Regular stores: out
  // is in L1 and the caller copies the rows on (streamed, at any alignment)
  // with the rest of the fill.
  void (*noise_u8)(uint8_t* out, uint64_t key, const NoiseRun* runs, int64_t num_runs);
  void (*noise_f32)(float* out, uint64_t key, const NoiseRun* runs, int64_t num_runs);
  // out[k] = philox4x32_10(ctr[k], key) for k < n (plan/philox.hpp); out
  // may equal ctr.
  void (*philox_many)(const PhiloxCounter* ctr, PhiloxKey key, PhiloxCounter* out, int64_t n);
};

const KernelTable& scalar_kernels();
const KernelTable& sse2_kernels();
const KernelTable& avx2_kernels();
const KernelTable& avx512_kernels();
// The table for an ISA (never above what the CPU supports: the caller caps it).
const KernelTable& kernels_for(Isa isa);

}  // namespace mixcut::cpu
