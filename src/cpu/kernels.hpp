// Kernel templates, instantiated once per ISA. Each src/cpu/isa/*_<isa>.cpp
// defines MIXCUT_CPU_ISA_NS, the namespace mixcut::cpu::<ns> with `Arch` (an
// xsimd arch) and its intrinsic shims (mulhrs, stream stores, u8 -> f32
// widening, rgb_to_f32 for interleaved 3-channel pixels; with
// MIXCUT_CPU_ISA_HAS_FMA fused_mul_add; with MIXCUT_CPU_ISA_HAS_MASKED_BYTES
// copy_short and load_into, otherwise defined here; with
// MIXCUT_CPU_ISA_HAS_RGB_TO_PLANES rgb_to_planes, a whole-vector uint8
// 3-channel split), and then includes this
// file. Everything here lives in that ISA's namespace, so no helper
// compiled with one ISA's flags is ever merged by the linker with another ISA's copy. Only std C
// functions (memcpy) are called outside it. Built with -ffp-contract=off: a*lam + b*(1-lam) rounds
// twice on every ISA, as in formulas.hpp.
#ifndef MIXCUT_CPU_ISA_NS
#error "define MIXCUT_CPU_ISA_NS before including cpu/kernels.hpp"
#endif

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "cpu/kernel_table.hpp"
#include "kernels/formulas.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

using F32 = xsimd::batch<float, Arch>;
using U8 = xsimd::batch<uint8_t, Arch>;
using U16 = xsimd::batch<uint16_t, Arch>;
using I16 = xsimd::batch<int16_t, Arch>;

#ifndef MIXCUT_CPU_ISA_HAS_MASKED_BYTES
// Fewer bytes than a vector, through memory: levels below AVX-512 have no
// byte-masked loads and stores.
inline void copy_short(uint8_t* dst, const uint8_t* src, int64_t n) {
  std::memcpy(dst, src, size_t(n));
}
// block with its bytes [at, at + n) replaced by src[0, n) (at + n <= the
// vector size).
inline U8 load_into(U8 block, int64_t at, const uint8_t* src, int64_t n) {
  alignas(64) uint8_t bytes[U8::size];
  block.store_aligned(bytes);
  std::memcpy(bytes + at, src, size_t(n));
  return U8::load_aligned(bytes);
}
#endif

inline F32 blend_vec(F32 a, F32 b, F32 lam, F32 one_minus_lam) {
  const F32 ta = a * lam;
  const F32 tb = b * one_minus_lam;
  return ta + tb;
}

// b + mulhrs(2(a-b), q) == (q*a + (2^14-q)*b + 2^13) >> 14 exactly: mulhrs
// computes (x*q + 2^14) >> 15 with x = 2(a-b), i.e. ((a-b)*q + 2^13) >> 14,
// and the 2^14*b term passes through the shift unchanged. Bytes are split
// into even/odd 16-bit lanes so the lane order is kept on every ISA.
inline U8 blend_u8_vec(U8 a, U8 b, I16 q) {
  const U16 a16 = xsimd::bitwise_cast<U16>(a);
  const U16 b16 = xsimd::bitwise_cast<U16>(b);
  const U16 low_byte(uint16_t(0xFF));
  const I16 a_even = xsimd::bitwise_cast<I16>(a16 & low_byte);
  const I16 b_even = xsimd::bitwise_cast<I16>(b16 & low_byte);
  const I16 a_odd = xsimd::bitwise_cast<I16>(a16 >> 8);
  const I16 b_odd = xsimd::bitwise_cast<I16>(b16 >> 8);
  const I16 d_even = a_even - b_even;
  const I16 d_odd = a_odd - b_odd;
  const I16 r_even = b_even + mulhrs(d_even + d_even, q);
  const I16 r_odd = b_odd + mulhrs(d_odd + d_odd, q);
  return xsimd::bitwise_cast<U8>(xsimd::bitwise_cast<U16>(r_even) |
                                 (xsimd::bitwise_cast<U16>(r_odd) << 8));
}

template <bool kStream, class T, class B>
inline void store(T* out, B v) {
  if constexpr (kStream) {
    stream_store(out, v);
  } else {
    v.store_unaligned(out);
  }
}

// Scalar head so that `out` is vector-aligned (needed by streaming stores).
template <class T>
inline int64_t head_to_align(const T* out, int64_t n) {
  constexpr uintptr_t kAlign = Arch::alignment();
  const uintptr_t mis = reinterpret_cast<uintptr_t>(out) % kAlign;
  if (mis == 0 || mis % sizeof(T) != 0) return 0;
  const int64_t head = int64_t((kAlign - mis) / sizeof(T));
  return head < n ? head : n;
}

template <bool kStream>
void blend_f32_impl(const float* a, const float* b, float* out, int64_t n, float lam,
                    float one_minus_lam) {
  constexpr int64_t kV = int64_t(F32::size);
  int64_t i = 0;
  if constexpr (kStream) {
    for (const int64_t head = head_to_align(out, n); i < head; ++i) {
      out[i] = formulas::blend_f32(a[i], b[i], lam, one_minus_lam);
    }
    if (reinterpret_cast<uintptr_t>(out + i) % Arch::alignment() != 0) {
      blend_f32_impl<false>(a + i, b + i, out + i, n - i, lam, one_minus_lam);
      return;
    }
  }
  const F32 vl(lam), vo(one_minus_lam);
  for (; i + 2 * kV <= n; i += 2 * kV) {
    const F32 r0 = blend_vec(F32::load_unaligned(a + i), F32::load_unaligned(b + i), vl, vo);
    const F32 r1 =
        blend_vec(F32::load_unaligned(a + i + kV), F32::load_unaligned(b + i + kV), vl, vo);
    store<kStream>(out + i, r0);
    store<kStream>(out + i + kV, r1);
  }
  for (; i + kV <= n; i += kV) {
    store<kStream>(out + i,
                   blend_vec(F32::load_unaligned(a + i), F32::load_unaligned(b + i), vl, vo));
  }
  for (; i < n; ++i) out[i] = formulas::blend_f32(a[i], b[i], lam, one_minus_lam);
}

