// The scalar reference kernels against an independent, element-by-element
// evaluation of the contract written here: the test's own index rule (not
// Tensor::offset), the uint8 blend as floor((q*a + (2^14-q)*b + 2^13) / 2^14)
// in double (exact: every term is an integer below 2^53), float32 blends and
// normalisation through volatile temporaries (two roundings, no FMA), and a
// painter that fills holes in order on a canonical (n, c, y, x) array.
#include "kernels/reference.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/formulas.hpp"
#include "kernels/noise.hpp"
#include "plan/plan.hpp"

namespace mixcut {
namespace {

constexpr uint8_t kSentinel = 0xA5;

struct Shape {
  int64_t n, c, h, w;
  int64_t sample_elems() const { return c * h * w; }
  int64_t canonical(int64_t i, int64_t ch, int64_t y, int64_t x) const {
    return ((i * c + ch) * h + y) * w + x;
  }
};

// The test's own element rule for a layout, written out independently.
int64_t element_in_sample(Layout layout, const Shape& s, int64_t ch, int64_t y, int64_t x) {
  if (layout == Layout::NCHW) return ch * s.h * s.w + y * s.w + x;
  return y * s.w * s.c + x * s.c + ch;
}

uint32_t float_bits(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

// A batch buffer; the padding between samples holds a sentinel that no kernel
// may overwrite.
class Buffer {
 public:
  Buffer(DType dtype, Layout layout, const Shape& shape, int64_t pad)
      : dtype_(dtype), layout_(layout), shape_(shape), stride_(shape.sample_elems() + pad) {
    const size_t bytes = static_cast<size_t>(stride_ * shape.n * elem_size(dtype));
    storage_.resize(bytes / sizeof(float) + 1);
    std::memset(storage_.data(), kSentinel, bytes);
    size_bytes_ = bytes;
  }

  Tensor tensor() {
    Tensor t;
    t.data = storage_.data();
    t.dtype = dtype_;
    t.layout = layout_;
    t.n = shape_.n;
    t.c = shape_.c;
    t.h = shape_.h;
    t.w = shape_.w;
    t.stride = stride_;
    return t;
  }

  unsigned char* bytes() { return reinterpret_cast<unsigned char*>(storage_.data()); }
  const unsigned char* bytes() const {
    return reinterpret_cast<const unsigned char*>(storage_.data());
  }
  std::vector<unsigned char> raw() const { return {bytes(), bytes() + size_bytes_}; }

  size_t byte_offset(int64_t i, int64_t ch, int64_t y, int64_t x) const {
    const int64_t element = i * stride_ + element_in_sample(layout_, shape_, ch, y, x);
    return static_cast<size_t>(element * elem_size(dtype_));
  }
  void set_u8(int64_t i, int64_t ch, int64_t y, int64_t x, uint8_t v) {
    bytes()[byte_offset(i, ch, y, x)] = v;
  }
  void set_f32(int64_t i, int64_t ch, int64_t y, int64_t x, float v) {
    std::memcpy(bytes() + byte_offset(i, ch, y, x), &v, sizeof v);
  }
  // The stored element as bits: the byte for uint8, the IEEE bits for float32.
  uint32_t bits(int64_t i, int64_t ch, int64_t y, int64_t x) const {
    if (dtype_ == DType::U8) return bytes()[byte_offset(i, ch, y, x)];
    uint32_t v;
    std::memcpy(&v, bytes() + byte_offset(i, ch, y, x), sizeof v);
    return v;
  }
  bool padding_untouched() const {
    const int64_t esize = elem_size(dtype_);
    for (int64_t i = 0; i < shape_.n; ++i) {
      for (int64_t e = shape_.sample_elems(); e < stride_; ++e) {
        for (int64_t b = 0; b < esize; ++b) {
          if (bytes()[(i * stride_ + e) * esize + b] != kSentinel) return false;
        }
      }
    }
    return true;
  }

 private:
  DType dtype_;
  Layout layout_;
  Shape shape_;
  int64_t stride_;
  size_t size_bytes_ = 0;
  std::vector<float> storage_;  // float storage keeps float32 elements aligned
};

// Source pixels in canonical (n, c, y, x) order.
struct Source {
  Shape shape;
  DType dtype;
  std::vector<uint8_t> u8;
  std::vector<float> f32;
};

Source random_source(DType dtype, const Shape& shape, std::mt19937_64& rng) {
  Source src{shape, dtype, {}, {}};
  const int64_t total = shape.n * shape.sample_elems();
  if (dtype == DType::U8) {
    std::uniform_int_distribution<int> byte(0, 255);
    for (int64_t e = 0; e < total; ++e) src.u8.push_back(uint8_t(byte(rng)));
    src.u8[0] = 0;
    src.u8.back() = 255;
  } else {
    std::normal_distribution<float> normal(0.0f, 50.0f);
    const float specials[] = {-0.0f, 0.0f, 1e-40f, -3e-39f, 255.0f, 1e30f, -7.5e-8f, 1.0f};
    for (int64_t e = 0; e < total; ++e) {
      src.f32.push_back(e % 13 == 5 ? specials[(e / 13) % 8] : normal(rng));
    }
  }
  return src;
}

Buffer to_buffer(const Source& src, Layout layout, int64_t pad) {
  Buffer buffer(src.dtype, layout, src.shape, pad);
  const Shape& s = src.shape;
  for (int64_t i = 0; i < s.n; ++i)
    for (int64_t ch = 0; ch < s.c; ++ch)
      for (int64_t y = 0; y < s.h; ++y)
        for (int64_t x = 0; x < s.w; ++x) {
          const int64_t at = s.canonical(i, ch, y, x);
          if (src.dtype == DType::U8) {
            buffer.set_u8(i, ch, y, x, src.u8[at]);
          } else {
            buffer.set_f32(i, ch, y, x, src.f32[at]);
          }
        }
  return buffer;
}

// ---- the contract, evaluated independently ---------------------------------

uint8_t expected_blend_u8(uint8_t a, uint8_t b, float lam) {
  const double q = std::round(double(lam) * 16384.0);
  return uint8_t(std::floor((q * a + (16384.0 - q) * b + 8192.0) / 16384.0));
}

float expected_blend_f32(float a, float b, float lam) {
  volatile float rest = 1.0f - lam;
  volatile float ta = a * lam;
  volatile float tb = b * rest;
  volatile float sum = ta + tb;
  return sum;
}

float expected_normalize(uint8_t v, float mean, float std) {
  volatile float scaled = float(v) / 255.0f;
  volatile float centred = scaled - mean;
  volatile float out = centred / std;
  return out;
}

float mean_of(const Normalize* norm, int64_t ch) {
  return norm == nullptr || norm->mean.empty() ? 0.0f : norm->mean[ch];
}
float std_of(const Normalize* norm, int64_t ch) {
  return norm == nullptr || norm->std.empty() ? 1.0f : norm->std[ch];
}

// A source-typed value converted to the destination, as bits.
uint32_t converted_u8(uint8_t v, DType dst, int64_t ch, const Normalize* norm) {
  if (dst == DType::U8) return v;
  return float_bits(expected_normalize(v, mean_of(norm, ch), std_of(norm, ch)));
}

uint32_t expected_mix_bits(const Source& src, const MixSample& r, int64_t i, int64_t ch, int64_t y,
                           int64_t x, DType dst, const Normalize* norm) {
  const Shape& s = src.shape;
  const int64_t ai = s.canonical(i, ch, y, x);
  const int64_t bi = s.canonical(r.partner, ch, y, x);
  const bool mixes = r.kind != MixKind::None && r.partner != i;
  const bool in_box = y >= r.box.y0 && y < r.box.y1 && x >= r.box.x0 && x < r.box.x1;
  if (src.dtype == DType::U8) {
    uint8_t v = src.u8[ai];
    if (mixes && r.kind == MixKind::Mixup) v = expected_blend_u8(v, src.u8[bi], r.lam);
    if (mixes && r.kind == MixKind::CutMix && in_box) v = src.u8[bi];
    return converted_u8(v, dst, ch, norm);
  }
  float v = src.f32[ai];
  if (mixes && r.kind == MixKind::Mixup) v = expected_blend_f32(v, src.f32[bi], r.lam);
  if (mixes && r.kind == MixKind::CutMix && in_box) v = src.f32[bi];
  return float_bits(v);
}

std::string where(int64_t i, int64_t ch, int64_t y, int64_t x) {
  std::ostringstream out;
  out << "sample " << i << " channel " << ch << " row " << y << " col " << x;
  return out.str();
}

// Runs reference::mix_apply out of place (and in place where allowed) and
// returns the first disagreement with the contract, or "" if none.
std::string check_mix(const std::vector<MixSample>& plan, const Source& src, Layout src_layout,
                      DType dst_dtype, Layout dst_layout, int64_t src_pad, int64_t dst_pad,
                      const Normalize* norm) {
  const Shape& s = src.shape;
  Buffer in = to_buffer(src, src_layout, src_pad);
  const std::vector<unsigned char> in_before = in.raw();
  Buffer out(dst_dtype, dst_layout, s, dst_pad);
  reference::mix_apply(plan.data(), in.tensor(), out.tensor(), norm);
  if (in.raw() != in_before) return "out of place: the source was modified";
  if (!out.padding_untouched()) return "out of place: padding between samples was written";

  const bool in_place_allowed = src.dtype == dst_dtype && src_layout == dst_layout;
  Buffer same = to_buffer(src, src_layout, src_pad);
  if (in_place_allowed) {
    reference::mix_apply(plan.data(), same.tensor(), same.tensor(), norm);
    if (!same.padding_untouched()) return "in place: padding between samples was written";
  }
  for (int64_t i = 0; i < s.n; ++i)
    for (int64_t ch = 0; ch < s.c; ++ch)
      for (int64_t y = 0; y < s.h; ++y)
        for (int64_t x = 0; x < s.w; ++x) {
          const uint32_t want = expected_mix_bits(src, plan[i], i, ch, y, x, dst_dtype, norm);
          if (out.bits(i, ch, y, x) != want) {
            std::ostringstream msg;
            msg << "out of place: " << where(i, ch, y, x) << " got bits " << out.bits(i, ch, y, x)
                << " want " << want << " (kind " << int(plan[i].kind) << ", partner "
                << plan[i].partner << ", lam " << plan[i].lam << ")";
            return msg.str();
          }
          if (in_place_allowed && same.bits(i, ch, y, x) != want) {
            return "in place differs from out of place at " + where(i, ch, y, x);
          }
        }
  return "";
}

enum class Pattern { Flip, Roll, Permutation, AllZero };

std::vector<int64_t> make_partners(Pattern pattern, int64_t n, std::mt19937_64& rng) {
  std::vector<int64_t> j(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    switch (pattern) {
      case Pattern::Flip:
        j[i] = n - 1 - i;
        break;
      case Pattern::Roll:
        j[i] = (i - 1 + n) % n;
        break;
      case Pattern::Permutation:
        j[i] = i;
        break;
      case Pattern::AllZero:
        j[i] = 0;
        break;
    }
  }
  if (pattern == Pattern::Permutation) std::shuffle(j.begin(), j.end(), rng);
  return j;
}

enum class KindChoice { None, Mixup, CutMix, Mixed };

Box random_box(int64_t h, int64_t w, std::mt19937_64& rng) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return int32_t(std::uniform_int_distribution<int64_t>(lo, hi)(rng));
  };
  Box box;
  box.y0 = pick(0, h);
  box.y1 = pick(box.y0, h);
  box.x0 = pick(0, w);
  box.x1 = pick(box.x0, w);
  return box;
}

// Hand-built plan: lam on the 2^-14 grid (with 0 and 1 among them), random
// boxes that include empty ones, the full image and the borders.
std::vector<MixSample> make_plan(KindChoice choice, const std::vector<int64_t>& partners, int64_t h,
                                 int64_t w, std::mt19937_64& rng) {
  const int64_t n = int64_t(partners.size());
  std::vector<MixSample> plan(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    MixSample& r = plan[i];
    r.partner = partners[i];
    switch (choice) {
      case KindChoice::None:
        r.kind = MixKind::None;
        break;
      case KindChoice::Mixup:
        r.kind = MixKind::Mixup;
        break;
      case KindChoice::CutMix:
        r.kind = MixKind::CutMix;
        break;
      case KindChoice::Mixed:
        r.kind = MixKind(std::uniform_int_distribution<int>(0, 2)(rng));
    }
    if (r.kind == MixKind::Mixup) {
      int32_t q = std::uniform_int_distribution<int32_t>(0, kLamOne)(rng);
      if (i % 5 == 1) q = 0;
      if (i % 5 == 2) q = kLamOne;
      r.lam = float(q) / float(kLamOne);
    } else if (r.kind == MixKind::CutMix) {
      r.box = random_box(h, w, rng);
      if (i % 7 == 3) r.box = {0, 0, int32_t(h), int32_t(w)};
      if (i % 7 == 4) r.box = {int32_t(h - 1), int32_t(w - 1), int32_t(h), int32_t(w)};
      if (i % 7 == 5) r.box = {0, 0, 1, 1};
      if (i % 7 == 6) r.box = {int32_t(h / 2), 0, int32_t(h / 2), int32_t(w)};  // empty
      r.lam = float(1.0 - double(r.box.area()) / double(h * w));
    }
  }
  return plan;
}

struct DtypePair {
  DType src, dst;
};
const DtypePair kDtypePairs[] = {
    {DType::U8, DType::U8}, {DType::F32, DType::F32}, {DType::U8, DType::F32}};
const Layout kLayouts[] = {Layout::NCHW, Layout::NHWC};

// ImageNet statistics, one of the three normalisations the matrix rotates.
Normalize imagenet(int64_t c) {
  const float mean[] = {0.485f, 0.456f, 0.406f, 0.5f};
  const float std[] = {0.229f, 0.224f, 0.225f, 0.25f};
  return Normalize{{mean, mean + c}, {std, std + c}};
}

const Normalize* pick_norm(int64_t config, const Normalize& full, const Normalize& empty) {
  switch (config % 3) {
    case 0:
      return nullptr;
    case 1:
      return &empty;
    default:
      return &full;
  }
}

TEST(ReferenceMix, MatchesContractForEveryKindDtypeLayoutShapeAndPartnerPattern) {
  std::mt19937_64 rng(20240611);
  const int64_t sizes[] = {1, 2, 3, 17};
  const int64_t batch_sizes[] = {1, 2, 3, 64};
  const Pattern patterns[] = {Pattern::Flip, Pattern::Roll, Pattern::Permutation, Pattern::AllZero};
  const KindChoice kinds[] = {KindChoice::None, KindChoice::Mixup, KindChoice::CutMix,
                              KindChoice::Mixed};
  const Normalize empty_norm;
  int64_t config = 0;
  for (KindChoice kind : kinds)
    for (const DtypePair& pair : kDtypePairs)
      for (Layout src_layout : kLayouts)
        for (Layout dst_layout : kLayouts)
          for (int64_t h : sizes)
            for (int64_t w : sizes)
              for (int64_t n : batch_sizes)
                for (Pattern pattern : patterns) {
                  ++config;
                  const int64_t c = 1 + config % 4;
                  const Shape shape{n, c, h, w};
                  const Source src = random_source(pair.src, shape, rng);
                  const std::vector<MixSample> plan =
                      make_plan(kind, make_partners(pattern, n, rng), h, w, rng);
                  const Normalize full_norm = imagenet(c);
                  const Normalize* norm =
                      pair.dst != pair.src ? pick_norm(config, full_norm, empty_norm) : nullptr;
                  const int64_t src_pad = config % 2 == 0 ? 0 : 3;
                  const int64_t dst_pad = config % 4 < 2 ? 5 : 0;
                  const std::string error = check_mix(plan, src, src_layout, pair.dst, dst_layout,
                                                      src_pad, dst_pad, norm);
                  ASSERT_EQ(error, "") << "kind " << int(kind) << " dtypes " << int(pair.src)
                                       << "->" << int(pair.dst) << " layouts " << int(src_layout)
                                       << "->" << int(dst_layout) << " n=" << n << " c=" << c
                                       << " h=" << h << " w=" << w << " pattern " << int(pattern);
                }
}

// A 3-cycle done in place must read the original partners, not outputs.
TEST(ReferenceMix, InPlaceCycleReadsOriginalPixels) {
  const Shape shape{3, 1, 1, 2};
  Source src{shape, DType::U8, {10, 20, 30, 40, 50, 60}, {}};
  std::vector<MixSample> plan(3);
  for (int64_t i = 0; i < 3; ++i) {
    plan[i].partner = (i + 1) % 3;
    plan[i].kind = MixKind::CutMix;
    plan[i].box = {0, 0, 1, 2};  // whole image: out_i = x_{i+1}
    plan[i].lam = 0.0f;
  }
  Buffer buffer = to_buffer(src, Layout::NCHW, 0);
  reference::mix_apply(plan.data(), buffer.tensor(), buffer.tensor(), nullptr);
  const uint32_t want[3][2] = {{30, 40}, {50, 60}, {10, 20}};
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t x = 0; x < 2; ++x) EXPECT_EQ(buffer.bits(i, 0, 0, x), want[i][x]);
  }
}

