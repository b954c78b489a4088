// The public C API used as a user would: versions, statuses, per-thread
// errors, contexts, plans and their application. Links the shared library only.
#include <gtest/gtest.h>
#include <mixcut/mixcut.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

using mixcut::test::all_bytes_are;
using mixcut::test::kCanary;

mixcut_tensor Tensor(void* data, int32_t dtype, int32_t layout, int64_t n, int64_t c, int64_t h,
                     int64_t w, int64_t stride = 0) {
  mixcut_tensor t;
  t.data = data;
  t.dtype = dtype;
  t.layout = layout;
  t.n = n;
  t.c = c;
  t.h = h;
  t.w = w;
  t.sample_stride = stride;
  return t;
}

// Deterministic, varied pixel values.
std::vector<uint8_t> Pixels(size_t count, uint32_t salt) {
  std::vector<uint8_t> v(count);
  uint32_t x = 2463534242u ^ salt;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = uint8_t(x >> 24);
  }
  return v;
}

mixcut_mix_policy MixPolicy() {
  mixcut_mix_policy p;
  EXPECT_EQ(mixcut_mix_policy_init(&p), MIXCUT_OK);
  return p;
}

// ---------------------------------------------------------------------------
// Version, statuses, errors

TEST(CapiVersion, RuntimeMatchesHeader) {
  EXPECT_EQ(mixcut_version(), unsigned(MIXCUT_VERSION_NUMBER));
  EXPECT_EQ(
      unsigned(MIXCUT_VERSION_NUMBER),
      unsigned(MIXCUT_VERSION_MAJOR * 10000 + MIXCUT_VERSION_MINOR * 100 + MIXCUT_VERSION_PATCH));
  const std::string expected = std::to_string(MIXCUT_VERSION_MAJOR) + "." +
                               std::to_string(MIXCUT_VERSION_MINOR) + "." +
                               std::to_string(MIXCUT_VERSION_PATCH);
  ASSERT_NE(mixcut_version_string(), nullptr);
  EXPECT_EQ(std::string(mixcut_version_string()), expected);
  EXPECT_EQ(mixcut_version_string(), mixcut_version_string());  // static storage
}

TEST(CapiStatus, EveryCodeHasItsOwnString) {
  std::set<std::string> seen;
  for (int s = MIXCUT_OK; s <= MIXCUT_ERR_INTERNAL; ++s) {
    const char* text = mixcut_status_string(static_cast<mixcut_status>(s));
    ASSERT_NE(text, nullptr);
    EXPECT_GT(std::strlen(text), 0u) << s;
    EXPECT_NE(std::string(text), "unknown status") << s;
    EXPECT_TRUE(seen.insert(text).second) << "duplicate string for " << s << ": " << text;
  }
  EXPECT_EQ(std::string(mixcut_status_string(MIXCUT_ERR_BAD_PARTNER)), "bad partner index");
  for (int s : {-1, 16, 1000}) {
    EXPECT_EQ(std::string(mixcut_status_string(static_cast<mixcut_status>(s))), "unknown status");
  }
}

TEST(CapiLastError, IsPerThreadAndNotClearedBySuccess) {
  mixcut_mix_policy policy = MixPolicy();
  policy.prob = 2.0f;
  mixcut_mix_sample out[2];
  ASSERT_EQ(mixcut_mix_plan(&policy, 1, 0, 2, 4, 4, out), MIXCUT_ERR_BAD_PARAM);
  const std::string main_message = mixcut_last_error();
  EXPECT_NE(main_message.find("policy->prob"), std::string::npos) << main_message;

  std::string fresh_thread_initial, thread_message;
  std::thread worker([&] {
    fresh_thread_initial = mixcut_last_error();
    EXPECT_EQ(mixcut_ctx_set(nullptr, MIXCUT_OPT_NUM_THREADS, 1), MIXCUT_ERR_NULL_POINTER);
    thread_message = mixcut_last_error();
  });
  worker.join();
  EXPECT_EQ(fresh_thread_initial, "");
  EXPECT_NE(thread_message.find("mixcut_ctx_set"), std::string::npos) << thread_message;
  EXPECT_EQ(std::string(mixcut_last_error()), main_message);  // untouched by the worker

  // A successful call keeps the last failure's message.
  policy.prob = 1.0f;
  ASSERT_EQ(mixcut_mix_plan(&policy, 1, 0, 2, 4, 4, out), MIXCUT_OK);
  EXPECT_EQ(std::string(mixcut_last_error()), main_message);
}

// ---------------------------------------------------------------------------
// Context

