// AVX2 (+ FMA) instantiation of cpu/kernels.hpp.
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "cpu/kernel_table.hpp"

namespace mixcut::cpu::avx2 {
namespace {

using Arch = xsimd::avx2;

inline xsimd::batch<int16_t, Arch> mulhrs(xsimd::batch<int16_t, Arch> x,
                                          xsimd::batch<int16_t, Arch> y) {
  return _mm256_mulhrs_epi16(x, y);
}
inline xsimd::batch<float, Arch> widen_u8_to_f32(const uint8_t* p) {
  return _mm256_cvtepi32_ps(
      _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm256_stream_ps(p, v); }
inline void stream_store(uint8_t* p, xsimd::batch<uint8_t, Arch> v) {
  _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v);
}
inline void stream_fence() { _mm_sfence(); }
// a*b + c, rounded once (this level requires FMA beside AVX2).
inline xsimd::batch<float, Arch> fused_mul_add(xsimd::batch<float, Arch> a,
                                               xsimd::batch<float, Arch> b,
                                               xsimd::batch<float, Arch> c) {
  return _mm256_fmadd_ps(a, b, c);
}
inline void copy_short(uint8_t* dst, const uint8_t* src, int64_t n) {
  std::memcpy(dst, src, size_t(n));
}

}  // namespace
}  // namespace mixcut::cpu::avx2

#define MIXCUT_CPU_ISA_NS avx2
#define MIXCUT_CPU_ISA_NAME "avx2"
#define MIXCUT_CPU_ISA_HAS_FMA 1
#include "cpu/kernels.hpp"

namespace mixcut::cpu {
const KernelTable& avx2_kernels() { return avx2::table(); }
}  // namespace mixcut::cpu
