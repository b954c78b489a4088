// Regression tests for the outside audit (issue 12) and its fuzzers:
// thread-count bounds, status strings of any int, misaligned pointers, views
// too large for any address space. Through the shared library.
#include <gtest/gtest.h>
#include <mixcut/mixcut.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "test_util.hpp"

// tests/status_of_int.c: passes an int the way a C caller does.
extern "C" const char* mixcut_test_status_string_of_int(int value);

namespace {

using mixcut::test::all_bytes_are;
using mixcut::test::kCanary;

mixcut_tensor Tensor(void* data, int32_t dtype, int64_t n, int64_t c, int64_t h, int64_t w) {
  mixcut_tensor t;
  std::memset(&t, 0, sizeof t);
  t.data = data;
  t.dtype = dtype;
  t.layout = MIXCUT_NCHW;
  t.n = n;
  t.c = c;
  t.h = h;
  t.w = w;
  return t;
}

// A 2-sample Mixup plan: each sample mixes with the other at lam 0.25.
std::vector<mixcut_mix_sample> SwapPlan() {
  std::vector<mixcut_mix_sample> plan(2);
  for (int64_t i = 0; i < 2; ++i) {
    std::memset(&plan[size_t(i)], 0, sizeof plan[0]);
    plan[size_t(i)].partner = 1 - i;
    plan[size_t(i)].lam = 0.25f;
    plan[size_t(i)].kind = MIXCUT_KIND_MIXUP;
  }
  return plan;
}

TEST(CapiHardening, ThreadCountAboveTheMaximumIsRejected) {
  mixcut_ctx* ctx = nullptr;
  ASSERT_EQ(mixcut_ctx_create(&ctx), MIXCUT_OK);
  ASSERT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_NUM_THREADS, 2), MIXCUT_OK);
  // 32768 made libgomp exit the process, 65536 segfaulted, INT32_MAX ran out of memory.
  for (int64_t bad : {int64_t(MIXCUT_MAX_THREADS) + 1, int64_t(32768), int64_t(65536),
                      int64_t(std::numeric_limits<int32_t>::max())}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_NUM_THREADS, bad), MIXCUT_ERR_BAD_PARAM);
    EXPECT_NE(std::string(mixcut_last_error()).find("MIXCUT_MAX_THREADS"), std::string::npos)
        << mixcut_last_error();
    int64_t value = -1;
    ASSERT_EQ(mixcut_ctx_get(ctx, MIXCUT_OPT_NUM_THREADS, &value), MIXCUT_OK);
    EXPECT_EQ(value, 2) << "a rejected value must not be stored";
  }
  EXPECT_EQ(mixcut_ctx_set(ctx, MIXCUT_OPT_NUM_THREADS, MIXCUT_MAX_THREADS), MIXCUT_OK);
  mixcut_ctx_destroy(ctx);
}

TEST(CapiHardening, StatusStringOfAnyInt) {
  // The header lets callers pass any int; reading it as the enum was UB
  // (clang's UBSan: "load of value 100, which is not a valid value").
  const int values[] = {-1, 16, 100, 1 << 20, std::numeric_limits<int>::max(),
                        std::numeric_limits<int>::min()};
  for (int v : values) {
    EXPECT_STREQ(mixcut_test_status_string_of_int(v), "unknown status") << v;
  }
  EXPECT_STREQ(mixcut_status_string(MIXCUT_ERR_INTERNAL), "internal error");
}

TEST(CapiHardening, MisalignedFloat32TensorIsRejectedAndDstUntouched) {
  // One spare float so a view 1..3 bytes in still holds the whole batch.
  const int64_t n = 2, c = 1, h = 2, w = 3, elems = n * c * h * w;
  std::vector<float> src_storage(size_t(elems) + 1, 0.5f), dst_storage(size_t(elems) + 1, 0.0f);
  const std::vector<mixcut_mix_sample> plan = SwapPlan();
  for (size_t offset : {size_t(1), size_t(2), size_t(3)}) {
    SCOPED_TRACE(offset);
    auto* src_bytes = reinterpret_cast<unsigned char*>(src_storage.data());
    auto* dst_bytes = reinterpret_cast<unsigned char*>(dst_storage.data());
    const std::vector<float> dst_before = dst_storage;
    // Misaligned source, aligned destination.
    mixcut_tensor s = Tensor(src_bytes + offset, MIXCUT_FLOAT32, n, c, h, w);
    mixcut_tensor d = Tensor(dst_storage.data(), MIXCUT_FLOAT32, n, c, h, w);
    EXPECT_EQ(mixcut_mix_apply(nullptr, plan.data(), &s, &d, nullptr), MIXCUT_ERR_BAD_PARAM);
    EXPECT_NE(std::string(mixcut_last_error()).find("src->data"), std::string::npos)
        << mixcut_last_error();
    // Aligned source, misaligned destination; in place misaligned.
    s = Tensor(src_storage.data(), MIXCUT_FLOAT32, n, c, h, w);
    d = Tensor(dst_bytes + offset, MIXCUT_FLOAT32, n, c, h, w);
    EXPECT_EQ(mixcut_mix_apply(nullptr, plan.data(), &s, &d, nullptr), MIXCUT_ERR_BAD_PARAM);
    EXPECT_EQ(mixcut_mix_apply(nullptr, plan.data(), &d, &d, nullptr), MIXCUT_ERR_BAD_PARAM);
    mixcut_fill fill;
    std::memset(&fill, 0, sizeof fill);
    fill.kind = MIXCUT_FILL_CONSTANT;
    EXPECT_EQ(mixcut_cutout_apply(nullptr, nullptr, 0, &fill, &s, &d, nullptr),
              MIXCUT_ERR_BAD_PARAM);
    EXPECT_EQ(std::memcmp(dst_storage.data(), dst_before.data(), dst_before.size() * 4), 0)
        << "a rejected call wrote its destination";
    // uint8 -> float32 with a misaligned float destination.
    std::vector<uint8_t> u8(size_t(elems), 7);
    mixcut_tensor su = Tensor(u8.data(), MIXCUT_UINT8, n, c, h, w);
    EXPECT_EQ(mixcut_mix_apply(nullptr, plan.data(), &su, &d, nullptr), MIXCUT_ERR_BAD_PARAM);
    // uint8 data has no alignment requirement.
    std::vector<uint8_t> u8_storage(size_t(elems) + 4, 9), u8_out(size_t(elems) + 4, 0);
    su = Tensor(u8_storage.data() + offset, MIXCUT_UINT8, n, c, h, w);
    mixcut_tensor du = Tensor(u8_out.data() + offset, MIXCUT_UINT8, n, c, h, w);
    EXPECT_EQ(mixcut_mix_apply(nullptr, plan.data(), &su, &du, nullptr), MIXCUT_OK)
        << mixcut_last_error();
  }
}

