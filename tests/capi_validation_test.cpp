// Every bad input of the C API gets its documented status, a message naming
// the argument, and leaves every output byte untouched. Goes through the
// shared library only, like a user.
#include <gtest/gtest.h>
#include <mixcut/mixcut.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

using mixcut::test::CanaryBuffer;
using mixcut::test::kCanary;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr uint64_t kMaxStep = (uint64_t(1) << 56) - 1;

// Leaves a known message behind so a stale one cannot pass for a fresh one.
void SeedLastError() {
  ASSERT_EQ(mixcut_ctx_get(nullptr, MIXCUT_OPT_NUM_THREADS, nullptr), MIXCUT_ERR_NULL_POINTER);
  ASSERT_NE(std::string(mixcut_last_error()).find("mixcut_ctx_get"), std::string::npos);
}

// The status is `want` and the message is this function's and names `needle`.
void ExpectFailure(mixcut_status got, mixcut_status want, const char* function,
                   const char* needle) {
  EXPECT_EQ(got, want) << "got " << mixcut_status_string(got) << ", wanted "
                       << mixcut_status_string(want) << "; message: " << mixcut_last_error();
  const std::string message = mixcut_last_error();
  EXPECT_EQ(message.rfind(function, 0), 0u) << "message not from " << function << ": " << message;
  EXPECT_NE(message.find(needle), std::string::npos)
      << "message does not mention '" << needle << "': " << message;
}

template <class Call>
struct Case {
  const char* what;
  std::function<void(Call&)> mutate;
  mixcut_status want;
  const char* needle;
};

// Runs every case on a fresh valid call and checks status, message, canary.
template <class Call>
void RunCases(const std::vector<Case<Call>>& cases, const char* function) {
  for (const Case<Call>& c : cases) {
    SCOPED_TRACE(c.what);
    Call call;
    c.mutate(call);
    SeedLastError();
    ExpectFailure(call.Run(), c.want, function, c.needle);
    EXPECT_TRUE(call.OutputsIntact());
  }
}

// ---------------------------------------------------------------------------
// Pixels: a valid mixcut_mix_apply / mixcut_cutout_apply call to mutate.

constexpr int64_t kN = 4, kC = 3, kH = 8, kW = 6;  // h != w to catch swapped sides

mixcut_tensor MakeTensor(void* data, int32_t dtype, int32_t layout) {
  mixcut_tensor t;
  t.data = data;
  t.dtype = dtype;
  t.layout = layout;
  t.n = kN;
  t.c = kC;
  t.h = kH;
  t.w = kW;
  t.sample_stride = 0;
  return t;
}

std::vector<mixcut_mix_sample> ValidMixPlan() {
  // Flip partners: 0 <-> 3, 1 <-> 2; one record of every kind.
  std::vector<mixcut_mix_sample> plan(kN);
  plan[0] = {3, 0.5f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0};
  plan[1] = {2, 0.75f, MIXCUT_KIND_CUTMIX, 2, 1, 4, 3};
  plan[2] = {2, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0};
  plan[3] = {0, 0.25f, MIXCUT_KIND_CUTMIX, 0, 0, kH, kW};
  return plan;
}

struct PixelCall {
  std::vector<uint8_t> src_bytes = std::vector<uint8_t>(kN * kC * kH * kW * 4, 7);
  CanaryBuffer dst_bytes{kN * kC * kH * kW * 4 * 2};
  mixcut_tensor src = MakeTensor(src_bytes.data(), MIXCUT_UINT8, MIXCUT_NCHW);
  mixcut_tensor dst = MakeTensor(dst_bytes.data(), MIXCUT_UINT8, MIXCUT_NHWC);
  const mixcut_tensor* src_arg = &src;
  const mixcut_tensor* dst_arg = &dst;
  std::vector<float> mean = std::vector<float>(kC, 0.5f);
  std::vector<float> stdev = std::vector<float>(kC, 0.25f);
  mixcut_normalize norm_value{mean.data(), stdev.data()};
  const mixcut_normalize* norm = nullptr;
  mixcut_ctx* ctx = nullptr;

  // Switches to the uint8 -> float32 pair with normalisation.
  void UseNorm() {
    dst.dtype = MIXCUT_FLOAT32;
    norm = &norm_value;
  }
  bool OutputsIntact() const { return dst_bytes.intact(); }
};

struct MixApplyCall : PixelCall {
  std::vector<mixcut_mix_sample> plan_records = ValidMixPlan();
  const mixcut_mix_sample* plan = plan_records.data();
  mixcut_status Run() { return mixcut_mix_apply(ctx, plan, src_arg, dst_arg, norm); }
};

struct CutoutApplyCall : PixelCall {
  std::vector<mixcut_cutout_hole> hole_records = {
      {0, 1, 1, 3, 4, 11}, {0, 0, 0, kH, kW, 12}, {2, 5, 2, 8, 6, 13}, {3, 0, 0, 0, 0, 14}};
  const mixcut_cutout_hole* holes = hole_records.data();
  int64_t num_holes = int64_t(hole_records.size());
  std::vector<float> channel_values = std::vector<float>(kC, 9.0f);
  mixcut_fill fill_value{MIXCUT_FILL_CONSTANT, 3.0f, channel_values.data()};
  const mixcut_fill* fill = &fill_value;
  mixcut_status Run() {
    return mixcut_cutout_apply(ctx, holes, num_holes, fill, src_arg, dst_arg, norm);
  }
};

