// 128-bit shims every ISA level shares (SSSE3 / SSE4.1 instructions, encoded
// with each TU's own flags): the 3-channel shuffles of layout-inl.hpp, 128-bit
// loads and stores, and the pshufb mask that widens 3-byte pixels. Included
// by each src/cpu/isa/kernels_<isa>.cpp after it defines MIXCUT_CPU_ISA_NS.
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "define MIXCUT_CPU_ISA_NS before including cpu/isa/shims128-inl.hpp"
#endif

#include <immintrin.h>

#include <cstdint>

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

using V128 = __m128i;

template <class T>
inline V128 load128(const T* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
// A 128-bit store; streamed, p must be 16-byte aligned.
template <bool kStream, class T>
inline void store(T* p, V128 v) {
  if constexpr (kStream) {
    _mm_stream_si128(reinterpret_cast<__m128i*>(p), v);
  } else {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
  }
}
// Four floats a*lam + b*rest (two roundings, as formulas::blend_f32).
inline V128 blend4_f32(const float* a, const float* b, float lam, float rest) {
  return _mm_castps_si128(_mm_add_ps(_mm_mul_ps(_mm_loadu_ps(a), _mm_set1_ps(lam)),
                                     _mm_mul_ps(_mm_loadu_ps(b), _mm_set1_ps(rest))));
}

// pshufb mask that widens channel ch of the four 3-byte pixels at the start
// of a 128-bit lane to four int32 (0x80 bytes give zeros).
inline __m128i rgb_lane_mask(int ch) {
  return _mm_setr_epi8(int8_t(ch), -128, -128, -128, int8_t(3 + ch), -128, -128, -128,
                       int8_t(6 + ch), -128, -128, -128, int8_t(9 + ch), -128, -128, -128);
}

// 3-channel layout changes on 128-bit registers: split takes three registers
// of interleaved pixels (src[3p + ch]) to one register per channel, merge
// goes back; kPixels pixels per step.
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

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
