// uint8 -> float32 normalisation ((v/255 - mean)/std), one plane or three
// interleaved channels, with the Mixup or CutMix of the source fused in.
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "include cpu/isa/normalize-inl.hpp through cpu/isa/kernels-inl.hpp from an ISA TU"
#endif

#include <cstdint>
#include <cstring>

#include "cpu/isa/blend-inl.hpp"
#include "cpu/isa/common-inl.hpp"
#include "cpu/kernel_table.hpp"
#include "kernels/formulas.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

// One channel's (v/255 - mean)/std on vectors. kFma: each division a/d as
// fma(a, hi, a*lo) with 1/d split as hi + lo in double, one rounding of a
// nearly exact product (callers have checked that it equals the division on
// all 256 inputs of the channel); otherwise divisions.
struct NormalizeVec {
  F32 mean, std, h255, l255, hstd, lstd;

  NormalizeVec(float m, float s) : mean(m), std(s) {
    const formulas::SplitReciprocal r255 = formulas::split_reciprocal(255.0f);
    const formulas::SplitReciprocal rstd = formulas::split_reciprocal(s);
    h255 = F32(r255.hi), l255 = F32(r255.lo);
    hstd = F32(rstd.hi), lstd = F32(rstd.lo);
  }

  template <bool kFma>
  F32 apply(F32 v) const {
#ifdef MIXCUT_CPU_ISA_HAS_FMA
    if constexpr (kFma) {
      const F32 t = fused_mul_add(v, h255, v * l255) - mean;
      return fused_mul_add(t, hstd, t * lstd);
    }
#endif
    return (v / F32(255.0f) - mean) / std;
  }
};

// What the u8 -> f32 kernels normalise (MixSource in kernel_table.hpp): a;
// the uint8 Mixup of a and b; or b inside the spans and a outside (CutMix).
// Offsets only grow from call to call, so the span cursor only moves on.
using Mix = MixSource::Kind;

constexpr int64_t kPrefetchAhead = 1024;

template <Mix kMix>
class SourceBytes {
 public:
  SourceBytes(const uint8_t* a, const MixSource& mix)
      : a_(a), b_(mix.b), box_(mix.spans, mix.count), q_(mix.q), vq_(int16_t(mix.q)) {}

  // Source addresses of offset o; b's only when it is read (a Mix::None
  // source may have no b, and nullptr + o is undefined).
  const uint8_t* a_at(int64_t o) const { return a_ + o; }
  const uint8_t* b_at(int64_t o) const { return kMix == Mix::None ? nullptr : b_ + o; }

  uint8_t at(int64_t o) {
    if constexpr (kMix == Mix::Mixup) return formulas::blend_u8(a_[o], b_[o], q_);
    if constexpr (kMix == Mix::CutMix) return box_.inside(o) ? b_[o] : a_[o];
    return a_[o];
  }

  // Asks for the source lines kPrefetchAhead bytes past offsets [o, o +
  // kBytes) while those lie before `end` (b's only for Mixup: CutMix reads
  // b inside its box alone). The hardware prefetchers alone left the fused
  // loop waiting on its loads (u8 NHWC -> normalised f32 with Mixup, 1
  // thread: 0.78-0.88 of a widening copy without, 0.95-1.2 with it, 512 to
  // 2048 bytes ahead); short runs (small images) are left to them.
  template <int64_t kBytes>
  void prefetch(int64_t o, int64_t end) const {
    if (o + kPrefetchAhead + kBytes > end) return;
    for (int64_t l = 0; l < kBytes; l += 64) {
      __builtin_prefetch(a_ + o + kPrefetchAhead + l);
      if constexpr (kMix == Mix::Mixup) __builtin_prefetch(b_ + o + kPrefetchAhead + l);
    }
  }

  // The bytes at offsets [o, o + U8::size), read from pa and pb (a + o and
  // b + o, or zero-padded copies of them).
  U8 vec(int64_t o, const uint8_t* pa, const uint8_t* pb) {
    // a is read whole, box bytes too: skipping them leaves holes in the
    // stream that the prefetchers handle worse (CutMix from uint8 NHWC into
    // float32 ran about 1.3 times as long skipping them).
    const U8 va = U8::load_unaligned(pa);
    if constexpr (kMix == Mix::Mixup) return blend_u8_vec(va, U8::load_unaligned(pb), vq_);
    if constexpr (kMix == Mix::CutMix) {
      if (box_.none(o)) return va;  // b only where needed
      return box_.select(o, U8::load_unaligned(pb), va);
    }
    return va;
  }

