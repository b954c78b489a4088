// Statistical tests of the keyed variates (Stream) and of the lam
// distribution that plans produce. Seeds are fixed, so every run sees the
// same samples; thresholds are p = 0.001 critical values, so a correct
// sampler passes and a wrong distribution fails by a wide margin.
#include "plan/sampling.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "plan/plan.hpp"
#include "test_util.hpp"

namespace mixcut {
namespace {

using test::ks_statistic;
using test::normal_cdf;

// ---------------------------------------------------------------------------
// Oracles.

// Regularized incomplete beta I_x(a, b) by its continued fraction (modified
// Lentz), used on the side where it converges fast.
double incomplete_beta_cf(double x, double a, double b) {
  const double log_front =
      a * std::log(x) + b * std::log1p(-x) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
  const double tiny = 1e-300;
  double f = 1.0, c = 1.0, d = 0.0;
  for (int i = 0; i <= 10000; ++i) {
    const int m = i / 2;
    double numerator;
    if (i == 0) {
      numerator = 1.0;
    } else if (i % 2 == 0) {
      numerator = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
    } else {
      numerator = -((a + m) * (a + b + m) * x) / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
    }
    d = 1.0 + numerator * d;
    if (std::fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    c = 1.0 + numerator / c;
    if (std::fabs(c) < tiny) c = tiny;
    const double cd = c * d;
    f *= cd;
    if (std::fabs(1.0 - cd) < 1e-15) break;
  }
  return std::exp(log_front) * (f - 1.0) / a;
}

double beta_cdf(double x, double a, double b) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  if (x < (a + 1.0) / (a + b + 2.0)) return incomplete_beta_cf(x, a, b);
  return 1.0 - incomplete_beta_cf(1.0 - x, b, a);
}

// Two-sided KS critical value at p = 0.001 (asymptotic): sqrt(-ln(p/2)/2)/sqrt(n).
double ks_critical(size_t n) { return std::sqrt(-0.5 * std::log(0.0005)) / std::sqrt(double(n)); }

// Chi-square critical value at p = 0.001 (Wilson-Hilferty approximation).
double chi2_critical(int df) {
  const double z = 3.0902;  // upper 0.001 normal quantile
  const double k = double(df);
  const double t = 1.0 - 2.0 / (9.0 * k) + z * std::sqrt(2.0 / (9.0 * k));
  return k * t * t * t;
}

TEST(Oracles, BetaCdfKnownValues) {
  EXPECT_NEAR(beta_cdf(0.3, 1.0, 1.0), 0.3, 1e-13);
  EXPECT_NEAR(beta_cdf(0.5, 0.2, 0.2), 0.5, 1e-13);
  EXPECT_NEAR(beta_cdf(0.25, 2.0, 2.0), 3 * 0.0625 - 2 * 0.015625, 1e-13);  // 3x^2 - 2x^3
  // Beta(a, 1): x^a.
  EXPECT_NEAR(beta_cdf(0.01, 0.2, 1.0), std::pow(0.01, 0.2), 1e-12);
  EXPECT_NEAR(beta_cdf(0.99, 0.2, 1.0), std::pow(0.99, 0.2), 1e-12);
  // Symmetry and monotonicity for the small shape used by Mixup.
  double previous = 0.0;
  for (int k = 1; k < 100; ++k) {
    const double x = k / 100.0;
    EXPECT_NEAR(beta_cdf(x, 0.2, 0.2) + beta_cdf(1.0 - x, 0.2, 0.2), 1.0, 1e-12);
    EXPECT_GT(beta_cdf(x, 0.2, 0.2), previous);
    previous = beta_cdf(x, 0.2, 0.2);
  }
}

// ---------------------------------------------------------------------------
// Stream mechanics.

TEST(Stream, DrawIndexNamesOneBlock) {
  const uint64_t seed = 0x0123456789ABCDEFull, step = 77;
  Stream s(seed, Purpose::MixLam, step, 9);
  EXPECT_EQ(s.draw_index(), 0u);
  const PhiloxCounter first = s.next_block();
  EXPECT_EQ(first,
            philox4x32_10(philox_counter(uint32_t(Purpose::MixLam), step, 9, 0), philox_key(seed)));
  EXPECT_EQ(s.draw_index(), 1u);
  // Every variate consumes whole blocks; seeking back replays it exactly.
  const double u = s.uniform();
  EXPECT_EQ(s.draw_index(), 2u);
  s.seek(1);
  EXPECT_EQ(s.uniform(), u);
  Stream at(seed, Purpose::MixLam, step, 9, 1);
  EXPECT_EQ(at.uniform(), u);
}

TEST(Stream, KeysSeparateStreams) {
  const auto first_u64 = [](uint64_t seed, Purpose p, uint64_t step, uint32_t key) {
    return Stream(seed, p, step, key).next_u64();
  };
  const uint64_t base = first_u64(1, Purpose::MixLam, 2, 3);
  EXPECT_NE(base, first_u64(2, Purpose::MixLam, 2, 3));
  EXPECT_NE(base, first_u64(1, Purpose::MixBox, 2, 3));
  EXPECT_NE(base, first_u64(1, Purpose::MixLam, 3, 3));
  EXPECT_NE(base, first_u64(1, Purpose::MixLam, 2, 4));
  EXPECT_NE(base, first_u64(1, Purpose::MixLam, 2 + (uint64_t(1) << 40), 3));
  EXPECT_EQ(base, first_u64(1, Purpose::MixLam, 2, 3));
}

TEST(Stream, UniformIs53BitsInUnitInterval) {
  EXPECT_EQ(uniform_from_bits(0), 0.0);
  EXPECT_EQ(uniform_from_bits(~uint64_t(0)), 1.0 - 0x1.0p-53);
  Stream s(3, Purpose::Cutout, 0, 0);
  std::vector<double> u(100000);
  for (double& v : u) {
    v = s.uniform();
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
    ASSERT_EQ(v * 0x1.0p53, std::floor(v * 0x1.0p53));
  }
  EXPECT_LT(ks_statistic(u, [](double x) { return x; }), ks_critical(u.size()));
}

TEST(Stream, BoundedIntegersAreUniform) {
  EXPECT_EQ(bounded_from_bits(~uint64_t(0), 10), 9u);
  EXPECT_EQ(bounded_from_bits(0, 10), 0u);
  for (uint64_t n : {1ull, 2ull, 3ull, 7ull, 224ull}) {
    Stream s(11, Purpose::MixBox, n, 5);
    std::vector<int> counts(n, 0);
    const int draws = int(2000 * n);
    for (int k = 0; k < draws; ++k) {
      const uint64_t v = s.below(n);
      ASSERT_LT(v, n);
      ++counts[v];
    }
    if (n == 1) continue;
    double chi2 = 0.0;
    const double expected = double(draws) / double(n);
    for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
    EXPECT_LT(chi2, chi2_critical(int(n) - 1)) << "n = " << n;
  }
}

TEST(Stream, UniformIntIsInclusive) {
  Stream s(5, Purpose::Cutout, 1, 2);
  int low = 0, high = 0;
  for (int k = 0; k < 4000; ++k) {
    const int64_t v = s.uniform_int(-2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    low += v == -2;
    high += v == 2;
  }
  EXPECT_GT(low, 600);
  EXPECT_GT(high, 600);
  EXPECT_EQ(s.uniform_int(7, 7), 7);
}

TEST(Stream, NormalMatchesGaussianCdf) {
  Stream s(17, Purpose::Noise, 0, 0);
  std::vector<double> z(100000);
  for (double& v : z) v = s.normal();
  EXPECT_LT(ks_statistic(z, normal_cdf), ks_critical(z.size()));
}

TEST(Stream, LogUniformMatchesItsCdf) {
  const double lo = 0.3, hi = 1.0 / 0.3;
  Stream s(19, Purpose::Cutout, 0, 0);
  std::vector<double> r(100000);
  for (double& v : r) {
    v = s.log_uniform(lo, hi);
    ASSERT_GE(v, lo * (1 - 1e-15));
    ASSERT_LE(v, hi * (1 + 1e-15));
  }
  const auto cdf = [&](double x) { return std::log(x / lo) / std::log(hi / lo); };
  EXPECT_LT(ks_statistic(r, cdf), ks_critical(r.size()));
}

TEST(Stream, GammaMomentsMatch) {
  // Gamma(a, 1): mean a, variance a. z-tests on the mean and on the variance.
  for (double a : {0.05, 0.2, 0.7, 1.0, 2.5, 30.0}) {
    Stream s(23, Purpose::MixLam, uint64_t(a * 1000), 0);
    const int draws = 100000;
    double sum = 0.0, sum_sq = 0.0;
    for (int k = 0; k < draws; ++k) {
      const double g = s.gamma(a);
      ASSERT_TRUE(std::isfinite(g));
      ASSERT_GE(g, 0.0);
      sum += g;
      sum_sq += (g - a) * (g - a);
    }
    const double mean = sum / draws, variance = sum_sq / draws;
    EXPECT_NEAR(mean, a, 4.5 * std::sqrt(a / draws)) << "a = " << a;
    // Var of (g - a)^2 is 2a^2 + 6a (Gamma's fourth central moment 3a^2 + 6a).
    EXPECT_NEAR(variance, a, 4.5 * std::sqrt((2 * a * a + 6 * a) / draws)) << "a = " << a;
  }
}

// ---------------------------------------------------------------------------
// Beta(a, a): the Mixup / CutMix lam.

std::vector<double> beta_draws(double a, size_t count, uint64_t seed) {
  std::vector<double> out(count);
  for (size_t i = 0; i < count; ++i) {
    Stream s(seed, Purpose::MixLam, 0, uint32_t(i));
    out[i] = s.beta(a, a);
  }
  return out;
}

TEST(Beta, KolmogorovSmirnovAgainstExactCdf) {
  for (double a : {0.2, 1.0, 0.4, 4.0}) {
    const std::vector<double> lam = beta_draws(a, 100000, 99);
    for (double v : lam) {
      ASSERT_GE(v, 0.0);
      ASSERT_LE(v, 1.0);
    }
    const double d = ks_statistic(lam, [a](double x) { return beta_cdf(x, a, a); });
    EXPECT_LT(d, ks_critical(lam.size())) << "a = " << a;
  }
}

TEST(Beta, KolmogorovSmirnovHasPower) {
  // The same test rejects a neighbouring shape: it can fail.
  const std::vector<double> lam = beta_draws(0.2, 100000, 99);
  const double d = ks_statistic(lam, [](double x) { return beta_cdf(x, 0.25, 0.25); });
  EXPECT_GT(d, ks_critical(lam.size()));
}

TEST(Beta, TinyShapesStayFiniteAndSymmetric) {
  for (double a : {0.01, 0.001}) {
    const std::vector<double> lam = beta_draws(a, 20000, 5);
    int below_half = 0;
    for (double v : lam) {
      ASSERT_FALSE(std::isnan(v));
      ASSERT_GE(v, 0.0);
      ASSERT_LE(v, 1.0);
      below_half += v < 0.5;
    }
    EXPECT_NEAR(below_half, 10000, 4.5 * std::sqrt(5000.0)) << "a = " << a;
  }
}

// ---------------------------------------------------------------------------
// lam as the plans record it.

MixPolicy elem_policy(double mixup_alpha, double cutmix_alpha, bool correct_lam) {
  MixPolicy p;
  p.mixup_alpha = mixup_alpha;
  p.cutmix_alpha = cutmix_alpha;
  p.mode = Mode::Elem;
  p.partner = PartnerRule::Roll;  // no self-partners for n >= 2
  p.correct_lam = correct_lam;
  return p;
}

// KS against a rounded distribution: every observed value v stands for the
// cell [lo(v), hi(v)] of reals that round to it, so P(lam <= v) = F(hi(v))
// and P(lam < v) = F(lo(v)). Checking both sides of every distinct observed
// value gives the exact sup distance between the two step functions.
double rounded_ks(std::vector<double> lam, double a, const std::function<double(double)>& cell_lo,
                  const std::function<double(double)>& cell_hi) {
  std::sort(lam.begin(), lam.end());
  const double n = double(lam.size());
  double d = 0.0;
  size_t i = 0;
  while (i < lam.size()) {
    size_t j = i;
    while (j < lam.size() && lam[j] == lam[i]) ++j;
    d = std::max(d, std::fabs(double(i) / n - beta_cdf(cell_lo(lam[i]), a, a)));
    d = std::max(d, std::fabs(double(j) / n - beta_cdf(cell_hi(lam[i]), a, a)));
    i = j;
  }
  return d;
}

// Cells of round-to-nearest float: half-way to the neighbouring floats.
double float_cell_lo(double v) {
  return v <= 0.0 ? 0.0 : 0.5 * (v + double(std::nextafter(float(v), -1.0f)));
}
double float_cell_hi(double v) {
  return v >= 1.0 ? 1.0 : 0.5 * (v + double(std::nextafter(float(v), 2.0f)));
}
// Cells of the 2^-14 lattice of Mixup's quantised lam.
double lattice_cell_lo(double v) { return v - 0.5 / kLamOne; }
double lattice_cell_hi(double v) { return v + 0.5 / kLamOne; }

TEST(PlanLam, UncorrectedCutMixLamIsBeta) {
  const int64_t n = 100000;
  for (double a : {0.2, 1.0}) {
    const std::vector<MixSample> plan = plan_mix(elem_policy(0.0, a, false), 31, 4, n, 8, 8);
    std::vector<double> lam;
    for (const MixSample& s : plan) {
      ASSERT_EQ(s.kind, MixKind::CutMix);
      lam.push_back(s.lam);
    }
    // lam is stored as float, and Beta(0.2) puts 1.6% of its mass within
    // 2^-25 of 1, which rounds to exactly 1.0f: compare with the CDF of the
    // float-rounded distribution, not the continuous one.
    EXPECT_LT(rounded_ks(lam, a, float_cell_lo, float_cell_hi), ks_critical(lam.size()))
        << "a = " << a;
  }
}

TEST(PlanLam, QuantisedMixupLamFollowsLatticeBeta) {
  const int64_t n = 100000;
  for (double a : {0.2, 1.0}) {
    const std::vector<MixSample> plan = plan_mix(elem_policy(a, 0.0, true), 37, 1, n, 4, 4);
    std::vector<double> lam;
    for (const MixSample& s : plan) {
      ASSERT_EQ(s.kind, MixKind::Mixup);
      const double q = double(s.lam) * kLamOne;
      ASSERT_EQ(q, std::nearbyint(q));
      lam.push_back(s.lam);
    }
    EXPECT_LT(rounded_ks(lam, a, lattice_cell_lo, lattice_cell_hi), ks_critical(lam.size()))
        << "a = " << a;
    // And the lattice test rejects the wrong shape.
    if (a == 0.2) {
      EXPECT_GT(rounded_ks(lam, 0.3, lattice_cell_lo, lattice_cell_hi), ks_critical(lam.size()));
    }
  }
}

}  // namespace
}  // namespace mixcut
