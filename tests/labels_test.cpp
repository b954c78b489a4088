// Label mixing against the contract of mixcut_mix_labels /
// mixcut_mix_soft_labels: smoothing values, row sums, exact identities for
// unmixed rows and same-class partners, lam edges, K = 1, in place.
#include "kernels/labels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace mixcut {
namespace {

MixSample mixup(int64_t partner, float lam) { return {partner, lam, MixKind::Mixup, {}}; }
MixSample cutmix(int64_t partner, float lam) {
  return {partner, lam, MixKind::CutMix, {0, 0, 1, 1}};
}
MixSample none(int64_t self) { return {self, 1.0f, MixKind::None, {}}; }

// Plans with every partner shape: flip, roll (one long cycle), a random
// permutation, self partners; kinds and lam random on the 2^-14 grid.
std::vector<MixSample> random_plan(int64_t n, std::mt19937_64& rng) {
  std::vector<int64_t> partner(static_cast<size_t>(n));
  std::iota(partner.begin(), partner.end(), 0);
  std::shuffle(partner.begin(), partner.end(), rng);
  std::vector<MixSample> plan;
  for (int64_t i = 0; i < n; ++i) {
    const float lam = float(std::uniform_int_distribution<int>(0, 16384)(rng)) / 16384.0f;
    switch (i % 4) {
      case 0:
        plan.push_back(mixup(partner[i], lam));
        break;
      case 1:
        plan.push_back(cutmix((i + 1) % n, lam));
        break;
      case 2:
        plan.push_back(none(i));
        break;
      default:
        plan.push_back(mixup(n - 1 - i, lam));
        break;
    }
  }
  return plan;
}

std::vector<int64_t> random_labels(int64_t n, int64_t k, std::mt19937_64& rng) {
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    labels.push_back(std::uniform_int_distribution<int64_t>(0, k - 1)(rng));
  }
  return labels;
}

std::vector<float> random_soft(int64_t n, int64_t k, std::mt19937_64& rng) {
  std::vector<float> soft(static_cast<size_t>(n * k));
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> row(static_cast<size_t>(k));
    for (double& v : row) v = u(rng);
    const double total = std::accumulate(row.begin(), row.end(), 0.0);
    for (int64_t c = 0; c < k; ++c) soft[i * k + c] = float(row[c] / total);
  }
  return soft;
}

double row_sum(const std::vector<float>& out, int64_t i, int64_t k) {
  double sum = 0.0;
  for (int64_t c = 0; c < k; ++c) sum += out[i * k + c];
  return sum;
}

const int64_t kClassCounts[] = {1, 2, 10, 1000};
const float kSmoothings[] = {0.0f, 0.1f, 0.3f, 1.0f};

TEST(MixLabels, RowsAreDistributions) {
  std::mt19937_64 rng(1);
  const int64_t n = 33;
  for (int64_t k : kClassCounts) {
    for (float eps : kSmoothings) {
      const std::vector<MixSample> plan = random_plan(n, rng);
      const std::vector<int64_t> labels = random_labels(n, k, rng);
      std::vector<float> out(static_cast<size_t>(n * k), -1.0f);
      mix_labels(plan.data(), n, labels.data(), k, eps, out.data());
      for (int64_t i = 0; i < n; ++i) {
        EXPECT_NEAR(row_sum(out, i, k), 1.0, 1e-5) << "row " << i << " K=" << k << " eps=" << eps;
        for (int64_t c = 0; c < k; ++c) ASSERT_GE(out[i * k + c], 0.0f);
      }
    }
  }
}

TEST(MixLabels, SmoothingOnAndOffValues) {
  const int64_t k = 10;
  const float eps = 0.1f;
  const std::vector<MixSample> plan = {none(0), mixup(0, 0.25f)};
  const std::vector<int64_t> labels = {3, 7};
  std::vector<float> out(2 * k);
  mix_labels(plan.data(), 2, labels.data(), k, eps, out.data());
  const double off = double(eps) / k, on = 1.0 - double(eps) + off;
  for (int64_t c = 0; c < k; ++c) {
    EXPECT_FLOAT_EQ(out[c], float(c == 3 ? on : off)) << c;
  }
  // Row 1: lam = 0.25 on its own class 7, 0.75 on the partner's class 3.
  for (int64_t c = 0; c < k; ++c) {
    const double want = c == 7 ? 0.25 * on + 0.75 * off : c == 3 ? 0.25 * off + 0.75 * on : off;
    EXPECT_NEAR(out[k + c], want, 1e-7) << c;
  }
  // Unsmoothed targets are exactly one-hot / exactly lam.
  mix_labels(plan.data(), 2, labels.data(), k, 0.0f, out.data());
  for (int64_t c = 0; c < k; ++c) {
    EXPECT_EQ(out[c], c == 3 ? 1.0f : 0.0f);
    EXPECT_EQ(out[k + c], c == 7 ? 0.25f : c == 3 ? 0.75f : 0.0f);
  }
}

