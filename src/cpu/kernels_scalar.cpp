// The scalar level of the kernel table (MIXCUT_FORCE_ISA=scalar, or a CPU
// without SSE4.1): plain loops over formulas.hpp.
#include <algorithm>
#include <cstring>

#include "cpu/kernel_table.hpp"
#include "kernels/formulas.hpp"
#include "kernels/noise.hpp"

namespace mixcut::cpu {
namespace {

void blend_f32(const float* a, const float* b, float* out, int64_t n, float lam,
               float one_minus_lam, bool) {
  for (int64_t i = 0; i < n; ++i) out[i] = formulas::blend_f32(a[i], b[i], lam, one_minus_lam);
}

void blend_f32_pair(const float* a, const float* b, float* out_a, float* out_b, int64_t n,
                    float lam_a, float one_minus_lam_a, float lam_b, float one_minus_lam_b, bool) {
  for (int64_t i = 0; i < n; ++i) {
    const float va = a[i], vb = b[i];
    out_a[i] = formulas::blend_f32(va, vb, lam_a, one_minus_lam_a);
    out_b[i] = formulas::blend_f32(vb, va, lam_b, one_minus_lam_b);
  }
}

void blend_u8(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t n, int32_t q, bool) {
  for (int64_t i = 0; i < n; ++i) out[i] = formulas::blend_u8(a[i], b[i], q);
}

void blend_u8_pair(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b, int64_t n,
                   int32_t q_a, int32_t q_b, bool) {
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t va = a[i], vb = b[i];
    out_a[i] = formulas::blend_u8(va, vb, q_a);
    out_b[i] = formulas::blend_u8(vb, va, q_b);
  }
}

// Whether byte offset i lies inside one of mix's CutMix spans.
bool inside(const MixSource& mix, int64_t i) {
  for (int64_t k = 0; k < mix.count; ++k) {
    if (mix.spans[2 * k] <= i && i < mix.spans[2 * k + 1]) return true;
  }
  return false;
}

uint8_t mixed(const uint8_t* a, const MixSource& mix, int64_t i) {
  if (mix.kind == MixSource::Kind::None) return a[i];
  if (mix.kind == MixSource::Kind::Mixup) return formulas::blend_u8(a[i], mix.b[i], mix.q);
  return inside(mix, i) ? mix.b[i] : a[i];
}

void normalize_u8(const uint8_t* a, const MixSource& mix, float* out, int64_t n, float mean,
                  float std, bool, bool) {
  for (int64_t i = 0; i < n; ++i) out[i] = formulas::normalize_u8(mixed(a, mix, i), mean, std);
}

void normalize3_u8(const uint8_t* a, const MixSource& mix, float* const* out, int64_t pixels,
                   const float* mean, const float* std, bool, bool) {
  for (int64_t p = 0; p < pixels; ++p) {
    for (int ch = 0; ch < 3; ++ch) {
      out[ch][p] = formulas::normalize_u8(mixed(a, mix, 3 * p + ch), mean[ch], std[ch]);
    }
  }
}

void deinterleave3(const void* src, const MixSource& mix, void* const* planes, int64_t pixels,
                   int64_t elem_size, bool) {
  for (int64_t p = 0; p < pixels; ++p) {
    for (int ch = 0; ch < 3; ++ch) {
      if (elem_size == 1) {
        static_cast<uint8_t*>(planes[ch])[p] =
            mixed(static_cast<const uint8_t*>(src), mix, 3 * p + ch);
      } else {
        const int64_t e = 3 * p + ch;
        const float v = static_cast<const float*>(src)[e];
        float out = v;
        if (mix.kind == MixSource::Kind::Mixup) {
          out = formulas::blend_f32(v, mix.b_f32[e], mix.lam, mix.rest);
        } else if (mix.kind == MixSource::Kind::CutMix && inside(mix, 4 * e)) {
          out = mix.b_f32[e];
        }
        static_cast<float*>(planes[ch])[p] = out;
      }
    }
  }
}

template <class T>
void interleave3_typed(const void* const* planes, void* dst, int64_t pixels) {
  T* d = static_cast<T*>(dst);
  for (int64_t p = 0; p < pixels; ++p) {
    for (int ch = 0; ch < 3; ++ch) d[3 * p + ch] = static_cast<const T*>(planes[ch])[p];
  }
}
void interleave3(const void* const* planes, void* dst, int64_t pixels, int64_t elem_size, bool) {
  (elem_size == 1 ? interleave3_typed<uint8_t> : interleave3_typed<float>)(planes, dst, pixels);
}

void select_spans(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t bytes,
                  const int64_t* spans, int64_t count, bool) {
  int64_t at = 0;
  for (int64_t k = 0; k <= count; ++k) {
    const int64_t begin = k < count ? spans[2 * k] : bytes;
    std::memcpy(out + at, a + at, size_t(begin - at));
    if (k == count) break;
    std::memcpy(out + begin, b + begin, size_t(spans[2 * k + 1] - begin));
    at = spans[2 * k + 1];
  }
}

void select_spans_pair(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                       int64_t bytes, const int64_t* spans_a, int64_t count_a,
                       const int64_t* spans_b, int64_t count_b, bool stream) {
  select_spans(a, b, out_a, bytes, spans_a, count_a, stream);
  select_spans(b, a, out_b, bytes, spans_b, count_b, stream);
}

void swap_boxes(uint8_t* a, uint8_t* b, const TileRows& tile, const BoxBytes& box_a,
                const BoxBytes& box_b, bool) {
  for_each_box_row_pair(tile, box_a, box_b, [&](int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
    // The hull of the non-empty parts (an empty part is [0, 0)).
    const int64_t from = a0 < a1 && (b0 == b1 || a0 < b0) ? a0 : b0;
    const int64_t to = a0 < a1 && (b0 == b1 || a1 > b1) ? a1 : b1;
    for (int64_t p = from; p < to; ++p) {
      const uint8_t va = a[p], vb = b[p];
      if (p >= a0 && p < a1) a[p] = vb;
      if (p >= b0 && p < b1) b[p] = va;
    }
  });
}

void copy(void* dst, const void* src, int64_t bytes) { std::memcpy(dst, src, size_t(bytes)); }

void no_fence() {}  // no non-temporal stores here

// Noise runs: kernels/noise.hpp's block helpers (one Philox call each).
void noise_runs_u8(uint8_t* out, uint64_t key, const NoiseRun* runs, int64_t num_runs) {
  for (int64_t r = 0; r < num_runs; ++r) {
    for (int64_t b = runs[r].first; b < runs[r].first + runs[r].count; ++b) {
      noise_u8_block(key, uint64_t(b), out);
      out += kNoiseBlockU8;
    }
  }
}
void noise_runs_f32(float* out, uint64_t key, const NoiseRun* runs, int64_t num_runs) {
  for (int64_t r = 0; r < num_runs; ++r) {
    for (int64_t b = runs[r].first; b < runs[r].first + runs[r].count; ++b) {
      noise_f32_block(key, uint64_t(b), out);
      out += kNoiseBlockF32;
    }
  }
}

void philox_many(const PhiloxCounter* ctr, PhiloxKey key, PhiloxCounter* out, int64_t n) {
  for (int64_t k = 0; k < n; ++k) out[k] = philox4x32_10(ctr[k], key);
}

KernelTable make_table() {
  KernelTable t{};
  t.name = "scalar";
  t.blend_f32 = &blend_f32;
  t.blend_f32_pair = &blend_f32_pair;
  t.blend_u8 = &blend_u8;
  t.blend_u8_pair = &blend_u8_pair;
  t.normalize_u8 = &normalize_u8;
  t.normalize3_u8 = &normalize3_u8;
  t.deinterleave3 = &deinterleave3;
  t.interleave3 = &interleave3;
  t.select_spans = &select_spans;
  t.select_spans_pair = &select_spans_pair;
  t.swap_boxes = &swap_boxes;
  t.copy_stream = &copy;
  t.stream_fence = &no_fence;
  t.noise_u8 = &noise_runs_u8;
  t.noise_f32 = &noise_runs_f32;
  t.philox_many = &philox_many;
  return t;
}

}  // namespace

const KernelTable& scalar_kernels() {
  static const KernelTable kTable = make_table();
  return kTable;
}

const KernelTable& kernels_for(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return avx512_kernels();
    case Isa::Avx2:
      return avx2_kernels();
    case Isa::Sse2:
      return sse2_kernels();
    case Isa::Scalar:
      break;
  }
  return scalar_kernels();
}

}  // namespace mixcut::cpu