// The uint8 blend rounds the exact weighted mean half up, for every pair of
// bytes: the fixed-point formula loses nothing.
TEST(ReferenceMix, U8BlendIsRoundHalfUpOfExactBlend) {
  const int32_t weights[] = {0, 1, 4096, 8191, 8192, 8193, 12345, 16383, 16384};
  for (int32_t q : weights) {
    for (int a = 0; a < 256; ++a) {
      for (int b = 0; b < 256; ++b) {
        const double exact = (double(q) * a + double(kLamOne - q) * b) / kLamOne;
        ASSERT_EQ(int(formulas::blend_u8(uint8_t(a), uint8_t(b), q)), int(std::floor(exact + 0.5)))
            << "q=" << q << " a=" << a << " b=" << b;
      }
    }
  }
}

TEST(ReferenceMix, MixupWeightsMatchLam) {
  // lam = 0.25 on the grid: out = round_half_up(0.25*a + 0.75*b).
  const Shape shape{2, 1, 1, 3};
  Source src{shape, DType::U8, {0, 100, 255, 4, 2, 1}, {}};
  std::vector<MixSample> plan(2);
  plan[0] = {1, 0.25f, MixKind::Mixup, {}};
  plan[1] = {0, 0.75f, MixKind::Mixup, {}};
  Buffer in = to_buffer(src, Layout::NCHW, 0);
  Buffer out(DType::U8, Layout::NCHW, shape, 0);
  reference::mix_apply(plan.data(), in.tensor(), out.tensor(), nullptr);
  // 0.25*0 + 0.75*4 = 3; 0.25*100 + 0.75*2 = 26.5 -> 27; 0.25*255 + 0.75*1 = 64.5 -> 65.
  EXPECT_EQ(out.bits(0, 0, 0, 0), 3u);
  EXPECT_EQ(out.bits(0, 0, 0, 1), 27u);
  EXPECT_EQ(out.bits(0, 0, 0, 2), 65u);
  // 0.75*4 + 0.25*0 = 3; 0.75*2 + 0.25*100 = 26.5 -> 27; 0.75*1 + 0.25*255 = 64.5 -> 65.
  EXPECT_EQ(out.bits(1, 0, 0, 0), 3u);
  EXPECT_EQ(out.bits(1, 0, 0, 1), 27u);
  EXPECT_EQ(out.bits(1, 0, 0, 2), 65u);
}

