// Helpers shared by the C++ tests, header-only: goodness-of-fit statistics;
// canary bytes that show whether a call wrote where it must not (used by the
// C API tests, the fuzzers and the ThreadSanitizer stress too); batches with
// padded strides, random plans, holes and fills, readable differences, and
// the case walks of the "backend matches reference" tests of every backend.
// The batch helpers use the core's header-only types (core/types.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/types.hpp"

namespace mixcut::test {

// Standard normal CDF.
inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Kolmogorov-Smirnov statistic of samples against a continuous CDF.
inline double ks_statistic(std::vector<double> samples, const std::function<double(double)>& cdf) {
  std::sort(samples.begin(), samples.end());
  const double n = double(samples.size());
  double d = 0.0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const double f = cdf(samples[i]);
    d = std::max(d, std::max(double(i + 1) / n - f, f - double(i) / n));
  }
  return d;
}

// What a failed call must leave in an output it was given.
constexpr unsigned char kCanary = 0xAB;

inline bool all_bytes_are(const void* data, size_t bytes, unsigned char value) {
  const auto* p = static_cast<const unsigned char*>(data);
  return std::all_of(p, p + bytes, [value](unsigned char b) { return b == value; });
}

// Bytes prefilled with the canary; intact() says whether any was written.
class CanaryBuffer {
 public:
  explicit CanaryBuffer(size_t bytes) : bytes_(bytes, kCanary) {}
  void* data() { return bytes_.data(); }
  template <class T>
  T* as() {
    return reinterpret_cast<T*>(bytes_.data());
  }
  bool intact() const { return all_bytes_are(bytes_.data(), bytes_.size(), kCanary); }

 private:
  std::vector<unsigned char> bytes_;
};

// A buffer with kGuardBytes canary bytes on each side of its payload, which
// starts `misalign` bytes past a 16-byte boundary (1..3 misaligns a float).
// The payload starts as canary bytes too; guards_intact() says whether a
// call wrote next to it.
class GuardedBuffer {
 public:
  static constexpr size_t kGuardBytes = 64;
  explicit GuardedBuffer(size_t bytes, size_t misalign = 0)
      : bytes_(bytes), at_(kGuardBytes + misalign),
        storage_((bytes + 2 * kGuardBytes + misalign + 15) / 16 + 1) {
    std::memset(storage_.data(), kCanary, storage_.size() * 16);
  }
  unsigned char* data() { return base() + at_; }
  const unsigned char* data() const { return base() + at_; }
  size_t size() const { return bytes_; }
  std::vector<unsigned char> payload() const { return {data(), data() + bytes_}; }
  bool guards_intact() const {
    return all_bytes_are(base(), at_, kCanary) &&
           all_bytes_are(data() + bytes_, storage_.size() * 16 - at_ - bytes_, kCanary);
  }

 private:
  struct alignas(16) Block {
    unsigned char b[16];
  };
  unsigned char* base() { return storage_.data()->b; }
  const unsigned char* base() const { return storage_.data()->b; }
  size_t bytes_, at_;
  std::vector<Block> storage_;
};

// ---- Batches, plans and holes for the kernel tests of every backend.

constexpr uint8_t kPadByte = 0xA5;

struct Shape {
  int64_t n, c, h, w;
};

// A batch in its own buffer; the gap between samples (stride padding) holds
// kPadByte so that writes outside the samples are caught.
struct Batch {
  std::vector<unsigned char> bytes;
  Tensor t;

  Batch(const Shape& s, DType dtype, Layout layout, int64_t pad) {
    t.dtype = dtype;
    t.layout = layout;
    t.n = s.n, t.c = s.c, t.h = s.h, t.w = s.w;
    t.stride = s.c * s.h * s.w + pad;
    bytes.assign(size_t(std::max<int64_t>(1, t.n * t.stride) * elem_size(dtype)), kPadByte);
    t.data = bytes.data();
  }
  Batch(const Batch& other) : bytes(other.bytes), t(other.t) { t.data = bytes.data(); }

  void randomize(std::mt19937_64& rng) {
    const int64_t elems = t.sample_elems();
    for (int64_t i = 0; i < t.n; ++i) {
      if (t.dtype == DType::U8) {
        uint8_t* p = t.sample<uint8_t>(i);
        for (int64_t e = 0; e < elems; ++e) p[e] = uint8_t(rng() >> 56);
      } else {
        float* p = t.sample<float>(i);
        std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
        for (int64_t e = 0; e < elems; ++e) p[e] = dist(rng);
      }
    }
  }
};

