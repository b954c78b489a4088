// AVX-512 (F + BW) instantiation of cpu/kernels.hpp.
#include <immintrin.h>

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "cpu/kernel_table.hpp"

namespace mixcut::cpu::avx512 {
namespace {

using Arch = xsimd::avx512bw;

inline xsimd::batch<int16_t, Arch> mulhrs(xsimd::batch<int16_t, Arch> x,
                                          xsimd::batch<int16_t, Arch> y) {
  return _mm512_mulhrs_epi16(x, y);
}
inline xsimd::batch<float, Arch> widen_u8_to_f32(const uint8_t* p) {
  // maskz forms: the plain ones trip g++ 12's -Wmaybe-uninitialized.
  const __m512i v = _mm512_maskz_cvtepu8_epi32(
      __mmask16(0xFFFF), _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm512_maskz_cvtepi32_ps(__mmask16(0xFFFF), v);
}
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm512_stream_ps(p, v); }
inline void stream_store(uint8_t* p, xsimd::batch<uint8_t, Arch> v) {
  _mm512_stream_si512(reinterpret_cast<__m512i*>(p), v);
}
inline void stream_fence() { _mm_sfence(); }
// Copies n <= 64 bytes with one masked load and store (masked-off bytes are
// neither read nor written, so no fault past either end).
inline void copy_short(uint8_t* dst, const uint8_t* src, int64_t n) {
  const __mmask64 mask = n >= 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1;
  _mm512_mask_storeu_epi8(dst, mask, _mm512_maskz_loadu_epi8(mask, src));
}
// a*b + c, rounded once (AVX-512F has FMA).
inline xsimd::batch<float, Arch> fused_mul_add(xsimd::batch<float, Arch> a,
                                               xsimd::batch<float, Arch> b,
                                               xsimd::batch<float, Arch> c) {
  return _mm512_fmadd_ps(a, b, c);
}

}  // namespace
}  // namespace mixcut::cpu::avx512

#define MIXCUT_CPU_ISA_NS avx512
#define MIXCUT_CPU_ISA_NAME "avx512"
#define MIXCUT_CPU_ISA_HAS_FMA 1
#include "cpu/kernels.hpp"

namespace mixcut::cpu {
const KernelTable& avx512_kernels() { return avx512::table(); }
}  // namespace mixcut::cpu