TEST(ReferenceMix, NormalisationFollowsToTensorThenNormalize) {
  const Shape shape{1, 2, 1, 3};
  Source src{shape, DType::U8, {0, 255, 51, 0, 255, 128}, {}};
  std::vector<MixSample> plan(1);
  plan[0].partner = 0;
  Normalize norm{{0.5f, 0.0f}, {0.5f, 2.0f}};
  Buffer in = to_buffer(src, Layout::NHWC, 0);
  Buffer out(DType::F32, Layout::NCHW, shape, 0);
  reference::mix_apply(plan.data(), in.tensor(), out.tensor(), &norm);
  auto value = [&](int64_t ch, int64_t x) {
    const uint32_t bits = out.bits(0, ch, 0, x);
    float v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  };
  EXPECT_EQ(value(0, 0), -1.0f);
  EXPECT_EQ(value(0, 1), 1.0f);
  EXPECT_EQ(value(0, 2), expected_normalize(51, 0.5f, 0.5f));
  EXPECT_NEAR(value(0, 2), (51.0 / 255.0 - 0.5) / 0.5, 1e-6);
  EXPECT_EQ(value(1, 0), 0.0f);
  EXPECT_EQ(value(1, 1), 0.5f);
  EXPECT_NEAR(value(1, 2), 128.0 / 255.0 / 2.0, 1e-6);
}

