// CPU tile conversion: ChannelNorm's per-call state and the normalize
// kernels' tile walk (convert_tile itself is a template in the header).
#include "cpu/convert_tile.hpp"

#include <cmath>
#include <cstring>

namespace mixcut::cpu {
namespace {

// a/d as the normalize kernels compute it with fma set: fma(a, hi, a*lo)
// from formulas::split_reciprocal, one rounding of a nearly exact product
// (std::fma rounds once, like the vector FMA).
float divide_split(float a, formulas::SplitReciprocal r) { return std::fma(a, r.hi, a * r.lo); }

}  // namespace

void ChannelNorm::reset(const Normalize* norm, int64_t channels, Layout from_layout,
                        Layout to_layout) {
  mean.resize(size_t(channels));
  std.resize(size_t(channels));
  for (int64_t ch = 0; ch < channels; ++ch) {
    mean[size_t(ch)] = norm_mean(norm, ch);
    std[size_t(ch)] = norm_std(norm, ch);
  }
  table.clear();
  fma_exact.clear();
  if (normalize_kernels_apply(from_layout, to_layout, channels)) {
    fma_exact.assign(size_t(channels), 1);
    const formulas::SplitReciprocal r255 = formulas::split_reciprocal(255.0f);
    for (int64_t ch = 0; ch < channels; ++ch) {
      const float m = mean[size_t(ch)], s = std[size_t(ch)];
      const formulas::SplitReciprocal rs = formulas::split_reciprocal(s);
      for (int v = 0; v < 256; ++v) {
        const float exact = formulas::normalize_u8(uint8_t(v), m, s);
        const float fast = divide_split(divide_split(float(v), r255) - m, rs);
        uint32_t fast_bits = 0, exact_bits = 0;  // bit equality: NaN and -0 included
        std::memcpy(&fast_bits, &fast, sizeof fast_bits);
        std::memcpy(&exact_bits, &exact, sizeof exact_bits);
        if (fast_bits != exact_bits) fma_exact[size_t(ch)] = 0;
      }
    }
  } else if (channels <= kMaxTableChannels) {
    table.resize(size_t(channels) * 256);
    for (int64_t ch = 0; ch < channels; ++ch) {
      for (int v = 0; v < 256; ++v) table[size_t(ch * 256 + v)] = compute(ch, uint8_t(v));
    }
  }
}

// The uint8 tile `a` (pixels [0, len)) normalised into the float32 NCHW
// tile `to` by the normalize kernels, mixed in the same pass with the tile
// `b` as `mix` says (b may be null for Kind::None); mix.b is set here, plane
// by plane.
void normalize_tile(const KernelTable& k, const View<const uint8_t>& a,
                    const View<const uint8_t>* b, MixSource mix, Layout from_layout,
                    const View<float>& to, int64_t len, int64_t channels, const ChannelNorm& norm,
                    bool stream) {
  if (from_layout == Layout::NCHW) {
    for (int64_t ch = 0; ch < channels; ++ch) {
      mix.b = b != nullptr ? b->ptr + ch * b->run_stride : nullptr;
      k.normalize_u8(a.ptr + ch * a.run_stride, mix, to.ptr + ch * to.run_stride, len,
                     norm.mean[size_t(ch)], norm.std[size_t(ch)], norm.fma_exact[size_t(ch)] != 0,
                     stream);
    }
    return;
  }
  mix.b = b != nullptr ? b->ptr : nullptr;
  float* const planes[3] = {to.ptr, to.ptr + to.run_stride, to.ptr + 2 * to.run_stride};
  const bool fma = norm.fma_exact[0] && norm.fma_exact[1] && norm.fma_exact[2];
  k.normalize3_u8(a.ptr, mix, planes, len, norm.mean.data(), norm.std.data(), fma, stream);
}

}  // namespace mixcut::cpu