// Tensor faults shared by both apply functions.
template <class Call>
std::vector<Case<Call>> TensorCases() {
  using C = Call;
  return {
      {"src NULL", [](C& c) { c.src_arg = nullptr; }, MIXCUT_ERR_NULL_POINTER, "src"},
      {"dst NULL", [](C& c) { c.dst_arg = nullptr; }, MIXCUT_ERR_NULL_POINTER, "dst"},
      {"src data NULL", [](C& c) { c.src.data = nullptr; }, MIXCUT_ERR_NULL_POINTER, "src->data"},
      {"dst data NULL", [](C& c) { c.dst.data = nullptr; }, MIXCUT_ERR_NULL_POINTER, "dst->data"},
      {"src dtype 0", [](C& c) { c.src.dtype = 0; }, MIXCUT_ERR_BAD_DTYPE, "src->dtype"},
      {"dst dtype 3", [](C& c) { c.dst.dtype = 3; }, MIXCUT_ERR_BAD_DTYPE, "dst->dtype"},
      {"f32 -> u8",
       [](C& c) {
         c.src.dtype = MIXCUT_FLOAT32;
         c.dst.dtype = MIXCUT_UINT8;
       },
       MIXCUT_ERR_BAD_DTYPE, "float32"},
      {"src layout 0", [](C& c) { c.src.layout = 0; }, MIXCUT_ERR_BAD_LAYOUT, "src->layout"},
      {"dst layout 3", [](C& c) { c.dst.layout = 3; }, MIXCUT_ERR_BAD_LAYOUT, "dst->layout"},
      {"src n -1", [](C& c) { c.src.n = -1; }, MIXCUT_ERR_BAD_SIZE, "src->n"},
      {"dst n > INT32_MAX", [](C& c) { c.dst.n = kInt32Max + 1; }, MIXCUT_ERR_BAD_SIZE, "dst->n"},
      {"src c 0", [](C& c) { c.src.c = 0; }, MIXCUT_ERR_BAD_SIZE, "src->c"},
      {"dst c -3", [](C& c) { c.dst.c = -3; }, MIXCUT_ERR_BAD_SIZE, "dst->c"},
      {"src h 0", [](C& c) { c.src.h = 0; }, MIXCUT_ERR_BAD_SIZE, "src->h"},
      {"dst w 0", [](C& c) { c.dst.w = 0; }, MIXCUT_ERR_BAD_SIZE, "dst->w"},
      {"src h > INT32_MAX", [](C& c) { c.src.h = kInt32Max + 1; }, MIXCUT_ERR_BAD_SIZE, "src->h"},
      {"dst w > INT32_MAX", [](C& c) { c.dst.w = kInt32Max + 1; }, MIXCUT_ERR_BAD_SIZE, "dst->w"},
      {"src stride < c*h*w", [](C& c) { c.src.sample_stride = kC * kH * kW - 1; },
       MIXCUT_ERR_BAD_SIZE, "src->sample_stride"},
      {"dst stride negative", [](C& c) { c.dst.sample_stride = -1; }, MIXCUT_ERR_BAD_SIZE,
       "dst->sample_stride"},
      {"c*h*w overflows",
       [](C& c) {
         c.src.c = int64_t(1) << 62;
         c.dst.c = c.src.c;
       },
       MIXCUT_ERR_BAD_SIZE, "src"},
      {"n*stride overflows", [](C& c) { c.src.sample_stride = int64_t(1) << 62; },
       MIXCUT_ERR_BAD_SIZE, "src"},
      {"float32 bytes overflow",
       [](C& c) {
         c.dst.dtype = MIXCUT_FLOAT32;
         c.dst.sample_stride = int64_t(1) << 60;  // elements fit int64, bytes do not
         c.norm = nullptr;
       },
       MIXCUT_ERR_BAD_SIZE, "dst"},
      {"n mismatch", [](C& c) { c.dst.n = kN - 1; }, MIXCUT_ERR_SHAPE_MISMATCH, "dst->n"},
      {"c mismatch", [](C& c) { c.dst.c = kC + 1; }, MIXCUT_ERR_SHAPE_MISMATCH, "dst->c"},
      {"h mismatch", [](C& c) { c.dst.h = kH - 1; }, MIXCUT_ERR_SHAPE_MISMATCH, "dst->h"},
      {"w mismatch", [](C& c) { c.dst.w = kW + 1; }, MIXCUT_ERR_SHAPE_MISMATCH, "dst->w"},
      {"norm with u8 -> u8", [](C& c) { c.norm = &c.norm_value; }, MIXCUT_ERR_BAD_PARAM, "norm"},
      {"norm with f32 -> f32",
       [](C& c) {
         c.UseNorm();
         c.src.dtype = MIXCUT_FLOAT32;
       },
       MIXCUT_ERR_BAD_PARAM, "norm"},
      {"norm std 0",
       [](C& c) {
         c.UseNorm();
         c.stdev[1] = 0.0f;
       },
       MIXCUT_ERR_BAD_PARAM, "norm->std[1]"},
      {"norm std negative",
       [](C& c) {
         c.UseNorm();
         c.stdev[2] = -1.0f;
       },
       MIXCUT_ERR_BAD_PARAM, "norm->std[2]"},
      {"norm std NaN",
       [](C& c) {
         c.UseNorm();
         c.stdev[0] = kNaN;
       },
       MIXCUT_ERR_BAD_PARAM, "norm->std[0]"},
      {"norm std inf",
       [](C& c) {
         c.UseNorm();
         c.stdev[0] = kInf;
       },
       MIXCUT_ERR_BAD_PARAM, "norm->std[0]"},
      {"norm mean NaN",
       [](C& c) {
         c.UseNorm();
         c.mean[2] = kNaN;
       },
       MIXCUT_ERR_BAD_PARAM, "norm->mean[2]"},
      {"norm mean -inf",
       [](C& c) {
         c.UseNorm();
         c.mean[0] = -kInf;
       },
       MIXCUT_ERR_BAD_PARAM, "norm->mean[0]"},
      {"dst overlaps src by one sample",
       [](C& c) {
         c.src.data = c.dst_bytes.data();
         c.dst.layout = MIXCUT_NCHW;
         c.dst.data = c.dst_bytes.template as<uint8_t>() + kC * kH * kW;
       },
       MIXCUT_ERR_OVERLAP, "overlap"},
      {"dst overlaps src by one byte",
       [](C& c) { c.src.data = c.dst_bytes.template as<uint8_t>() + kN * kC * kH * kW - 1; },
       MIXCUT_ERR_OVERLAP, "overlap"},
      {"same data, other layout", [](C& c) { c.src.data = c.dst.data; },  // src NCHW, dst NHWC
       MIXCUT_ERR_OVERLAP, "layout"},
      {"same data, other stride",
       [](C& c) {
         c.src.data = c.dst.data;
         c.dst.layout = MIXCUT_NCHW;
         c.dst.sample_stride = kC * kH * kW + 1;
       },
       MIXCUT_ERR_OVERLAP, "stride"},
      {"same data, other dtype",
       [](C& c) {
         c.src.data = c.dst.data;
         c.dst.layout = MIXCUT_NCHW;
         c.UseNorm();
         c.norm = nullptr;
       },
       MIXCUT_ERR_OVERLAP, "dtype"},
  };
}