TEST(CapiCtx, DefaultsSetGetAndDestroy) {
  mixcut_ctx_destroy(nullptr);  // fine
  mixcut_ctx* ctx = nullptr;
  ASSERT_EQ(mixcut_ctx_create(&ctx), MIXCUT_OK);
  ASSERT_NE(ctx, nullptr);
  int64_t value = -7;
  ASSERT_EQ(mixcut_ctx_get(ctx, MIXCUT_OPT_NUM_THREADS, &value), MIXCUT_OK);
  EXPECT_EQ(value, 0);
  ASSERT_EQ(mixcut_ctx_get(ctx, MIXCUT_OPT_BACKEND, &value), MIXCUT_OK);
  EXPECT_EQ(value, MIXCUT_BACKEND_CPU);
  ASSERT_EQ(mixcut_ctx_get(ctx, MIXCUT_OPT_CUDA_STREAM, &value), MIXCUT_OK);
  EXPECT_EQ(value, 0);
  ASSERT_EQ(mixcut_ctx_get(ctx, MIXCUT_OPT_MAX_ISA, &value), MIXCUT_OK);
  EXPECT_GE(value, MIXCUT_ISA_SCALAR);
  EXPECT_LE(value, MIXCUT_ISA_AVX512);
  ASSERT_EQ(mixcut_ctx_get(ctx, MIXCUT_OPT_STREAM_THRESHOLD, &value), MIXCUT_OK);
  EXPECT_EQ(value, int64_t(16) << 20);

  const struct {
    int32_t key;
    int64_t value;
  } round_trips[] = {{MIXCUT_OPT_NUM_THREADS, 3},
                     {MIXCUT_OPT_NUM_THREADS, 0},
                     {MIXCUT_OPT_MAX_ISA, 1},
                     {MIXCUT_OPT_BACKEND, MIXCUT_BACKEND_CPU},
                     {MIXCUT_OPT_CUDA_STREAM, 12345},
                     {MIXCUT_OPT_STREAM_THRESHOLD, 0},
                     {MIXCUT_OPT_STREAM_THRESHOLD, INT64_MAX}};
  for (const auto& rt : round_trips) {
    ASSERT_EQ(mixcut_ctx_set(ctx, rt.key, rt.value), MIXCUT_OK) << mixcut_last_error();
    ASSERT_EQ(mixcut_ctx_get(ctx, rt.key, &value), MIXCUT_OK);
    EXPECT_EQ(value, rt.value) << "key " << rt.key;
  }
  mixcut_ctx_destroy(ctx);
}

TEST(CapiCtx, IsaIsCappedByMaxIsa) {
  int32_t default_isa = -1;
  ASSERT_EQ(mixcut_ctx_isa(nullptr, &default_isa), MIXCUT_OK);
  EXPECT_GE(default_isa, MIXCUT_ISA_SCALAR);
  EXPECT_LE(default_isa, MIXCUT_ISA_AVX512);

  mixcut_ctx* ctx = nullptr;
  ASSERT_EQ(mixcut_ctx_create(&ctx), MIXCUT_OK);
  int32_t isa = -1;
  ASSERT_EQ(mixcut_ctx_isa(ctx, &isa), MIXCUT_OK);
  EXPECT_EQ(isa, default_isa);  // a fresh ctx runs the defaults

  ASSERT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_MAX_ISA, MIXCUT_ISA_AVX512), MIXCUT_OK);
  int32_t best = -1;
  ASSERT_EQ(mixcut_ctx_isa(ctx, &best), MIXCUT_OK);
  EXPECT_GE(best, default_isa);
  for (int32_t cap = MIXCUT_ISA_SCALAR; cap <= MIXCUT_ISA_AVX512; ++cap) {
    ASSERT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_MAX_ISA, cap), MIXCUT_OK);
    ASSERT_EQ(mixcut_ctx_isa(ctx, &isa), MIXCUT_OK);
    EXPECT_EQ(isa, std::min(cap, best)) << "cap " << cap;
  }
  mixcut_ctx_destroy(ctx);
}

TEST(CapiCtx, IsaStrings) {
  EXPECT_STREQ(mixcut_isa_string(MIXCUT_ISA_SCALAR), "scalar");
  EXPECT_STREQ(mixcut_isa_string(MIXCUT_ISA_SSE2), "sse2");
  EXPECT_STREQ(mixcut_isa_string(MIXCUT_ISA_AVX2), "avx2");
  EXPECT_STREQ(mixcut_isa_string(MIXCUT_ISA_AVX512), "avx512");
  EXPECT_STREQ(mixcut_isa_string(-1), "unknown");
  EXPECT_STREQ(mixcut_isa_string(4), "unknown");
}

// ---------------------------------------------------------------------------
// Policies and plans

TEST(CapiPolicy, InitGivesDocumentedDefaults) {
  mixcut_mix_policy m;
  std::memset(&m, kCanary, sizeof m);
  ASSERT_EQ(mixcut_mix_policy_init(&m), MIXCUT_OK);
  EXPECT_EQ(m.mixup_alpha, 1.0f);
  EXPECT_EQ(m.cutmix_alpha, 0.0f);
  EXPECT_EQ(m.cutmix_minmax_lo, 0.0f);
  EXPECT_EQ(m.cutmix_minmax_hi, 0.0f);
  EXPECT_EQ(m.prob, 1.0f);
  EXPECT_EQ(m.switch_prob, 0.5f);
  EXPECT_EQ(m.mode, MIXCUT_MODE_BATCH);
  EXPECT_EQ(m.partner, MIXCUT_PARTNER_FLIP);
  EXPECT_NE(m.correct_lam, 0);
  EXPECT_EQ(m.reserved, 0);
  EXPECT_EQ(m.partner_index, nullptr);

  mixcut_cutout_policy c;
  std::memset(&c, kCanary, sizeof c);
  ASSERT_EQ(mixcut_cutout_policy_init(&c), MIXCUT_OK);
  EXPECT_EQ(c.form, MIXCUT_CUTOUT_HOLES);
  EXPECT_EQ(c.prob, 1.0f);
  EXPECT_EQ(c.min_count, 1);
  EXPECT_EQ(c.max_count, 1);
  EXPECT_EQ(c.length, 16);
  EXPECT_FLOAT_EQ(c.scale_lo, 0.02f);
  EXPECT_FLOAT_EQ(c.scale_hi, 1.0f / 3.0f);
  EXPECT_FLOAT_EQ(c.ratio_lo, 0.3f);
  EXPECT_FLOAT_EQ(c.ratio_hi, 1.0f / 0.3f);
  EXPECT_EQ(c.reserved, 0);
}