void blend_f32(const float* a, const float* b, float* out, int64_t n, float lam,
               float one_minus_lam) {
  blend_f32_impl<false>(a, b, out, n, lam, one_minus_lam);
}
void blend_f32_stream(const float* a, const float* b, float* out, int64_t n, float lam,
                      float one_minus_lam) {
  blend_f32_impl<true>(a, b, out, n, lam, one_minus_lam);
}

// Whether both outputs of a streamed pair reach vector alignment after the
// same scalar head (true for samples whose stride is a multiple of 64 bytes).
template <class T>
inline bool same_alignment(const T* out_a, const T* out_b) {
  return reinterpret_cast<uintptr_t>(out_a) % Arch::alignment() ==
         reinterpret_cast<uintptr_t>(out_b) % Arch::alignment();
}

template <bool kStream>
void blend_f32_pair_impl(const float* a, const float* b, float* out_a, float* out_b, int64_t n,
                         float lam_a, float one_minus_lam_a, float lam_b, float one_minus_lam_b) {
  constexpr int64_t kV = int64_t(F32::size);
  int64_t i = 0;
  if constexpr (kStream) {
    if (!same_alignment(out_a, out_b) || reinterpret_cast<uintptr_t>(out_a) % sizeof(float) != 0) {
      blend_f32_impl<true>(a, b, out_a, n, lam_a, one_minus_lam_a);
      blend_f32_impl<true>(b, a, out_b, n, lam_b, one_minus_lam_b);
      return;
    }
    for (const int64_t head = head_to_align(out_a, n); i < head; ++i) {
      const float va = a[i], vb = b[i];
      out_a[i] = formulas::blend_f32(va, vb, lam_a, one_minus_lam_a);
      out_b[i] = formulas::blend_f32(vb, va, lam_b, one_minus_lam_b);
    }
  }
  const F32 la(lam_a), oa(one_minus_lam_a), lb(lam_b), ob(one_minus_lam_b);
  for (; i + kV <= n; i += kV) {
    const F32 va = F32::load_unaligned(a + i);
    const F32 vb = F32::load_unaligned(b + i);
    store<kStream>(out_a + i, blend_vec(va, vb, la, oa));
    store<kStream>(out_b + i, blend_vec(vb, va, lb, ob));
  }
  for (; i < n; ++i) {
    const float va = a[i], vb = b[i];
    out_a[i] = formulas::blend_f32(va, vb, lam_a, one_minus_lam_a);
    out_b[i] = formulas::blend_f32(vb, va, lam_b, one_minus_lam_b);
  }
}

void blend_f32_pair(const float* a, const float* b, float* out_a, float* out_b, int64_t n,
                    float lam_a, float one_minus_lam_a, float lam_b, float one_minus_lam_b) {
  blend_f32_pair_impl<false>(a, b, out_a, out_b, n, lam_a, one_minus_lam_a, lam_b, one_minus_lam_b);
}
void blend_f32_pair_stream(const float* a, const float* b, float* out_a, float* out_b, int64_t n,
                           float lam_a, float one_minus_lam_a, float lam_b, float one_minus_lam_b) {
  blend_f32_pair_impl<true>(a, b, out_a, out_b, n, lam_a, one_minus_lam_a, lam_b, one_minus_lam_b);
}

template <bool kStream>
void blend_u8_impl(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t n, int32_t q) {
  constexpr int64_t kV = int64_t(U8::size);
  int64_t i = 0;
  if constexpr (kStream) {
    for (const int64_t head = head_to_align(out, n); i < head; ++i) {
      out[i] = formulas::blend_u8(a[i], b[i], q);
    }
  }
  const I16 vq = I16(static_cast<int16_t>(q));
  for (; i + 2 * kV <= n; i += 2 * kV) {
    const U8 r0 = blend_u8_vec(U8::load_unaligned(a + i), U8::load_unaligned(b + i), vq);
    const U8 r1 = blend_u8_vec(U8::load_unaligned(a + i + kV), U8::load_unaligned(b + i + kV), vq);
    store<kStream>(out + i, r0);
    store<kStream>(out + i + kV, r1);
  }
  for (; i + kV <= n; i += kV) {
    store<kStream>(out + i, blend_u8_vec(U8::load_unaligned(a + i), U8::load_unaligned(b + i), vq));
  }
  for (; i < n; ++i) out[i] = formulas::blend_u8(a[i], b[i], q);
}

void blend_u8(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t n, int32_t q) {
  blend_u8_impl<false>(a, b, out, n, q);
}
void blend_u8_stream(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t n, int32_t q) {
  blend_u8_impl<true>(a, b, out, n, q);
}

template <bool kStream>
void blend_u8_pair_impl(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                        int64_t n, int32_t q_a, int32_t q_b) {
  constexpr int64_t kV = int64_t(U8::size);
  int64_t i = 0;
  if constexpr (kStream) {
    if (!same_alignment(out_a, out_b)) {
      blend_u8_impl<true>(a, b, out_a, n, q_a);
      blend_u8_impl<true>(b, a, out_b, n, q_b);
      return;
    }
    for (const int64_t head = head_to_align(out_a, n); i < head; ++i) {
      const uint8_t va = a[i], vb = b[i];
      out_a[i] = formulas::blend_u8(va, vb, q_a);
      out_b[i] = formulas::blend_u8(vb, va, q_b);
    }
  }
  const I16 vqa = I16(static_cast<int16_t>(q_a));
  const I16 vqb = I16(static_cast<int16_t>(q_b));
  for (; i + kV <= n; i += kV) {
    const U8 va = U8::load_unaligned(a + i);
    const U8 vb = U8::load_unaligned(b + i);
    store<kStream>(out_a + i, blend_u8_vec(va, vb, vqa));
    store<kStream>(out_b + i, blend_u8_vec(vb, va, vqb));
  }
  for (; i < n; ++i) {
    const uint8_t va = a[i], vb = b[i];
    out_a[i] = formulas::blend_u8(va, vb, q_a);
    out_b[i] = formulas::blend_u8(vb, va, q_b);
  }
}