TEST(CapiMixApplyValidation, TensorFaults) {
  RunCases(TensorCases<MixApplyCall>(), "mixcut_mix_apply");
}

TEST(CapiMixApplyValidation, PlanFaults) {
  using C = MixApplyCall;
  std::vector<Case<C>> cases = {
      {"plan NULL", [](C& c) { c.plan = nullptr; }, MIXCUT_ERR_NULL_POINTER, "plan"},
      {"partner -1", [](C& c) { c.plan_records[1].partner = -1; }, MIXCUT_ERR_BAD_PARTNER,
       "plan[1].partner = -1"},
      {"partner n", [](C& c) { c.plan_records[3].partner = kN; }, MIXCUT_ERR_BAD_PARTNER,
       "plan[3].partner = 4 is outside [0, 4)"},
      {"partner n on a NONE record", [](C& c) { c.plan_records[2].partner = 1000; },
       MIXCUT_ERR_BAD_PARTNER, "plan[2].partner"},
      {"lam NaN", [](C& c) { c.plan_records[0].lam = kNaN; }, MIXCUT_ERR_BAD_LAM, "plan[0].lam"},
      {"lam negative", [](C& c) { c.plan_records[0].lam = -0.01f; }, MIXCUT_ERR_BAD_LAM,
       "plan[0].lam"},
      {"lam above 1", [](C& c) { c.plan_records[1].lam = 1.01f; }, MIXCUT_ERR_BAD_LAM,
       "plan[1].lam"},
      {"lam inf", [](C& c) { c.plan_records[2].lam = kInf; }, MIXCUT_ERR_BAD_LAM, "plan[2].lam"},
      {"kind 3", [](C& c) { c.plan_records[0].kind = 3; }, MIXCUT_ERR_BAD_ENUM, "plan[0].kind"},
      {"kind -1", [](C& c) { c.plan_records[3].kind = -1; }, MIXCUT_ERR_BAD_ENUM, "plan[3].kind"},
      {"box y1 > h", [](C& c) { c.plan_records[1].y1 = kH + 1; }, MIXCUT_ERR_BAD_BOX,
       "plan[1] box"},
      {"box x1 > w", [](C& c) { c.plan_records[3].x1 = kW + 1; }, MIXCUT_ERR_BAD_BOX,
       "plan[3] box"},
      {"box y0 < 0", [](C& c) { c.plan_records[1].y0 = -1; }, MIXCUT_ERR_BAD_BOX, "plan[1] box"},
      {"box x0 < 0", [](C& c) { c.plan_records[1].x0 = -1; }, MIXCUT_ERR_BAD_BOX, "plan[1] box"},
      {"box y0 > y1", [](C& c) { c.plan_records[1].y0 = 5; }, MIXCUT_ERR_BAD_BOX, "plan[1] box"},
      {"box x0 > x1", [](C& c) { c.plan_records[1].x0 = 4; }, MIXCUT_ERR_BAD_BOX, "plan[1] box"},
  };
  RunCases(cases, "mixcut_mix_apply");
}

TEST(CapiCutoutApplyValidation, TensorFaults) {
  RunCases(TensorCases<CutoutApplyCall>(), "mixcut_cutout_apply");
}

TEST(CapiCutoutApplyValidation, HoleAndFillFaults) {
  using C = CutoutApplyCall;
  std::vector<Case<C>> cases = {
      {"holes NULL", [](C& c) { c.holes = nullptr; }, MIXCUT_ERR_NULL_POINTER, "holes"},
      {"fill NULL", [](C& c) { c.fill = nullptr; }, MIXCUT_ERR_NULL_POINTER, "fill"},
      {"channel values NULL",
       [](C& c) {
         c.fill_value.kind = MIXCUT_FILL_CHANNEL;
         c.fill_value.channel_values = nullptr;
       },
       MIXCUT_ERR_NULL_POINTER, "fill->channel_values"},
      {"num_holes negative", [](C& c) { c.num_holes = -1; }, MIXCUT_ERR_BAD_SIZE, "num_holes"},
      {"fill kind 0", [](C& c) { c.fill_value.kind = 0; }, MIXCUT_ERR_BAD_ENUM, "fill->kind"},
      {"fill kind 5", [](C& c) { c.fill_value.kind = 5; }, MIXCUT_ERR_BAD_ENUM, "fill->kind"},
      {"u8 value rounds to -1", [](C& c) { c.fill_value.value = -0.6f; }, MIXCUT_ERR_BAD_PARAM,
       "fill->value"},
      {"u8 value 255.5 rounds to 256", [](C& c) { c.fill_value.value = 255.5f; },
       MIXCUT_ERR_BAD_PARAM, "fill->value"},
      {"u8 value 300", [](C& c) { c.fill_value.value = 300.0f; }, MIXCUT_ERR_BAD_PARAM,
       "fill->value"},
      {"u8 value NaN", [](C& c) { c.fill_value.value = kNaN; }, MIXCUT_ERR_BAD_PARAM,
       "fill->value"},
      {"f32 value inf",
       [](C& c) {
         c.UseNorm();
         c.fill_value.value = kInf;
       },
       MIXCUT_ERR_BAD_PARAM, "fill->value"},
      {"f32 value NaN",
       [](C& c) {
         c.UseNorm();
         c.fill_value.value = kNaN;
       },
       MIXCUT_ERR_BAD_PARAM, "fill->value"},
      {"u8 channel value 256",
       [](C& c) {
         c.fill_value.kind = MIXCUT_FILL_CHANNEL;
         c.channel_values[2] = 256.0f;
       },
       MIXCUT_ERR_BAD_PARAM, "fill->channel_values[2]"},
      {"f32 channel value NaN",
       [](C& c) {
         c.UseNorm();
         c.fill_value.kind = MIXCUT_FILL_CHANNEL;
         c.channel_values[1] = kNaN;
       },
       MIXCUT_ERR_BAD_PARAM, "fill->channel_values[1]"},
      {"hole sample -1", [](C& c) { c.hole_records[0].sample = -1; }, MIXCUT_ERR_BAD_PARTNER,
       "holes[0].sample"},
      {"hole sample n", [](C& c) { c.hole_records[3].sample = kN; }, MIXCUT_ERR_BAD_PARTNER,
       "holes[3].sample = 4 is outside [0, 4)"},
      {"holes not ordered by sample", [](C& c) { c.hole_records[1].sample = 3; },
       MIXCUT_ERR_BAD_PARAM, "holes[2].sample = 2 is less than holes[1].sample = 3"},
      {"hole y1 > h", [](C& c) { c.hole_records[2].y1 = kH + 1; }, MIXCUT_ERR_BAD_BOX,
       "holes[2] box"},
      {"hole x1 > w", [](C& c) { c.hole_records[1].x1 = kW + 1; }, MIXCUT_ERR_BAD_BOX,
       "holes[1] box"},
      {"hole y0 > y1", [](C& c) { c.hole_records[0].y0 = 4; }, MIXCUT_ERR_BAD_BOX, "holes[0] box"},
      {"hole x0 < 0", [](C& c) { c.hole_records[0].x0 = -2; }, MIXCUT_ERR_BAD_BOX, "holes[0] box"},
  };
#if !defined(__SANITIZE_ADDRESS__)
  // 2^58 - 1 records is a legal count whose copy cannot be allocated; the
  // library stops at that allocation, before reading past record 0.
  // AddressSanitizer's operator new aborts instead of throwing bad_alloc, so
  // this case runs only in builds without it.
  cases.push_back({"scratch too large for memory",
                   [](C& c) { c.num_holes = (int64_t(1) << 58) - 1; }, MIXCUT_ERR_OUT_OF_MEMORY,
                   "out of memory"});
#endif
  RunCases(cases, "mixcut_cutout_apply");
}