 private:
  const uint8_t* a_;
  const uint8_t* b_;
  SpanCursor box_;
  int32_t q_;
  I16 vq_;
};

// One channel: out[i] = normalise(source byte i) for i in [i, n). Whole
// vectors of input per step; the tail goes through zero-padded copies, so
// every element but a streamed head is computed by the same vector code.
template <bool kStream, bool kFma, Mix kMix>
void normalize_u8_impl(SourceBytes<kMix>& src, float* out, int64_t i, int64_t n, float mean,
                       float std) {
  constexpr int64_t kB = int64_t(U8::size), kV = int64_t(F32::size);
  static_assert(kB == 4 * kV, "widen_u8x4_to_f32 makes four float vectors of one byte vector");
  if constexpr (kStream) {
    for (const int64_t head = i + head_to_align(out + i, n - i); i < head; ++i) {
      out[i] = formulas::normalize_u8(src.at(i), mean, std);
    }
    if (reinterpret_cast<uintptr_t>(out + i) % Arch::alignment() != 0) {
      normalize_u8_impl<false, kFma>(src, out, i, n, mean, std);
      return;
    }
  }
  const NormalizeVec norm(mean, std);
  F32 v[4];
  for (; i + kB <= n; i += kB) {
    src.template prefetch<kB>(i, n);
    widen_u8x4_to_f32(src.vec(i, src.a_at(i), src.b_at(i)), v);
    for (int k = 0; k < 4; ++k) {
      store<kStream>(out + i + k * kV, norm.apply<kFma>(v[k]));
    }
  }
  if (i < n) {
    alignas(64) uint8_t pa[kB] = {}, pb[kB] = {};
    alignas(64) float result[kB];
    std::memcpy(pa, src.a_at(i), size_t(n - i));
    if constexpr (kMix != Mix::None) std::memcpy(pb, src.b_at(i), size_t(n - i));
    widen_u8x4_to_f32(src.vec(i, pa, pb), v);
    for (int k = 0; k < 4; ++k) norm.apply<kFma>(v[k]).store_aligned(result + k * kV);
    std::memcpy(out + i, result, size_t(n - i) * sizeof(float));
  }
}

