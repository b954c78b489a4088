// Choosing the CUDA backend through the C API where it cannot run (a build
// without it, or a machine without a GPU): a clear status and message, the
// ctx unchanged and still usable. Where a GPU is present the GPU tests
// (tests/gpu/) take over. Links the shared library only.
#include <gtest/gtest.h>
#include <mixcut/mixcut.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

struct Ctx {
  mixcut_ctx* p = nullptr;
  Ctx() { EXPECT_EQ(mixcut_ctx_create(&p), MIXCUT_OK); }
  ~Ctx() { mixcut_ctx_destroy(p); }
};

TEST(CapiBackend, CudaWithoutADeviceIsUnsupportedWithAReason) {
  Ctx ctx;
  const mixcut_status s = mixcut_ctx_set(ctx.p, MIXCUT_OPT_BACKEND, MIXCUT_BACKEND_CUDA);
  if (s == MIXCUT_OK) GTEST_SKIP() << "a CUDA device is present: tests/gpu covers this build";
  EXPECT_EQ(s, MIXCUT_ERR_UNSUPPORTED);
  const std::string message = mixcut_last_error();
  EXPECT_NE(message.find("MIXCUT_OPT_BACKEND"), std::string::npos) << message;
  const bool says_why = message.find("built without CUDA") != std::string::npos ||
                        message.find("no usable CUDA device") != std::string::npos ||
                        message.find("no CUDA device") != std::string::npos;
  EXPECT_TRUE(says_why) << message;
  int64_t backend = 0;
  ASSERT_EQ(mixcut_ctx_get(ctx.p, MIXCUT_OPT_BACKEND, &backend), MIXCUT_OK);
  EXPECT_EQ(backend, MIXCUT_BACKEND_CPU);

  // The ctx still works on the CPU.
  std::vector<uint8_t> x(2 * 3 * 4 * 4, 7);
  mixcut_tensor t{x.data(), MIXCUT_UINT8, MIXCUT_NCHW, 2, 3, 4, 4, 0};
  mixcut_mix_sample plan[2] = {{1, 0.5f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0},
                               {0, 0.5f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0}};
  EXPECT_EQ(mixcut_mix_apply(ctx.p, plan, &t, &t, nullptr), MIXCUT_OK);
}

TEST(CapiBackend, UnknownBackendIsABadParam) {
  Ctx ctx;
  EXPECT_EQ(mixcut_ctx_set(ctx.p, MIXCUT_OPT_BACKEND, 3), MIXCUT_ERR_BAD_PARAM);
  EXPECT_EQ(mixcut_ctx_set(ctx.p, MIXCUT_OPT_BACKEND, 0), MIXCUT_ERR_BAD_PARAM);
}

// With a CPU ctx (or none) the ctx form of the labels is mixcut_mix_labels.
TEST(CapiBackend, LabelsWithACpuCtxAreTheHostLabels) {
  Ctx ctx;
  const mixcut_mix_sample plan[3] = {{2, 0.25f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0},
                                     {1, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0},
                                     {0, 0.75f, MIXCUT_KIND_CUTMIX, 0, 0, 2, 2}};
  const int64_t labels[3] = {0, 3, 4};
  std::vector<float> want(15, -1.0f), got(15, -1.0f), got_null(15, -1.0f);
  ASSERT_EQ(mixcut_mix_labels(plan, 3, labels, 5, 0.1f, want.data()), MIXCUT_OK);
  ASSERT_EQ(mixcut_mix_labels_ctx(ctx.p, plan, 3, labels, 5, 0.1f, got.data()), MIXCUT_OK);
  ASSERT_EQ(mixcut_mix_labels_ctx(nullptr, plan, 3, labels, 5, 0.1f, got_null.data()), MIXCUT_OK);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got_null, want);
  const int64_t bad[3] = {0, 5, 1};
  std::vector<float> untouched(15, -1.0f);
  EXPECT_EQ(mixcut_mix_labels_ctx(ctx.p, plan, 3, bad, 5, 0.1f, untouched.data()),
            MIXCUT_ERR_BAD_LABEL);
  EXPECT_EQ(untouched, std::vector<float>(15, -1.0f));
}

}  // namespace