TEST(CapiCutoutApplyValidation, BoundaryFillValuesAreAccepted) {
  // -0.5 and 255.4 round (half to even) into [0, 255]: valid for uint8.
  for (float value : {-0.5f, 0.0f, 255.0f, 255.4f}) {
    CutoutApplyCall call;
    call.fill_value.value = value;
    EXPECT_EQ(call.Run(), MIXCUT_OK) << value << ": " << mixcut_last_error();
  }
}

// ---------------------------------------------------------------------------
// mixcut_mix_plan

mixcut_mix_policy DefaultMixPolicy() {
  mixcut_mix_policy p;
  EXPECT_EQ(mixcut_mix_policy_init(&p), MIXCUT_OK);
  return p;
}

struct MixPlanCall {
  mixcut_mix_policy policy_value = DefaultMixPolicy();
  const mixcut_mix_policy* policy = &policy_value;
  std::vector<int64_t> partner_index = {3, 2, 1, 0};
  uint64_t seed = 42, step = 7;
  int64_t n = kN, h = kH, w = kW;
  CanaryBuffer out_bytes{sizeof(mixcut_mix_sample) * 8};
  mixcut_mix_sample* out = out_bytes.as<mixcut_mix_sample>();
  mixcut_status Run() { return mixcut_mix_plan(policy, seed, step, n, h, w, out); }
  bool OutputsIntact() const { return out_bytes.intact(); }
  void UseExplicit() {
    policy_value.partner = MIXCUT_PARTNER_EXPLICIT;
    policy_value.partner_index = partner_index.data();
  }
};