// Three channels: pixels interleaved in the source (byte 3p + ch) into the
// planes out[0..2], for pixels [p, pixels). Each step reads three byte
// vectors, 4 * kV pixels; the last pixels go through zero-padded copies.
// Streamed only when the three planes share their alignment (as planes of a
// w*h whose bytes are a multiple of 64 do); otherwise regular stores.
template <bool kStream, bool kFma, Mix kMix>
void normalize3_u8_impl(SourceBytes<kMix>& src, float* const* out, int64_t p, int64_t pixels,
                        const float* mean, const float* std) {
  constexpr int64_t kB = int64_t(U8::size), kV = int64_t(F32::size), kStep = 4 * kV;
  static_assert(3 * kB == 3 * kStep, "three byte vectors hold 4 * kV pixels");
  if constexpr (kStream) {
    if (!same_alignment(out[0], out[1]) || !same_alignment(out[0], out[2])) {
      normalize3_u8_impl<false, kFma>(src, out, p, pixels, mean, std);
      return;
    }
    for (const int64_t head = p + head_to_align(out[0] + p, pixels - p); p < head; ++p) {
      for (int ch = 0; ch < 3; ++ch) {
        out[ch][p] = formulas::normalize_u8(src.at(3 * p + ch), mean[ch], std[ch]);
      }
    }
    if (reinterpret_cast<uintptr_t>(out[0] + p) % Arch::alignment() != 0) {
      normalize3_u8_impl<false, kFma>(src, out, p, pixels, mean, std);
      return;
    }
  }
  const NormalizeVec norm[3] = {{mean[0], std[0]}, {mean[1], std[1]}, {mean[2], std[2]}};
  F32 v[4][3];
  auto convert = [&](int64_t o, const uint8_t* pa, const uint8_t* pb) {
    // pb is null for Mix::None (never read then), so no offset is added to it.
    const auto pb_at = [pb](int64_t k) { return kMix == Mix::None ? pb : pb + k; };
    const U8 x0 = src.vec(o, pa, pb);
    const U8 x1 = src.vec(o + kB, pa + kB, pb_at(kB));
    const U8 x2 = src.vec(o + 2 * kB, pa + 2 * kB, pb_at(2 * kB));
    rgb_to_f32(x0, x1, x2, v);
    for (int w = 0; w < 4; ++w) {
      for (int ch = 0; ch < 3; ++ch) v[w][ch] = norm[ch].apply<kFma>(v[w][ch]);
    }
  };
  for (; p + kStep <= pixels; p += kStep) {
    src.template prefetch<3 * kB>(3 * p, 3 * pixels);
    convert(3 * p, src.a_at(3 * p), src.b_at(3 * p));
    for (int w = 0; w < 4; ++w) {
      for (int ch = 0; ch < 3; ++ch) store<kStream>(out[ch] + p + w * kV, v[w][ch]);
    }
  }
  if (p < pixels) {
    const int64_t rest = pixels - p;
    alignas(64) uint8_t pa[3 * kB] = {}, pb[3 * kB] = {};
    alignas(64) float result[3][kStep];
    std::memcpy(pa, src.a_at(3 * p), size_t(3 * rest));
    if constexpr (kMix != Mix::None) std::memcpy(pb, src.b_at(3 * p), size_t(3 * rest));
    convert(3 * p, pa, pb);
    for (int w = 0; w < 4; ++w) {
      for (int ch = 0; ch < 3; ++ch) v[w][ch].store_aligned(result[ch] + w * kV);
    }
    for (int ch = 0; ch < 3; ++ch) {
      std::memcpy(out[ch] + p, result[ch], size_t(rest) * sizeof(float));
    }
  }
}

// The table entries: template arguments from run-time flags.
template <Mix kMix>
void normalize_u8_mix(const uint8_t* a, const MixSource& mix, float* out, int64_t n, float mean,
                      float std, bool fma, bool stream) {
  SourceBytes<kMix> src(a, mix);
  if (stream) {
    (fma ? normalize_u8_impl<true, true, kMix>
         : normalize_u8_impl<true, false, kMix>)(src, out, 0, n, mean, std);
  } else {
    (fma ? normalize_u8_impl<false, true, kMix>
         : normalize_u8_impl<false, false, kMix>)(src, out, 0, n, mean, std);
  }
}
void normalize_u8(const uint8_t* a, const MixSource& mix, float* out, int64_t n, float mean,
                  float std, bool fma, bool stream) {
  const auto fn = mix.kind == Mix::Mixup    ? normalize_u8_mix<Mix::Mixup>
                  : mix.kind == Mix::CutMix ? normalize_u8_mix<Mix::CutMix>
                                            : normalize_u8_mix<Mix::None>;
  fn(a, mix, out, n, mean, std, fma, stream);
}

template <Mix kMix>
void normalize3_u8_mix(const uint8_t* a, const MixSource& mix, float* const* out, int64_t pixels,
                       const float* mean, const float* std, bool fma, bool stream) {
  SourceBytes<kMix> src(a, mix);
  if (stream) {
    (fma ? normalize3_u8_impl<true, true, kMix>
         : normalize3_u8_impl<true, false, kMix>)(src, out, 0, pixels, mean, std);
  } else {
    (fma ? normalize3_u8_impl<false, true, kMix>
         : normalize3_u8_impl<false, false, kMix>)(src, out, 0, pixels, mean, std);
  }
}
void normalize3_u8(const uint8_t* a, const MixSource& mix, float* const* out, int64_t pixels,
                   const float* mean, const float* std, bool fma, bool stream) {
  const auto fn = mix.kind == Mix::Mixup    ? normalize3_u8_mix<Mix::Mixup>
                  : mix.kind == Mix::CutMix ? normalize3_u8_mix<Mix::CutMix>
                                            : normalize3_u8_mix<Mix::None>;
  fn(a, mix, out, pixels, mean, std, fma, stream);
}

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
