// kernels/formulas.hpp: the libm-free roundings equal std::nearbyint where
// they are used (every lam on the 2^-14 grid and around it, every uint8 fill),
// and the formulas evaluate at compile time (a CUDA kernel needs that form).
#include "kernels/formulas.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

namespace mixcut {
namespace {

static_assert(formulas::blend_u8(200, 100, kLamOne / 2) == 150);
static_assert(formulas::lam_weight(0.5f) == kLamOne / 2);
static_assert(formulas::round_half_even(2.5) == 2 && formulas::round_half_even(3.5) == 4);
static_assert(formulas::round_half_even(-2.5) == -2 && formulas::round_half_even(-0.5) == 0);

TEST(Formulas, RoundHalfEvenIsNearbyint) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  for (int k = 0; k < 200000; ++k) {
    const double x = k < 100000 ? dist(rng) : double(k - 150000) / 4.0;  // ties too
    ASSERT_EQ(formulas::round_half_even(x), int64_t(std::nearbyint(x))) << x;
  }
}

TEST(Formulas, LamWeightIsNearbyintOnAndOffTheGrid) {
  for (int32_t q = 0; q <= kLamOne; ++q) {
    const float on = float(q) / float(kLamOne);
    ASSERT_EQ(formulas::lam_weight(on), q);
    for (float lam : {std::nextafter(on, 0.0f), std::nextafter(on, 1.0f)}) {
      if (lam < 0.0f || lam > 1.0f) continue;
      ASSERT_EQ(formulas::lam_weight(lam), int32_t(std::nearbyint(double(lam) * kLamOne))) << lam;
    }
  }
}

TEST(Formulas, FillU8IsNearbyint) {
  for (int k = -2; k <= 4 * 255 + 2; ++k) {
    const float v = float(k) / 4.0f;  // every quarter in [-0.5, 255.5]
    if (std::nearbyint(v) < 0.0f || std::nearbyint(v) > 255.0f) continue;
    ASSERT_EQ(formulas::fill_u8(v), uint8_t(std::nearbyint(v))) << v;
  }
}

TEST(Formulas, SplitReciprocalSumsToTheReciprocal) {
  for (float d : {255.0f, 0.229f, 0.224f, 0.225f, 1.0f, 3.0f}) {
    const formulas::SplitReciprocal r = formulas::split_reciprocal(d);
    EXPECT_EQ(r.hi, float(1.0 / double(d)));
    EXPECT_EQ(double(r.lo), double(float(1.0 / double(d) - double(r.hi))));
  }
}

}  // namespace
}  // namespace mixcut
