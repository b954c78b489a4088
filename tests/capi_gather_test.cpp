// The gather entry points (mixcut_mix_apply_gather, mixcut_cutout_apply_gather)
// against stack-then-apply, byte for byte, and their refusal of bad input.
#include <gtest/gtest.h>
#include <mixcut/mixcut.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

using mixcut::test::all_bytes_are;
using mixcut::test::kCanary;

struct Shape {
  int64_t n, c, h, w;
  int64_t sample_elems() const { return c * h * w; }
};

mixcut_tensor Tensor(void* data, int32_t dtype, int32_t layout, const Shape& s) {
  mixcut_tensor t;
  std::memset(&t, 0, sizeof t);
  t.data = data;
  t.dtype = dtype;
  t.layout = layout;
  t.n = s.n;
  t.c = s.c;
  t.h = s.h;
  t.w = s.w;
  return t;
}

size_t ElemSize(int32_t dtype) { return dtype == MIXCUT_UINT8 ? 1 : 4; }

// Deterministic bytes; float32 buffers get finite values in [0, 1).
void Fill(std::vector<unsigned char>& bytes, int32_t dtype, uint32_t salt) {
  uint32_t x = 2463534242u ^ (salt * 2654435761u);
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  if (dtype == MIXCUT_UINT8) {
    for (auto& b : bytes) b = uint8_t(next() >> 24);
    return;
  }
  for (size_t e = 0; e + 4 <= bytes.size(); e += 4) {
    const float v = float(next() >> 8) / float(1 << 24);
    std::memcpy(&bytes[e], &v, 4);
  }
}

// n samples, each in its own allocation (as a loader holds them), and the
// same samples stacked into one batch.
struct Samples {
  std::vector<std::unique_ptr<std::vector<unsigned char>>> own;
  std::vector<const void*> ptrs;
  std::vector<unsigned char> stacked;

  Samples(const Shape& s, int32_t dtype, uint32_t salt) {
    const size_t bytes = size_t(s.sample_elems()) * ElemSize(dtype);
    stacked.resize(bytes * size_t(s.n));
    for (int64_t i = 0; i < s.n; ++i) {
      own.push_back(std::make_unique<std::vector<unsigned char>>(bytes));
      Fill(*own.back(), dtype, salt + uint32_t(i));
      ptrs.push_back(own.back()->data());
      std::memcpy(&stacked[size_t(i) * bytes], own.back()->data(), bytes);
    }
  }
};

std::vector<mixcut_mix_sample> MixPlan(int32_t partner, const Shape& s, uint64_t step,
                                       const std::vector<int64_t>& explicit_partners = {}) {
  mixcut_mix_policy p;
  EXPECT_EQ(mixcut_mix_policy_init(&p), MIXCUT_OK);
  p.cutmix_alpha = 1.0f;
  p.mode = MIXCUT_MODE_ELEM;
  p.partner = partner;
  p.partner_index = explicit_partners.empty() ? nullptr : explicit_partners.data();
  std::vector<mixcut_mix_sample> plan(size_t(s.n));
  EXPECT_EQ(mixcut_mix_plan(&p, 11, step, s.n, s.h, s.w, plan.data()), MIXCUT_OK)
      << mixcut_last_error();
  return plan;
}

std::vector<mixcut_cutout_hole> Holes(const Shape& s, uint64_t step) {
  mixcut_cutout_policy p;
  EXPECT_EQ(mixcut_cutout_policy_init(&p), MIXCUT_OK);
  p.min_count = 0;
  p.max_count = 3;
  p.length = int32_t(std::min(s.h, s.w) / 2);
  std::vector<mixcut_cutout_hole> holes(size_t(s.n * p.max_count));
  int64_t count = 0;
  EXPECT_EQ(mixcut_cutout_plan(&p, 5, step, s.n, s.h, s.w, holes.data(), &count), MIXCUT_OK);
  holes.resize(size_t(count));
  return holes;
}

struct Pair {
  int32_t src_dtype, dst_dtype;
  bool norm;
};
const Pair kPairs[] = {{MIXCUT_UINT8, MIXCUT_UINT8, false},
                       {MIXCUT_FLOAT32, MIXCUT_FLOAT32, false},
                       {MIXCUT_UINT8, MIXCUT_FLOAT32, false},
                       {MIXCUT_UINT8, MIXCUT_FLOAT32, true}};
const float kMean[3] = {0.485f, 0.456f, 0.406f}, kStd[3] = {0.229f, 0.224f, 0.225f};