// The contract of any plan from mixcut_mix_plan.
void ExpectValidMixPlan(const std::vector<mixcut_mix_sample>& plan, int64_t h, int64_t w) {
  const int64_t n = int64_t(plan.size());
  for (int64_t i = 0; i < n; ++i) {
    SCOPED_TRACE(testing::Message() << "sample " << i);
    const mixcut_mix_sample& s = plan[i];
    EXPECT_GE(s.partner, 0);
    EXPECT_LT(s.partner, n);
    EXPECT_GE(s.lam, 0.0f);
    EXPECT_LE(s.lam, 1.0f);
    EXPECT_GE(s.kind, MIXCUT_KIND_NONE);
    EXPECT_LE(s.kind, MIXCUT_KIND_CUTMIX);
    if (s.partner == i) {
      EXPECT_EQ(s.kind, MIXCUT_KIND_NONE);
    }
    if (s.kind == MIXCUT_KIND_NONE) {
      EXPECT_EQ(s.lam, 1.0f);
      EXPECT_EQ(s.partner, i);
    }
    if (s.kind == MIXCUT_KIND_MIXUP) {  // on the 2^-14 grid
      EXPECT_EQ(double(s.lam) * 16384.0, std::nearbyint(double(s.lam) * 16384.0));
    }
    if (s.kind == MIXCUT_KIND_CUTMIX) {
      EXPECT_TRUE(0 <= s.y0 && s.y0 <= s.y1 && s.y1 <= h && 0 <= s.x0 && s.x0 <= s.x1 && s.x1 <= w);
    }
  }
}

std::vector<mixcut_mix_sample> Plan(const mixcut_mix_policy& policy, uint64_t seed, uint64_t step,
                                    int64_t n, int64_t h, int64_t w) {
  std::vector<mixcut_mix_sample> plan(size_t(n) + 1);
  std::memset(plan.data(), kCanary, plan.size() * sizeof(mixcut_mix_sample));
  EXPECT_EQ(mixcut_mix_plan(&policy, seed, step, n, h, w, plan.data()), MIXCUT_OK)
      << mixcut_last_error();
  // Exactly n records written.
  EXPECT_TRUE(all_bytes_are(&plan[size_t(n)], sizeof(mixcut_mix_sample), kCanary));
  plan.pop_back();
  return plan;
}

TEST(CapiMixPlan, SingleSampleIsUnchanged) {
  mixcut_mix_policy policy = MixPolicy();
  for (int32_t partner : {MIXCUT_PARTNER_FLIP, MIXCUT_PARTNER_ROLL, MIXCUT_PARTNER_PERMUTATION}) {
    policy.partner = partner;
    const auto plan = Plan(policy, 3, 0, 1, 10, 12);
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_EQ(plan[0].partner, 0);
    EXPECT_EQ(plan[0].kind, MIXCUT_KIND_NONE);
    EXPECT_EQ(plan[0].lam, 1.0f);
  }
}

TEST(CapiMixPlan, OddBatchFlipLeavesTheMiddleAlone) {
  mixcut_mix_policy policy = MixPolicy();
  policy.cutmix_alpha = 1.0f;  // both enabled
  policy.mode = MIXCUT_MODE_ELEM;
  const int64_t n = 5;
  const auto plan = Plan(policy, 11, 2, n, 9, 7);
  ExpectValidMixPlan(plan, 9, 7);
  EXPECT_EQ(plan[2].kind, MIXCUT_KIND_NONE);
  for (int64_t i = 0; i < n; ++i) {
    if (plan[i].kind != MIXCUT_KIND_NONE) {
      EXPECT_EQ(plan[i].partner, n - 1 - i);
    }
  }
}

TEST(CapiMixPlan, PureFunctionOfItsArguments) {
  mixcut_mix_policy policy = MixPolicy();
  policy.cutmix_alpha = 1.0f;
  policy.mode = MIXCUT_MODE_ELEM;
  policy.partner = MIXCUT_PARTNER_PERMUTATION;
  const auto a = Plan(policy, 99, 5, 33, 32, 24);
  const auto b = Plan(policy, 99, 5, 33, 32, 24);
  ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])), 0);
  ExpectValidMixPlan(a, 32, 24);
  const auto other_step = Plan(policy, 99, 6, 33, 32, 24);
  const auto other_seed = Plan(policy, 100, 5, 33, 32, 24);
  EXPECT_NE(std::memcmp(a.data(), other_step.data(), a.size() * sizeof(a[0])), 0);
  EXPECT_NE(std::memcmp(a.data(), other_seed.data(), a.size() * sizeof(a[0])), 0);
}

TEST(CapiMixPlan, ExplicitPartnersAreUsed) {
  mixcut_mix_policy policy = MixPolicy();
  policy.mode = MIXCUT_MODE_ELEM;
  const std::vector<int64_t> partners = {2, 0, 1, 3, 3, 1};  // a 3-cycle, a fixed point
  policy.partner = MIXCUT_PARTNER_EXPLICIT;
  policy.partner_index = partners.data();
  const auto plan = Plan(policy, 1, 1, int64_t(partners.size()), 8, 8);
  ExpectValidMixPlan(plan, 8, 8);
  for (size_t i = 0; i < plan.size(); ++i) {
    if (partners[i] == int64_t(i)) {
      EXPECT_EQ(plan[i].kind, MIXCUT_KIND_NONE) << i;
    } else {
      EXPECT_EQ(plan[i].partner, partners[i]) << i;
      EXPECT_NE(plan[i].kind, MIXCUT_KIND_NONE) << i;  // prob 1
    }
  }
}

