// CPU conversion of tiles between dtypes and layouts (uint8 -> float32 with
// normalisation, NCHW <-> NHWC), through the kernel table where it has a
// kernel for the pair.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/types.hpp"
#include "cpu/kernel_table.hpp"
#include "cpu/tiling.hpp"
#include "kernels/formulas.hpp"

namespace mixcut::cpu {

// Whether the normalize kernels convert uint8 to float32 between these
// layouts: into NCHW planes, from planes or from 3-channel NHWC pixels.
inline bool normalize_kernels_apply(Layout from_layout, Layout to_layout, int64_t channels) {
  return to_layout == Layout::NCHW && (from_layout == Layout::NCHW || channels == 3);
}

// Per-channel mean and std (defaults filled in) of a uint8 -> float32 call,
// and what its conversion path needs beyond them, sized by the call:
//   fma_exact[c], for the normalize kernels: their fma form gives
//     formulas::normalize_u8 bit for bit on channel c (all 256 inputs);
//   table[c * 256 + v], for the other paths: formulas::normalize_u8 of every
//     byte, for at most kMaxTableChannels channels (1 KiB each); calls with
//     more channels compute each value (a table per channel would take 1 KiB
//     per input byte of a 1-pixel image).
struct ChannelNorm {
  static constexpr int64_t kMaxTableChannels = 64;
  std::vector<float> mean, std, table;
  std::vector<char> fma_exact;

  void reset(const Normalize* norm, int64_t channels, Layout from_layout, Layout to_layout);
  bool has_table() const { return !table.empty(); }
  float compute(int64_t ch, uint8_t v) const {
    return formulas::normalize_u8(v, mean[size_t(ch)], std[size_t(ch)]);
  }
};

// The uint8 tile `a` (pixels [0, len)) normalised into the float32 NCHW
// tile `to` by the normalize kernels, mixed in the same pass with the tile
// `b` as `mix` says (b may be null for Kind::None); mix.b is set here, plane
// by plane.
void normalize_tile(const KernelTable& k, const View<const uint8_t>& a,
                    const View<const uint8_t>* b, MixSource mix, Layout from_layout,
                    const View<float>& to, int64_t len, int64_t channels, const ChannelNorm& norm,
                    bool stream);

// Writes the source-layout tile `from` (pixels [0, len)) to the destination
// tile `to`, converting dtype and layout. `stream`: the destination is written
// with non-temporal stores where a kernel has them (u8 -> f32 into NCHW).
template <class S, class D>
void convert_tile(const KernelTable& k, const View<const S>& from, Layout from_layout,
                  const View<D>& to, Layout to_layout, int64_t len, int64_t channels,
                  const ChannelNorm& norm, bool stream) {
  constexpr bool kSameType = std::is_same_v<S, D>;
  if constexpr (!kSameType) {
    if (normalize_kernels_apply(from_layout, to_layout, channels)) {
      normalize_tile(k, from, nullptr, MixSource{}, from_layout, to, len, channels, norm, stream);
      return;
    }
  }
  if (from_layout == to_layout) {
    if constexpr (kSameType) {
      copy_pixels<S>(from, View<S>{to.ptr, to.run_stride, to.runs, to.scale}, 0, len);
    } else if (norm.has_table()) {
      const float* table = norm.table.data();
      for (int64_t p = 0; p < len; ++p) {
        for (int64_t ch = 0; ch < channels; ++ch) {
          to.ptr[p * channels + ch] = table[ch * 256 + from.ptr[p * channels + ch]];
        }
      }
    } else {
      for (int64_t p = 0; p < len; ++p) {
        for (int64_t ch = 0; ch < channels; ++ch) {
          to.ptr[p * channels + ch] = norm.compute(ch, from.ptr[p * channels + ch]);
        }
      }
    }
    return;
  }
  // Layout change: NHWC -> NCHW or NCHW -> NHWC; 3 channels of one dtype
  // through the shuffle kernels, anything else channel by channel.
  if constexpr (kSameType) {
    if (channels == 3) {
      void* const planes[3] = {to.ptr, to.ptr + to.run_stride, to.ptr + 2 * to.run_stride};
      const void* const from_planes[3] = {from.ptr, from.ptr + from.run_stride,
                                          from.ptr + 2 * from.run_stride};
      if (from_layout == Layout::NHWC) {
        k.deinterleave3(from.ptr, MixSource{}, planes, len, int64_t(sizeof(S)), stream);
      } else {
        k.interleave3(from_planes, to.ptr, len, int64_t(sizeof(S)), stream);
      }
      return;
    }
  }
  for (int64_t ch = 0; ch < channels; ++ch) {
    const S* s;
    int64_t s_step;
    D* d;
    int64_t d_step;
    if (from_layout == Layout::NHWC) {
      s = from.ptr + ch, s_step = channels;
      d = to.ptr + ch * to.run_stride, d_step = 1;
    } else {
      s = from.ptr + ch * from.run_stride, s_step = 1;
      d = to.ptr + ch, d_step = channels;
    }
    if constexpr (kSameType) {
      for (int64_t p = 0; p < len; ++p) d[p * d_step] = s[p * s_step];
    } else if (norm.has_table()) {
      const float* table = norm.table.data() + ch * 256;
      for (int64_t p = 0; p < len; ++p) d[p * d_step] = table[s[p * s_step]];
    } else {
      for (int64_t p = 0; p < len; ++p) d[p * d_step] = norm.compute(ch, s[p * s_step]);
    }
  }
}

}  // namespace mixcut::cpu
