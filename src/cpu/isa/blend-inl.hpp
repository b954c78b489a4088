// Mixup blends: float32 a*lam + b*(1-lam) with two roundings, uint8 on the
// 2^-14 grid (formulas.hpp), one sample or both sides of a 2-cycle per pass.
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "include cpu/isa/blend-inl.hpp through cpu/isa/kernels-inl.hpp from an ISA TU"
#endif

#include <cstdint>

#include "cpu/isa/common-inl.hpp"
#include "kernels/formulas.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

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
               float one_minus_lam, bool stream) {
  if (stream) {
    blend_f32_impl<true>(a, b, out, n, lam, one_minus_lam);
  } else {
    blend_f32_impl<false>(a, b, out, n, lam, one_minus_lam);
  }
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
                    float lam_a, float one_minus_lam_a, float lam_b, float one_minus_lam_b,
                    bool stream) {
  if (stream) {
    blend_f32_pair_impl<true>(a, b, out_a, out_b, n, lam_a, one_minus_lam_a, lam_b,
                              one_minus_lam_b);
  } else {
    blend_f32_pair_impl<false>(a, b, out_a, out_b, n, lam_a, one_minus_lam_a, lam_b,
                               one_minus_lam_b);
  }
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

void blend_u8(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t n, int32_t q, bool stream) {
  if (stream) {
    blend_u8_impl<true>(a, b, out, n, q);
  } else {
    blend_u8_impl<false>(a, b, out, n, q);
  }
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
                   int32_t q_a, int32_t q_b, bool stream) {
  if (stream) {
    blend_u8_pair_impl<true>(a, b, out_a, out_b, n, q_a, q_b);
  } else {
    blend_u8_pair_impl<false>(a, b, out_a, out_b, n, q_a, q_b);
  }
}

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