TEST(CapiMixPlan, CutMixLamIsCorrectedToTheBox) {
  mixcut_mix_policy policy = MixPolicy();
  policy.mixup_alpha = 0.0f;
  policy.cutmix_alpha = 1.0f;
  policy.mode = MIXCUT_MODE_ELEM;
  const int64_t h = 20, w = 30;
  const auto plan = Plan(policy, 8, 0, 16, h, w);
  ExpectValidMixPlan(plan, h, w);
  for (const auto& s : plan) {
    EXPECT_EQ(s.kind, MIXCUT_KIND_CUTMIX);
    const double area = double(s.y1 - s.y0) * double(s.x1 - s.x0);
    EXPECT_NEAR(s.lam, 1.0 - area / double(h * w), 1e-6);
  }
}

TEST(CapiCutoutPlan, HolesAreOwnedAndInside) {
  mixcut_cutout_policy policy;
  ASSERT_EQ(mixcut_cutout_policy_init(&policy), MIXCUT_OK);
  policy.min_count = 1;
  policy.max_count = 3;
  policy.length = 5;
  const int64_t n = 7, h = 12, w = 9;
  std::vector<mixcut_cutout_hole> holes(size_t(n * 3) + 1);
  std::memset(holes.data(), kCanary, holes.size() * sizeof(holes[0]));
  int64_t count = -1;
  ASSERT_EQ(mixcut_cutout_plan(&policy, 4, 9, n, h, w, holes.data(), &count), MIXCUT_OK)
      << mixcut_last_error();
  EXPECT_EQ(count, n * 3);
  EXPECT_TRUE(all_bytes_are(&holes[size_t(count)], sizeof(holes[0]), kCanary));
  int64_t nonempty = 0;
  for (int64_t k = 0; k < count; ++k) {
    const auto& hole = holes[size_t(k)];
    EXPECT_EQ(hole.sample, k / 3);
    EXPECT_TRUE(0 <= hole.y0 && hole.y0 <= hole.y1 && hole.y1 <= h && 0 <= hole.x0 &&
                hole.x0 <= hole.x1 && hole.x1 <= w);
    EXPECT_LE(hole.y1 - hole.y0, policy.length);
    EXPECT_LE(hole.x1 - hole.x0, policy.length);
    if (hole.y1 > hole.y0 && hole.x1 > hole.x0) ++nonempty;
  }
  EXPECT_GE(nonempty, n);  // min_count 1, prob 1: every sample has a hole
}

// ---------------------------------------------------------------------------
// n == 0 everywhere

TEST(CapiEmptyBatch, EveryFunctionIsANoOp) {
  mixcut_mix_policy mix_policy = MixPolicy();
  mixcut_mix_sample plan_out;
  std::memset(&plan_out, kCanary, sizeof plan_out);
  EXPECT_EQ(mixcut_mix_plan(&mix_policy, 1, 1, 0, 4, 4, &plan_out), MIXCUT_OK);
  EXPECT_EQ(mixcut_mix_plan(&mix_policy, 1, 1, 0, 4, 4, nullptr), MIXCUT_OK);
  EXPECT_TRUE(all_bytes_are(&plan_out, sizeof plan_out, kCanary));
  mix_policy.partner = MIXCUT_PARTNER_EXPLICIT;  // no partner_index needed for n == 0
  EXPECT_EQ(mixcut_mix_plan(&mix_policy, 1, 1, 0, 4, 4, &plan_out), MIXCUT_OK);

  const mixcut_tensor empty = Tensor(nullptr, MIXCUT_UINT8, MIXCUT_NCHW, 0, 3, 4, 4);
  EXPECT_EQ(mixcut_mix_apply(nullptr, nullptr, &empty, &empty, nullptr), MIXCUT_OK);
  EXPECT_EQ(mixcut_mix_labels(nullptr, 0, nullptr, 10, 0.1f, nullptr), MIXCUT_OK);
  EXPECT_EQ(mixcut_mix_soft_labels(nullptr, 0, nullptr, 10, 0.1f, nullptr), MIXCUT_OK);

  mixcut_cutout_policy cutout_policy;
  ASSERT_EQ(mixcut_cutout_policy_init(&cutout_policy), MIXCUT_OK);
  mixcut_cutout_hole hole_out;
  std::memset(&hole_out, kCanary, sizeof hole_out);
  int64_t count = -1;
  EXPECT_EQ(mixcut_cutout_plan(&cutout_policy, 1, 1, 0, 16, 16, &hole_out, &count), MIXCUT_OK);
  EXPECT_EQ(count, 0);
  EXPECT_TRUE(all_bytes_are(&hole_out, sizeof hole_out, kCanary));
  const mixcut_fill fill{MIXCUT_FILL_CONSTANT, 0.0f, nullptr};
  EXPECT_EQ(mixcut_cutout_apply(nullptr, nullptr, 0, &fill, &empty, &empty, nullptr), MIXCUT_OK);
}

// ---------------------------------------------------------------------------
// Application through the API: each record field reaches the kernels.

