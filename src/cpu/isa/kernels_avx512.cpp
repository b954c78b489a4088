// AVX-512 (F, BW, CD, DQ, VL) level of the kernel table: its intrinsic shims,
// then the kernels of cpu/isa/kernels-inl.hpp in namespace mixcut::cpu::avx512.
// g++ 12 reports the self-initialised placeholder inside AVX-512 intrinsics
// (_mm512_undefined_*) as maybe-uninitialized (uninitialized in the
// sanitizer build) once xsimd's operators are inlined into the noise loops
// (GCC bug 105593, fixed in g++ 13).
// clang has no -Wmaybe-uninitialized group and no such report, hence g++ only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#define MIXCUT_CPU_ISA_NS avx512
#define MIXCUT_CPU_ISA_NAME "avx512"
#define MIXCUT_CPU_ISA_HAS_FMA 1
#define MIXCUT_CPU_ISA_HAS_MASKED_BYTES 1
#define MIXCUT_CPU_ISA_HAS_RGB_TO_PLANES 1

#include <immintrin.h>

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "cpu/isa/shims128-inl.hpp"
#include "cpu/kernel_table.hpp"

namespace mixcut::cpu::avx512 {
namespace {

using Arch = xsimd::avx512bw;

inline xsimd::batch<int16_t, Arch> mulhrs(xsimd::batch<int16_t, Arch> x,
                                          xsimd::batch<int16_t, Arch> y) {
  return _mm512_mulhrs_epi16(x, y);
}
// The 64 bytes of v as four vectors of 16 floats. maskz forms: the plain
// ones trip g++ 12's -Wmaybe-uninitialized.
inline void widen_u8x4_to_f32(xsimd::batch<uint8_t, Arch> v, xsimd::batch<float, Arch> out[4]) {
  const __mmask16 all = 0xFFFF;
  out[0] = _mm512_maskz_cvtepi32_ps(
      all, _mm512_maskz_cvtepu8_epi32(all, _mm512_maskz_extracti32x4_epi32(0xF, v, 0)));
  out[1] = _mm512_maskz_cvtepi32_ps(
      all, _mm512_maskz_cvtepu8_epi32(all, _mm512_maskz_extracti32x4_epi32(0xF, v, 1)));
  out[2] = _mm512_maskz_cvtepi32_ps(
      all, _mm512_maskz_cvtepu8_epi32(all, _mm512_maskz_extracti32x4_epi32(0xF, v, 2)));
  out[3] = _mm512_maskz_cvtepi32_ps(
      all, _mm512_maskz_cvtepu8_epi32(all, _mm512_maskz_extracti32x4_epi32(0xF, v, 3)));
}
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm512_stream_ps(p, v); }
inline void stream_store(uint8_t* p, xsimd::batch<uint8_t, Arch> v) {
  _mm512_stream_si512(reinterpret_cast<__m512i*>(p), v);
}
inline void stream_fence() { _mm_sfence(); }
// 64-bit lanes: the products of their low 32-bit halves (vpmuludq).
inline xsimd::batch<uint64_t, Arch> mul_u32_wide(xsimd::batch<uint64_t, Arch> a,
                                                 xsimd::batch<uint64_t, Arch> b) {
  return _mm512_mul_epu32(a, b);
}
// The two 32-bit halves of each 64-bit lane swapped (vpshufd).
inline xsimd::batch<uint64_t, Arch> swap_u32_halves(xsimd::batch<uint64_t, Arch> v) {
  return _mm512_shuffle_epi32(v, _MM_PERM_CDAB);
}
// The four 32-bit words of each 128-bit lane in reverse order (pshufd):
// one Philox round of a counter held in a 128-bit lane (philox-inl.hpp).
inline xsimd::batch<uint64_t, Arch> reverse_u32_quads(xsimd::batch<uint64_t, Arch> v) {
  return _mm512_shuffle_epi32(v, _MM_PERM_ABCD);
}
// The low 32-bit halves of a's 64-bit lanes, then those of b's (vpermt2d).
inline xsimd::batch<uint32_t, Arch> pack_low_u32(xsimd::batch<uint64_t, Arch> a,
                                                 xsimd::batch<uint64_t, Arch> b) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return _mm512_permutex2var_epi32(a, even, b);
}
// 4 x 4 transpose of the 32-bit words in each 128-bit lane: word k of a
// lane of out[m] is word m of that lane of in[k] (see noise-inl.hpp).
inline void transpose_words(const xsimd::batch<uint32_t, Arch> in[4],
                            xsimd::batch<uint32_t, Arch> out[4]) {
  const __m512i t0 = _mm512_unpacklo_epi32(in[0], in[1]);  // a0 b0 a1 b1
  const __m512i t1 = _mm512_unpackhi_epi32(in[0], in[1]);  // a2 b2 a3 b3
  const __m512i t2 = _mm512_unpacklo_epi32(in[2], in[3]);  // c0 d0 c1 d1
  const __m512i t3 = _mm512_unpackhi_epi32(in[2], in[3]);  // c2 d2 c3 d3
  out[0] = _mm512_unpacklo_epi64(t0, t2);
  out[1] = _mm512_unpackhi_epi64(t0, t2);
  out[2] = _mm512_unpacklo_epi64(t1, t3);
  out[3] = _mm512_unpackhi_epi64(t1, t3);
}
// 4 x 4 transpose of 128-bit lanes: out[m] = lane m of in[0], in[1], in[2],
// in[3] (see noise-inl.hpp).
inline void transpose_blocks(const xsimd::batch<uint32_t, Arch> in[4],
                             xsimd::batch<uint32_t, Arch> out[4]) {
  const __m512i t0 = _mm512_shuffle_i32x4(in[0], in[1], 0x44);  // in0.0 in0.1 in1.0 in1.1
  const __m512i t1 = _mm512_shuffle_i32x4(in[0], in[1], 0xEE);  // in0.2 in0.3 in1.2 in1.3
  const __m512i t2 = _mm512_shuffle_i32x4(in[2], in[3], 0x44);
  const __m512i t3 = _mm512_shuffle_i32x4(in[2], in[3], 0xEE);
  out[0] = _mm512_shuffle_i32x4(t0, t2, 0x88);
  out[1] = _mm512_shuffle_i32x4(t0, t2, 0xDD);
  out[2] = _mm512_shuffle_i32x4(t1, t3, 0x88);
  out[3] = _mm512_shuffle_i32x4(t1, t3, 0xDD);
}
// Copies n <= 64 bytes with one masked load and store (masked-off bytes are
// neither read nor written, so no fault past either end).
inline void copy_short(uint8_t* dst, const uint8_t* src, int64_t n) {
  const __mmask64 mask = n >= 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1;
  _mm512_mask_storeu_epi8(dst, mask, _mm512_maskz_loadu_epi8(mask, src));
}
// The 64 interleaved 3-byte pixels in v0, v1, v2 as four windows of 16
// pixels (48 bytes), each permuted so that 128-bit lane l of window w holds
// pixels 16w + 4l .. 16w + 4l + 3 in its first 12 bytes.
inline void rgb_windows(__m512i v0, __m512i v1, __m512i v2, __m512i window[4]) {
  const __mmask16 all = 0xFFFF;  // maskz forms, as in widen_u8x4_to_f32
  window[0] = _mm512_maskz_permutexvar_epi32(
      all, _mm512_setr_epi32(0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12), v0);
  window[1] = _mm512_maskz_permutex2var_epi32(
      all, v0, _mm512_setr_epi32(12, 13, 14, 15, 15, 16, 17, 18, 18, 19, 20, 21, 21, 22, 23, 24),
      v1);
  window[2] = _mm512_maskz_permutex2var_epi32(
      all, v1, _mm512_setr_epi32(8, 9, 10, 11, 11, 12, 13, 14, 14, 15, 16, 17, 17, 18, 19, 20), v2);
  window[3] = _mm512_maskz_permutexvar_epi32(
      all, _mm512_setr_epi32(4, 5, 6, 7, 7, 8, 9, 10, 10, 11, 12, 13, 13, 14, 15, 15), v2);
}
// The 64 interleaved 3-byte pixels in v0, v1, v2 as out[w][ch]: channel ch
// of pixels 16w .. 16w + 15, as floats: one pshufb per window and channel
// widens each lane's 4 values.
inline void rgb_to_f32(xsimd::batch<uint8_t, Arch> v0, xsimd::batch<uint8_t, Arch> v1,
                       xsimd::batch<uint8_t, Arch> v2, xsimd::batch<float, Arch> out[4][3]) {
  const __mmask16 all = 0xFFFF;
  __m512i window[4];
  rgb_windows(v0, v1, v2, window);
  for (int ch = 0; ch < 3; ++ch) {
    const __m512i mask = _mm512_maskz_broadcast_i32x4(all, rgb_lane_mask(ch));
    for (int w = 0; w < 4; ++w) {
      out[w][ch] = _mm512_maskz_cvtepi32_ps(all, _mm512_shuffle_epi8(window[w], mask));
    }
  }
}
// The same 64 pixels split into planes: out[ch] = channel ch of pixels 0..63.
// In window w, one pshufb per channel puts each lane's 4 values in dword w
// of the lane; OR-ing the windows gives dword 4l + w = pixels 16w + 4l ..,
// and one dword permute puts them in pixel order (dword 4w + l). 25 shuffles
// for 64 pixels, against 48 on 128-bit registers.
inline void rgb_to_planes(xsimd::batch<uint8_t, Arch> v0, xsimd::batch<uint8_t, Arch> v1,
                          xsimd::batch<uint8_t, Arch> v2, xsimd::batch<uint8_t, Arch> out[3]) {
  const __mmask16 all = 0xFFFF;
  __m512i window[4];
  rgb_windows(v0, v1, v2, window);
  const __m512i to_pixel_order =
      _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  for (int ch = 0; ch < 3; ++ch) {
    __m512i acc = _mm512_setzero_si512();
    for (int w = 0; w < 4; ++w) {
      alignas(16) int8_t mask[16];
      for (int j = 0; j < 16; ++j) mask[j] = j / 4 == w ? int8_t(3 * (j % 4) + ch) : int8_t(-128);
      const __m512i lanes =
          _mm512_maskz_broadcast_i32x4(all, _mm_load_si128(reinterpret_cast<const __m128i*>(mask)));
      acc = _mm512_or_si512(acc, _mm512_shuffle_epi8(window[w], lanes));
    }
    out[ch] = _mm512_maskz_permutexvar_epi32(all, to_pixel_order, acc);
  }
}
// block with its bytes [at, at + n) replaced by src[0, n) (at + n <= 64), in
// one masked load: the bytes outside are neither read nor changed.
// Bytes [lo, hi) of v to dst + lo (0 <= lo < hi <= 64): one masked store.
inline void store_range(uint8_t* dst, xsimd::batch<uint8_t, Arch> v, int64_t lo, int64_t hi) {
  const __mmask64 upto = hi >= 64 ? ~__mmask64(0) : (__mmask64(1) << hi) - 1;
  _mm512_mask_storeu_epi8(dst, upto & ~((__mmask64(1) << lo) - 1), v);
}
// The first n bytes of v to dst (n < 64): one masked store.
inline void store_short(uint8_t* dst, xsimd::batch<uint8_t, Arch> v, int64_t n) {
  _mm512_mask_storeu_epi8(dst, (__mmask64(1) << n) - 1, v);
}
inline xsimd::batch<uint8_t, Arch> load_into(xsimd::batch<uint8_t, Arch> block, int64_t at,
                                             const uint8_t* src, int64_t n) {
  const __mmask64 mask = (n >= 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1) << at;
  return _mm512_mask_loadu_epi8(block, mask, src - at);
}
// a*b + c, rounded once (AVX-512F has FMA).
inline xsimd::batch<float, Arch> fused_mul_add(xsimd::batch<float, Arch> a,
                                               xsimd::batch<float, Arch> b,
                                               xsimd::batch<float, Arch> c) {
  return _mm512_fmadd_ps(a, b, c);
}

}  // namespace
}  // namespace mixcut::cpu::avx512

#include "cpu/isa/kernels-inl.hpp"

namespace mixcut::cpu {
const KernelTable& avx512_kernels() { return avx512::table(); }
}  // namespace mixcut::cpu
