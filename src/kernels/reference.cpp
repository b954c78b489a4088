// Scalar reference kernels: one element at a time, in canonical (c, y, x)
// order, through Tensor::offset. Simplicity over speed: in place, the source
// batch is copied first, so the partner pattern never matters.
#include "kernels/reference.hpp"

#include <cstring>
#include <vector>

#include "kernels/formulas.hpp"

namespace mixcut::reference {
namespace {

// Stores one source-typed value into the destination type.
inline void put(uint8_t v, uint8_t* out, int64_t, const Normalize*) { *out = v; }
inline void put(float v, float* out, int64_t, const Normalize*) { *out = v; }
inline void put(uint8_t v, float* out, int64_t c, const Normalize* norm) {
  *out = formulas::normalize_u8(v, norm_mean(norm, c), norm_std(norm, c));
}

struct Weights {
  int32_t q;        // uint8 weight of x_i on the 2^-14 grid
  float lam, rest;  // float32 weights: lam and 1 - lam
};

inline uint8_t blend(uint8_t a, uint8_t b, const Weights& w) {
  return formulas::blend_u8(a, b, w.q);
}
inline float blend(float a, float b, const Weights& w) {
  return formulas::blend_f32(a, b, w.lam, w.rest);
}

// A packed copy of the source batch, for in-place calls.
template <class S>
Tensor snapshot(const Tensor& src, std::vector<S>& storage) {
  const int64_t elems = src.sample_elems();
  storage.resize(static_cast<size_t>(src.n * elems));
  for (int64_t i = 0; i < src.n; ++i) {
    std::memcpy(storage.data() + i * elems, src.sample<S>(i),
                static_cast<size_t>(elems) * sizeof(S));
  }
  Tensor copy = src;
  copy.data = storage.data();
  copy.stride = elems;
  return copy;
}

template <class S, class D>
void mix_typed(const MixSample* plan, const Tensor& src_in, const Tensor& dst,
               const Normalize* norm) {
  std::vector<S> storage;
  const Tensor src = src_in.data == dst.data ? snapshot<S>(src_in, storage) : src_in;
  for (int64_t i = 0; i < src.n; ++i) {
    const MixSample& record = plan[i];
    const bool mixes = record.mixes(i);
    const bool mixup = mixes && record.kind == MixKind::Mixup;
    const bool cutmix = mixes && record.kind == MixKind::CutMix;
    const Weights weights{formulas::lam_weight(record.lam), record.lam, 1.0f - record.lam};
    const Box& box = record.box;
    const S* xi = src.sample<S>(i);
    const S* xj = src.sample<S>(record.partner);
    D* out = dst.sample<D>(i);
    for (int64_t c = 0; c < src.c; ++c) {
      for (int64_t y = 0; y < src.h; ++y) {
        for (int64_t x = 0; x < src.w; ++x) {
          const int64_t at = src.offset(c, y, x);
          S v = xi[at];
          if (mixup) {
            v = blend(v, xj[at], weights);
          } else if (cutmix && y >= box.y0 && y < box.y1 && x >= box.x0 && x < box.x1) {
            v = xj[at];
          }
          put(v, out + dst.offset(c, y, x), c, norm);
        }
      }
    }
  }
}

template <class S, class D>
void convert_typed(const Tensor& src, const Tensor& dst, const Normalize* norm) {
  for (int64_t i = 0; i < src.n; ++i) {
    const S* in = src.sample<S>(i);
    D* out = dst.sample<D>(i);
    for (int64_t c = 0; c < src.c; ++c) {
      for (int64_t y = 0; y < src.h; ++y) {
        for (int64_t x = 0; x < src.w; ++x) {
          put(in[src.offset(c, y, x)], out + dst.offset(c, y, x), c, norm);
        }
      }
    }
  }
}

// Fill values are in destination units; uint8 rounds half to even (capi
// guarantees the rounded value lies in [0, 255]).
inline void store_fill(float v, uint8_t* out) { *out = formulas::fill_u8(v); }
inline void store_fill(float v, float* out) { *out = v; }

inline uint8_t noise_value(uint8_t*, uint64_t key, int64_t e) { return noise_u8(key, e); }
inline float noise_value(float*, uint64_t key, int64_t e) { return noise_f32(key, e); }
inline uint8_t channel_noise_value(uint8_t*, uint64_t key, int64_t c) {
  return channel_noise_u8(key, c);
}
inline float channel_noise_value(float*, uint64_t key, int64_t c) {
  return channel_noise_f32(key, c);
}

template <class D>
void fill_hole(const CutoutHole& hole, const Fill& fill, const Tensor& dst) {
  const Box& box = hole.box;
  if (box.empty()) return;
  D* out = dst.sample<D>(hole.sample);
  for (int64_t c = 0; c < dst.c; ++c) {
    D channel_value{};
    if (fill.kind == FillKind::Constant) {
      store_fill(fill.value, &channel_value);
    } else if (fill.kind == FillKind::Channel) {
      store_fill(fill.channel_values[c], &channel_value);
    } else if (fill.kind == FillKind::ChannelNoise) {
      channel_value = channel_noise_value(out, hole.noise_key, c);
    }
    for (int64_t y = box.y0; y < box.y1; ++y) {
      for (int64_t x = box.x0; x < box.x1; ++x) {
        D* at = out + dst.offset(c, y, x);
        if (fill.kind == FillKind::Noise) {
          *at = noise_value(out, hole.noise_key, noise_element_index(c, y, x, dst.h, dst.w));
        } else {
          *at = channel_value;
        }
      }
    }
  }
}

template <class S, class D>
void cutout_typed(const CutoutHole* holes, int64_t num_holes, const Fill& fill, const Tensor& src,
                  const Tensor& dst, const Normalize* norm) {
  if (src.data != dst.data) convert_typed<S, D>(src, dst, norm);
  for (int64_t k = 0; k < num_holes; ++k) fill_hole<D>(holes[k], fill, dst);
}

}  // namespace

void mix_apply(const MixSample* plan, const Tensor& src, const Tensor& dst, const Normalize* norm) {
  if (src.dtype == DType::U8 && dst.dtype == DType::U8) {
    mix_typed<uint8_t, uint8_t>(plan, src, dst, norm);
  } else if (src.dtype == DType::F32 && dst.dtype == DType::F32) {
    mix_typed<float, float>(plan, src, dst, norm);
  } else if (src.dtype == DType::U8 && dst.dtype == DType::F32) {
    mix_typed<uint8_t, float>(plan, src, dst, norm);
  } else {
    throw Error(Status::BadDtype, "reference::mix_apply: unsupported dtype pair");
  }
}

void cutout_apply(const CutoutHole* holes, int64_t num_holes, const Fill& fill, const Tensor& src,
                  const Tensor& dst, const Normalize* norm) {
  if (src.dtype == DType::U8 && dst.dtype == DType::U8) {
    cutout_typed<uint8_t, uint8_t>(holes, num_holes, fill, src, dst, norm);
  } else if (src.dtype == DType::F32 && dst.dtype == DType::F32) {
    cutout_typed<float, float>(holes, num_holes, fill, src, dst, norm);
  } else if (src.dtype == DType::U8 && dst.dtype == DType::F32) {
    cutout_typed<uint8_t, float>(holes, num_holes, fill, src, dst, norm);
  } else {
    throw Error(Status::BadDtype, "reference::cutout_apply: unsupported dtype pair");
  }
}

}  // namespace mixcut::reference