TEST(CapiMixApply, NonePlanConvertsLayout) {
  const int64_t n = 3, c = 3, h = 5, w = 4;
  const auto src = Pixels(size_t(n * c * h * w), 1);
  std::vector<uint8_t> dst(src.size(), kCanary);
  const mixcut_tensor s =
      Tensor(const_cast<uint8_t*>(src.data()), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w);
  const mixcut_tensor d = Tensor(dst.data(), MIXCUT_UINT8, MIXCUT_NHWC, n, c, h, w);
  std::vector<mixcut_mix_sample> plan;
  for (int64_t i = 0; i < n; ++i) plan.push_back({i, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0});
  ASSERT_EQ(mixcut_mix_apply(nullptr, plan.data(), &s, &d, nullptr), MIXCUT_OK)
      << mixcut_last_error();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          ASSERT_EQ(dst[size_t(((i * h + y) * w + x) * c + ch)],
                    src[size_t(((i * c + ch) * h + y) * w + x)]);
}

TEST(CapiMixApply, NormalisesUint8ToFloat) {
  const int64_t n = 2, c = 3, h = 4, w = 3;
  const auto src = Pixels(size_t(n * c * h * w), 2);
  std::vector<float> dst(src.size(), -99.0f);
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float stdev[3] = {0.229f, 0.224f, 0.225f};
  const mixcut_normalize norm{mean, stdev};
  const mixcut_tensor s =
      Tensor(const_cast<uint8_t*>(src.data()), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w);
  const mixcut_tensor d = Tensor(dst.data(), MIXCUT_FLOAT32, MIXCUT_NCHW, n, c, h, w);
  const mixcut_mix_sample plan[2] = {{0, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0},
                                     {1, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0}};
  ASSERT_EQ(mixcut_mix_apply(nullptr, plan, &s, &d, &norm), MIXCUT_OK) << mixcut_last_error();
  for (size_t e = 0; e < src.size(); ++e) {
    const size_t ch = (e / size_t(h * w)) % size_t(c);
    const float expected = (float(src[e]) / 255.0f - mean[ch]) / stdev[ch];
    ASSERT_EQ(dst[e], expected) << e;
  }
  // NULL mean and std mean 0 and 1.
  const mixcut_normalize plain{nullptr, nullptr};
  ASSERT_EQ(mixcut_mix_apply(nullptr, plan, &s, &d, &plain), MIXCUT_OK) << mixcut_last_error();
  for (size_t e = 0; e < src.size(); ++e) ASSERT_EQ(dst[e], float(src[e]) / 255.0f) << e;
}

TEST(CapiMixApply, CutMixBoxComesFromThePartner) {
  const int64_t n = 2, c = 2, h = 7, w = 9;
  const auto src = Pixels(size_t(n * c * h * w), 3);
  std::vector<uint8_t> dst(src.size(), kCanary);
  const mixcut_tensor s =
      Tensor(const_cast<uint8_t*>(src.data()), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w);
  const mixcut_tensor d = Tensor(dst.data(), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w);
  // Sample 0 takes rows [1, 4) and columns [2, 8) from sample 1; 1 is unchanged.
  const mixcut_mix_sample plan[2] = {{1, 0.5f, MIXCUT_KIND_CUTMIX, 1, 2, 4, 8},
                                     {1, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0}};
  ASSERT_EQ(mixcut_mix_apply(nullptr, plan, &s, &d, nullptr), MIXCUT_OK) << mixcut_last_error();
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const bool in_box = y >= 1 && y < 4 && x >= 2 && x < 8;
        const size_t own = size_t((ch * h + y) * w + x), other = own + size_t(c * h * w);
        ASSERT_EQ(dst[own], in_box ? src[other] : src[own]) << ch << " " << y << " " << x;
        ASSERT_EQ(dst[other], src[other]);
      }
}

TEST(CapiMixApply, MixupExtremeWeightsPickOneSample) {
  const int64_t n = 2, c = 1, h = 3, w = 5;
  std::vector<float> src(size_t(n * c * h * w));
  for (size_t e = 0; e < src.size(); ++e) src[e] = float(e) * 0.37f - 2.0f;
  std::vector<float> dst(src.size(), 0.0f);
  const mixcut_tensor s = Tensor(src.data(), MIXCUT_FLOAT32, MIXCUT_NCHW, n, c, h, w);
  const mixcut_tensor d = Tensor(dst.data(), MIXCUT_FLOAT32, MIXCUT_NCHW, n, c, h, w);
  // lam is the weight of x_i: sample 0 keeps itself, sample 1 becomes sample 0.
  const mixcut_mix_sample plan[2] = {{1, 1.0f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0},
                                     {0, 0.0f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0}};
  ASSERT_EQ(mixcut_mix_apply(nullptr, plan, &s, &d, nullptr), MIXCUT_OK) << mixcut_last_error();
  const size_t chw = size_t(c * h * w);
  for (size_t e = 0; e < chw; ++e) {
    EXPECT_EQ(dst[e], src[e]);
    EXPECT_EQ(dst[chw + e], src[e]);
  }
}