TEST(MixLabels, SameClassPartnerGivesExactOnValue) {
  const int64_t k = 7;
  for (float eps : kSmoothings) {
    const std::vector<MixSample> plan = {mixup(1, 0.3f), cutmix(0, 0.61f), none(2)};
    const std::vector<int64_t> labels = {4, 4, 4};
    std::vector<float> out(3 * k);
    mix_labels(plan.data(), 3, labels.data(), k, eps, out.data());
    for (int64_t c = 0; c < k; ++c) {
      EXPECT_EQ(out[c], out[2 * k + c]) << "mixup row differs from smooth(y) at " << c;
      EXPECT_EQ(out[k + c], out[2 * k + c]) << "cutmix row differs from smooth(y) at " << c;
    }
    EXPECT_FLOAT_EQ(out[4], float(1.0 - double(eps) + double(eps) / k));
  }
}

TEST(MixLabels, UnmixedRowsAreSmoothedOwnLabel) {
  const int64_t k = 5;
  // None with a stale partner and lam, and Mixup with itself as partner.
  const std::vector<MixSample> plan = {{1, 0.2f, MixKind::None, {}}, mixup(1, 0.4f), none(2)};
  const std::vector<int64_t> labels = {0, 1, 2};
  std::vector<float> out(3 * k);
  mix_labels(plan.data(), 3, labels.data(), k, 0.2f, out.data());
  const float off = float(0.2 / 5), on = float(1.0 - 0.2 + 0.2 / 5);
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t c = 0; c < k; ++c) {
      EXPECT_FLOAT_EQ(out[i * k + c], c == labels[i] ? on : off) << i << "," << c;
    }
  }
}

TEST(MixLabels, LamZeroAndOneGiveOneSide) {
  const int64_t k = 6;
  const float eps = 0.1f;
  const std::vector<MixSample> plan = {mixup(1, 1.0f), mixup(0, 0.0f), none(2), none(3)};
  const std::vector<int64_t> labels = {2, 5, 2, 5};
  std::vector<float> out(4 * k);
  mix_labels(plan.data(), 4, labels.data(), k, eps, out.data());
  for (int64_t c = 0; c < k; ++c) {
    EXPECT_EQ(out[c], out[2 * k + c]) << "lam = 1: smooth(y_i)";
    EXPECT_EQ(out[k + c], out[2 * k + c]) << "lam = 0: smooth(y_partner)";
  }
}

TEST(MixLabels, SingleClass) {
  const std::vector<MixSample> plan = {mixup(1, 0.3f), cutmix(0, 0.5f), none(2)};
  const std::vector<int64_t> labels = {0, 0, 0};
  for (float eps : kSmoothings) {
    std::vector<float> out(3, -1.0f);
    mix_labels(plan.data(), 3, labels.data(), 1, eps, out.data());
    for (float v : out) EXPECT_EQ(v, 1.0f) << "eps " << eps;
  }
}

TEST(MixSoftLabels, RowsAreDistributionsAndFollowTheFormula) {
  std::mt19937_64 rng(2);
  const int64_t n = 29;
  for (int64_t k : kClassCounts) {
    for (float eps : kSmoothings) {
      const std::vector<MixSample> plan = random_plan(n, rng);
      const std::vector<float> soft = random_soft(n, k, rng);
      std::vector<float> out(static_cast<size_t>(n * k));
      mix_soft_labels(plan.data(), n, soft.data(), k, eps, out.data());
      for (int64_t i = 0; i < n; ++i) {
        EXPECT_NEAR(row_sum(out, i, k), 1.0, 1e-5) << "row " << i << " K=" << k;
        const MixSample& r = plan[i];
        const bool mixes = r.kind != MixKind::None && r.partner != i;
        const double lam = mixes ? r.lam : 1.0;
        for (int64_t c = 0; c < k; ++c) {
          const double si = soft[i * k + c] * (1.0 - eps) + double(eps) / double(k);
          const double sj = soft[r.partner * k + c] * (1.0 - eps) + double(eps) / double(k);
          ASSERT_NEAR(out[i * k + c], lam * si + (1.0 - lam) * sj, 1e-6) << i << "," << c;
        }
      }
    }
  }
}