// First differing byte, for a readable failure.
inline std::string first_difference(const Batch& got, const Batch& want) {
  for (size_t b = 0; b < got.bytes.size(); ++b) {
    if (got.bytes[b] != want.bytes[b]) {
      std::ostringstream os;
      const int64_t elem = int64_t(b) / elem_size(got.t.dtype);
      os << "first difference at element " << elem << " (sample " << elem / got.t.stride
         << ", offset " << elem % got.t.stride << ")";
      return os.str();
    }
  }
  return "";
}

enum class Pattern { Flip, Roll, Permutation, Explicit, Pairs };
inline const Pattern kPatterns[] = {Pattern::Flip, Pattern::Roll, Pattern::Permutation,
                                    Pattern::Explicit, Pattern::Pairs};
inline const char* pattern_name(Pattern p) {
  switch (p) {
    case Pattern::Flip:
      return "flip";
    case Pattern::Roll:
      return "roll";
    case Pattern::Permutation:
      return "permutation";
    case Pattern::Explicit:
      return "explicit";
    case Pattern::Pairs:
      return "pairs";
  }
  return "?";
}

inline std::vector<int64_t> partners(Pattern pattern, int64_t n, std::mt19937_64& rng) {
  std::vector<int64_t> j(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    switch (pattern) {
      case Pattern::Flip:
        j[size_t(i)] = n - 1 - i;
        break;
      case Pattern::Roll:
        j[size_t(i)] = (i - 1 + n) % n;
        break;
      case Pattern::Explicit:
        j[size_t(i)] = int64_t(rng() % uint64_t(n));
        break;
      default:
        j[size_t(i)] = i;
        break;
    }
  }
  if (pattern == Pattern::Permutation) std::shuffle(j.begin(), j.end(), rng);
  if (pattern == Pattern::Pairs) {  // timm's pair mode partners: (0,1), (2,3), ...
    for (int64_t i = 0; i + 1 < n; i += 2) j[size_t(i)] = i + 1, j[size_t(i + 1)] = i;
  }
  return j;
}

inline Box random_box(int64_t h, int64_t w, std::mt19937_64& rng) {
  Box box;
  switch (rng() % 5) {
    case 0:  // empty
      box.y0 = box.y1 = int32_t(rng() % uint64_t(h + 1));
      box.x0 = 0, box.x1 = int32_t(w);
      return box;
    case 1:  // whole image
      box.y1 = int32_t(h), box.x1 = int32_t(w);
      return box;
    case 2:  // touching the bottom-right border
      box.y0 = int32_t(rng() % uint64_t(h)), box.x0 = int32_t(rng() % uint64_t(w));
      box.y1 = int32_t(h), box.x1 = int32_t(w);
      return box;
    default: {
      const int64_t y0 = int64_t(rng() % uint64_t(h)), x0 = int64_t(rng() % uint64_t(w));
      box.y0 = int32_t(y0), box.x0 = int32_t(x0);
      box.y1 = int32_t(y0 + 1 + int64_t(rng() % uint64_t(h - y0)));
      box.x1 = int32_t(x0 + 1 + int64_t(rng() % uint64_t(w - x0)));
      return box;
    }
  }
}

// Per-sample (elem-mode) plan by hand: mixed kinds, lams on the 2^-14 grid
// (both ends included), boxes of every sort.
inline std::vector<MixSample> random_plan(const Shape& s, Pattern pattern, std::mt19937_64& rng) {
  const std::vector<int64_t> j = partners(pattern, s.n, rng);
  std::vector<MixSample> plan(static_cast<size_t>(s.n));
  for (int64_t i = 0; i < s.n; ++i) {
    MixSample& r = plan[size_t(i)];
    r.partner = j[size_t(i)];
    const uint64_t dice = rng() % 10;
    if (dice == 0) {
      r.partner = i;  // a NONE record as the planner writes it
      continue;
    }
    if (dice < 6) {
      r.kind = MixKind::Mixup;
      const uint64_t q_dice = rng() % 8;
      const int64_t q = q_dice == 0 ? 0 : q_dice == 1 ? kLamOne : int64_t(rng() % kLamOne);
      r.lam = float(double(q) / kLamOne);
    } else {
      r.kind = MixKind::CutMix;
      r.box = random_box(s.h, s.w, rng);
      r.lam = 1.0f - float(r.box.area()) / float(s.h * s.w);
    }
  }
  return plan;
}

struct Format {
  DType src_dtype, dst_dtype;
  Layout src_layout, dst_layout;
};

inline std::vector<Format> all_formats() {
  std::vector<Format> formats;
  const std::pair<DType, DType> dtypes[] = {
      {DType::U8, DType::U8}, {DType::F32, DType::F32}, {DType::U8, DType::F32}};
  for (const auto& [sd, dd] : dtypes) {
    for (Layout sl : {Layout::NCHW, Layout::NHWC}) {
      for (Layout dl : {Layout::NCHW, Layout::NHWC}) formats.push_back({sd, dd, sl, dl});
    }
  }
  return formats;
}

