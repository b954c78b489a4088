// The C++ core's own vocabulary. The C ABI (capi/) validates its arguments and
// converts them into these types; nothing below src/ sees a C type.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.hpp"

namespace mixcut {

enum class DType : int32_t { U8 = 1, F32 = 2 };
enum class Layout : int32_t { NCHW = 1, NHWC = 2 };
enum class Isa : int32_t { Scalar = 0, Sse2 = 1, Avx2 = 2, Avx512 = 3 };
enum class Mode : int32_t { Batch = 1, Pair = 2, Elem = 3 };
enum class PartnerRule : int32_t { Flip = 1, Roll = 2, Permutation = 3, Explicit = 4 };
enum class MixKind : int32_t { None = 0, Mixup = 1, CutMix = 2 };
enum class CutoutForm : int32_t { Holes = 1, Erasing = 2 };
enum class FillKind : int32_t { Constant = 1, Channel = 2, Noise = 3, ChannelNoise = 4 };
// Where a ctx's calls run (core/backend.hpp chooses the implementation).
enum class Backend : int32_t { Cpu = 1, Cuda = 2 };

inline int64_t elem_size(DType t) { return t == DType::U8 ? 1 : 4; }

// A validated view of a batch. stride = elements between samples (>= c*h*w).
// A gather source (read only, never in place) has no data: sample i is the
// separate buffer samples[i] of c*h*w elements.
struct Tensor {
  void* data = nullptr;
  void* const* samples = nullptr;
  DType dtype = DType::F32;
  Layout layout = Layout::NCHW;
  int64_t n = 0, c = 1, h = 1, w = 1;
  int64_t stride = 0;

  int64_t sample_elems() const { return c * h * w; }
  // Element offset of (channel, row, column) inside one sample.
  int64_t offset(int64_t ch, int64_t y, int64_t x) const {
    return layout == Layout::NCHW ? (ch * h + y) * w + x : (y * w + x) * c + ch;
  }
  template <class T>
  T* sample(int64_t i) const {
    if (samples != nullptr) return static_cast<T*>(samples[i]);
    return static_cast<T*>(data) + i * stride;
  }
};

// uint8 -> float32: out = ((float)v / 255.0f - mean[c]) / std[c].
// Empty vectors mean 0 and 1. Only used for that dtype pair.
struct Normalize {
  std::vector<float> mean, std;
};
// Channel ch's mean and std: 0 and 1 without a Normalize or for empty vectors.
inline float norm_mean(const Normalize* n, int64_t ch) {
  return n == nullptr || n->mean.empty() ? 0.0f : n->mean[size_t(ch)];
}
inline float norm_std(const Normalize* n, int64_t ch) {
  return n == nullptr || n->std.empty() ? 1.0f : n->std[size_t(ch)];
}

// Weight q of x_i on the 2^-14 grid used by the uint8 blend.
constexpr int32_t kLamBits = 14;
constexpr int32_t kLamOne = 1 << kLamBits;

struct MixPolicy {
  double mixup_alpha = 1.0;
  double cutmix_alpha = 0.0;
  double minmax_lo = 0.0, minmax_hi = 0.0;  // active iff lo < hi
  double prob = 1.0;
  double switch_prob = 0.5;
  Mode mode = Mode::Batch;
  PartnerRule partner = PartnerRule::Flip;
  bool correct_lam = true;
  std::vector<int64_t> partner_index;  // Explicit only, validated in [0, n)
};

struct Box {
  int32_t y0 = 0, x0 = 0, y1 = 0, x1 = 0;
  // [y0, y1) x [x0, x1) clipped to an h x w image (bounds may lie outside it).
  static Box clipped(int64_t y0, int64_t y1, int64_t x0, int64_t x1, int64_t h, int64_t w) {
    const auto clamp = [](int64_t v, int64_t hi) { return int32_t(v < 0 ? 0 : v > hi ? hi : v); };
    return Box{clamp(y0, h), clamp(x0, w), clamp(y1, h), clamp(x1, w)};
  }
  bool empty() const { return y1 <= y0 || x1 <= x0; }
  int64_t area() const { return empty() ? 0 : int64_t(y1 - y0) * (x1 - x0); }
};

struct MixSample {
  int64_t partner = 0;
  float lam = 1.0f;
  MixKind kind = MixKind::None;
  Box box;

  // Whether this record, of sample i, takes anything from another sample
  // (labels mix then). A sample whose partner is itself stays as it is.
  bool mixes(int64_t i) const { return kind != MixKind::None && partner != i; }
  // Whether sample i's pixels change: as mixes(), less a CutMix of an empty box.
  bool changes_pixels(int64_t i) const {
    return mixes(i) && (kind != MixKind::CutMix || !box.empty());
  }
};

struct CutoutPolicy {
  CutoutForm form = CutoutForm::Holes;
  double prob = 1.0;
  int32_t min_count = 1, max_count = 1;
  int32_t length = 16;
  double scale_lo = 0.02, scale_hi = 1.0 / 3.0;
  double ratio_lo = 0.3, ratio_hi = 1.0 / 0.3;
};

struct CutoutHole {
  int64_t sample = 0;
  Box box;
  uint64_t noise_key = 0;
};

struct Fill {
  FillKind kind = FillKind::Constant;
  float value = 0.0f;
  std::vector<float> channel_values;  // Channel only, size c
};

}  // namespace mixcut