// A random plan on a batch with a 3-cycle; in place must equal out of place.
TEST(CapiMixApply, InPlaceEqualsOutOfPlace) {
  const int64_t n = 5, c = 3, h = 11, w = 13;
  mixcut_mix_policy policy = MixPolicy();
  policy.cutmix_alpha = 1.0f;
  policy.mode = MIXCUT_MODE_ELEM;
  const std::vector<int64_t> partners = {1, 2, 0, 4, 3};
  policy.partner = MIXCUT_PARTNER_EXPLICIT;
  policy.partner_index = partners.data();
  const auto plan = Plan(policy, 21, 4, n, h, w);
  for (int32_t dtype : {MIXCUT_UINT8, MIXCUT_FLOAT32}) {
    SCOPED_TRACE(dtype);
    const size_t elems = size_t(n * c * h * w), bytes = elems * (dtype == MIXCUT_UINT8 ? 1 : 4);
    std::vector<unsigned char> src = Pixels(bytes, 4);
    if (dtype == MIXCUT_FLOAT32) {
      for (size_t e = 0; e < elems; ++e) {
        const float v = float(src[e]) / 7.0f;
        std::memcpy(&src[e * 4], &v, 4);
      }
    }
    std::vector<unsigned char> out(bytes), inplace = src;
    const mixcut_tensor s = Tensor(src.data(), dtype, MIXCUT_NHWC, n, c, h, w);
    const mixcut_tensor d = Tensor(out.data(), dtype, MIXCUT_NHWC, n, c, h, w);
    const mixcut_tensor io = Tensor(inplace.data(), dtype, MIXCUT_NHWC, n, c, h, w);
    ASSERT_EQ(mixcut_mix_apply(nullptr, plan.data(), &s, &d, nullptr), MIXCUT_OK)
        << mixcut_last_error();
    ASSERT_EQ(mixcut_mix_apply(nullptr, plan.data(), &io, &io, nullptr), MIXCUT_OK)
        << mixcut_last_error();
    EXPECT_EQ(out, inplace);
    EXPECT_NE(out, src);  // something was mixed
  }
}

TEST(CapiMixApply, SampleStrideLeavesGapsAlone) {
  const int64_t n = 3, c = 2, h = 4, w = 4, chw = c * h * w, stride = chw + 5;
  const auto src = Pixels(size_t(n * stride), 5);
  std::vector<uint8_t> dst(size_t(n * stride), kCanary);
  const mixcut_tensor s =
      Tensor(const_cast<uint8_t*>(src.data()), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w, stride);
  const mixcut_tensor d = Tensor(dst.data(), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w, stride);
  const mixcut_mix_sample plan[3] = {{2, 1.0f, MIXCUT_KIND_CUTMIX, 0, 0, h, w},
                                     {1, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0},
                                     {0, 1.0f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0}};
  ASSERT_EQ(mixcut_mix_apply(nullptr, plan, &s, &d, nullptr), MIXCUT_OK) << mixcut_last_error();
  for (int64_t e = 0; e < chw; ++e) {
    EXPECT_EQ(dst[size_t(e)], src[size_t(2 * stride + e)]);  // whole-image box from sample 2
    EXPECT_EQ(dst[size_t(stride + e)], src[size_t(stride + e)]);
    EXPECT_EQ(dst[size_t(2 * stride + e)], src[size_t(2 * stride + e)]);  // lam 1
  }
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_TRUE(all_bytes_are(&dst[size_t(i * stride + chw)], size_t(stride - chw), kCanary));
  }
}

TEST(CapiMixApply, SameBytesForEveryThreadCountIsaAndStreamThreshold) {
  const int64_t n = 6, c = 3, h = 32, w = 40;
  mixcut_mix_policy policy = MixPolicy();
  policy.cutmix_alpha = 1.0f;
  policy.mode = MIXCUT_MODE_ELEM;
  const auto plan = Plan(policy, 5, 5, n, h, w);
  const auto src = Pixels(size_t(n * c * h * w), 6);
  const mixcut_tensor s =
      Tensor(const_cast<uint8_t*>(src.data()), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w);
  std::vector<float> reference;
  const float mean[3] = {0.5f, 0.4f, 0.3f}, stdev[3] = {0.2f, 0.3f, 0.25f};
  const mixcut_normalize norm{mean, stdev};
  mixcut_ctx* ctx = nullptr;
  ASSERT_EQ(mixcut_ctx_create(&ctx), MIXCUT_OK);
  for (int64_t threads : {1, 2, 0}) {
    for (int64_t isa = MIXCUT_ISA_SCALAR; isa <= MIXCUT_ISA_AVX512; ++isa) {
      // 0: this small output is written with non-temporal stores.
      const int64_t stream_threshold = (threads + isa) % 2 == 0 ? 0 : INT64_MAX;
      SCOPED_TRACE(testing::Message() << threads << " threads, isa cap " << isa
                                      << ", stream threshold " << stream_threshold);
      ASSERT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_NUM_THREADS, threads), MIXCUT_OK);
      ASSERT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_MAX_ISA, isa), MIXCUT_OK);
      ASSERT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_STREAM_THRESHOLD, stream_threshold), MIXCUT_OK);
      std::vector<float> dst(src.size());
      const mixcut_tensor d = Tensor(dst.data(), MIXCUT_FLOAT32, MIXCUT_NHWC, n, c, h, w);
      ASSERT_EQ(mixcut_mix_apply(ctx, plan.data(), &s, &d, &norm), MIXCUT_OK)
          << mixcut_last_error();
      if (reference.empty()) {
        reference = dst;
      } else {
        size_t differing = 0, first = 0;
        for (size_t e = 0; e < dst.size(); ++e) {
          if (std::memcmp(&dst[e], &reference[e], sizeof(float)) != 0 && differing++ == 0) {
            first = e;
          }
        }
        EXPECT_EQ(differing, 0u) << "first at element " << first << ": " << dst[first] << " vs "
                                 << reference[first];
      }
    }
  }
  mixcut_ctx_destroy(ctx);
}

