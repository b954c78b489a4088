// Kernel templates, instantiated once per ISA. Each src/cpu/isa/*_<isa>.cpp
// defines MIXCUT_CPU_ISA_NS, the namespace mixcut::cpu::<ns> with `Arch` (an
// xsimd arch) and its intrinsic shims (mulhrs, stream stores, u8 -> f32
// widening, copy_short for fewer bytes than a vector; with MIXCUT_CPU_ISA_HAS_FMA also
// fused_mul_add), and then includes this file. Every level has SSSE3, used
// directly by deinterleave3_u8. Everything here lives in that ISA's namespace, so no helper
// compiled with one ISA's flags is ever merged by the linker with another ISA's copy. Only std C
// functions (memcpy) are called outside it. Built with -ffp-contract=off: a*lam + b*(1-lam) rounds
// twice on every ISA, as in pixel.hpp.
#ifndef MIXCUT_CPU_ISA_NS
#error "define MIXCUT_CPU_ISA_NS before including cpu/kernels.hpp"
#endif

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "cpu/kernel_table.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

using F32 = xsimd::batch<float, Arch>;
using U8 = xsimd::batch<uint8_t, Arch>;
using U16 = xsimd::batch<uint16_t, Arch>;
using I16 = xsimd::batch<int16_t, Arch>;

constexpr int32_t kOne = 1 << 14;

// Scalar forms of pixel.hpp's formulas, kept in this namespace (see above).
inline float blend_f32_scalar(float a, float b, float lam, float one_minus_lam) {
  const float ta = a * lam;
  const float tb = b * one_minus_lam;
  return ta + tb;
}
inline uint8_t blend_u8_scalar(uint8_t a, uint8_t b, int32_t q) {
  return uint8_t((q * int32_t(a) + (kOne - q) * int32_t(b) + (kOne >> 1)) >> 14);
}

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
      out[i] = blend_f32_scalar(a[i], b[i], lam, one_minus_lam);
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
  for (; i < n; ++i) out[i] = blend_f32_scalar(a[i], b[i], lam, one_minus_lam);
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
      out_a[i] = blend_f32_scalar(va, vb, lam_a, one_minus_lam_a);
      out_b[i] = blend_f32_scalar(vb, va, lam_b, one_minus_lam_b);
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
    out_a[i] = blend_f32_scalar(va, vb, lam_a, one_minus_lam_a);
    out_b[i] = blend_f32_scalar(vb, va, lam_b, one_minus_lam_b);
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
      out[i] = blend_u8_scalar(a[i], b[i], q);
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
  for (; i < n; ++i) out[i] = blend_u8_scalar(a[i], b[i], q);
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
      out_a[i] = blend_u8_scalar(va, vb, q_a);
      out_b[i] = blend_u8_scalar(vb, va, q_b);
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
    out_a[i] = blend_u8_scalar(va, vb, q_a);
    out_b[i] = blend_u8_scalar(vb, va, q_b);
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

// Divisions, not reciprocals: IEEE division is correctly rounded on every
// ISA, so this equals pixel::normalize_u8 bit for bit.
inline float normalize_u8_scalar(uint8_t v, float mean, float std) {
  return (float(v) / 255.0f - mean) / std;
}

#ifdef MIXCUT_CPU_ISA_HAS_FMA
// 1/d as hi + lo (in double: hi = float(1/d), lo = float(1/d - hi)); a / d
// as in the kernel table's normalize_u8_fma is fma(a, hi, a*lo), one
// rounding of a nearly exact product.
inline void split_reciprocal(float d, float& hi, float& lo) {
  const double r = 1.0 / double(d);
  hi = float(r);
  lo = float(r - double(hi));
}
inline F32 divide_split(F32 a, F32 hi, F32 lo) { return fused_mul_add(a, hi, a * lo); }
#endif