// Every ISA level the CPU has, 1 and 2 threads, streaming on and off; fn
// gets the configured ctx.
template <class Fn>
void ForEachCtx(Fn&& fn) {
  mixcut_ctx* ctx = nullptr;
  ASSERT_EQ(mixcut_ctx_create(&ctx), MIXCUT_OK);
  for (int64_t isa = MIXCUT_ISA_SCALAR; isa <= MIXCUT_ISA_AVX512; ++isa) {
    for (int64_t threads : {1, 2}) {
      const int64_t stream = (isa + threads) % 2 == 0 ? 0 : INT64_MAX;
      SCOPED_TRACE(testing::Message() << "isa cap " << isa << ", " << threads
                                      << " threads, stream threshold " << stream);
      ASSERT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_MAX_ISA, isa), MIXCUT_OK);
      ASSERT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_NUM_THREADS, threads), MIXCUT_OK);
      ASSERT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_STREAM_THRESHOLD, stream), MIXCUT_OK);
      fn(ctx);
    }
  }
  mixcut_ctx_destroy(ctx);
}

// At every ctx of ForEachCtx: stacked(ctx, &src, &dst) on the stacked batch
// and gathered(ctx, sample pointers, &src without data, &dst) into a canary
// batch of the same format must both succeed and write the same bytes.
template <class Stacked, class Gathered>
void ExpectGatherEqualsStacked(const Samples& in, const Pair& pair, int32_t in_layout,
                               int32_t out_layout, const Shape& s, Stacked&& stacked,
                               Gathered&& gathered) {
  const size_t out_bytes = size_t(s.n * s.sample_elems()) * ElemSize(pair.dst_dtype);
  ForEachCtx([&](mixcut_ctx* ctx) {
    std::vector<unsigned char> want(out_bytes, 0), got(out_bytes, kCanary);
    mixcut_tensor src =
        Tensor(const_cast<unsigned char*>(in.stacked.data()), pair.src_dtype, in_layout, s);
    const mixcut_tensor dw = Tensor(want.data(), pair.dst_dtype, out_layout, s);
    ASSERT_EQ(stacked(ctx, &src, &dw), MIXCUT_OK) << mixcut_last_error();
    src.data = nullptr;
    const mixcut_tensor dg = Tensor(got.data(), pair.dst_dtype, out_layout, s);
    ASSERT_EQ(gathered(ctx, in.ptrs.data(), &src, &dg), MIXCUT_OK) << mixcut_last_error();
    ASSERT_EQ(std::memcmp(want.data(), got.data(), out_bytes), 0);
  });
}

// Gathered == stacked then applied, over dtype pairs, layout pairs, partner
// rules (explicit with a 3-cycle, a fixed point and a shared partner) and
// every ctx of ForEachCtx. 13 x 17 pixels: odd rows; 150 x 120: several tiles.
TEST(CapiGather, MixEqualsStackThenApply) {
  for (const Shape s : {Shape{7, 3, 13, 17}, Shape{4, 3, 150, 120}}) {
    const std::vector<int64_t> explicit_partners = [&] {
      std::vector<int64_t> p(size_t(s.n));
      std::iota(p.begin(), p.end(), 0);
      p[0] = 1, p[1] = 2, p[2] = 0, p[3] = 1;  // a 3-cycle and a shared partner
      return p;
    }();
    for (const Pair& pair : kPairs) {
      for (int32_t in_layout : {MIXCUT_NCHW, MIXCUT_NHWC}) {
        for (int32_t out_layout : {MIXCUT_NCHW, MIXCUT_NHWC}) {
          for (int32_t rule : {MIXCUT_PARTNER_FLIP, MIXCUT_PARTNER_ROLL, MIXCUT_PARTNER_PERMUTATION,
                               MIXCUT_PARTNER_EXPLICIT}) {
            SCOPED_TRACE(testing::Message()
                         << "h " << s.h << ", dtypes " << pair.src_dtype << "->" << pair.dst_dtype
                         << " norm " << pair.norm << ", layouts " << in_layout << "->" << out_layout
                         << ", partner rule " << rule);
            const Samples in(s, pair.src_dtype, uint32_t(rule * 17 + in_layout));
            const auto plan = MixPlan(
                rule, s, uint64_t(rule + in_layout),
                rule == MIXCUT_PARTNER_EXPLICIT ? explicit_partners : std::vector<int64_t>{});
            const mixcut_normalize norm{kMean, kStd};
            const mixcut_normalize* np = pair.norm ? &norm : nullptr;
            ExpectGatherEqualsStacked(
                in, pair, in_layout, out_layout, s,
                [&](mixcut_ctx* ctx, const mixcut_tensor* src, const mixcut_tensor* dst) {
                  return mixcut_mix_apply(ctx, plan.data(), src, dst, np);
                },
                [&](mixcut_ctx* ctx, const void* const* samples, const mixcut_tensor* src,
                    const mixcut_tensor* dst) {
                  return mixcut_mix_apply_gather(ctx, plan.data(), samples, src, dst, np);
                });
          }
        }
      }
    }
  }
}