// ---- Cutout ----------------------------------------------------------------

double round_half_even(double v) {
  const double f = std::floor(v);
  const double frac = v - f;
  if (frac > 0.5) return f + 1;
  if (frac < 0.5) return f;
  return std::fmod(f, 2.0) == 0.0 ? f : f + 1;
}

uint32_t fill_bits(float value, DType dst) {
  return dst == DType::U8 ? uint32_t(round_half_even(value)) : float_bits(value);
}

// Canonical expected destination: converted source, then holes in order.
std::vector<uint32_t> paint(const Source& src, const std::vector<CutoutHole>& holes,
                            const Fill& fill, DType dst, const Normalize* norm) {
  const Shape& s = src.shape;
  std::vector<uint32_t> out(static_cast<size_t>(s.n * s.sample_elems()));
  for (int64_t i = 0; i < s.n; ++i)
    for (int64_t ch = 0; ch < s.c; ++ch)
      for (int64_t e = 0; e < s.h * s.w; ++e) {
        const int64_t at = s.canonical(i, ch, 0, 0) + e;
        out[at] = src.dtype == DType::U8 ? converted_u8(src.u8[at], dst, ch, norm)
                                         : float_bits(src.f32[at]);
      }
  for (const CutoutHole& hole : holes) {
    for (int64_t ch = 0; ch < s.c; ++ch)
      for (int64_t y = hole.box.y0; y < hole.box.y1; ++y)
        for (int64_t x = hole.box.x0; x < hole.box.x1; ++x) {
          const int64_t e = (ch * s.h + y) * s.w + x;
          uint32_t v = 0;
          switch (fill.kind) {
            case FillKind::Constant:
              v = fill_bits(fill.value, dst);
              break;
            case FillKind::Channel:
              v = fill_bits(fill.channel_values[ch], dst);
              break;
            case FillKind::Noise:
              v = dst == DType::U8 ? noise_u8(hole.noise_key, e)
                                   : float_bits(noise_f32(hole.noise_key, e));
              break;
            case FillKind::ChannelNoise:
              v = dst == DType::U8
                      ? noise_u8<Purpose::ChannelNoise>(hole.noise_key, ch)
                      : float_bits(noise_f32<Purpose::ChannelNoise>(hole.noise_key, ch));
              break;
          }
          out[s.canonical(hole.sample, ch, y, x)] = v;
        }
  }
  return out;
}