// kFma: divisions as divide_split (callers have checked that both forms agree
// on every input of the channel); heads and tails always divide.
template <bool kStream, bool kFma>
void normalize_u8_impl(const uint8_t* src, float* out, int64_t n, float mean, float std) {
  constexpr int64_t kV = int64_t(F32::size);
  int64_t i = 0;
  if constexpr (kStream) {
    for (const int64_t head = head_to_align(out, n); i < head; ++i) {
      out[i] = normalize_u8_scalar(src[i], mean, std);
    }
    if (reinterpret_cast<uintptr_t>(out + i) % Arch::alignment() != 0) {
      normalize_u8_impl<false, kFma>(src + i, out + i, n - i, mean, std);
      return;
    }
  }
  const F32 k255(255.0f), vmean(mean), vstd(std);
#ifdef MIXCUT_CPU_ISA_HAS_FMA
  float h255 = 0.0f, l255 = 0.0f, hstd = 0.0f, lstd = 0.0f;
  split_reciprocal(255.0f, h255, l255);
  split_reciprocal(std, hstd, lstd);
  const F32 vh255(h255), vl255(l255), vhstd(hstd), vlstd(lstd);
#endif
  auto normalize = [&](F32 v) {
#ifdef MIXCUT_CPU_ISA_HAS_FMA
    if constexpr (kFma) {
      return divide_split(divide_split(v, vh255, vl255) - vmean, vhstd, vlstd);
    }
#endif
    return (v / k255 - vmean) / vstd;
  };
  for (; i + 2 * kV <= n; i += 2 * kV) {
    const F32 v0 = widen_u8_to_f32(src + i);
    const F32 v1 = widen_u8_to_f32(src + i + kV);
    store<kStream>(out + i, normalize(v0));
    store<kStream>(out + i + kV, normalize(v1));
  }
  for (; i + kV <= n; i += kV) store<kStream>(out + i, normalize(widen_u8_to_f32(src + i)));
  for (; i < n; ++i) out[i] = normalize_u8_scalar(src[i], mean, std);
}

void normalize_u8(const uint8_t* src, float* out, int64_t n, float mean, float std) {
  normalize_u8_impl<false, false>(src, out, n, mean, std);
}
void normalize_u8_stream(const uint8_t* src, float* out, int64_t n, float mean, float std) {
  normalize_u8_impl<true, false>(src, out, n, mean, std);
}

#ifdef MIXCUT_CPU_ISA_HAS_FMA
void normalize_u8_fma(const uint8_t* src, float* out, int64_t n, float mean, float std) {
  normalize_u8_impl<false, true>(src, out, n, mean, std);
}
void normalize_u8_fma_stream(const uint8_t* src, float* out, int64_t n, float mean, float std) {
  normalize_u8_impl<true, true>(src, out, n, mean, std);
}
#else
// Without FMA the table's fma entries are the division kernels.
constexpr auto& normalize_u8_fma = normalize_u8;
constexpr auto& normalize_u8_fma_stream = normalize_u8_stream;
#endif

// pshufb masks that gather channel `ch` of 16 interleaved 3-byte pixels from
// source vector `part` (bytes 16*part .. 16*part + 15) into its lanes; lanes
// fed by another part get 0x80 (zero). Every ISA level here has SSSE3.
struct Deinterleave3Masks {
  alignas(16) int8_t mask[3][3][16];  // [ch][part][lane]
};
constexpr Deinterleave3Masks make_deinterleave3_masks() {
  Deinterleave3Masks t{};
  for (int ch = 0; ch < 3; ++ch) {
    for (int part = 0; part < 3; ++part) {
      for (int lane = 0; lane < 16; ++lane) {
        const int byte = 3 * lane + ch;
        t.mask[ch][part][lane] = byte / 16 == part ? int8_t(byte % 16) : int8_t(-128);
      }
    }
  }
  return t;
}
constexpr Deinterleave3Masks kDeinterleave3Masks = make_deinterleave3_masks();

inline __m128i gather_channel(__m128i p0, __m128i p1, __m128i p2, const __m128i* masks) {
  return _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(p0, masks[0]), _mm_shuffle_epi8(p1, masks[1])),
                      _mm_shuffle_epi8(p2, masks[2]));
}

void deinterleave3_u8(const uint8_t* src, uint8_t* c0, uint8_t* c1, uint8_t* c2, int64_t pixels) {
  __m128i m[9];
  for (int e = 0; e < 9; ++e) {
    m[e] = _mm_load_si128(reinterpret_cast<const __m128i*>(kDeinterleave3Masks.mask[e / 3][e % 3]));
  }
  int64_t p = 0;
  for (; p + 16 <= pixels; p += 16) {
    const __m128i* in = reinterpret_cast<const __m128i*>(src + 3 * p);
    const __m128i p0 = _mm_loadu_si128(in), p1 = _mm_loadu_si128(in + 1);
    const __m128i p2 = _mm_loadu_si128(in + 2);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c0 + p), gather_channel(p0, p1, p2, m));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c1 + p), gather_channel(p0, p1, p2, m + 3));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c2 + p), gather_channel(p0, p1, p2, m + 6));
  }
  for (; p < pixels; ++p) {
    c0[p] = src[3 * p];
    c1[p] = src[3 * p + 1];
    c2[p] = src[3 * p + 2];
  }
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
// pieces that start or end inside a block are gathered in `block_` first, so
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
    if (have_ > 0) std::memcpy(out_ + at_ - have_, block_, size_t(have_));
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
      copy_short(block_ + have_, src, take);
      have_ += take, at_ += take, src += take, n -= take;
      if (have_ == kV) {
        stream_store(out_ + at_ - kV, U8::load_aligned(block_));
        have_ = 0;
      }
    }
  }

 private:
  uint8_t* out_;
  int64_t at_ = 0;    // bytes of the run written or gathered
  int64_t head_ = 0;  // bytes before the first aligned block (regular stores)
  int64_t have_ = 0;  // bytes gathered in block_
  alignas(64) uint8_t block_[kV];
};