TEST(CapiGather, CutoutEqualsStackThenApply) {
  const mixcut_fill fills[] = {{MIXCUT_FILL_CONSTANT, 0.5f, nullptr},
                               {MIXCUT_FILL_CHANNEL, 0.0f, kMean},
                               {MIXCUT_FILL_NOISE, 0.0f, nullptr},
                               {MIXCUT_FILL_CHANNEL_NOISE, 0.0f, nullptr}};
  for (const Shape s : {Shape{5, 3, 13, 17}, Shape{3, 3, 150, 120}}) {
    const auto holes = Holes(s, uint64_t(s.h));
    for (const Pair& pair : kPairs) {
      for (int32_t in_layout : {MIXCUT_NCHW, MIXCUT_NHWC}) {
        for (int32_t out_layout : {MIXCUT_NCHW, MIXCUT_NHWC}) {
          for (const mixcut_fill& fill : fills) {
            if (pair.dst_dtype == MIXCUT_UINT8 && fill.kind == MIXCUT_FILL_CONSTANT) continue;
            SCOPED_TRACE(testing::Message()
                         << "h " << s.h << ", dtypes " << pair.src_dtype << "->" << pair.dst_dtype
                         << " norm " << pair.norm << ", layouts " << in_layout << "->" << out_layout
                         << ", fill " << fill.kind);
            const Samples in(s, pair.src_dtype, uint32_t(fill.kind * 7 + in_layout));
            const mixcut_normalize norm{kMean, kStd};
            const mixcut_normalize* np = pair.norm ? &norm : nullptr;
            const int64_t num_holes = int64_t(holes.size());
            ExpectGatherEqualsStacked(
                in, pair, in_layout, out_layout, s,
                [&](mixcut_ctx* ctx, const mixcut_tensor* src, const mixcut_tensor* dst) {
                  return mixcut_cutout_apply(ctx, holes.data(), num_holes, &fill, src, dst, np);
                },
                [&](mixcut_ctx* ctx, const void* const* samples, const mixcut_tensor* src,
                    const mixcut_tensor* dst) {
                  return mixcut_cutout_apply_gather(ctx, holes.data(), num_holes, &fill, samples,
                                                    src, dst, np);
                });
          }
        }
      }
    }
  }
}

// The same sample may appear twice (samples are only read).
TEST(CapiGather, RepeatedSamplePointersAreFine) {
  const Shape s{4, 3, 9, 11};
  Samples in(s, MIXCUT_UINT8, 3);
  in.ptrs[2] = in.ptrs[0];
  std::memcpy(&in.stacked[2 * size_t(s.sample_elems())], in.ptrs[0], size_t(s.sample_elems()));
  const auto plan = MixPlan(MIXCUT_PARTNER_FLIP, s, 1);
  std::vector<unsigned char> want(in.stacked.size()), got(in.stacked.size(), kCanary);
  mixcut_tensor src = Tensor(in.stacked.data(), MIXCUT_UINT8, MIXCUT_NCHW, s);
  const mixcut_tensor dw = Tensor(want.data(), MIXCUT_UINT8, MIXCUT_NCHW, s);
  const mixcut_tensor dg = Tensor(got.data(), MIXCUT_UINT8, MIXCUT_NCHW, s);
  ASSERT_EQ(mixcut_mix_apply(nullptr, plan.data(), &src, &dw, nullptr), MIXCUT_OK);
  src.data = nullptr;
  ASSERT_EQ(mixcut_mix_apply_gather(nullptr, plan.data(), in.ptrs.data(), &src, &dg, nullptr),
            MIXCUT_OK)
      << mixcut_last_error();
  EXPECT_EQ(want, got);
}

bool Untouched(const std::vector<unsigned char>& bytes) {
  return all_bytes_are(bytes.data(), bytes.size(), kCanary);
}