std::string check_cutout(const std::vector<CutoutHole>& holes, const Fill& fill, const Source& src,
                         Layout src_layout, DType dst_dtype, Layout dst_layout, int64_t src_pad,
                         int64_t dst_pad, const Normalize* norm) {
  const Shape& s = src.shape;
  const std::vector<uint32_t> want = paint(src, holes, fill, dst_dtype, norm);
  Buffer in = to_buffer(src, src_layout, src_pad);
  const std::vector<unsigned char> in_before = in.raw();
  Buffer out(dst_dtype, dst_layout, s, dst_pad);
  reference::cutout_apply(holes.data(), int64_t(holes.size()), fill, in.tensor(), out.tensor(),
                          norm);
  if (in.raw() != in_before) return "out of place: the source was modified";
  if (!out.padding_untouched()) return "out of place: padding between samples was written";
  const bool in_place_allowed = src.dtype == dst_dtype && src_layout == dst_layout;
  Buffer same = to_buffer(src, src_layout, src_pad);
  if (in_place_allowed) {
    reference::cutout_apply(holes.data(), int64_t(holes.size()), fill, same.tensor(), same.tensor(),
                            norm);
    if (!same.padding_untouched()) return "in place: padding between samples was written";
  }
  for (int64_t i = 0; i < s.n; ++i)
    for (int64_t ch = 0; ch < s.c; ++ch)
      for (int64_t y = 0; y < s.h; ++y)
        for (int64_t x = 0; x < s.w; ++x) {
          const uint32_t expected = want[s.canonical(i, ch, y, x)];
          if (out.bits(i, ch, y, x) != expected) {
            std::ostringstream msg;
            msg << "out of place: " << where(i, ch, y, x) << " got bits " << out.bits(i, ch, y, x)
                << " want " << expected;
            return msg.str();
          }
          if (in_place_allowed && same.bits(i, ch, y, x) != expected) {
            return "in place differs at " + where(i, ch, y, x);
          }
        }
  return "";
}