void blend_u8_pair(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b, int64_t n,
                   int32_t q_a, int32_t q_b) {
  blend_u8_pair_impl<false>(a, b, out_a, out_b, n, q_a, q_b);
}
void blend_u8_pair_stream(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                          int64_t n, int32_t q_a, int32_t q_b) {
  blend_u8_pair_impl<true>(a, b, out_a, out_b, n, q_a, q_b);
}

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

// Which bytes of a run lie inside `count` sorted, disjoint byte spans
// [spans[2k], spans[2k+1]), asked at offsets that only grow, so the cursor
// only moves on.
class SpanCursor {
 public:
  static constexpr int64_t kB = int64_t(U8::size);

  SpanCursor(const int64_t* spans, int64_t count) : spans_(spans), count_(count) {}

  bool inside(int64_t o) {
    seek(o);
    return k_ < count_ && spans_[2 * k_] <= o;
  }
  // No byte of [o, o + kB) inside.
  bool none(int64_t o) {
    seek(o);
    return k_ == count_ || spans_[2 * k_] >= o + kB;
  }
  // Bytes [o, o + kB): vin where inside, vout elsewhere.
  U8 select(int64_t o, U8 vin, U8 vout) {
    if (none(o)) return vout;
    if (spans_[2 * k_] <= o && spans_[2 * k_ + 1] >= o + kB) return vin;
    const U8 lane = U8::load_aligned(kLaneIndex);
    const auto lanes_of = [&](int64_t j) {
      const int64_t lo = spans_[2 * j] > o ? spans_[2 * j] - o : 0;
      const int64_t hi = spans_[2 * j + 1] < o + kB ? spans_[2 * j + 1] - o : kB;
      return (lane >= U8(uint8_t(lo))) & (lane < U8(uint8_t(hi)));
    };
    // Span k_ reaches into the block (none() said so); later ones may too.
    auto in = lanes_of(k_);
    for (int64_t j = k_ + 1; j < count_ && spans_[2 * j] < o + kB; ++j) in = in | lanes_of(j);
    return xsimd::select(in, vin, vout);
  }

 private:
  void seek(int64_t o) {
    while (k_ < count_ && spans_[2 * k_ + 1] <= o) ++k_;
  }
  alignas(64) static constexpr uint8_t kLaneIndex[64] = {
      0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
      44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
  const int64_t* spans_;
  int64_t count_, k_ = 0;
};

// What the u8 -> f32 kernels normalise (MixSource in kernel_table.hpp): a;
// the uint8 Mixup of a and b; or b inside the spans and a outside (CutMix).
// Offsets only grow from call to call, so the span cursor only moves on.
using Mix = MixSource::Kind;

template <Mix kMix>
class SourceBytes {
 public:
  SourceBytes(const uint8_t* a, const MixSource& mix)
      : a_(a), b_(mix.b), box_(mix.spans, mix.count), q_(mix.q), vq_(int16_t(mix.q)) {}

  const uint8_t* a() const { return a_; }
  const uint8_t* b() const { return b_; }

  uint8_t at(int64_t o) {
    if constexpr (kMix == Mix::Mixup) return formulas::blend_u8(a_[o], b_[o], q_);
    if constexpr (kMix == Mix::CutMix) return box_.inside(o) ? b_[o] : a_[o];
    return a_[o];
  }