TEST(CapiCutoutApply, ConstantFillInsideTheHoleOnly) {
  const int64_t n = 3, c = 2, h = 6, w = 8;
  const auto src = Pixels(size_t(n * c * h * w), 7);
  std::vector<uint8_t> dst(src.size(), kCanary);
  const mixcut_tensor s =
      Tensor(const_cast<uint8_t*>(src.data()), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w);
  const mixcut_tensor d = Tensor(dst.data(), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w);
  const mixcut_cutout_hole holes[2] = {{1, 1, 2, 4, 5, 0}, {2, 0, 0, 0, 0, 0}};
  const mixcut_fill fill{MIXCUT_FILL_CONSTANT, 7.0f, nullptr};
  ASSERT_EQ(mixcut_cutout_apply(nullptr, holes, 2, &fill, &s, &d, nullptr), MIXCUT_OK)
      << mixcut_last_error();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const size_t e = size_t(((i * c + ch) * h + y) * w + x);
          const bool in_hole = i == 1 && y >= 1 && y < 4 && x >= 2 && x < 5;
          ASSERT_EQ(dst[e], in_hole ? 7 : src[e]) << i << " " << ch << " " << y << " " << x;
        }
}

TEST(CapiCutoutApply, ChannelFillAndNoiseAreDeterministic) {
  const int64_t n = 2, c = 3, h = 5, w = 5;
  std::vector<float> src(size_t(n * c * h * w), 0.25f);
  const float channel_values[3] = {-1.0f, 0.5f, 2.0f};
  const mixcut_tensor s = Tensor(src.data(), MIXCUT_FLOAT32, MIXCUT_NHWC, n, c, h, w);
  const mixcut_cutout_hole holes[1] = {{0, 0, 0, 2, 3, 77}};
  const mixcut_fill channel{MIXCUT_FILL_CHANNEL, 0.0f, channel_values};
  std::vector<float> dst(src.size());
  const mixcut_tensor d = Tensor(dst.data(), MIXCUT_FLOAT32, MIXCUT_NHWC, n, c, h, w);
  ASSERT_EQ(mixcut_cutout_apply(nullptr, holes, 1, &channel, &s, &d, nullptr), MIXCUT_OK)
      << mixcut_last_error();
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t ch = 0; ch < c; ++ch) {
        const bool in_hole = y < 2 && x < 3;
        EXPECT_EQ(dst[size_t((y * w + x) * c + ch)], in_hole ? channel_values[ch] : 0.25f);
      }
  const mixcut_fill noise{MIXCUT_FILL_NOISE, 0.0f, nullptr};
  std::vector<float> first(src.size()), second(src.size());
  mixcut_tensor d1 = d, d2 = d;
  d1.data = first.data();
  d2.data = second.data();
  ASSERT_EQ(mixcut_cutout_apply(nullptr, holes, 1, &noise, &s, &d1, nullptr), MIXCUT_OK);
  ASSERT_EQ(mixcut_cutout_apply(nullptr, holes, 1, &noise, &s, &d2, nullptr), MIXCUT_OK);
  EXPECT_EQ(first, second);
  EXPECT_NE(first, src);
}

// ---------------------------------------------------------------------------
// Labels

TEST(CapiMixLabels, HardLabelsFollowThePlan) {
  const int64_t n = 4, k = 5;
  const float eps = 0.1f;
  const int64_t labels[4] = {0, 3, 3, 1};
  const mixcut_mix_sample plan[4] = {{3, 0.25f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0},
                                     {2, 0.5f, MIXCUT_KIND_CUTMIX, 0, 0, 1, 1},  // same label
                                     {2, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0},
                                     {0, 0.75f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0}};
  std::vector<float> out(size_t(n * k), -1.0f);
  ASSERT_EQ(mixcut_mix_labels(plan, n, labels, k, eps, out.data()), MIXCUT_OK)
      << mixcut_last_error();
  const double off = eps / double(k), on = 1.0 - eps + off;
  for (int64_t i = 0; i < n; ++i) {
    const double lam = plan[i].kind == MIXCUT_KIND_NONE ? 1.0 : plan[i].lam;
    for (int64_t cls = 0; cls < k; ++cls) {
      const double own = cls == labels[i] ? on : off;
      const double other = cls == labels[plan[i].partner] ? on : off;
      EXPECT_NEAR(out[size_t(i * k + cls)], lam * own + (1.0 - lam) * other, 1e-6)
          << i << " " << cls;
    }
  }
  // Rows with equal labels are exactly smooth(y).
  EXPECT_EQ(out[size_t(1 * k + 3)], out[size_t(2 * k + 3)]);
}

