// SSE4.1 level of the kernel table (the "sse2" level: SSE2 up to SSE4.1): its intrinsic shims,
// then the kernels of cpu/isa/kernels-inl.hpp in namespace mixcut::cpu::sse2.
#define MIXCUT_CPU_ISA_NS sse2
#define MIXCUT_CPU_ISA_NAME "sse2"

#include <immintrin.h>

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "cpu/isa/shims128-inl.hpp"
#include "cpu/kernel_table.hpp"

namespace mixcut::cpu::sse2 {
namespace {

using Arch = xsimd::sse4_1;

inline xsimd::batch<int16_t, Arch> mulhrs(xsimd::batch<int16_t, Arch> x,
                                          xsimd::batch<int16_t, Arch> y) {
  return _mm_mulhrs_epi16(x, y);
}
// The 16 interleaved 3-byte pixels in v0, v1, v2 as out[w][ch]: channel ch
// of pixels 4w .. 4w + 3, as floats (each window of 12 bytes aligned to the
// register's start, then one pshufb per channel).
inline void rgb_to_f32(xsimd::batch<uint8_t, Arch> v0, xsimd::batch<uint8_t, Arch> v1,
                       xsimd::batch<uint8_t, Arch> v2, xsimd::batch<float, Arch> out[4][3]) {
  const __m128i window[4] = {v0, _mm_alignr_epi8(v1, v0, 12), _mm_alignr_epi8(v2, v1, 8),
                             _mm_srli_si128(v2, 4)};
  for (int ch = 0; ch < 3; ++ch) {
    for (int w = 0; w < 4; ++w) {
      out[w][ch] = _mm_cvtepi32_ps(_mm_shuffle_epi8(window[w], rgb_lane_mask(ch)));
    }
  }
}
// The 16 bytes of v as four vectors of 4 floats.
inline void widen_u8x4_to_f32(xsimd::batch<uint8_t, Arch> v, xsimd::batch<float, Arch> out[4]) {
  out[0] = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(v));
  out[1] = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(v, 4)));
  out[2] = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(v, 8)));
  out[3] = _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(v, 12)));
}
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm_stream_ps(p, v); }
inline void stream_store(uint8_t* p, xsimd::batch<uint8_t, Arch> v) {
  _mm_stream_si128(reinterpret_cast<__m128i*>(p), v);
}
inline void stream_fence() { _mm_sfence(); }
// 64-bit lanes: the products of their low 32-bit halves (pmuludq).
inline xsimd::batch<uint64_t, Arch> mul_u32_wide(xsimd::batch<uint64_t, Arch> a,
                                                 xsimd::batch<uint64_t, Arch> b) {
  return _mm_mul_epu32(a, b);
}
// The two 32-bit halves of each 64-bit lane swapped (pshufd).
inline xsimd::batch<uint64_t, Arch> swap_u32_halves(xsimd::batch<uint64_t, Arch> v) {
  return _mm_shuffle_epi32(v, 0xB1);
}
// The four 32-bit words of each 128-bit lane in reverse order (pshufd):
// one Philox round of a counter held in a 128-bit lane (philox-inl.hpp).
inline xsimd::batch<uint64_t, Arch> reverse_u32_quads(xsimd::batch<uint64_t, Arch> v) {
  return _mm_shuffle_epi32(v, 0x1B);
}
// The low 32-bit halves of a's 64-bit lanes, then those of b's.
inline xsimd::batch<uint32_t, Arch> pack_low_u32(xsimd::batch<uint64_t, Arch> a,
                                                 xsimd::batch<uint64_t, Arch> b) {
  return _mm_castps_si128(_mm_shuffle_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), 0x88));
}
// 4 x 4 transpose of the 32-bit words in each 128-bit lane: word k of a
// lane of out[m] is word m of that lane of in[k] (see noise-inl.hpp).
inline void transpose_words(const xsimd::batch<uint32_t, Arch> in[4],
                            xsimd::batch<uint32_t, Arch> out[4]) {
  const __m128i t0 = _mm_unpacklo_epi32(in[0], in[1]);  // a0 b0 a1 b1
  const __m128i t1 = _mm_unpackhi_epi32(in[0], in[1]);  // a2 b2 a3 b3
  const __m128i t2 = _mm_unpacklo_epi32(in[2], in[3]);  // c0 d0 c1 d1
  const __m128i t3 = _mm_unpackhi_epi32(in[2], in[3]);  // c2 d2 c3 d3
  out[0] = _mm_unpacklo_epi64(t0, t2);
  out[1] = _mm_unpackhi_epi64(t0, t2);
  out[2] = _mm_unpacklo_epi64(t1, t3);
  out[3] = _mm_unpackhi_epi64(t1, t3);
}
// One 128-bit lane per vector: already in block order (see noise-inl.hpp).
inline void transpose_blocks(const xsimd::batch<uint32_t, Arch> in[4],
                             xsimd::batch<uint32_t, Arch> out[4]) {
  for (int k = 0; k < 4; ++k) out[k] = in[k];
}

}  // namespace
}  // namespace mixcut::cpu::sse2

#include "cpu/isa/kernels-inl.hpp"

namespace mixcut::cpu {
const KernelTable& sse2_kernels() { return sse2::table(); }
}  // namespace mixcut::cpu