  // The bytes at offsets [o, o + U8::size), read from pa and pb (a + o and
  // b + o, or zero-padded copies of them).
  U8 vec(int64_t o, const uint8_t* pa, const uint8_t* pb) {
    // a is read whole, box bytes too: skipping them leaves holes in the
    // stream that the prefetchers handle worse (CutMix from uint8 NHWC into
    // float32, batch mode: 3.55 ms reading them, 4.66 skipping them).
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
    widen_u8x4_to_f32(src.vec(i, src.a() + i, src.b() + i), v);
    for (int k = 0; k < 4; ++k) {
      store<kStream>(out + i + k * kV, norm.apply<kFma>(v[k]));
    }
  }
  if (i < n) {
    alignas(64) uint8_t pa[kB] = {}, pb[kB] = {};
    alignas(64) float result[kB];
    std::memcpy(pa, src.a() + i, size_t(n - i));
    if constexpr (kMix != Mix::None) std::memcpy(pb, src.b() + i, size_t(n - i));
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
    const U8 x0 = src.vec(o, pa, pb);
    const U8 x1 = src.vec(o + kB, pa + kB, pb + kB);
    const U8 x2 = src.vec(o + 2 * kB, pa + 2 * kB, pb + 2 * kB);
    rgb_to_f32(x0, x1, x2, v);
    for (int w = 0; w < 4; ++w) {
      for (int ch = 0; ch < 3; ++ch) v[w][ch] = norm[ch].apply<kFma>(v[w][ch]);
    }
  };
  for (; p + kStep <= pixels; p += kStep) {
    convert(3 * p, src.a() + 3 * p, src.b() + 3 * p);
    for (int w = 0; w < 4; ++w) {
      for (int ch = 0; ch < 3; ++ch) store<kStream>(out[ch] + p + w * kV, v[w][ch]);
    }
  }
  if (p < pixels) {
    const int64_t rest = pixels - p;
    alignas(64) uint8_t pa[3 * kB] = {}, pb[3 * kB] = {};
    alignas(64) float result[3][kStep];
    std::memcpy(pa, src.a() + 3 * p, size_t(3 * rest));
    if constexpr (kMix != Mix::None) std::memcpy(pb, src.b() + 3 * p, size_t(3 * rest));
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

// 3-channel layout changes, interleaved pixels (src[3p + ch]) <-> planes
// (planes[ch][p]), on 128-bit registers: 16 uint8 or 4 float32 pixels per
// step, with SSSE3 / SSE4.1 shuffles (every level has both). Streamed
// stores need 16-byte alignment, so planes stream only when they share it.
template <class T>
struct Shuffle3;

template <>
struct Shuffle3<uint8_t> {
  static constexpr int64_t kPixels = 16;
  // pshufb masks: split[ch][part] gathers channel ch from input vector
  // `part`; merge[part][ch] places channel ch into output vector `part`.
  // Lanes fed from elsewhere get 0x80 (zero), so the three results OR.
  struct Masks {
    alignas(16) int8_t split[3][3][16];
    alignas(16) int8_t merge[3][3][16];
  };
  static constexpr Masks make_masks() {
    Masks m{};
    for (int ch = 0; ch < 3; ++ch) {
      for (int part = 0; part < 3; ++part) {
        for (int lane = 0; lane < 16; ++lane) {
          const int from = 3 * lane + ch;  // the interleaved byte of pixel `lane`
          m.split[ch][part][lane] = from / 16 == part ? int8_t(from % 16) : int8_t(-128);
          const int to = 16 * part + lane;  // the interleaved byte this lane holds
          m.merge[part][ch][lane] = to % 3 == ch ? int8_t(to / 3) : int8_t(-128);
        }
      }
    }
    return m;
  }
  static __m128i mask(const int8_t* m) {
    return _mm_load_si128(reinterpret_cast<const __m128i*>(m));
  }
  static __m128i gather(const __m128i in[3], const int8_t (*masks)[16]) {
    return _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(in[0], mask(masks[0])),
                                     _mm_shuffle_epi8(in[1], mask(masks[1]))),
                        _mm_shuffle_epi8(in[2], mask(masks[2])));
  }
  static void split(const __m128i x[3], __m128i out[3]) {
    for (int ch = 0; ch < 3; ++ch) out[ch] = gather(x, kMasks.split[ch]);
  }
  static void merge(const __m128i in[3], __m128i x[3]) {
    for (int part = 0; part < 3; ++part) x[part] = gather(in, kMasks.merge[part]);
  }
  static const Masks kMasks;
};
const Shuffle3<uint8_t>::Masks Shuffle3<uint8_t>::kMasks = Shuffle3<uint8_t>::make_masks();

template <>
struct Shuffle3<float> {
  static constexpr int64_t kPixels = 4;
  // x = [r0 g0 b0 r1] [g1 b1 r2 g2] [b2 r3 g3 b3]. Two blends put each
  // channel's four values in one register, out of order; one shuffle sorts
  // them. merge runs the same steps backwards.
  static void split(const __m128i xi[3], __m128i out[3]) {
    const __m128 x0 = _mm_castsi128_ps(xi[0]), x1 = _mm_castsi128_ps(xi[1]);
    const __m128 x2 = _mm_castsi128_ps(xi[2]);
    const __m128 r = _mm_blend_ps(_mm_blend_ps(x0, x1, 0x4), x2, 0x2);  // r0 r3 r2 r1
    const __m128 g = _mm_blend_ps(_mm_blend_ps(x0, x1, 0x9), x2, 0x4);  // g1 g0 g3 g2
    const __m128 b = _mm_blend_ps(_mm_blend_ps(x0, x1, 0x2), x2, 0x9);  // b2 b1 b0 b3
    out[0] = _mm_castps_si128(_mm_shuffle_ps(r, r, _MM_SHUFFLE(1, 2, 3, 0)));
    out[1] = _mm_castps_si128(_mm_shuffle_ps(g, g, _MM_SHUFFLE(2, 3, 0, 1)));
    out[2] = _mm_castps_si128(_mm_shuffle_ps(b, b, _MM_SHUFFLE(3, 0, 1, 2)));
  }
  static void merge(const __m128i in[3], __m128i x[3]) {
    const __m128 r0 = _mm_castsi128_ps(in[0]), g0 = _mm_castsi128_ps(in[1]);
    const __m128 b0 = _mm_castsi128_ps(in[2]);
    const __m128 r = _mm_shuffle_ps(r0, r0, _MM_SHUFFLE(1, 2, 3, 0));  // r0 r3 r2 r1
    const __m128 g = _mm_shuffle_ps(g0, g0, _MM_SHUFFLE(2, 3, 0, 1));  // g1 g0 g3 g2
    const __m128 b = _mm_shuffle_ps(b0, b0, _MM_SHUFFLE(3, 0, 1, 2));  // b2 b1 b0 b3
    x[0] = _mm_castps_si128(_mm_blend_ps(_mm_blend_ps(r, g, 0x2), b, 0x4));
    x[1] = _mm_castps_si128(_mm_blend_ps(_mm_blend_ps(g, b, 0x2), r, 0x4));
    x[2] = _mm_castps_si128(_mm_blend_ps(_mm_blend_ps(b, r, 0x2), g, 0x4));
  }
};

template <bool kStream>
inline void store128(void* p, __m128i v) {
  if constexpr (kStream) {
    _mm_stream_si128(static_cast<__m128i*>(p), v);
  } else {
    _mm_storeu_si128(static_cast<__m128i*>(p), v);
  }
}

// Whether the three planes share their alignment to 16 bytes, so one scalar
// head aligns all three for 128-bit streaming stores.
template <class T>
inline bool planes_share_alignment16(T* const* planes) {
  const uintptr_t mis = reinterpret_cast<uintptr_t>(planes[0]) % 16;
  return reinterpret_cast<uintptr_t>(planes[1]) % 16 == mis &&
         reinterpret_cast<uintptr_t>(planes[2]) % 16 == mis;
}

// Stores four split steps (out[step][ch], `step_pixels` pixels each) plane by
// plane, so each plane gets 64 consecutive bytes from back-to-back stores:
// streamed float32 planes written 16 bytes at a time, round robin, took 14
// ms for 128x3x224x224 against 10 ms with regular stores.
template <bool kStream, class T>
inline void store_four_steps(T* const* planes, int64_t p, int64_t step_pixels,
                             const __m128i out[4][3]) {
  for (int ch = 0; ch < 3; ++ch) {
    for (int step = 0; step < 4; ++step) {
      store128<kStream>(planes[ch] + p + step * step_pixels, out[step][ch]);
    }
  }
}

// Scalar pixels before `out` is 16-byte aligned (all of them if it never is).
template <class T>
inline int64_t head_to_16(const T* out, int64_t n) {
  const uintptr_t mis = reinterpret_cast<uintptr_t>(out) % 16;
  if (mis == 0) return 0;
  if (mis % sizeof(T) != 0) return n;
  const int64_t head = int64_t((16 - mis) / sizeof(T));
  return head < n ? head : n;
}

// float32 pixels, mixed as `mix` says, into planes; uint8 ones go through
// split3_u8_impl. A Mixup blends in registers (blend_f32: a*lam + b*rest, two
// roundings); a CutMix selects the bytes of 16 pixels at a time into a small
// buffer (b, mix.b_f32, read only inside the box; the spans are byte
// offsets), then splits from it.
template <bool kStream, Mix kMix>
void deinterleave3_f32_impl(const float* a, const MixSource& mix, float* const* planes,
                            int64_t pixels) {
  using S = Shuffle3<float>;
  constexpr int64_t kStep = 4 * S::kPixels, kB = int64_t(U8::size);
  static_assert(3 * kStep * int64_t(sizeof(float)) % kB == 0, "a step mixes whole vectors");
  const float* const b = mix.b_f32;
  const float lam = mix.lam, rest = mix.rest;
  SpanCursor box(mix.spans, mix.count);
  const auto pixel = [&](int64_t e) {
    if constexpr (kMix == Mix::Mixup) return formulas::blend_f32(a[e], b[e], lam, rest);
    if constexpr (kMix == Mix::CutMix) return box.inside(4 * e) ? b[e] : a[e];
    return a[e];
  };
  int64_t p = 0;
  if constexpr (kStream) {
    if (!planes_share_alignment16(planes)) {
      deinterleave3_f32_impl<false, kMix>(a, mix, planes, pixels);
      return;
    }
    p = head_to_16(planes[0], pixels);
    for (int64_t h = 0; h < p; ++h) {
      for (int ch = 0; ch < 3; ++ch) planes[ch][h] = pixel(3 * h + ch);
    }
  }
  float* const local[3] = {planes[0], planes[1], planes[2]};  // stores cannot change these
  const __m128 vlam = _mm_set1_ps(lam), vrest = _mm_set1_ps(rest);
  alignas(64) float mixed[3 * kStep];
  __m128i x[3], out[4][3];
  for (; p + kStep <= pixels; p += kStep) {
    const float* from = a + 3 * p;
    if constexpr (kMix == Mix::CutMix) {
      const auto* pa = reinterpret_cast<const uint8_t*>(a + 3 * p);
      const auto* pb = reinterpret_cast<const uint8_t*>(b + 3 * p);
      auto* to = reinterpret_cast<uint8_t*>(mixed);
      for (int64_t v = 0; v < 3 * kStep * int64_t(sizeof(float)); v += kB) {
        const int64_t o = 12 * p + v;  // byte offset into the source
        const U8 va = U8::load_unaligned(pa + v);
        (box.none(o) ? va : box.select(o, U8::load_unaligned(pb + v), va)).store_aligned(to + v);
      }
      from = mixed;
    }
    for (int step = 0; step < 4; ++step) {
      const int64_t e = 3 * step * S::kPixels;
      for (int part = 0; part < 3; ++part) {
        __m128 v = _mm_loadu_ps(from + e + 4 * part);
        if constexpr (kMix == Mix::Mixup) {
          v = _mm_add_ps(_mm_mul_ps(v, vlam),
                         _mm_mul_ps(_mm_loadu_ps(b + 3 * p + e + 4 * part), vrest));
        }
        x[part] = _mm_castps_si128(v);
      }
      S::split(x, out[step]);
    }
    store_four_steps<kStream>(local, p, S::kPixels, out);
  }
  for (; p < pixels; ++p) {
    for (int ch = 0; ch < 3; ++ch) planes[ch][p] = pixel(3 * p + ch);
  }
}

// uint8 pixels, or their Mixup (SourceBytes), split into planes: 64 pixels
// per iteration, mixed a whole vector at a time into a small buffer, then
// split 16 pixels at a time, so each plane gets 64 consecutive bytes per
// iteration.
template <bool kStream, Mix kMix>
void split3_u8_impl(SourceBytes<kMix>& src, uint8_t* const* planes, int64_t p, int64_t pixels) {
  using S = Shuffle3<uint8_t>;
  constexpr int64_t kB = int64_t(U8::size), kStep = 4 * S::kPixels;
  static_assert(3 * kStep % kB == 0, "an iteration reads whole vectors");
#ifdef MIXCUT_CPU_ISA_HAS_RGB_TO_PLANES
  // A vector of each plane per step, split in registers (rgb_to_planes);
  // streamed when the planes share their vector alignment. What is left
  // goes through the 128-bit steps below.
  if (!kStream || (same_alignment(planes[0], planes[1]) && same_alignment(planes[0], planes[2]))) {
    if constexpr (kStream) {
      for (const int64_t head = p + head_to_align(planes[0] + p, pixels - p); p < head; ++p) {
        for (int ch = 0; ch < 3; ++ch) planes[ch][p] = src.at(3 * p + ch);
      }
    }
    uint8_t* const wide[3] = {planes[0], planes[1], planes[2]};  // stores cannot change these
    U8 split[3];
    for (; p + kB <= pixels; p += kB) {
      U8 v[3];  // in order: src's span cursor only moves on
      for (int64_t part = 0; part < 3; ++part) {
        const int64_t o = 3 * p + part * kB;
        v[part] = src.vec(o, src.a() + o, src.b() + o);
      }
      rgb_to_planes(v[0], v[1], v[2], split);
      for (int ch = 0; ch < 3; ++ch) store<kStream>(wide[ch] + p, split[ch]);
    }
  }
#endif
  if constexpr (kStream) {
    if (!planes_share_alignment16(planes)) {
      split3_u8_impl<false>(src, planes, p, pixels);
      return;
    }
    for (const int64_t head = p + head_to_16(planes[0] + p, pixels - p); p < head; ++p) {
      for (int ch = 0; ch < 3; ++ch) planes[ch][p] = src.at(3 * p + ch);
    }
  }
  uint8_t* const local[3] = {planes[0], planes[1], planes[2]};  // stores cannot change these
  alignas(64) uint8_t mixed[3 * kStep];
  __m128i x[3], out[4][3];
  for (; p + kStep <= pixels; p += kStep) {
    for (int64_t v = 0; v < 3 * kStep; v += kB) {
      const int64_t o = 3 * p + v;
      src.vec(o, src.a() + o, src.b() + o).store_aligned(mixed + v);
    }
    for (int step = 0; step < 4; ++step) {
      const auto* in = reinterpret_cast<const __m128i*>(mixed + 3 * step * S::kPixels);
      for (int part = 0; part < 3; ++part) x[part] = _mm_load_si128(in + part);
      S::split(x, out[step]);
    }
    store_four_steps<kStream>(local, p, S::kPixels, out);
  }
  for (; p < pixels; ++p) {
    for (int ch = 0; ch < 3; ++ch) planes[ch][p] = src.at(3 * p + ch);
  }
}

template <class T, bool kStream>
void interleave3_impl(const T* const* planes, T* dst, int64_t pixels) {
  using S = Shuffle3<T>;
  int64_t p = 0;
  if constexpr (kStream) {
    // dst advances 3 * 16 bytes per step, so one aligned start keeps it aligned.
    for (const int64_t head = head_to_16(dst, 3 * pixels); 3 * p < head; ++p) {
      for (int ch = 0; ch < 3; ++ch) dst[3 * p + ch] = planes[ch][p];
    }
    if (reinterpret_cast<uintptr_t>(dst + 3 * p) % 16 != 0) {
      const T* const rest[3] = {planes[0] + p, planes[1] + p, planes[2] + p};
      interleave3_impl<T, false>(rest, dst + 3 * p, pixels - p);
      return;
    }
  }
  const T* const c0 = planes[0];
  const T* const c1 = planes[1];
  const T* const c2 = planes[2];
  __m128i in[3], x[3];
  for (; p + S::kPixels <= pixels; p += S::kPixels) {
    in[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c0 + p));
    in[1] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c1 + p));
    in[2] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c2 + p));
    S::merge(in, x);
    for (int part = 0; part < 3; ++part) {
      store128<kStream>(reinterpret_cast<__m128i*>(dst + 3 * p) + part, x[part]);
    }
  }
  for (; p < pixels; ++p) {
    for (int ch = 0; ch < 3; ++ch) dst[3 * p + ch] = planes[ch][p];
  }
}