// Holes ordered by sample: random (some empty, some overlapping), plus a
// corner hole and an image-wide row for some samples.
std::vector<CutoutHole> make_holes(const Shape& s, std::mt19937_64& rng) {
  std::vector<CutoutHole> holes;
  for (int64_t i = 0; i < s.n; ++i) {
    const int count = std::uniform_int_distribution<int>(0, 4)(rng);
    for (int k = 0; k < count; ++k) {
      CutoutHole hole;
      hole.sample = i;
      hole.box = random_box(s.h, s.w, rng);
      hole.noise_key = rng();
      holes.push_back(hole);
    }
    if (i % 2 == 0) {
      holes.push_back({i, {int32_t(s.h - 1), int32_t(s.w - 1), int32_t(s.h), int32_t(s.w)}, rng()});
      holes.push_back({i, {0, 0, 1, int32_t(s.w)}, rng()});
      holes.push_back({i, {0, 0, int32_t(s.h), 0}, rng()});  // empty
    }
  }
  return holes;
}

TEST(ReferenceCutout, MatchesPainterForEveryFillDtypeAndLayout) {
  std::mt19937_64 rng(77);
  const int64_t sizes[] = {1, 3, 17};
  const int64_t batch_sizes[] = {1, 3};
  const FillKind kinds[] = {FillKind::Constant, FillKind::Channel, FillKind::Noise,
                            FillKind::ChannelNoise};
  const Normalize empty_norm;
  int64_t config = 0;
  for (FillKind kind : kinds)
    for (const DtypePair& pair : kDtypePairs)
      for (Layout src_layout : kLayouts)
        for (Layout dst_layout : kLayouts)
          for (int64_t h : sizes)
            for (int64_t w : sizes)
              for (int64_t n : batch_sizes) {
                ++config;
                const int64_t c = 1 + config % 4;
                const Shape shape{n, c, h, w};
                const Source src = random_source(pair.src, shape, rng);
                Fill fill;
                fill.kind = kind;
                // Ties in uint8 units check round half to even.
                fill.value = pair.dst == DType::U8 ? (config % 2 ? 2.5f : 3.5f) : -1.75f;
                fill.channel_values = pair.dst == DType::U8
                                          ? std::vector<float>{0.5f, 254.5f, 17.4f, 255.0f}
                                          : std::vector<float>{0.1f, -2.0f, 3e-3f, 1e20f};
                fill.channel_values.resize(static_cast<size_t>(c));
                const Normalize full_norm = imagenet(c);
                const Normalize* norm =
                    pair.dst != pair.src ? pick_norm(config, full_norm, empty_norm) : nullptr;
                const std::string error =
                    check_cutout(make_holes(shape, rng), fill, src, src_layout, pair.dst,
                                 dst_layout, config % 2 ? 2 : 0, config % 3 ? 0 : 4, norm);
                ASSERT_EQ(error, "")
                    << "fill " << int(kind) << " dtypes " << int(pair.src) << "->" << int(pair.dst)
                    << " layouts " << int(src_layout) << "->" << int(dst_layout) << " n=" << n
                    << " c=" << c << " h=" << h << " w=" << w;
              }
}

