// AVX2 (+ FMA) level of the kernel table: its intrinsic shims,
// then the kernels of cpu/isa/kernels-inl.hpp in namespace mixcut::cpu::avx2.
#define MIXCUT_CPU_ISA_NS avx2
#define MIXCUT_CPU_ISA_NAME "avx2"
#define MIXCUT_CPU_ISA_HAS_FMA 1

#include <immintrin.h>

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "cpu/isa/shims128-inl.hpp"
#include "cpu/kernel_table.hpp"

namespace mixcut::cpu::avx2 {
namespace {

using Arch = xsimd::avx2;

inline xsimd::batch<int16_t, Arch> mulhrs(xsimd::batch<int16_t, Arch> x,
                                          xsimd::batch<int16_t, Arch> y) {
  return _mm256_mulhrs_epi16(x, y);
}
// The 32 bytes of v as four vectors of 8 floats.
inline void widen_u8x4_to_f32(xsimd::batch<uint8_t, Arch> v, xsimd::batch<float, Arch> out[4]) {
  const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
  out[0] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo));
  out[1] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)));
  out[2] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi));
  out[3] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)));
}
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm256_stream_ps(p, v); }
inline void stream_store(uint8_t* p, xsimd::batch<uint8_t, Arch> v) {
  _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v);
}
inline void stream_fence() { _mm_sfence(); }
// 64-bit lanes: the products of their low 32-bit halves (vpmuludq).
inline xsimd::batch<uint64_t, Arch> mul_u32_wide(xsimd::batch<uint64_t, Arch> a,
                                                 xsimd::batch<uint64_t, Arch> b) {
  return _mm256_mul_epu32(a, b);
}
// The two 32-bit halves of each 64-bit lane swapped (vpshufd).
inline xsimd::batch<uint64_t, Arch> swap_u32_halves(xsimd::batch<uint64_t, Arch> v) {
  return _mm256_shuffle_epi32(v, 0xB1);
}
// The four 32-bit words of each 128-bit lane in reverse order (pshufd):
// one Philox round of a counter held in a 128-bit lane (philox-inl.hpp).
inline xsimd::batch<uint64_t, Arch> reverse_u32_quads(xsimd::batch<uint64_t, Arch> v) {
  return _mm256_shuffle_epi32(v, 0x1B);
}
// The low 32-bit halves of a's 64-bit lanes, then those of b's.
inline xsimd::batch<uint32_t, Arch> pack_low_u32(xsimd::batch<uint64_t, Arch> a,
                                                 xsimd::batch<uint64_t, Arch> b) {
  // Per 128-bit lane a0 a1 b0 b1 | a2 a3 b2 b3, then its 64-bit pieces 0 2 1 3.
  const __m256 even = _mm256_shuffle_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), 0x88);
  return _mm256_permute4x64_epi64(_mm256_castps_si256(even), 0xD8);
}
// 4 x 4 transpose of the 32-bit words in each 128-bit lane: word k of a
// lane of out[m] is word m of that lane of in[k] (see noise-inl.hpp).
inline void transpose_words(const xsimd::batch<uint32_t, Arch> in[4],
                            xsimd::batch<uint32_t, Arch> out[4]) {
  const __m256i t0 = _mm256_unpacklo_epi32(in[0], in[1]);  // a0 b0 a1 b1
  const __m256i t1 = _mm256_unpackhi_epi32(in[0], in[1]);  // a2 b2 a3 b3
  const __m256i t2 = _mm256_unpacklo_epi32(in[2], in[3]);  // c0 d0 c1 d1
  const __m256i t3 = _mm256_unpackhi_epi32(in[2], in[3]);  // c2 d2 c3 d3
  out[0] = _mm256_unpacklo_epi64(t0, t2);
  out[1] = _mm256_unpackhi_epi64(t0, t2);
  out[2] = _mm256_unpacklo_epi64(t1, t3);
  out[3] = _mm256_unpackhi_epi64(t1, t3);
}
// out[2m + h] = 128-bit lane m of in[2h] then of in[2h + 1]: the four
// vectors' lanes 0, then their lanes 1 (see noise-inl.hpp).
inline void transpose_blocks(const xsimd::batch<uint32_t, Arch> in[4],
                             xsimd::batch<uint32_t, Arch> out[4]) {
  out[0] = _mm256_permute2x128_si256(in[0], in[1], 0x20);
  out[1] = _mm256_permute2x128_si256(in[2], in[3], 0x20);
  out[2] = _mm256_permute2x128_si256(in[0], in[1], 0x31);
  out[3] = _mm256_permute2x128_si256(in[2], in[3], 0x31);
}
// The 32 interleaved 3-byte pixels in v0, v1, v2 as out[w][ch]: channel ch
// of pixels 8w .. 8w + 7, as floats. Each window of 8 pixels (24 bytes) is
// first gathered (blend of two sources, then a dword permute) so that each
// 128-bit lane holds 4 pixels (12 bytes), then one pshufb per channel.
inline void rgb_to_f32(xsimd::batch<uint8_t, Arch> v0, xsimd::batch<uint8_t, Arch> v1,
                       xsimd::batch<uint8_t, Arch> v2, xsimd::batch<float, Arch> out[4][3]) {
  const __m256i window[4] = {
      _mm256_permutevar8x32_epi32(v0, _mm256_setr_epi32(0, 1, 2, 3, 3, 4, 5, 6)),
      _mm256_permutevar8x32_epi32(_mm256_blend_epi32(v1, v0, 0xC0),
                                  _mm256_setr_epi32(6, 7, 0, 1, 1, 2, 3, 4)),
      _mm256_permutevar8x32_epi32(_mm256_blend_epi32(v1, v2, 0x07),
                                  _mm256_setr_epi32(4, 5, 6, 7, 7, 0, 1, 2)),
      _mm256_permutevar8x32_epi32(v2, _mm256_setr_epi32(2, 3, 4, 5, 5, 6, 7, 7))};
  for (int ch = 0; ch < 3; ++ch) {
    const __m256i mask = _mm256_broadcastsi128_si256(rgb_lane_mask(ch));
    for (int w = 0; w < 4; ++w) {
      out[w][ch] = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(window[w], mask));
    }
  }
}
// a*b + c, rounded once (this level requires FMA beside AVX2).
inline xsimd::batch<float, Arch> fused_mul_add(xsimd::batch<float, Arch> a,
                                               xsimd::batch<float, Arch> b,
                                               xsimd::batch<float, Arch> c) {
  return _mm256_fmadd_ps(a, b, c);
}

}  // namespace
}  // namespace mixcut::cpu::avx2

#include "cpu/isa/kernels-inl.hpp"

namespace mixcut::cpu {
const KernelTable& avx2_kernels() { return avx2::table(); }
}  // namespace mixcut::cpu