template <Mix kMix>
void split3_u8(const uint8_t* a, const MixSource& mix, uint8_t* const* planes, int64_t pixels,
               bool stream) {
  SourceBytes<kMix> src(a, mix);
  (stream ? split3_u8_impl<true, kMix> : split3_u8_impl<false, kMix>)(src, planes, 0, pixels);
}
template <Mix kMix>
void split3_f32(const float* a, const MixSource& mix, float* const* planes, int64_t pixels,
                bool stream) {
  (stream ? deinterleave3_f32_impl<true, kMix>
          : deinterleave3_f32_impl<false, kMix>)(a, mix, planes, pixels);
}
void deinterleave3(const void* src, const MixSource& mix, void* const* planes, int64_t pixels,
                   int64_t elem_size, bool stream) {
  if (elem_size == 4) {
    float* const typed[3] = {static_cast<float*>(planes[0]), static_cast<float*>(planes[1]),
                             static_cast<float*>(planes[2])};
    (mix.kind == Mix::Mixup ? split3_f32<Mix::Mixup>
     : mix.kind == Mix::CutMix
         ? split3_f32<Mix::CutMix>
         : split3_f32<Mix::None>)(static_cast<const float*>(src), mix, typed, pixels, stream);
    return;
  }
  uint8_t* const typed[3] = {static_cast<uint8_t*>(planes[0]), static_cast<uint8_t*>(planes[1]),
                             static_cast<uint8_t*>(planes[2])};
  (mix.kind == Mix::Mixup ? split3_u8<Mix::Mixup>
   : mix.kind == Mix::CutMix
       ? split3_u8<Mix::CutMix>
       : split3_u8<Mix::None>)(static_cast<const uint8_t*>(src), mix, typed, pixels, stream);
}

