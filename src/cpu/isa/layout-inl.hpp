// 3-channel layout changes: interleaved pixels (NHWC) to planes (NCHW),
// mixed on the way, and back.
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "include cpu/isa/layout-inl.hpp through cpu/isa/kernels-inl.hpp from an ISA TU"
#endif

#include <cstdint>
#include <cstring>

#include "cpu/isa/common-inl.hpp"
#include "cpu/isa/normalize-inl.hpp"
#include "cpu/isa/shims128-inl.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

// 3-channel layout changes, interleaved pixels (src[3p + ch]) <-> planes
// (planes[ch][p]), on 128-bit registers: 16 uint8 or 4 float32 pixels per
// step, with SSSE3 / SSE4.1 shuffles (every level has both). Streamed
// stores need 16-byte alignment, so planes stream only when they share it.
// Whether the three planes share their alignment to 16 bytes, so one scalar
// head aligns all three for 128-bit streaming stores.
template <class T>
inline bool planes_share_alignment16(T* const* planes) {
  const uintptr_t mis = reinterpret_cast<uintptr_t>(planes[0]) % 16;
  return reinterpret_cast<uintptr_t>(planes[1]) % 16 == mis &&
         reinterpret_cast<uintptr_t>(planes[2]) % 16 == mis;
}

// Stores four split steps (out[step][ch], `step_pixels` pixels each) plane by
// plane, so each plane gets 64 consecutive bytes from back-to-back stores
// (streamed float32 planes written 16 bytes at a time, round robin, were
// slower than regular stores).
template <bool kStream, class T>
inline void store_four_steps(T* const* planes, int64_t p, int64_t step_pixels,
                             const V128 out[4][3]) {
  for (int ch = 0; ch < 3; ++ch) {
    for (int step = 0; step < 4; ++step) {
      store<kStream>(planes[ch] + p + step * step_pixels, out[step][ch]);
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
  alignas(64) float mixed[3 * kStep];
  V128 x[3], out[4][3];
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
    for (int64_t step = 0; step < 4; ++step) {
      const int64_t e = 3 * step * S::kPixels;
      for (int64_t part = 0; part < 3; ++part) {
        if constexpr (kMix == Mix::Mixup) {
          x[part] = blend4_f32(from + e + 4 * part, b + 3 * p + e + 4 * part, lam, rest);
        } else {
          x[part] = load128(from + e + 4 * part);
        }
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
        v[part] = src.vec(o, src.a_at(o), src.b_at(o));
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
  V128 x[3], out[4][3];
  for (; p + kStep <= pixels; p += kStep) {
    for (int64_t v = 0; v < 3 * kStep; v += kB) {
      const int64_t o = 3 * p + v;
      src.vec(o, src.a_at(o), src.b_at(o)).store_aligned(mixed + v);
    }
    for (int64_t step = 0; step < 4; ++step) {
      const uint8_t* in = mixed + 3 * step * S::kPixels;
      for (int64_t part = 0; part < 3; ++part) x[part] = load128(in + 16 * part);
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
  V128 in[3], x[3];
  for (; p + S::kPixels <= pixels; p += S::kPixels) {
    in[0] = load128(c0 + p);
    in[1] = load128(c1 + p);
    in[2] = load128(c2 + p);
    S::merge(in, x);
    for (int part = 0; part < 3; ++part) {
      store<kStream>(dst + 3 * p + part * (16 / int64_t(sizeof(T))), x[part]);
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

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