TEST(MixSoftLabels, InPlaceEqualsOutOfPlace) {
  std::mt19937_64 rng(3);
  for (int64_t n : {1, 2, 3, 64}) {
    for (int64_t k : {1, 4, 100}) {
      const std::vector<MixSample> plan = random_plan(n, rng);
      const std::vector<float> soft = random_soft(n, k, rng);
      std::vector<float> out(soft.size());
      mix_soft_labels(plan.data(), n, soft.data(), k, 0.1f, out.data());
      std::vector<float> same = soft;
      mix_soft_labels(plan.data(), n, same.data(), k, 0.1f, same.data());
      EXPECT_EQ(same, out) << "n=" << n << " K=" << k;
    }
  }
}

TEST(MixSoftLabels, OneHotInputsMatchHardLabelsWithoutSmoothing) {
  std::mt19937_64 rng(4);
  const int64_t n = 16, k = 9;
  const std::vector<MixSample> plan = random_plan(n, rng);
  const std::vector<int64_t> labels = random_labels(n, k, rng);
  std::vector<float> one_hot(static_cast<size_t>(n * k), 0.0f);
  for (int64_t i = 0; i < n; ++i) one_hot[i * k + labels[i]] = 1.0f;
  std::vector<float> hard(one_hot.size()), soft(one_hot.size());
  mix_labels(plan.data(), n, labels.data(), k, 0.0f, hard.data());
  mix_soft_labels(plan.data(), n, one_hot.data(), k, 0.0f, soft.data());
  EXPECT_EQ(hard, soft);
  // With smoothing the two only differ by float rounding of on/off.
  mix_labels(plan.data(), n, labels.data(), k, 0.1f, hard.data());
  mix_soft_labels(plan.data(), n, one_hot.data(), k, 0.1f, soft.data());
  for (size_t e = 0; e < hard.size(); ++e) EXPECT_NEAR(hard[e], soft[e], 1e-6) << e;
}

// A row mixed with itself is exactly smooth(p), not lam*s + (1-lam)*s rounded.
TEST(MixSoftLabels, SelfPartnerRowIsExactlySmoothed) {
  std::mt19937_64 rng(5);
  const int64_t k = 1000;
  const std::vector<float> soft = random_soft(2, k, rng);
  std::vector<float> soft_pair(soft.begin(), soft.begin() + k);
  soft_pair.insert(soft_pair.end(), soft.begin(), soft.begin() + k);  // two equal rows
  const std::vector<MixSample> plan = {mixup(0, 0.3f), none(1)};
  std::vector<float> out(2 * k);
  mix_soft_labels(plan.data(), 2, soft_pair.data(), k, 0.1f, out.data());
  for (int64_t c = 0; c < k; ++c) ASSERT_EQ(out[c], out[k + c]) << c;
}

TEST(MixSoftLabels, LamEdgesAndUnmixedRows) {
  const int64_t k = 3;
  const std::vector<float> soft = {0.5f, 0.25f, 0.25f, 0.0f, 0.0f, 1.0f};
  const std::vector<MixSample> plan = {mixup(1, 0.0f), mixup(0, 1.0f)};
  std::vector<float> out(6);
  mix_soft_labels(plan.data(), 2, soft.data(), k, 0.0f, out.data());
  for (int64_t c = 0; c < k; ++c) {
    EXPECT_EQ(out[c], soft[k + c]) << "lam = 0 takes the partner row";
    EXPECT_EQ(out[k + c], soft[k + c]) << "lam = 1 keeps the own row";
  }
  const std::vector<MixSample> unmixed = {none(0), mixup(1, 0.5f)};
  mix_soft_labels(unmixed.data(), 2, soft.data(), k, 0.3f, out.data());
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t c = 0; c < k; ++c) {
      EXPECT_NEAR(out[i * k + c], soft[i * k + c] * 0.7 + 0.1, 1e-7);
    }
  }
}

}  // namespace
}  // namespace mixcut