// Each bad argument gets its status, a message, and leaves dst untouched;
// both entry points validate alike.
TEST(CapiGather, BadInputIsRefusedAndDstUntouched) {
  const Shape s{4, 3, 8, 8};
  const size_t sample_bytes = size_t(s.sample_elems()) * 4;
  const Samples in(s, MIXCUT_FLOAT32, 9);
  const auto plan = MixPlan(MIXCUT_PARTNER_FLIP, s, 0);
  const mixcut_fill fill{MIXCUT_FILL_CONSTANT, 0.0f, nullptr};
  // dst has room for the batch and, past it, a sample-sized tail.
  std::vector<unsigned char> dst_bytes(size_t(s.n) * sample_bytes + sample_bytes + 4, kCanary);
  const mixcut_tensor dst = Tensor(dst_bytes.data(), MIXCUT_FLOAT32, MIXCUT_NCHW, s);
  const mixcut_tensor src = Tensor(nullptr, MIXCUT_FLOAT32, MIXCUT_NCHW, s);

  struct Case {
    std::string what;
    mixcut_status want;
    std::vector<const void*> ptrs;
    mixcut_tensor src, dst;
    bool null_samples = false;
  };
  std::vector<Case> cases;
  auto add = [&](std::string what, mixcut_status want) -> Case& {
    cases.push_back({std::move(what), want, in.ptrs, src, dst});
    return cases.back();
  };
  add("samples NULL", MIXCUT_ERR_NULL_POINTER).null_samples = true;
  add("samples[2] NULL", MIXCUT_ERR_NULL_POINTER).ptrs[2] = nullptr;
  add("samples[1] misaligned", MIXCUT_ERR_BAD_PARAM).ptrs[1] =
      static_cast<const unsigned char*>(in.ptrs[1]) + 1;
  add("src->data set", MIXCUT_ERR_BAD_PARAM).src.data = dst_bytes.data() + 4;
  add("src->sample_stride set", MIXCUT_ERR_BAD_PARAM).src.sample_stride = s.sample_elems();
  add("samples[3] is dst's sample 0", MIXCUT_ERR_OVERLAP).ptrs[3] = dst_bytes.data();
  add("samples[0] straddles dst's end", MIXCUT_ERR_OVERLAP).ptrs[0] =
      dst_bytes.data() + size_t(s.n) * sample_bytes - 4;
  add("src->c differs", MIXCUT_ERR_SHAPE_MISMATCH).src.c = 1;
  add("src->dtype unknown", MIXCUT_ERR_BAD_DTYPE).src.dtype = 7;
  add("src->layout unknown", MIXCUT_ERR_BAD_LAYOUT).src.layout = 9;
  add("src->n negative", MIXCUT_ERR_BAD_SIZE).src.n = -1;
  {
    Case& c = add("float32 -> uint8", MIXCUT_ERR_BAD_DTYPE);
    c.dst.dtype = MIXCUT_UINT8;
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const void* const* samples = c.null_samples ? nullptr : c.ptrs.data();
    EXPECT_EQ(mixcut_mix_apply_gather(nullptr, plan.data(), samples, &c.src, &c.dst, nullptr),
              c.want);
    EXPECT_STRNE(mixcut_last_error(), "");
    EXPECT_EQ(
        mixcut_cutout_apply_gather(nullptr, nullptr, 0, &fill, samples, &c.src, &c.dst, nullptr),
        c.want);
    EXPECT_TRUE(Untouched(dst_bytes));
  }
  // A bad plan is refused too.
  std::vector<mixcut_mix_sample> bad = plan;
  bad[1].partner = s.n;
  EXPECT_EQ(mixcut_mix_apply_gather(nullptr, bad.data(), in.ptrs.data(), &src, &dst, nullptr),
            MIXCUT_ERR_BAD_PARTNER);
  EXPECT_EQ(mixcut_mix_apply_gather(nullptr, plan.data(), in.ptrs.data(), nullptr, &dst, nullptr),
            MIXCUT_ERR_NULL_POINTER);
  EXPECT_TRUE(Untouched(dst_bytes));
  // n == 0 is a no-op; samples may then be NULL.
  mixcut_tensor empty_src = src, empty_dst = dst;
  empty_src.n = empty_dst.n = 0;
  EXPECT_EQ(mixcut_mix_apply_gather(nullptr, nullptr, nullptr, &empty_src, &empty_dst, nullptr),
            MIXCUT_OK)
      << mixcut_last_error();
  EXPECT_TRUE(Untouched(dst_bytes));
}