template <class T>
void interleave3_typed(const void* const* planes, void* dst, int64_t pixels, bool stream) {
  const T* const typed[3] = {static_cast<const T*>(planes[0]), static_cast<const T*>(planes[1]),
                             static_cast<const T*>(planes[2])};
  (stream ? interleave3_impl<T, true> : interleave3_impl<T, false>)(typed, static_cast<T*>(dst),
                                                                    pixels);
}
void interleave3(const void* const* planes, void* dst, int64_t pixels, int64_t elem_size,
                 bool stream) {
  (elem_size == 1 ? interleave3_typed<uint8_t> : interleave3_typed<float>)(planes, dst, pixels,
                                                                           stream);
}

// Streams the whole vectors of [0, bytes) from s to d (d vector-aligned);
// returns how many bytes that was.
inline int64_t stream_vectors(uint8_t* d, const uint8_t* s, int64_t bytes) {
  constexpr int64_t kV = int64_t(U8::size);
  int64_t i = 0;
  for (; i + 4 * kV <= bytes; i += 4 * kV) {
    const U8 v0 = U8::load_unaligned(s + i), v1 = U8::load_unaligned(s + i + kV);
    const U8 v2 = U8::load_unaligned(s + i + 2 * kV), v3 = U8::load_unaligned(s + i + 3 * kV);
    stream_store(d + i, v0);
    stream_store(d + i + kV, v1);
    stream_store(d + i + 2 * kV, v2);
    stream_store(d + i + 3 * kV, v3);
  }
  for (; i + kV <= bytes; i += kV) stream_store(d + i, U8::load_unaligned(s + i));
  return i;
}