inline bool same_format(const Format& f) {
  return f.src_dtype == f.dst_dtype && f.src_layout == f.dst_layout;
}

// One case of a "backend matches reference" mix test.
struct MixCase {
  const Format& format;
  const Shape& shape;
  Pattern pattern;
  bool in_place;
  const std::vector<MixSample>& plan;
};

// The walk shared by the mix tests of every backend (cpu_kernels_test,
// cuda_grid_test, gpu/cuda_device_test): each dtype/layout pair, shape and
// partner pattern, with a fresh random_plan, out of place and in place (same
// format only). check(const MixCase&) runs one case and returns false to stop
// the walk (after a fatal failure).
template <class Shapes, class Patterns, class Check>
void for_each_mix_case(const Shapes& shapes, const Patterns& patterns, std::mt19937_64& rng,
                       Check check) {
  for (const Format& f : all_formats()) {
    for (const Shape& s : shapes) {
      for (Pattern p : patterns) {
        const std::vector<MixSample> plan = random_plan(s, p, rng);
        for (bool in_place : {false, true}) {
          if (in_place && !same_format(f)) continue;
          if (!check(MixCase{f, s, p, in_place, plan})) return;
        }
      }
    }
  }
}

inline const FillKind kFillKinds[] = {FillKind::Constant, FillKind::Channel, FillKind::Noise,
                                      FillKind::ChannelNoise};

// The cutout twin: each dtype/layout pair, shape and fill kind, out of place
// and in place (same format only); check(format, shape, kind, in_place)
// returns false to stop.
template <class Shapes, class Check>
void for_each_cutout_case(const Shapes& shapes, Check check) {
  for (const Format& f : all_formats()) {
    for (const Shape& s : shapes) {
      for (FillKind kind : kFillKinds) {
        for (bool in_place : {false, true}) {
          if (in_place && !same_format(f)) continue;
          if (!check(f, s, kind, in_place)) return;
        }
      }
    }
  }
}

// "u8NCHW->f32NHWC n=.. c=.. h=.. w=.. in place".
inline std::string describe_case(const Format& f, const Shape& s, bool in_place) {
  std::ostringstream os;
  os << (f.src_dtype == DType::U8 ? "u8" : "f32")
     << (f.src_layout == Layout::NCHW ? "NCHW" : "NHWC") << "->"
     << (f.dst_dtype == DType::U8 ? "u8" : "f32")
     << (f.dst_layout == Layout::NCHW ? "NCHW" : "NHWC") << " n=" << s.n << " c=" << s.c
     << " h=" << s.h << " w=" << s.w << (in_place ? " in place" : " out of place");
  return os.str();
}

inline Normalize random_norm(int64_t c, std::mt19937_64& rng) {
  Normalize norm;
  std::uniform_real_distribution<float> mean(0.0f, 1.0f), sd(0.1f, 0.5f);
  for (int64_t ch = 0; ch < c; ++ch) norm.mean.push_back(mean(rng)), norm.std.push_back(sd(rng));
  return norm;
}

// Holes sorted by sample, 0..3 per sample, some overlapping, some empty.
inline std::vector<CutoutHole> random_holes(const Shape& s, std::mt19937_64& rng) {
  std::vector<CutoutHole> holes;
  for (int64_t i = 0; i < s.n; ++i) {
    const uint64_t count = rng() % 4;
    for (uint64_t k = 0; k < count; ++k) {
      CutoutHole hole;
      hole.sample = i;
      hole.box = random_box(s.h, s.w, rng);
      if (rng() % 3 != 0 && s.h > 2 && s.w > 2) {  // mostly small holes, as in Cutout
        hole.box.y1 = std::min<int32_t>(hole.box.y1, hole.box.y0 + 5);
        hole.box.x1 = std::min<int32_t>(hole.box.x1, hole.box.x0 + 5);
      }
      hole.noise_key = rng();
      holes.push_back(hole);
    }
  }
  return holes;
}

inline Fill random_fill(FillKind kind, const Format& f, int64_t c, std::mt19937_64& rng) {
  Fill fill;
  fill.kind = kind;
  // Destination units; uint8 values include exact halves (round half to even).
  auto value = [&]() -> float {
    if (f.dst_dtype == DType::U8) return float(rng() % 510) / 2.0f;
    return std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng);
  };
  fill.value = value();
  for (int64_t ch = 0; ch < c; ++ch) fill.channel_values.push_back(value());
  return fill;
}

}  // namespace mixcut::test
