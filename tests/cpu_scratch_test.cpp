// The CPU backend's scratch lives in the ctx (issue 11, item 5): made by the
// first call, one set per thread of the call, reused by the next call, and a
// second ctx has its own. (Release with the ctx is the unique_ptr's.)
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/context.hpp"
#include "cpu/apply.hpp"
#include "cpu/scratch.hpp"

namespace mixcut {
namespace {

// A roll (one cycle of 4) in place: the cycle saves a tile in the scratch.
void mix_roll_in_place(Context& ctx, std::vector<float>& data) {
  Tensor t;
  t.data = data.data();
  t.dtype = DType::F32;
  t.n = 4, t.c = 3, t.h = 8, t.w = 8;
  t.stride = t.sample_elems();
  std::vector<MixSample> plan(4);
  for (int64_t i = 0; i < 4; ++i) {
    plan[size_t(i)].partner = (i + 3) % 4;
    plan[size_t(i)].kind = MixKind::Mixup;
    plan[size_t(i)].lam = 0.25f;
  }
  cpu::mix_apply(ctx, plan.data(), t, t, nullptr);
}

TEST(CpuScratch, LivesInTheCtxOneSetPerThread) {
  std::vector<float> data(4 * 3 * 8 * 8, 1.0f);
  Context a;
  a.num_threads = 2;
  EXPECT_EQ(a.scratch, nullptr);
  mix_roll_in_place(a, data);
  auto* scratch = dynamic_cast<cpu::CpuScratch*>(a.scratch.get());
  ASSERT_NE(scratch, nullptr);
  EXPECT_GE(scratch->threads.size(), 2u);
  size_t saved_bytes = 0;
  for (const cpu::ThreadScratch& t : scratch->threads) saved_bytes += t.cycle.size();
  EXPECT_GT(saved_bytes, 0u) << "the cycle's tile was saved somewhere else";

  mix_roll_in_place(a, data);
  EXPECT_EQ(a.scratch.get(), scratch) << "the second call made new scratch";

  Context b;
  b.num_threads = 1;
  mix_roll_in_place(b, data);
  ASSERT_NE(b.scratch, nullptr);
  EXPECT_NE(b.scratch.get(), a.scratch.get());
}

}  // namespace
}  // namespace mixcut