TEST(CapiMixLabels, SoftLabelsInPlaceEqualOutOfPlace) {
  const int64_t n = 3, k = 4;
  std::vector<float> soft = {0.1f, 0.2f, 0.3f, 0.4f, 1, 0, 0, 0, 0.25f, 0.25f, 0.25f, 0.25f};
  const mixcut_mix_sample plan[3] = {{1, 0.5f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0},
                                     {2, 0.25f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0},
                                     {0, 0.75f, MIXCUT_KIND_CUTMIX, 0, 0, 2, 2}};
  std::vector<float> out(soft.size());
  ASSERT_EQ(mixcut_mix_soft_labels(plan, n, soft.data(), k, 0.2f, out.data()), MIXCUT_OK)
      << mixcut_last_error();
  for (int64_t i = 0; i < n; ++i) {
    double sum = 0.0;
    for (int64_t cls = 0; cls < k; ++cls) {
      const auto smooth = [&](int64_t row) {
        return soft[size_t(row * k + cls)] * 0.8 + 0.2 / double(k);
      };
      const double lam = plan[i].lam;
      EXPECT_NEAR(out[size_t(i * k + cls)], lam * smooth(i) + (1 - lam) * smooth(plan[i].partner),
                  1e-6);
      sum += out[size_t(i * k + cls)];
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  std::vector<float> inplace = soft;
  ASSERT_EQ(mixcut_mix_soft_labels(plan, n, inplace.data(), k, 0.2f, inplace.data()), MIXCUT_OK)
      << mixcut_last_error();
  EXPECT_EQ(inplace, out);
}

TEST(CapiMixLabels, MultiLabelRowsAreSmoothedTowardOneHalf) {
  // timm 1.0's multi_label: y * (1 - eps) + 0.5 * eps, then mixed; rows are
  // multi-hot, so they do not sum to 1 and are not renormalised.
  const int64_t n = 3, k = 4;
  const float eps = 0.2f;
  std::vector<float> rows = {1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  const mixcut_mix_sample plan[3] = {{1, 0.5f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0},
                                     {1, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0},
                                     {0, 0.75f, MIXCUT_KIND_CUTMIX, 0, 0, 2, 2}};
  std::vector<float> out(rows.size());
  ASSERT_EQ(mixcut_mix_multi_labels(plan, n, rows.data(), k, eps, out.data()), MIXCUT_OK)
      << mixcut_last_error();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t cls = 0; cls < k; ++cls) {
      const auto smooth = [&](int64_t row) { return rows[size_t(row * k + cls)] * 0.8 + 0.1; };
      const double lam = plan[i].kind == MIXCUT_KIND_NONE ? 1.0 : plan[i].lam;
      const int64_t j = plan[i].kind == MIXCUT_KIND_NONE ? i : plan[i].partner;
      EXPECT_NEAR(out[size_t(i * k + cls)], lam * smooth(i) + (1 - lam) * smooth(j), 1e-6)
          << i << " " << cls;
    }
  }
  std::vector<float> inplace = rows;
  ASSERT_EQ(mixcut_mix_multi_labels(plan, n, inplace.data(), k, eps, inplace.data()), MIXCUT_OK)
      << mixcut_last_error();
  EXPECT_EQ(inplace, out);
  // Refused: NaN rows, overlapping out, eps outside [0, 1]; out untouched.
  std::vector<float> bad = rows;
  bad[5] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> untouched(rows.size(), -7.0f);
  EXPECT_EQ(mixcut_mix_multi_labels(plan, n, bad.data(), k, eps, untouched.data()),
            MIXCUT_ERR_BAD_PARAM);
  EXPECT_EQ(mixcut_mix_multi_labels(plan, n, rows.data(), k, eps, rows.data() + 1),
            MIXCUT_ERR_OVERLAP);
  EXPECT_EQ(mixcut_mix_multi_labels(plan, n, rows.data(), k, 1.5f, untouched.data()),
            MIXCUT_ERR_BAD_PARAM);
  EXPECT_EQ(untouched, std::vector<float>(rows.size(), -7.0f));
  EXPECT_EQ(mixcut_mix_multi_labels(nullptr, 0, nullptr, k, eps, nullptr), MIXCUT_OK);
}

// ---------------------------------------------------------------------------
// End to end: plan, apply, labels for odd and single-sample batches.

TEST(CapiEndToEnd, OddAndSingleBatches) {
  for (int64_t n : {1, 3, 7}) {
    SCOPED_TRACE(n);
    const int64_t c = 3, h = 16, w = 12, k = 10;
    mixcut_mix_policy policy = MixPolicy();
    policy.cutmix_alpha = 1.0f;
    policy.mode = MIXCUT_MODE_PAIR;
    const auto plan = Plan(policy, 17, 3, n, h, w);
    ExpectValidMixPlan(plan, h, w);
    const auto src = Pixels(size_t(n * c * h * w), 8);
    std::vector<uint8_t> dst(src.size());
    const mixcut_tensor s =
        Tensor(const_cast<uint8_t*>(src.data()), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w);
    const mixcut_tensor d = Tensor(dst.data(), MIXCUT_UINT8, MIXCUT_NCHW, n, c, h, w);
    ASSERT_EQ(mixcut_mix_apply(nullptr, plan.data(), &s, &d, nullptr), MIXCUT_OK)
        << mixcut_last_error();
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) labels[size_t(i)] = i % k;
    std::vector<float> targets(size_t(n * k));
    ASSERT_EQ(mixcut_mix_labels(plan.data(), n, labels.data(), k, 0.0f, targets.data()), MIXCUT_OK)
        << mixcut_last_error();
    for (int64_t i = 0; i < n; ++i) {
      double sum = 0;
      for (int64_t cls = 0; cls < k; ++cls) sum += targets[size_t(i * k + cls)];
      EXPECT_NEAR(sum, 1.0, 1e-5);
      if (plan[size_t(i)].kind == MIXCUT_KIND_NONE) {
        EXPECT_EQ(targets[size_t(i * k + labels[size_t(i)])], 1.0f);
        EXPECT_EQ(std::memcmp(&dst[size_t(i * c * h * w)], &src[size_t(i * c * h * w)],
                              size_t(c * h * w)),
                  0);
      }
    }
  }
}

}  // namespace