TEST(ReferenceCutout, ConstantRoundsHalfToEvenForU8) {
  const Shape shape{1, 1, 1, 1};
  const Source src{shape, DType::U8, {9}, {}};
  const std::vector<CutoutHole> holes = {{0, {0, 0, 1, 1}, 0}};
  const std::pair<float, uint32_t> cases[] = {{2.5f, 2}, {3.5f, 4},     {254.5f, 254}, {0.4f, 0},
                                              {0.5f, 0}, {255.0f, 255}, {127.6f, 128}};
  for (const auto& [value, want] : cases) {
    Fill fill;
    fill.value = value;
    Buffer in = to_buffer(src, Layout::NCHW, 0);
    Buffer out(DType::U8, Layout::NCHW, shape, 0);
    reference::cutout_apply(holes.data(), 1, fill, in.tensor(), out.tensor(), nullptr);
    EXPECT_EQ(out.bits(0, 0, 0, 0), want) << "value " << value;
  }
}

TEST(ReferenceCutout, LaterHolesWinWhereTheyOverlap) {
  const Shape shape{1, 1, 4, 4};
  Source src{shape, DType::F32, std::vector<uint8_t>{}, std::vector<float>(16, 7.0f)};
  const std::vector<CutoutHole> holes = {{0, {0, 0, 3, 3}, 1}, {0, {1, 1, 4, 4}, 2}};
  Fill fill;
  fill.kind = FillKind::ChannelNoise;
  Buffer in = to_buffer(src, Layout::NCHW, 0);
  reference::cutout_apply(holes.data(), 2, fill, in.tensor(), in.tensor(), nullptr);
  const float first = noise_f32<Purpose::ChannelNoise>(1, 0);
  const float second = noise_f32<Purpose::ChannelNoise>(2, 0);
  ASSERT_NE(first, second);
  auto at = [&](int64_t y, int64_t x) {
    const uint32_t bits = in.bits(0, 0, y, x);
    float v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  };
  EXPECT_EQ(at(0, 0), first);
  EXPECT_EQ(at(2, 0), first);
  EXPECT_EQ(at(1, 1), second);  // overlap
  EXPECT_EQ(at(2, 2), second);  // overlap
  EXPECT_EQ(at(3, 3), second);
  EXPECT_EQ(at(0, 3), 7.0f);
  EXPECT_EQ(at(3, 0), 7.0f);
}