// One output of select_spans: out[p] = p inside a span ? inside[p] :
// outside[p], written piece by piece (a piece runs up to the next span edge).
template <bool kStream>
struct SpanSelect {
  RunWriter<kStream> writer;
  const uint8_t* outside;
  const uint8_t* inside;
  const int64_t* spans;  // sorted, disjoint [spans[2k], spans[2k+1])
  int64_t count;
  int64_t k = 0, at = 0;  // next span, bytes written

  SpanSelect(uint8_t* out, const uint8_t* out_src, const uint8_t* in_src, const int64_t* s,
             int64_t n)
      : writer(out), outside(out_src), inside(in_src), spans(s), count(n) {}

  void write_piece(int64_t bytes) {
    const bool in = k < count && spans[2 * k] <= at;
    const int64_t end = k < count ? spans[2 * k + (in ? 1 : 0)] : bytes;
    writer.put((in ? inside : outside) + at, end - at);
    k += in ? 1 : 0;
    at = end;
  }
};

template <bool kStream>
void select_spans_impl(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t bytes,
                       const int64_t* spans, int64_t count) {
  SpanSelect<kStream> select(out, a, b, spans, count);
  while (select.at < bytes) select.write_piece(bytes);
}

void select_spans(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t bytes,
                  const int64_t* spans, int64_t count, bool stream) {
  if (stream) {
    select_spans_impl<true>(a, b, out, bytes, spans, count);
  } else {
    select_spans_impl<false>(a, b, out, bytes, spans, count);
  }
}

template <bool kStream>
void select_spans_pair_impl(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                            int64_t bytes, const int64_t* spans_a, int64_t count_a,
                            const int64_t* spans_b, int64_t count_b) {
  // Each output writes whole pieces, up to its own next span edge, and the
  // one behind goes next: both sources are read together, in order, and no
  // piece is cut at the other output's edges (a cut mid-block costs a gather).
  SpanSelect<kStream> sa(out_a, a, b, spans_a, count_a), sb(out_b, b, a, spans_b, count_b);
  while (sa.at < bytes || sb.at < bytes) (sa.at <= sb.at ? sa : sb).write_piece(bytes);
}

void select_spans_pair(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                       int64_t bytes, const int64_t* spans_a, int64_t count_a,
                       const int64_t* spans_b, int64_t count_b, bool stream) {
  if (stream) {
    select_spans_pair_impl<true>(a, b, out_a, out_b, bytes, spans_a, count_a, spans_b, count_b);
  } else {
    select_spans_pair_impl<false>(a, b, out_a, out_b, bytes, spans_a, count_a, spans_b, count_b);
  }
}

// Whole 64-byte lines of d are streamed (a multiple of every ISA's vector);
// the partial lines at either end take regular stores, since a partly
// streamed line is a slow partial write.
void copy_stream(void* dst, const void* src, int64_t bytes) {
  constexpr uintptr_t kLine = 64;
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
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
    alignas(64) uint8_t tmp[kV];
    copy_short(tmp, a + i, n - i);
    copy_short(a + i, b + i, n - i);
    copy_short(b + i, tmp, n - i);
  }
}

// One walk over the merged span lists: where both hold, a and b swap (their
// lines are read anyway, so regular stores); where one holds, that side is
// copied from the other, its whole lines streamed when asked.
void swap_spans(uint8_t* a, uint8_t* b, const int64_t* spans_a, int64_t count_a,
                const int64_t* spans_b, int64_t count_b, bool stream) {
  const auto copy = [stream](uint8_t* d, const uint8_t* s, int64_t n) {
    if (stream) {
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
      MIXCUT_CPU_ISA_NAME,
      &blend_f32,
      &blend_f32_stream,
      &blend_f32_pair,
      &blend_f32_pair_stream,
      &blend_u8,
      &blend_u8_stream,
      &blend_u8_pair,
      &blend_u8_pair_stream,
      &normalize_u8,
      &normalize_u8_stream,
      &normalize_u8_fma,
      &normalize_u8_fma_stream,
      &deinterleave3_u8,
      &select_spans,
      &select_spans_pair,
      &swap_spans,
      &copy_stream,
      &stream_fence,
  };
  return kTable;
}

}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
