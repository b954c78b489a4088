// SSE4.1 instantiation of cpu/kernels.hpp (the "sse2" level: SSE2 up to SSE4.1).
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "cpu/kernel_table.hpp"

namespace mixcut::cpu::sse2 {
namespace {

using Arch = xsimd::sse4_1;

inline xsimd::batch<int16_t, Arch> mulhrs(xsimd::batch<int16_t, Arch> x,
                                          xsimd::batch<int16_t, Arch> y) {
  return _mm_mulhrs_epi16(x, y);
}
inline xsimd::batch<float, Arch> widen_u8_to_f32(const uint8_t* p) {
  int32_t four_bytes;
  std::memcpy(&four_bytes, p, sizeof(four_bytes));
  return _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(four_bytes)));
}
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm_stream_ps(p, v); }
inline void stream_store(uint8_t* p, xsimd::batch<uint8_t, Arch> v) {
  _mm_stream_si128(reinterpret_cast<__m128i*>(p), v);
}
inline void stream_fence() { _mm_sfence(); }
inline void copy_short(uint8_t* dst, const uint8_t* src, int64_t n) {
  std::memcpy(dst, src, size_t(n));
}

}  // namespace
}  // namespace mixcut::cpu::sse2

#define MIXCUT_CPU_ISA_NS sse2
#define MIXCUT_CPU_ISA_NAME "sse2"
#include "cpu/kernels.hpp"

namespace mixcut::cpu {
const KernelTable& sse2_kernels() { return sse2::table(); }
}  // namespace mixcut::cpu