TEST(ReferenceCutout, NoiseIsTheSameInEveryLayout) {
  const Shape shape{2, 3, 5, 7};
  std::mt19937_64 rng(5);
  const Source src = random_source(DType::U8, shape, rng);
  const std::vector<CutoutHole> holes = {{0, {1, 2, 4, 7}, 11}, {1, {0, 0, 5, 7}, 12}};
  for (DType dst : {DType::U8, DType::F32}) {
    Fill fill;
    fill.kind = FillKind::Noise;
    Buffer chw_in = to_buffer(src, Layout::NCHW, 0), hwc_in = to_buffer(src, Layout::NHWC, 0);
    Buffer chw(dst, Layout::NCHW, shape, 0), hwc(dst, Layout::NHWC, shape, 0);
    reference::cutout_apply(holes.data(), 2, fill, chw_in.tensor(), chw.tensor(), nullptr);
    reference::cutout_apply(holes.data(), 2, fill, hwc_in.tensor(), hwc.tensor(), nullptr);
    int64_t differs_from_source = 0;
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t y = 0; y < 5; ++y)
        for (int64_t x = 0; x < 7; ++x) {
          ASSERT_EQ(chw.bits(1, ch, y, x), hwc.bits(1, ch, y, x)) << where(1, ch, y, x);
          ASSERT_EQ(chw.bits(0, ch, y, x), hwc.bits(0, ch, y, x)) << where(0, ch, y, x);
          differs_from_source +=
              dst == DType::U8 && chw.bits(1, ch, y, x) != src.u8[shape.canonical(1, ch, y, x)];
        }
    if (dst == DType::U8) {
      EXPECT_GT(differs_from_source, 90);  // of 105: noise, not a copy
    }
  }
}

}  // namespace
}  // namespace mixcut