TEST(CapiMixPlanValidation, Faults) {
  using C = MixPlanCall;
  std::vector<Case<C>> cases = {
      {"policy NULL", [](C& c) { c.policy = nullptr; }, MIXCUT_ERR_NULL_POINTER, "policy"},
      {"out NULL", [](C& c) { c.out = nullptr; }, MIXCUT_ERR_NULL_POINTER, "out"},
      {"n -1", [](C& c) { c.n = -1; }, MIXCUT_ERR_BAD_SIZE, "n = -1"},
      {"n > INT32_MAX", [](C& c) { c.n = kInt32Max + 1; }, MIXCUT_ERR_BAD_SIZE, "n = "},
      {"h 0", [](C& c) { c.h = 0; }, MIXCUT_ERR_BAD_SIZE, "h = 0"},
      {"w -1", [](C& c) { c.w = -1; }, MIXCUT_ERR_BAD_SIZE, "w = -1"},
      {"h > INT32_MAX", [](C& c) { c.h = kInt32Max + 1; }, MIXCUT_ERR_BAD_SIZE, "h = "},
      {"w > INT32_MAX", [](C& c) { c.w = kInt32Max + 1; }, MIXCUT_ERR_BAD_SIZE, "w = "},
      {"mode 0", [](C& c) { c.policy_value.mode = 0; }, MIXCUT_ERR_BAD_ENUM, "policy->mode"},
      {"mode 4", [](C& c) { c.policy_value.mode = 4; }, MIXCUT_ERR_BAD_ENUM, "policy->mode"},
      {"partner 0", [](C& c) { c.policy_value.partner = 0; }, MIXCUT_ERR_BAD_ENUM,
       "policy->partner"},
      {"partner 5", [](C& c) { c.policy_value.partner = 5; }, MIXCUT_ERR_BAD_ENUM,
       "policy->partner"},
      {"mixup_alpha NaN", [](C& c) { c.policy_value.mixup_alpha = kNaN; }, MIXCUT_ERR_BAD_PARAM,
       "policy->mixup_alpha"},
      {"mixup_alpha inf", [](C& c) { c.policy_value.mixup_alpha = kInf; }, MIXCUT_ERR_BAD_PARAM,
       "policy->mixup_alpha"},
      {"mixup_alpha negative", [](C& c) { c.policy_value.mixup_alpha = -1.0f; },
       MIXCUT_ERR_BAD_PARAM, "policy->mixup_alpha"},
      {"cutmix_alpha NaN", [](C& c) { c.policy_value.cutmix_alpha = kNaN; }, MIXCUT_ERR_BAD_PARAM,
       "policy->cutmix_alpha"},
      {"cutmix_alpha inf", [](C& c) { c.policy_value.cutmix_alpha = kInf; }, MIXCUT_ERR_BAD_PARAM,
       "policy->cutmix_alpha"},
      {"cutmix_alpha negative", [](C& c) { c.policy_value.cutmix_alpha = -0.5f; },
       MIXCUT_ERR_BAD_PARAM, "policy->cutmix_alpha"},
      {"both alphas 0, no minmax", [](C& c) { c.policy_value.mixup_alpha = 0.0f; },
       MIXCUT_ERR_BAD_PARAM, "mixup_alpha = 0"},
      {"prob NaN", [](C& c) { c.policy_value.prob = kNaN; }, MIXCUT_ERR_BAD_PARAM, "policy->prob"},
      {"prob -0.1", [](C& c) { c.policy_value.prob = -0.1f; }, MIXCUT_ERR_BAD_PARAM,
       "policy->prob"},
      {"prob 1.1", [](C& c) { c.policy_value.prob = 1.1f; }, MIXCUT_ERR_BAD_PARAM, "policy->prob"},
      {"switch_prob NaN", [](C& c) { c.policy_value.switch_prob = kNaN; }, MIXCUT_ERR_BAD_PARAM,
       "policy->switch_prob"},
      {"switch_prob 2", [](C& c) { c.policy_value.switch_prob = 2.0f; }, MIXCUT_ERR_BAD_PARAM,
       "policy->switch_prob"},
      {"switch_prob -1", [](C& c) { c.policy_value.switch_prob = -1.0f; }, MIXCUT_ERR_BAD_PARAM,
       "policy->switch_prob"},
      {"minmax lo > hi",
       [](C& c) {
         c.policy_value.cutmix_minmax_lo = 0.6f;
         c.policy_value.cutmix_minmax_hi = 0.4f;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->cutmix_minmax"},
      {"minmax hi > 1", [](C& c) { c.policy_value.cutmix_minmax_hi = 1.5f; }, MIXCUT_ERR_BAD_PARAM,
       "policy->cutmix_minmax"},
      {"minmax lo < 0",
       [](C& c) {
         c.policy_value.cutmix_minmax_lo = -0.1f;
         c.policy_value.cutmix_minmax_hi = 0.5f;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->cutmix_minmax"},
      {"minmax NaN", [](C& c) { c.policy_value.cutmix_minmax_hi = kNaN; }, MIXCUT_ERR_BAD_PARAM,
       "policy->cutmix_minmax"},
      {"minmax lo == hi != 0",
       [](C& c) {
         c.policy_value.cutmix_minmax_lo = 0.5f;
         c.policy_value.cutmix_minmax_hi = 0.5f;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->cutmix_minmax"},
      {"reserved 1", [](C& c) { c.policy_value.reserved = 1; }, MIXCUT_ERR_BAD_PARAM,
       "policy->reserved"},
      {"step 2^56", [](C& c) { c.step = kMaxStep + 1; }, MIXCUT_ERR_BAD_PARAM, "step"},
      {"step max uint64", [](C& c) { c.step = ~uint64_t(0); }, MIXCUT_ERR_BAD_PARAM, "step"},
      {"explicit partners NULL",
       [](C& c) {
         c.UseExplicit();
         c.policy_value.partner_index = nullptr;
       },
       MIXCUT_ERR_NULL_POINTER, "policy->partner_index"},
      {"explicit partner -1",
       [](C& c) {
         c.UseExplicit();
         c.partner_index[2] = -1;
       },
       MIXCUT_ERR_BAD_PARTNER, "policy->partner_index[2] = -1"},
      {"explicit partner n",
       [](C& c) {
         c.UseExplicit();
         c.partner_index[0] = kN;
       },
       MIXCUT_ERR_BAD_PARTNER, "policy->partner_index[0] = 4 is outside [0, 4)"},
  };
  RunCases(cases, "mixcut_mix_plan");
}

// ---------------------------------------------------------------------------
// mixcut_mix_labels and mixcut_mix_soft_labels

constexpr int64_t kK = 5;

struct LabelCall {
  std::vector<mixcut_mix_sample> plan_records = ValidMixPlan();
  const mixcut_mix_sample* plan = plan_records.data();
  int64_t n = kN, num_classes = kK;
  float eps = 0.1f;
  CanaryBuffer out_bytes{sizeof(float) * kN * kK};
  float* out = out_bytes.as<float>();
  bool OutputsIntact() const { return out_bytes.intact(); }
};

struct HardLabelCall : LabelCall {
  std::vector<int64_t> label_values = {0, 4, 2, 1};
  const int64_t* labels = label_values.data();
  mixcut_status Run() { return mixcut_mix_labels(plan, n, labels, num_classes, eps, out); }
};

struct SoftLabelCall : LabelCall {
  std::vector<float> soft_values = std::vector<float>(kN * kK, 0.2f);
  const float* soft = soft_values.data();
  mixcut_status Run() { return mixcut_mix_soft_labels(plan, n, soft, num_classes, eps, out); }
};

// Faults both label functions share.
template <class C>
std::vector<Case<C>> CommonLabelCases() {
  return {
      {"plan NULL", [](C& c) { c.plan = nullptr; }, MIXCUT_ERR_NULL_POINTER, "plan"},
      {"out NULL", [](C& c) { c.out = nullptr; }, MIXCUT_ERR_NULL_POINTER, "out"},
      {"n -1", [](C& c) { c.n = -1; }, MIXCUT_ERR_BAD_SIZE, "n = -1"},
      {"n > INT32_MAX", [](C& c) { c.n = kInt32Max + 1; }, MIXCUT_ERR_BAD_SIZE, "n = "},
      {"K 0", [](C& c) { c.num_classes = 0; }, MIXCUT_ERR_BAD_SIZE, "num_classes = 0"},
      {"K -2", [](C& c) { c.num_classes = -2; }, MIXCUT_ERR_BAD_SIZE, "num_classes = -2"},
      {"n * K overflows", [](C& c) { c.num_classes = int64_t(1) << 62; }, MIXCUT_ERR_BAD_SIZE,
       "num_classes"},
      {"eps negative", [](C& c) { c.eps = -0.1f; }, MIXCUT_ERR_BAD_PARAM, "label_smoothing"},
      {"eps above 1", [](C& c) { c.eps = 1.5f; }, MIXCUT_ERR_BAD_PARAM, "label_smoothing"},
      {"eps NaN", [](C& c) { c.eps = kNaN; }, MIXCUT_ERR_BAD_PARAM, "label_smoothing"},
      {"plan partner n", [](C& c) { c.plan_records[2].partner = kN; }, MIXCUT_ERR_BAD_PARTNER,
       "plan[2].partner"},
      {"plan partner -1", [](C& c) { c.plan_records[0].partner = -1; }, MIXCUT_ERR_BAD_PARTNER,
       "plan[0].partner"},
      {"plan lam 2", [](C& c) { c.plan_records[3].lam = 2.0f; }, MIXCUT_ERR_BAD_LAM, "plan[3].lam"},
      {"plan lam NaN", [](C& c) { c.plan_records[1].lam = kNaN; }, MIXCUT_ERR_BAD_LAM,
       "plan[1].lam"},
      {"plan kind 7", [](C& c) { c.plan_records[1].kind = 7; }, MIXCUT_ERR_BAD_ENUM,
       "plan[1].kind"},
  };
}

TEST(CapiMixLabelsValidation, Faults) {
  using C = HardLabelCall;
  std::vector<Case<C>> cases = CommonLabelCases<C>();
  std::vector<Case<C>> own = {
      {"labels NULL", [](C& c) { c.labels = nullptr; }, MIXCUT_ERR_NULL_POINTER, "labels"},
      {"label -1", [](C& c) { c.label_values[1] = -1; }, MIXCUT_ERR_BAD_LABEL, "labels[1] = -1"},
      {"label K", [](C& c) { c.label_values[3] = kK; }, MIXCUT_ERR_BAD_LABEL,
       "labels[3] = 5 is outside [0, 5)"},
  };
  cases.insert(cases.end(), own.begin(), own.end());
  RunCases(cases, "mixcut_mix_labels");
}

TEST(CapiMixLabelsValidation, OutOverlappingLabels) {
  // Labels live at the start of a buffer that out also covers.
  std::vector<int64_t> buffer(kN + kN * kK, 0);
  for (int64_t i = 0; i < kN; ++i) buffer[i] = i % kK;
  const std::vector<int64_t> before = buffer;
  const std::vector<mixcut_mix_sample> plan = ValidMixPlan();
  float* out = reinterpret_cast<float*>(buffer.data()) + 2;  // inside the labels
  SeedLastError();
  ExpectFailure(mixcut_mix_labels(plan.data(), kN, buffer.data(), kK, 0.0f, out),
                MIXCUT_ERR_OVERLAP, "mixcut_mix_labels", "labels");
  EXPECT_EQ(buffer, before);
}

TEST(CapiMixSoftLabelsValidation, Faults) {
  using C = SoftLabelCall;
  std::vector<Case<C>> cases = CommonLabelCases<C>();
  std::vector<Case<C>> own = {
      {"soft NULL", [](C& c) { c.soft = nullptr; }, MIXCUT_ERR_NULL_POINTER, "soft"},
      {"soft NaN", [](C& c) { c.soft_values[7] = kNaN; }, MIXCUT_ERR_BAD_PARAM, "soft[1][2]"},
      {"soft inf", [](C& c) { c.soft_values[19] = -kInf; }, MIXCUT_ERR_BAD_PARAM, "soft[3][4]"},
  };
  cases.insert(cases.end(), own.begin(), own.end());
  RunCases(cases, "mixcut_mix_soft_labels");
}

TEST(CapiMixSoftLabelsValidation, PartialOverlap) {
  CanaryBuffer buffer(sizeof(float) * (kN * kK + 1));
  const std::vector<mixcut_mix_sample> plan = ValidMixPlan();
  float* soft = buffer.as<float>();
  // Make the soft rows valid numbers... but keep the canary bytes: 0xABABABAB
  // is a finite float (-1.2e-12), so the buffer is valid input as it is.
  ASSERT_TRUE(std::isfinite(soft[0]));
  SeedLastError();
  ExpectFailure(mixcut_mix_soft_labels(plan.data(), kN, soft, kK, 0.1f, soft + 1),
                MIXCUT_ERR_OVERLAP, "mixcut_mix_soft_labels", "overlap");
  EXPECT_TRUE(buffer.intact());
}

// ---------------------------------------------------------------------------
// mixcut_cutout_plan

mixcut_cutout_policy DefaultCutoutPolicy() {
  mixcut_cutout_policy p;
  EXPECT_EQ(mixcut_cutout_policy_init(&p), MIXCUT_OK);
  p.length = 4;  // fits the 8 x 6 test image
  return p;
}

struct CutoutPlanCall {
  mixcut_cutout_policy policy_value = DefaultCutoutPolicy();
  const mixcut_cutout_policy* policy = &policy_value;
  uint64_t seed = 5, step = 3;
  int64_t n = kN, h = kH, w = kW;
  CanaryBuffer out_bytes{sizeof(mixcut_cutout_hole) * kN * 4};
  CanaryBuffer count_bytes{sizeof(int64_t)};
  mixcut_cutout_hole* out = out_bytes.as<mixcut_cutout_hole>();
  int64_t* count = count_bytes.as<int64_t>();
  mixcut_status Run() { return mixcut_cutout_plan(policy, seed, step, n, h, w, out, count); }
  bool OutputsIntact() const { return out_bytes.intact() && count_bytes.intact(); }
  void UseErasing() { policy_value.form = MIXCUT_CUTOUT_ERASING; }
};

TEST(CapiCutoutPlanValidation, Faults) {
  using C = CutoutPlanCall;
  std::vector<Case<C>> cases = {
      {"policy NULL", [](C& c) { c.policy = nullptr; }, MIXCUT_ERR_NULL_POINTER, "policy"},
      {"out NULL", [](C& c) { c.out = nullptr; }, MIXCUT_ERR_NULL_POINTER, "out"},
      {"count NULL", [](C& c) { c.count = nullptr; }, MIXCUT_ERR_NULL_POINTER, "count"},
      {"n -1", [](C& c) { c.n = -1; }, MIXCUT_ERR_BAD_SIZE, "n = -1"},
      {"n > INT32_MAX", [](C& c) { c.n = kInt32Max + 1; }, MIXCUT_ERR_BAD_SIZE, "n = "},
      {"h 0", [](C& c) { c.h = 0; }, MIXCUT_ERR_BAD_SIZE, "h = 0"},
      {"w > INT32_MAX", [](C& c) { c.w = kInt32Max + 1; }, MIXCUT_ERR_BAD_SIZE, "w = "},
      {"form 0", [](C& c) { c.policy_value.form = 0; }, MIXCUT_ERR_BAD_ENUM, "policy->form"},
      {"form 3", [](C& c) { c.policy_value.form = 3; }, MIXCUT_ERR_BAD_ENUM, "policy->form"},
      {"prob NaN", [](C& c) { c.policy_value.prob = kNaN; }, MIXCUT_ERR_BAD_PARAM, "policy->prob"},
      {"prob 1.5", [](C& c) { c.policy_value.prob = 1.5f; }, MIXCUT_ERR_BAD_PARAM, "policy->prob"},
      {"prob -0.5", [](C& c) { c.policy_value.prob = -0.5f; }, MIXCUT_ERR_BAD_PARAM,
       "policy->prob"},
      {"min_count -1", [](C& c) { c.policy_value.min_count = -1; }, MIXCUT_ERR_BAD_PARAM,
       "policy->min_count"},
      {"min_count > max_count", [](C& c) { c.policy_value.min_count = 2; }, MIXCUT_ERR_BAD_PARAM,
       "policy->min_count = 2"},
      {"max_count above the cap", [](C& c) { c.policy_value.max_count = 1025; },
       MIXCUT_ERR_BAD_PARAM, "policy->max_count = 1025"},
      {"length 0", [](C& c) { c.policy_value.length = 0; }, MIXCUT_ERR_BAD_PARAM, "policy->length"},
      {"length -4", [](C& c) { c.policy_value.length = -4; }, MIXCUT_ERR_BAD_PARAM,
       "policy->length"},
      {"length > w", [](C& c) { c.policy_value.length = kW + 1; }, MIXCUT_ERR_BAD_BOX,
       "policy->length = 7"},
      {"length > h",
       [](C& c) {
         c.w = 100;
         c.policy_value.length = kH + 1;
       },
       MIXCUT_ERR_BAD_BOX, "policy->length = 9"},
      {"scale lo 0",
       [](C& c) {
         c.UseErasing();
         c.policy_value.scale_lo = 0.0f;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->scale"},
      {"scale lo > hi",
       [](C& c) {
         c.UseErasing();
         c.policy_value.scale_lo = 0.5f;
         c.policy_value.scale_hi = 0.4f;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->scale"},
      {"scale hi > 1",
       [](C& c) {
         c.UseErasing();
         c.policy_value.scale_hi = 1.01f;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->scale"},
      {"scale NaN",
       [](C& c) {
         c.UseErasing();
         c.policy_value.scale_lo = kNaN;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->scale"},
      {"ratio lo 0",
       [](C& c) {
         c.UseErasing();
         c.policy_value.ratio_lo = 0.0f;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->ratio"},
      {"ratio lo > hi",
       [](C& c) {
         c.UseErasing();
         c.policy_value.ratio_lo = 3.0f;
         c.policy_value.ratio_hi = 2.0f;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->ratio"},
      {"ratio hi inf",
       [](C& c) {
         c.UseErasing();
         c.policy_value.ratio_hi = kInf;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->ratio"},
      {"ratio NaN",
       [](C& c) {
         c.UseErasing();
         c.policy_value.ratio_hi = kNaN;
       },
       MIXCUT_ERR_BAD_PARAM, "policy->ratio"},
      {"reserved -1", [](C& c) { c.policy_value.reserved = -1; }, MIXCUT_ERR_BAD_PARAM,
       "policy->reserved"},
      {"step 2^56", [](C& c) { c.step = kMaxStep + 1; }, MIXCUT_ERR_BAD_PARAM, "step"},
  };
  RunCases(cases, "mixcut_cutout_plan");
}

TEST(CapiCutoutPlanValidation, ErasingIgnoresLength) {
  // length only matters for HOLES: an erasing policy with a huge length is fine.
  CutoutPlanCall call;
  call.UseErasing();
  call.policy_value.length = 1000;
  EXPECT_EQ(call.Run(), MIXCUT_OK) << mixcut_last_error();
  EXPECT_EQ(*call.count, kN);
}

// ---------------------------------------------------------------------------
// Context and small functions

TEST(CapiCtxValidation, Faults) {
  SeedLastError();
  ExpectFailure(mixcut_ctx_create(nullptr), MIXCUT_ERR_NULL_POINTER, "mixcut_ctx_create", "out");

  SeedLastError();
  ExpectFailure(mixcut_ctx_set(nullptr, MIXCUT_OPT_NUM_THREADS, 1), MIXCUT_ERR_NULL_POINTER,
                "mixcut_ctx_set", "ctx");

  mixcut_ctx* ctx = nullptr;
  ASSERT_EQ(mixcut_ctx_create(&ctx), MIXCUT_OK);
  int64_t before[6] = {};
  for (int32_t key = 1; key <= 5; ++key)
    ASSERT_EQ(mixcut_ctx_get(ctx, key, &before[key]), MIXCUT_OK);

  struct SetCase {
    int32_t key;
    int64_t value;
    mixcut_status want;
    const char* needle;
  };
  const SetCase set_cases[] = {
      {MIXCUT_OPT_NUM_THREADS, -1, MIXCUT_ERR_BAD_PARAM, "value = -1"},
      {MIXCUT_OPT_NUM_THREADS, int64_t(1) << 40, MIXCUT_ERR_BAD_PARAM, "NUM_THREADS"},
      {MIXCUT_OPT_MAX_ISA, -1, MIXCUT_ERR_BAD_PARAM, "MAX_ISA"},
      {MIXCUT_OPT_MAX_ISA, 4, MIXCUT_ERR_BAD_PARAM, "value = 4"},
      {MIXCUT_OPT_BACKEND, MIXCUT_BACKEND_CUDA, MIXCUT_ERR_UNSUPPORTED, "CUDA"},
      {MIXCUT_OPT_BACKEND, 0, MIXCUT_ERR_BAD_PARAM, "BACKEND"},
      {MIXCUT_OPT_BACKEND, 3, MIXCUT_ERR_BAD_PARAM, "value = 3"},
      {0, 1, MIXCUT_ERR_BAD_ENUM, "key = 0"},
      {MIXCUT_OPT_STREAM_THRESHOLD, -1, MIXCUT_ERR_BAD_PARAM, "STREAM_THRESHOLD"},
      {6, 1, MIXCUT_ERR_BAD_ENUM, "key = 6"},
  };
  for (const SetCase& c : set_cases) {
    SCOPED_TRACE(testing::Message() << "key " << c.key << " value " << c.value);
    SeedLastError();
    ExpectFailure(mixcut_ctx_set(ctx, c.key, c.value), c.want, "mixcut_ctx_set", c.needle);
    for (int32_t key = 1; key <= 5; ++key) {
      int64_t now = 0;
      ASSERT_EQ(mixcut_ctx_get(ctx, key, &now), MIXCUT_OK);
      EXPECT_EQ(now, before[key]) << "option " << key << " changed by a failed set";
    }
  }

  SeedLastError();
  ExpectFailure(mixcut_ctx_get(ctx, MIXCUT_OPT_MAX_ISA, nullptr), MIXCUT_ERR_NULL_POINTER,
                "mixcut_ctx_get", "value");
  int64_t value = 0x5A5A;
  SeedLastError();
  ExpectFailure(mixcut_ctx_get(ctx, 9, &value), MIXCUT_ERR_BAD_ENUM, "mixcut_ctx_get", "key = 9");
  EXPECT_EQ(value, 0x5A5A);
  SeedLastError();
  ExpectFailure(mixcut_ctx_get(nullptr, MIXCUT_OPT_MAX_ISA, &value), MIXCUT_ERR_NULL_POINTER,
                "mixcut_ctx_get", "ctx");
  EXPECT_EQ(value, 0x5A5A);
  SeedLastError();
  ExpectFailure(mixcut_ctx_isa(ctx, nullptr), MIXCUT_ERR_NULL_POINTER, "mixcut_ctx_isa", "isa");
  mixcut_ctx_destroy(ctx);
}

TEST(CapiPolicyInitValidation, NullPolicy) {
  SeedLastError();
  ExpectFailure(mixcut_mix_policy_init(nullptr), MIXCUT_ERR_NULL_POINTER, "mixcut_mix_policy_init",
                "policy");
  SeedLastError();
  ExpectFailure(mixcut_cutout_policy_init(nullptr), MIXCUT_ERR_NULL_POINTER,
                "mixcut_cutout_policy_init", "policy");
}

// ---------------------------------------------------------------------------
// The baselines every fault above mutates are valid, so each failure is due
// to its one mutation and nothing else.

TEST(CapiValidationBaselines, ValidCallsSucceed) {
  {
    MixApplyCall call;
    EXPECT_EQ(call.Run(), MIXCUT_OK) << mixcut_last_error();
    call.UseNorm();
    EXPECT_EQ(call.Run(), MIXCUT_OK) << mixcut_last_error();
  }
  {
    CutoutApplyCall call;
    EXPECT_EQ(call.Run(), MIXCUT_OK) << mixcut_last_error();
    call.fill_value.kind = MIXCUT_FILL_CHANNEL;
    EXPECT_EQ(call.Run(), MIXCUT_OK) << mixcut_last_error();
  }
  {
    MixPlanCall call;
    EXPECT_EQ(call.Run(), MIXCUT_OK) << mixcut_last_error();
    MixPlanCall explicit_call;
    explicit_call.UseExplicit();
    EXPECT_EQ(explicit_call.Run(), MIXCUT_OK) << mixcut_last_error();
    MixPlanCall minmax_only;  // both alphas 0 is fine when minmax is on
    minmax_only.policy_value.mixup_alpha = 0.0f;
    minmax_only.policy_value.cutmix_minmax_lo = 0.2f;
    minmax_only.policy_value.cutmix_minmax_hi = 0.8f;
    EXPECT_EQ(minmax_only.Run(), MIXCUT_OK) << mixcut_last_error();
    MixPlanCall last_step;
    last_step.step = kMaxStep;
    EXPECT_EQ(last_step.Run(), MIXCUT_OK) << mixcut_last_error();
  }
  {
    HardLabelCall call;
    EXPECT_EQ(call.Run(), MIXCUT_OK) << mixcut_last_error();
    SoftLabelCall soft;
    EXPECT_EQ(soft.Run(), MIXCUT_OK) << mixcut_last_error();
  }
  {
    CutoutPlanCall call;
    EXPECT_EQ(call.Run(), MIXCUT_OK) << mixcut_last_error();
    CutoutPlanCall erasing;
    erasing.UseErasing();
    EXPECT_EQ(erasing.Run(), MIXCUT_OK) << mixcut_last_error();
    CutoutPlanCall capped;
    capped.policy_value.max_count = 1024;
    std::vector<mixcut_cutout_hole> room(kN * 1024);
    capped.out = room.data();
    EXPECT_EQ(capped.Run(), MIXCUT_OK) << mixcut_last_error();
    EXPECT_EQ(*capped.count, kN * 1024);
  }
}

}  // namespace