// Writes one contiguous output run from consecutive pieces. Streamed, every
// vector-aligned block inside the run is written with one non-temporal store:
// pieces that start or end inside a block are gathered in the `block_`
// register first (load_into: one masked load on AVX-512), so
// no cache line is written partly by regular and partly by streaming stores
// (a regular store reads its line first; a partial streamed line is a slow
// write). Only the run's own first and last blocks, if shared, are regular.
template <bool kStream>
class RunWriter {
 public:
  static constexpr int64_t kV = int64_t(U8::size);

  explicit RunWriter(uint8_t* out) : out_(out) {
    if constexpr (kStream) head_ = head_to_align(out, INT64_MAX);
  }
  ~RunWriter() {
    if (have_ > 0) {
      alignas(64) uint8_t bytes[kV];
      block_.store_aligned(bytes);
      std::memcpy(out_ + at_ - have_, bytes, size_t(have_));
    }
  }
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  void put(const uint8_t* src, int64_t n) {
    if constexpr (!kStream) {
      int64_t i = 0;
      for (; i + kV <= n; i += kV) U8::load_unaligned(src + i).store_unaligned(out_ + at_ + i);
      copy_short(out_ + at_ + i, src + i, n - i);
      at_ += n;
      return;
    }
    if (at_ < head_) {  // before the run's first aligned block
      const int64_t take = n < head_ - at_ ? n : head_ - at_;
      std::memcpy(out_ + at_, src, size_t(take));
      at_ += take, src += take, n -= take;
    }
    while (n > 0) {
      if (have_ == 0 && n >= kV) {
        const int64_t done = stream_vectors(out_ + at_, src, n);
        n -= done, src += done, at_ += done;
        continue;
      }
      const int64_t take = n < kV - have_ ? n : kV - have_;
      block_ = load_into(block_, have_, src, take);
      have_ += take, at_ += take, src += take, n -= take;
      if (have_ == kV) {
        stream_store(out_ + at_ - kV, block_);
        have_ = 0;
      }
    }
  }

 private:
  uint8_t* out_;
  int64_t at_ = 0;    // bytes of the run written or gathered
  int64_t head_ = 0;  // bytes before the first aligned block (regular stores)
  int64_t have_ = 0;  // bytes gathered in block_
  U8 block_ = U8(uint8_t(0));
};

// One output, piece by piece (a piece runs up to the next span edge), so
// each source is read only where the output takes it.
template <bool kStream>
void select_spans_impl(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t bytes,
                       const int64_t* spans, int64_t count) {
  RunWriter<kStream> writer(out);
  int64_t at = 0;
  for (int64_t k = 0; k < count; ++k) {
    writer.put(a + at, spans[2 * k] - at);
    writer.put(b + spans[2 * k], spans[2 * k + 1] - spans[2 * k]);
    at = spans[2 * k + 1];
  }
  writer.put(a + at, bytes - at);
}

void select_spans(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t bytes,
                  const int64_t* spans, int64_t count, bool stream) {
  if (stream) {
    select_spans_impl<true>(a, b, out, bytes, spans, count);
  } else {
    select_spans_impl<false>(a, b, out, bytes, spans, count);
  }
}

// Both outputs of a CutMix 2-cycle, a vector at a time: each step loads one
// vector of a and one of b and selects both outputs' bytes from them in
// registers, so a and b are each read once, whole and in order, and every
// output vector is one plain or streaming store: no piece edges to gather,
// and the pair's two boxes (one shape in batch mode, two in elem mode) cost
// the same. Where the boxes differ, some source lines are read that neither
// output needs; skipping them left holes in the read streams, which the
// prefetchers followed worse (piece by piece, elem mode was 5-20 % slower
// than batch).
template <bool kStream>
void select_spans_pair_impl(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                            int64_t bytes, const int64_t* spans_a, int64_t count_a,
                            const int64_t* spans_b, int64_t count_b) {
  constexpr int64_t kV = int64_t(U8::size);
  SpanCursor box_a(spans_a, count_a), box_b(spans_b, count_b);
  int64_t o = 0;
  const auto one_byte = [&](int64_t at) {
    const uint8_t va = a[at], vb = b[at];
    out_a[at] = box_a.inside(at) ? vb : va;
    out_b[at] = box_b.inside(at) ? va : vb;
  };
  if constexpr (kStream) {
    for (const int64_t head = head_to_align(out_a, bytes); o < head; ++o) one_byte(o);
  }
  for (; o + kV <= bytes; o += kV) {
    const U8 va = U8::load_unaligned(a + o), vb = U8::load_unaligned(b + o);
    store<kStream>(out_a + o, box_a.select(o, vb, va));
    store<kStream>(out_b + o, box_b.select(o, va, vb));
  }
  for (; o < bytes; ++o) one_byte(o);
}

