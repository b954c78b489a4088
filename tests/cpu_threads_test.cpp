// The default thread policy (cpu/threads.hpp): threads only for work that
// pays for them, and only onto cores other work leaves idle.
#include <gtest/gtest.h>

#include "core/context.hpp"
#include "cpu/apply.hpp"
#include "cpu/threads.hpp"

namespace mixcut {
namespace {

constexpr int64_t kMiB = int64_t(1) << 20;

TEST(CpuThreads, SmallWorkRunsOnOneThread) {
  EXPECT_EQ(cpu::choose_threads(8, 0, 8, 0), 1);
  EXPECT_EQ(cpu::choose_threads(8, cpu::kBytesPerThread - 1, 8, 0), 1);
  EXPECT_EQ(cpu::choose_threads(8, 2 * cpu::kBytesPerThread, 8, 0), 2);
  EXPECT_EQ(cpu::choose_threads(8, 1000 * kMiB, 8, 0), 8);
  EXPECT_EQ(cpu::choose_threads(1, 1000 * kMiB, 8, 0), 1);
}

TEST(CpuThreads, BusyCoresAreNotUsed) {
  // 2 cores: one other runnable thread leaves one core, two leave none.
  EXPECT_EQ(cpu::choose_threads(2, 1000 * kMiB, 2, 0), 2);
  EXPECT_EQ(cpu::choose_threads(2, 1000 * kMiB, 2, 1), 1);
  EXPECT_EQ(cpu::choose_threads(2, 1000 * kMiB, 2, 2), 1);
  EXPECT_EQ(cpu::choose_threads(2, 1000 * kMiB, 2, 15), 1);
  EXPECT_EQ(cpu::choose_threads(16, 1000 * kMiB, 16, 5), 11);
  // Unknown load (no /proc): OpenMP's default and the size rule alone.
  EXPECT_EQ(cpu::choose_threads(4, 1000 * kMiB, 0, 0), 4);
  // A negative count (this process's team overcounted) is no contention.
  EXPECT_EQ(cpu::choose_threads(4, 1000 * kMiB, 4, -3), 4);
}

TEST(CpuThreads, ExplicitCountIsUsedAsGiven) {
  Context ctx;
  ctx.num_threads = 3;
  EXPECT_EQ(cpu::thread_count(ctx, 0), 3);
  ctx.num_threads = 0;
  EXPECT_EQ(cpu::thread_count(ctx, 0), 1);
  EXPECT_GE(cpu::thread_count(ctx, 1000 * kMiB), 1);
}

}  // namespace
}  // namespace mixcut