TEST(CapiHardening, MisalignedArraysAreRejectedAndOutputsUntouched) {
  const int64_t n = 2, k = 3;
  const std::vector<mixcut_mix_sample> plan = SwapPlan();
  alignas(8) unsigned char labels_bytes[8 * n + 8] = {};
  alignas(8) unsigned char out_bytes[4 * n * k + 8];
  std::memset(out_bytes, kCanary, sizeof out_bytes);
  auto* labels_aligned = reinterpret_cast<int64_t*>(labels_bytes);
  auto* out_aligned = reinterpret_cast<float*>(out_bytes);
  auto* labels_off = reinterpret_cast<const int64_t*>(labels_bytes + 4);
  auto* out_off = reinterpret_cast<float*>(out_bytes + 2);
  EXPECT_EQ(mixcut_mix_labels(plan.data(), n, labels_off, k, 0.0f, out_aligned),
            MIXCUT_ERR_BAD_PARAM);
  EXPECT_NE(std::string(mixcut_last_error()).find("labels"), std::string::npos);
  EXPECT_EQ(mixcut_mix_labels(plan.data(), n, labels_aligned, k, 0.0f, out_off),
            MIXCUT_ERR_BAD_PARAM);
  const auto* soft_off = reinterpret_cast<const float*>(labels_bytes + 1);
  EXPECT_EQ(mixcut_mix_soft_labels(plan.data(), n, soft_off, k, 0.0f, out_aligned),
            MIXCUT_ERR_BAD_PARAM);
  ASSERT_TRUE(all_bytes_are(out_bytes, sizeof out_bytes, kCanary)) << "a rejected call wrote out";
  // The records themselves: a plan 4 bytes off its 8-byte alignment.
  std::vector<unsigned char> plan_bytes(sizeof(mixcut_mix_sample) * 2 + 8);
  std::memcpy(plan_bytes.data() + 4, plan.data(), sizeof(mixcut_mix_sample) * 2);
  const auto* plan_off = reinterpret_cast<const mixcut_mix_sample*>(plan_bytes.data() + 4);
  EXPECT_EQ(mixcut_mix_labels(plan_off, n, labels_aligned, k, 0.0f, out_aligned),
            MIXCUT_ERR_BAD_PARAM);
  // Aligned, the same call works.
  EXPECT_EQ(mixcut_mix_labels(plan.data(), n, labels_aligned, k, 0.0f, out_aligned), MIXCUT_OK)
      << mixcut_last_error();
}

TEST(CapiHardening, ViewsLargerThanAnyAddressSpaceAreRejected) {
  // Found by fuzz_mix: c = INT64_MAX with h = w = 1 passed validation (no
  // overflow, no wrap) and the tiling's int64 arithmetic then overflowed.
  uint8_t byte = 42;
  mixcut_mix_sample plan[1];
  std::memset(plan, 0, sizeof plan);
  plan[0].lam = 1.0f;  // partner 0, kind NONE: a valid plan for n = 1
  for (int64_t c : {std::numeric_limits<int64_t>::max(), (int64_t(1) << 56) + 1}) {
    SCOPED_TRACE(c);
    const mixcut_tensor t = Tensor(&byte, MIXCUT_UINT8, 1, c, 1, 1);
    EXPECT_EQ(mixcut_mix_apply(nullptr, plan, &t, &t, nullptr), MIXCUT_ERR_BAD_SIZE);
    EXPECT_NE(std::string(mixcut_last_error()).find("2^56"), std::string::npos)
        << mixcut_last_error();
    mixcut_fill fill;
    std::memset(&fill, 0, sizeof fill);
    fill.kind = MIXCUT_FILL_CONSTANT;
    EXPECT_EQ(mixcut_cutout_apply(nullptr, nullptr, 0, &fill, &t, &t, nullptr),
              MIXCUT_ERR_BAD_SIZE);
  }
  EXPECT_EQ(byte, 42);
}

}  // namespace