// Found by fuzz_gather: the pointer array inside dst. The kernels read
// samples[i] while they write dst, so they would follow pointers that dst's
// own writes replaced. Refused like an overlapping sample; the same array
// right past dst's end is fine.
TEST(CapiGather, PointerArrayInsideDstIsRefused) {
  const Shape s{8, 3, 16, 16};
  const Samples in(s, MIXCUT_UINT8, 21);
  const auto plan = MixPlan(MIXCUT_PARTNER_FLIP, s, 2);
  const auto holes = Holes(s, 3);
  const mixcut_fill fill{MIXCUT_FILL_NOISE, 0.0f, nullptr};
  const size_t bytes = in.stacked.size(), array = in.ptrs.size() * sizeof(void*);
  std::vector<unsigned char> want(bytes);
  mixcut_tensor src = Tensor(const_cast<unsigned char*>(in.stacked.data()), MIXCUT_UINT8,
                             MIXCUT_NCHW, s);
  const mixcut_tensor dw = Tensor(want.data(), MIXCUT_UINT8, MIXCUT_NCHW, s);
  ASSERT_EQ(mixcut_mix_apply(nullptr, plan.data(), &src, &dw, nullptr), MIXCUT_OK);
  src.data = nullptr;
  for (const size_t at : {size_t(0), bytes / 2, bytes - array, bytes - 8, bytes}) {
    SCOPED_TRACE(at);
    // dst's bytes and room for the array past them, 8-byte aligned.
    std::vector<uint64_t> storage((bytes + array) / 8, 0x5A5A5A5A5A5A5A5Aull);
    auto* base = reinterpret_cast<unsigned char*>(storage.data());
    std::memcpy(base + at, in.ptrs.data(), array);
    const auto* samples = reinterpret_cast<const void* const*>(base + at);
    const std::vector<uint64_t> before = storage;
    const mixcut_tensor d = Tensor(base, MIXCUT_UINT8, MIXCUT_NCHW, s);
    if (at < bytes) {
      EXPECT_EQ(mixcut_mix_apply_gather(nullptr, plan.data(), samples, &src, &d, nullptr),
                MIXCUT_ERR_OVERLAP);
      EXPECT_NE(std::string(mixcut_last_error()).find("array"), std::string::npos)
          << mixcut_last_error();
      EXPECT_EQ(mixcut_cutout_apply_gather(nullptr, holes.data(), int64_t(holes.size()), &fill,
                                           samples, &src, &d, nullptr),
                MIXCUT_ERR_OVERLAP);
      EXPECT_TRUE(storage == before) << "a refused gather wrote dst";
    } else {
      ASSERT_EQ(mixcut_mix_apply_gather(nullptr, plan.data(), samples, &src, &d, nullptr),
                MIXCUT_OK)
          << mixcut_last_error();
      EXPECT_EQ(std::memcmp(base, want.data(), bytes), 0);
    }
  }
}

// Found by fuzz_gather: the gather's source is checked like mixcut_*_apply's
// (the same status for the same bad shape), and n == 0 is a no-op for any c.
TEST(CapiGather, SourceShapeIsCheckedAsApplyChecksIt) {
  const Shape s{-1, 3, 4, 4};
  std::vector<unsigned char> dst_bytes(64, kCanary);
  mixcut_tensor src = Tensor(nullptr, MIXCUT_UINT8, 9, s);  // bad layout and bad n
  mixcut_tensor dst = Tensor(dst_bytes.data(), MIXCUT_UINT8, MIXCUT_NCHW, s);
  const mixcut_fill fill{MIXCUT_FILL_CONSTANT, 0.0f, nullptr};
  unsigned char byte = 0;
  src.data = &byte;
  const mixcut_status want = mixcut_cutout_apply(nullptr, nullptr, 0, &fill, &src, &dst, nullptr);
  EXPECT_EQ(want, MIXCUT_ERR_BAD_LAYOUT);
  src.data = nullptr;
  EXPECT_EQ(mixcut_cutout_apply_gather(nullptr, nullptr, 0, &fill, nullptr, &src, &dst, nullptr),
            want);
  EXPECT_EQ(mixcut_mix_apply_gather(nullptr, nullptr, nullptr, &src, &dst, nullptr), want);
  // n == 0 with c * h * w * 4 past int64: nothing to do, as for mixcut_mix_apply.
  const Shape huge{0, std::numeric_limits<int64_t>::max(), 1, 1};
  src = Tensor(nullptr, MIXCUT_FLOAT32, MIXCUT_NCHW, huge);
  dst = Tensor(dst_bytes.data(), MIXCUT_FLOAT32, MIXCUT_NCHW, huge);
  EXPECT_EQ(mixcut_mix_apply_gather(nullptr, nullptr, nullptr, &src, &dst, nullptr), MIXCUT_OK)
      << mixcut_last_error();
  src.data = &byte;
  EXPECT_EQ(mixcut_mix_apply(nullptr, nullptr, &src, &dst, nullptr), MIXCUT_OK);
  EXPECT_TRUE(Untouched(dst_bytes));
}

}  // namespace