// Streamed only when both outputs reach alignment after the same head (as
// samples whose bytes are a multiple of 64 do).
void select_spans_pair(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                       int64_t bytes, const int64_t* spans_a, int64_t count_a,
                       const int64_t* spans_b, int64_t count_b, bool stream) {
  if (stream && same_alignment(out_a, out_b)) {
    select_spans_pair_impl<true>(a, b, out_a, out_b, bytes, spans_a, count_a, spans_b, count_b);
  } else {
    select_spans_pair_impl<false>(a, b, out_a, out_b, bytes, spans_a, count_a, spans_b, count_b);
  }
}

// Whole 64-byte lines of d are streamed (a multiple of every ISA's vector);
// the partial lines at either end take regular stores, since a partly
// streamed line is a slow partial write. Copies under 128 bytes hold one
// whole line at most and are copied plainly: streaming it gained nothing for
// 56-byte Cutout rows, and the short one-sided pieces of an in-place uint8
// NCHW CutMix in elem mode ran 1-11 % faster without it (alternating A/B,
// several runs; at this machine's noise).
void copy_stream(void* dst, const void* src, int64_t bytes) {
  constexpr uintptr_t kLine = 64;
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (bytes < int64_t(2 * kLine)) {
    std::memcpy(d, s, size_t(bytes));
    return;
  }
  int64_t head = int64_t((kLine - reinterpret_cast<uintptr_t>(d) % kLine) % kLine);
  if (head > bytes) head = bytes;
  const int64_t body = (bytes - head) / int64_t(kLine) * int64_t(kLine);
  if (head > 0) std::memcpy(d, s, size_t(head));
  stream_vectors(d + head, s + head, body);
  const int64_t done = head + body;
  if (done < bytes) std::memcpy(d + done, s + done, size_t(bytes - done));
}

// Exchanges n bytes of a and b.
inline void swap_bytes(uint8_t* a, uint8_t* b, int64_t n) {
  constexpr int64_t kV = int64_t(U8::size);
  int64_t i = 0;
  for (; i + kV <= n; i += kV) {
    const U8 va = U8::load_unaligned(a + i), vb = U8::load_unaligned(b + i);
    va.store_unaligned(b + i);
    vb.store_unaligned(a + i);
  }
  if (i < n) {
    // Both tails in registers first, then out through whole-vector stores
    // (a short load from a whole store forwards; from a masked one it stalls).
    alignas(64) uint8_t tail_a[kV], tail_b[kV];
    load_into(U8(uint8_t(0)), 0, a + i, n - i).store_aligned(tail_a);
    load_into(U8(uint8_t(0)), 0, b + i, n - i).store_aligned(tail_b);
    copy_short(a + i, tail_b, n - i);
    copy_short(b + i, tail_a, n - i);
  }
}

// Copies n bytes with at most two vector loads and stores (n <= 2 vectors),
// inline: box and hole pieces are often a few dozen bytes, where a call to
// memcpy costs more than the copy.
inline void copy_small(uint8_t* d, const uint8_t* s, int64_t n) {
  constexpr int64_t kV = int64_t(U8::size);
  if (n <= kV) {
    copy_short(d, s, n);
  } else if (n <= 2 * kV) {
    const U8 first = U8::load_unaligned(s), last = U8::load_unaligned(s + n - kV);
    first.store_unaligned(d);
    last.store_unaligned(d + n - kV);
  } else {
    std::memcpy(d, s, size_t(n));
  }
}

// One walk over the merged span lists: where both hold, a and b swap (their
// lines are read anyway, so regular stores); where one holds, that side is
// copied from the other, its whole lines streamed when asked.
void swap_spans(uint8_t* a, uint8_t* b, const int64_t* spans_a, int64_t count_a,
                const int64_t* spans_b, int64_t count_b, bool stream) {
  const auto copy = [stream](uint8_t* d, const uint8_t* s, int64_t n) {
    if (n < 128) {
      copy_small(d, s, n);
    } else if (stream) {
      copy_stream(d, s, n);
    } else {
      std::memcpy(d, s, size_t(n));
    }
  };
  int64_t ka = 0, kb = 0, at = 0;
  while (ka < count_a || kb < count_b) {
    const bool in_a = ka < count_a && spans_a[2 * ka] <= at;
    const bool in_b = kb < count_b && spans_b[2 * kb] <= at;
    const int64_t next_a = ka < count_a ? spans_a[2 * ka + (in_a ? 1 : 0)] : INT64_MAX;
    const int64_t next_b = kb < count_b ? spans_b[2 * kb + (in_b ? 1 : 0)] : INT64_MAX;
    const int64_t end = next_a < next_b ? next_a : next_b;
    if (in_a && in_b) {
      swap_bytes(a + at, b + at, end - at);
    } else if (in_a) {
      copy(a + at, b + at, end - at);
    } else if (in_b) {
      copy(b + at, a + at, end - at);
    }
    ka += in_a && next_a == end ? 1 : 0;
    kb += in_b && next_b == end ? 1 : 0;
    at = end;
  }
}

}  // namespace

const KernelTable& table() {
  static const KernelTable kTable = {
      MIXCUT_CPU_ISA_NAME,    &blend_f32,    &blend_f32_stream,  &blend_f32_pair,
      &blend_f32_pair_stream, &blend_u8,     &blend_u8_stream,   &blend_u8_pair,
      &blend_u8_pair_stream,  &normalize_u8, &normalize3_u8,     &deinterleave3,
      &interleave3,           &select_spans, &select_spans_pair, &swap_spans,
      &copy_stream,           &stream_fence,
  };
  return kTable;
}

}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
