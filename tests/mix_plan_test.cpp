// plan_partners and plan_mix: partner rules, draw keys per mode, the
// decision statistics, and CutMix boxes (centred and minmax).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "plan/plan.hpp"

namespace mixcut {
namespace {

const int64_t kSizes[] = {1, 2, 3, 17, 224};
const int64_t kBatches[] = {1, 2, 3, 64};

MixPolicy make_policy(double mixup_alpha, double cutmix_alpha, Mode mode,
                      PartnerRule rule = PartnerRule::Flip) {
  MixPolicy p;
  p.mixup_alpha = mixup_alpha;
  p.cutmix_alpha = cutmix_alpha;
  p.mode = mode;
  p.partner = rule;
  return p;
}

bool same_record(const MixSample& a, const MixSample& b) {
  return a.partner == b.partner && a.lam == b.lam && a.kind == b.kind && a.box.y0 == b.box.y0 &&
         a.box.x0 == b.box.x0 && a.box.y1 == b.box.y1 && a.box.x1 == b.box.x1;
}

bool same_draw(const MixSample& a, const MixSample& b) {
  return a.lam == b.lam && a.kind == b.kind && a.box.y0 == b.box.y0 && a.box.x0 == b.box.x0 &&
         a.box.y1 == b.box.y1 && a.box.x1 == b.box.x1;
}

bool same_plan(const std::vector<MixSample>& a, const std::vector<MixSample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same_record(a[i], b[i])) return false;
  }
  return true;
}

float corrected_lam(const Box& box, int64_t h, int64_t w) {
  return float(1.0 - double(box.area()) / (double(h) * double(w)));
}

// |count - n p| within 4.5 binomial standard deviations (p ~ 7e-6 two-sided).
void expect_binomial(int64_t count, int64_t trials, double p, const char* what) {
  const double sd = std::sqrt(double(trials) * p * (1.0 - p));
  EXPECT_NEAR(double(count), double(trials) * p, 4.5 * sd) << what;
}

// ---------------------------------------------------------------------------
// Partners.

TEST(Partners, FlipAndRoll) {
  for (int64_t n : kBatches) {
    const auto flip = plan_partners(make_policy(1, 0, Mode::Batch, PartnerRule::Flip), 1, 2, n);
    const auto roll = plan_partners(make_policy(1, 0, Mode::Batch, PartnerRule::Roll), 1, 2, n);
    ASSERT_EQ(int64_t(flip.size()), n);
    ASSERT_EQ(int64_t(roll.size()), n);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(flip[i], n - 1 - i);
      EXPECT_EQ(roll[i], i == 0 ? n - 1 : i - 1);  // torch's batch.roll(1, 0)
    }
  }
  const auto roll3 = plan_partners(make_policy(1, 0, Mode::Batch, PartnerRule::Roll), 0, 0, 3);
  EXPECT_EQ(roll3, (std::vector<int64_t>{2, 0, 1}));
}

TEST(Partners, Explicit) {
  MixPolicy p = make_policy(1, 0, Mode::Elem, PartnerRule::Explicit);
  p.partner_index = {2, 2, 0, 3};
  EXPECT_EQ(plan_partners(p, 5, 6, 4), p.partner_index);
  p.partner_index = {0};
  EXPECT_EQ(plan_partners(p, 5, 6, 1), p.partner_index);
  p.partner_index = {0, 1};
  EXPECT_THROW(plan_partners(p, 5, 6, 3), Error);  // wrong length
  p.partner_index = {0, 3};
  EXPECT_THROW(plan_partners(p, 5, 6, 2), Error);  // out of range
}

bool is_permutation_of_iota(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != int64_t(i)) return false;
  }
  return true;
}

TEST(Partners, PermutationIsAPermutation) {
  const MixPolicy p = make_policy(1, 0, Mode::Elem, PartnerRule::Permutation);
  for (int64_t n : {int64_t(1), int64_t(2), int64_t(3), int64_t(64), int64_t(1000)}) {
    for (uint64_t step = 0; step < 20; ++step) {
      EXPECT_TRUE(is_permutation_of_iota(plan_partners(p, 9, step, n))) << n << " " << step;
    }
  }
  // Keyed by (seed, step): reproducible, and different keys shuffle differently.
  EXPECT_EQ(plan_partners(p, 9, 3, 64), plan_partners(p, 9, 3, 64));
  EXPECT_NE(plan_partners(p, 9, 3, 64), plan_partners(p, 9, 4, 64));
  EXPECT_NE(plan_partners(p, 9, 3, 64), plan_partners(p, 10, 3, 64));
  EXPECT_NE(plan_partners(p, 9, 3, 64), plan_partners(p, 9, 3 + (uint64_t(1) << 33), 64));
}

TEST(Partners, PermutationPositionsAreUniform) {
  // Chi-square of the (i, perm[i]) table: every cell expects steps / n.
  const MixPolicy p = make_policy(1, 0, Mode::Elem, PartnerRule::Permutation);
  const int64_t n = 8;
  const int steps = 16000;
  std::vector<int> table(n * n, 0);
  for (int step = 0; step < steps; ++step) {
    const auto perm = plan_partners(p, 12345, uint64_t(step), n);
    for (int64_t i = 0; i < n; ++i) ++table[i * n + perm[i]];
  }
  const double expected = double(steps) / double(n);
  double chi2 = 0.0;
  for (int c : table) chi2 += (c - expected) * (c - expected) / expected;
  // (n-1)^2 = 49 degrees of freedom; 85.4 is the p = 0.001 critical value.
  EXPECT_LT(chi2, 85.4);
}

TEST(Partners, AllPermutationsOfThreeEquallyLikely) {
  const MixPolicy p = make_policy(1, 0, Mode::Elem, PartnerRule::Permutation);
  std::map<std::vector<int64_t>, int> counts;
  const int steps = 12000;
  for (int step = 0; step < steps; ++step) ++counts[plan_partners(p, 777, uint64_t(step), 3)];
  ASSERT_EQ(counts.size(), 6u);
  double chi2 = 0.0;
  for (const auto& kv : counts) chi2 += (kv.second - 2000.0) * (kv.second - 2000.0) / 2000.0;
  EXPECT_LT(chi2, 20.52);  // 5 degrees of freedom, p = 0.001
}

// ---------------------------------------------------------------------------
// Plan invariants over every size, batch, rule, mode and op.

void check_invariants(const std::vector<MixSample>& plan, const MixPolicy& p, int64_t n, int64_t h,
                      int64_t w, const std::vector<int64_t>& partners) {
  ASSERT_EQ(int64_t(plan.size()), n);
  const bool minmax = p.minmax_lo < p.minmax_hi;
  for (int64_t i = 0; i < n; ++i) {
    const MixSample& s = plan[i];
    ASSERT_GE(s.partner, 0);
    ASSERT_LT(s.partner, n);
    ASSERT_GE(s.lam, 0.0f);
    ASSERT_LE(s.lam, 1.0f);
    ASSERT_LE(0, s.box.y0);
    ASSERT_LE(s.box.y0, s.box.y1);
    ASSERT_LE(s.box.y1, h);
    ASSERT_LE(0, s.box.x0);
    ASSERT_LE(s.box.x0, s.box.x1);
    ASSERT_LE(s.box.x1, w);
    if (partners[i] == i) {
      ASSERT_EQ(s.kind, MixKind::None);
    }
    switch (s.kind) {
      case MixKind::None:
        ASSERT_EQ(s.partner, i);
        ASSERT_EQ(s.lam, 1.0f);
        ASSERT_TRUE(s.box.empty());
        break;
      case MixKind::Mixup:
        ASSERT_EQ(s.partner, partners[i]);
        ASSERT_EQ(double(s.lam) * kLamOne, std::nearbyint(double(s.lam) * kLamOne));
        ASSERT_TRUE(s.box.empty());
        break;
      case MixKind::CutMix:
        ASSERT_EQ(s.partner, partners[i]);
        if (p.correct_lam || minmax) {
          ASSERT_EQ(s.lam, corrected_lam(s.box, h, w));
        }
        break;
    }
  }
}

TEST(MixPlan, InvariantsEverywhere) {
  struct Ops {
    double mixup, cutmix, lo, hi;
    bool correct;
  };
  const Ops ops[] = {{1, 0, 0, 0, true},      {0, 1, 0, 0, true},     {1, 1, 0, 0, true},
                     {0.2, 0.2, 0, 0, false}, {0, 0, 0.2, 0.8, true}, {1, 0, 0.3, 1.0, false}};
  for (int64_t h : kSizes) {
    for (int64_t w : kSizes) {
      for (int64_t n : kBatches) {
        for (PartnerRule rule : {PartnerRule::Flip, PartnerRule::Roll, PartnerRule::Permutation}) {
          for (Mode mode : {Mode::Batch, Mode::Pair, Mode::Elem}) {
            for (const Ops& op : ops) {
              MixPolicy p = make_policy(op.mixup, op.cutmix, mode, rule);
              p.minmax_lo = op.lo;
              p.minmax_hi = op.hi;
              p.correct_lam = op.correct;
              const uint64_t step = uint64_t(h * 1000 + w);
              const auto partners = plan_partners(p, 3, step, n);
              const auto plan = plan_mix(p, 3, step, n, h, w);
              SCOPED_TRACE(testing::Message() << "h " << h << " w " << w << " n " << n);
              check_invariants(plan, p, n, h, w, partners);
              if (HasFatalFailure()) return;
            }
          }
        }
      }
    }
  }
}

TEST(MixPlan, SelfPartnersAreNone) {
  // n = 1 under every rule, and the middle sample of an odd flip.
  for (PartnerRule rule : {PartnerRule::Flip, PartnerRule::Roll, PartnerRule::Permutation}) {
    const auto plan = plan_mix(make_policy(1, 1, Mode::Elem, rule), 1, 1, 1, 8, 8);
    EXPECT_EQ(plan[0].kind, MixKind::None);
    EXPECT_EQ(plan[0].partner, 0);
  }
  for (Mode mode : {Mode::Batch, Mode::Pair, Mode::Elem}) {
    const auto plan = plan_mix(make_policy(1, 0, mode), 1, 1, 5, 8, 8);
    EXPECT_EQ(plan[2].kind, MixKind::None);
    EXPECT_EQ(plan[2].lam, 1.0f);
    for (int i : {0, 1, 3, 4}) EXPECT_EQ(plan[i].kind, MixKind::Mixup);
  }
}

// ---------------------------------------------------------------------------
// Determinism.

TEST(MixPlan, PureFunctionOfItsKey) {
  const MixPolicy p = make_policy(1, 1, Mode::Elem, PartnerRule::Permutation);
  const auto a = plan_mix(p, 42, 7, 64, 32, 48);
  EXPECT_TRUE(same_plan(a, plan_mix(p, 42, 7, 64, 32, 48)));
  plan_mix(p, 42, 8, 64, 32, 48);  // no hidden state between calls
  EXPECT_TRUE(same_plan(a, plan_mix(p, 42, 7, 64, 32, 48)));
  EXPECT_FALSE(same_plan(a, plan_mix(p, 43, 7, 64, 32, 48)));
  EXPECT_FALSE(same_plan(a, plan_mix(p, 42, 8, 64, 32, 48)));
  EXPECT_FALSE(same_plan(a, plan_mix(p, 42 + (uint64_t(1) << 32), 7, 64, 32, 48)));
  EXPECT_FALSE(same_plan(a, plan_mix(p, 42, 7 + (uint64_t(1) << 40), 64, 32, 48)));
  // The largest step is accepted and keyed.
  EXPECT_FALSE(
      same_plan(plan_mix(p, 42, kMaxStep, 64, 32, 48), plan_mix(p, 42, kMaxStep - 1, 64, 32, 48)));
}

TEST(MixPlan, SampleDrawDoesNotDependOnBatchSize) {
  // Elem draws are keyed by the sample index, so a prefix of a larger batch
  // (with a rule that does not depend on n for those samples) matches.
  MixPolicy p = make_policy(1, 1, Mode::Elem, PartnerRule::Explicit);
  p.partner_index = {1, 0, 1};
  const auto small = plan_mix(p, 5, 5, 3, 16, 16);
  p.partner_index = {1, 0, 1, 0, 0, 0};
  const auto large = plan_mix(p, 5, 5, 6, 16, 16);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(same_record(small[i], large[i])) << i;
}

// ---------------------------------------------------------------------------
// Modes.

TEST(MixPlan, BatchModeSharesOneDraw) {
  std::set<MixKind> kinds;
  for (uint64_t step = 0; step < 40; ++step) {
    for (int64_t n : {int64_t(64), int64_t(63)}) {
      const auto plan = plan_mix(make_policy(1, 1, Mode::Batch), 8, step, n, 20, 30);
      const int64_t first = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (n % 2 == 1 && i == n / 2) continue;  // self-partner
        EXPECT_TRUE(same_draw(plan[i], plan[first])) << "step " << step << " i " << i;
      }
      kinds.insert(plan[first].kind);
    }
  }
  // The shared draw itself varies from step to step.
  EXPECT_EQ(kinds, (std::set<MixKind>{MixKind::Mixup, MixKind::CutMix}));
}

TEST(MixPlan, PairModeSharesADrawWithinEachPair) {
  for (uint64_t step = 0; step < 10; ++step) {
    const int64_t n = 64;
    const auto plan = plan_mix(make_policy(1, 1, Mode::Pair), 8, step, n, 20, 30);
    std::set<float> lams;
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(plan[i].partner, n - 1 - i);
      EXPECT_TRUE(same_draw(plan[i], plan[n - 1 - i])) << i;
      lams.insert(plan[i].lam);
    }
    EXPECT_GT(lams.size(), 16u);  // 32 pairs, 32 independent draws
  }
}

TEST(MixPlan, PairModeUsesTheSmallerIndexAsKey) {
  // Sample i in pair mode draws like sample min(i, partner(i)) in elem mode.
  for (PartnerRule rule : {PartnerRule::Flip, PartnerRule::Roll, PartnerRule::Permutation}) {
    const auto partners = plan_partners(make_policy(1, 1, Mode::Pair, rule), 4, 4, 33);
    const auto pair = plan_mix(make_policy(1, 1, Mode::Pair, rule), 4, 4, 33, 17, 17);
    const auto elem = plan_mix(make_policy(1, 1, Mode::Elem, rule), 4, 4, 33, 17, 17);
    for (int64_t i = 0; i < 33; ++i) {
      const int64_t key = std::min(i, partners[i]);
      if (partners[i] == i || partners[key] == key) continue;
      EXPECT_TRUE(same_draw(pair[i], elem[key])) << i;
    }
  }
}

TEST(MixPlan, ElemModeDrawsPerSample) {
  const auto plan = plan_mix(make_policy(1, 0, Mode::Elem), 8, 0, 64, 20, 30);
  std::set<float> lams;
  for (const MixSample& s : plan) lams.insert(s.lam);
  EXPECT_GT(lams.size(), 50u);
  // Flip partners i and n-1-i draw separately in elem mode.
  int differ = 0;
  for (int64_t i = 0; i < 32; ++i) differ += plan[i].lam != plan[63 - i].lam;
  EXPECT_GT(differ, 25);
}

// ---------------------------------------------------------------------------
// Decisions.

TEST(MixPlan, ProbZeroMixesNothing) {
  for (Mode mode : {Mode::Batch, Mode::Pair, Mode::Elem}) {
    MixPolicy p = make_policy(1, 1, mode);
    p.prob = 0.0;
    for (uint64_t step = 0; step < 20; ++step) {
      const auto plan = plan_mix(p, 1, step, 64, 16, 16);
      for (int64_t i = 0; i < 64; ++i) {
        EXPECT_EQ(plan[i].kind, MixKind::None);
        EXPECT_EQ(plan[i].partner, i);
        EXPECT_EQ(plan[i].lam, 1.0f);
        EXPECT_TRUE(plan[i].box.empty());
      }
    }
  }
}

TEST(MixPlan, ProbOneWithOnlyMixupAlwaysMixes) {
  for (Mode mode : {Mode::Batch, Mode::Pair, Mode::Elem}) {
    for (uint64_t step = 0; step < 20; ++step) {
      const auto plan = plan_mix(make_policy(0.4, 0, mode), 2, step, 65, 16, 16);
      for (int64_t i = 0; i < 65; ++i) {
        EXPECT_EQ(plan[i].kind, i == 32 ? MixKind::None : MixKind::Mixup);
      }
    }
  }
}

TEST(MixPlan, OnlyCutMixAlwaysCutMixes) {
  const auto plan = plan_mix(make_policy(0, 1, Mode::Elem), 2, 0, 64, 16, 16);
  for (const MixSample& s : plan) EXPECT_EQ(s.kind, MixKind::CutMix);
}

TEST(MixPlan, ProbAndSwitchProbStatistics) {
  const int64_t n = 20000;
  for (double prob : {0.3, 0.8}) {
    for (double switch_prob : {0.0, 0.25, 0.5, 1.0}) {
      MixPolicy p = make_policy(1, 1, Mode::Elem, PartnerRule::Roll);
      p.prob = prob;
      p.switch_prob = switch_prob;
      const auto plan = plan_mix(p, 99, 1, n, 8, 8);
      int64_t mixed = 0, cutmix = 0;
      for (const MixSample& s : plan) {
        mixed += s.kind != MixKind::None;
        cutmix += s.kind == MixKind::CutMix;
      }
      expect_binomial(mixed, n, prob, "prob");
      if (switch_prob == 0.0) {
        EXPECT_EQ(cutmix, 0);
      }
      if (switch_prob == 1.0) {
        EXPECT_EQ(cutmix, mixed);
      }
      expect_binomial(cutmix, mixed, switch_prob, "switch_prob");
    }
  }
}

TEST(MixPlan, BatchModeDecisionStatistics) {
  // One decision per batch: over many steps the fractions still match.
  MixPolicy p = make_policy(1, 1, Mode::Batch);
  p.prob = 0.6;
  p.switch_prob = 0.3;
  const int steps = 4000;
  int mixed = 0, cutmix = 0;
  for (int step = 0; step < steps; ++step) {
    const auto plan = plan_mix(p, 5, uint64_t(step), 4, 8, 8);
    mixed += plan[0].kind != MixKind::None;
    cutmix += plan[0].kind == MixKind::CutMix;
  }
  expect_binomial(mixed, steps, 0.6, "prob");
  expect_binomial(cutmix, mixed, 0.3, "switch_prob");
}

// ---------------------------------------------------------------------------
// CutMix boxes.

TEST(CutMix, CorrectedLamIsExactlyOneMinusArea) {
  for (int64_t h : kSizes) {
    for (int64_t w : kSizes) {
      const auto plan = plan_mix(make_policy(0, 1, Mode::Elem), 6, 6, 64, h, w);
      for (const MixSample& s : plan) {
        ASSERT_EQ(s.kind, MixKind::CutMix);
        EXPECT_EQ(s.lam, float(1.0 - double(s.box.area()) / double(h * w)));
      }
    }
  }
}

// Expected clipped length, and its square, of [c - k/2, c + (k+1)/2) (timm
// 1.0) with c uniform in {0..extent-1}.
std::pair<double, double> clipped_length_moments(int64_t side, int64_t extent) {
  double sum = 0.0, sum_sq = 0.0;
  for (int64_t c = 0; c < extent; ++c) {
    const int64_t len = std::min(c + (side + 1) / 2, extent) - std::max(c - side / 2, int64_t(0));
    sum += double(len);
    sum_sq += double(len) * double(len);
  }
  return {sum / double(extent), sum_sq / double(extent)};
}

TEST(CutMix, UncorrectedBoxesFollowLam) {
  const int64_t h = 37, w = 53, n = 40000;
  MixPolicy p = make_policy(0, 1, Mode::Elem, PartnerRule::Roll);
  p.correct_lam = false;
  const auto plan = plan_mix(p, 11, 3, n, h, w);
  double area_minus_expected = 0.0, variance = 0.0, area_fraction = 0.0, one_minus_lam = 0.0;
  int64_t clipped = 0;
  for (const MixSample& s : plan) {
    ASSERT_EQ(s.kind, MixKind::CutMix);
    // The box side comes from the stored lam: floor(H * sqrt(1 - lam)), odd
    // sides included (timm 1.0).
    const double r = std::sqrt(1.0 - double(s.lam));
    const int64_t cut_h = int64_t(std::floor(double(h) * r)), cut_w = int64_t(std::floor(w * r));
    const int64_t bh = s.box.y1 - s.box.y0, bw = s.box.x1 - s.box.x0;
    ASSERT_LE(bh, cut_h);
    ASSERT_LE(bw, cut_w);
    // Clipped boxes only at the borders.
    if (bh < cut_h) {
      ASSERT_TRUE(s.box.y0 == 0 || s.box.y1 == h);
      ++clipped;
    }
    if (bw < cut_w) {
      ASSERT_TRUE(s.box.x0 == 0 || s.box.x1 == w);
    }
    // Given lam, the area is a product of two independent clipped lengths.
    const auto [ey, ey2] = clipped_length_moments(cut_h, h);
    const auto [ex, ex2] = clipped_length_moments(cut_w, w);
    area_minus_expected += double(bh * bw) - ey * ex;
    variance += ey2 * ex2 - ey * ey * ex * ex;
    area_fraction += double(bh * bw) / double(h * w);
    one_minus_lam += 1.0 - s.lam;
  }
  EXPECT_GT(clipped, 0);
  // Centres uniform over the image: z-test of the area against its expectation.
  EXPECT_LT(std::fabs(area_minus_expected) / std::sqrt(variance), 4.5);
  // Without clipping the area fraction would be about 1 - lam; clipping and
  // the integer halves only shrink it (which is why timm corrects lam).
  EXPECT_LT(area_fraction / n, one_minus_lam / n);
  EXPECT_GT(area_fraction / n, 0.5 * one_minus_lam / n);
}

TEST(CutMix, CorrectedMeanAreaMatchesMeanOneMinusLam) {
  // With correction, E[area fraction] == E[1 - lam] holds sample by sample;
  // for Beta(1, 1) its mean is below the uncorrected 0.5 because of clipping.
  const int64_t h = 224, w = 224, n = 20000;
  const auto plan = plan_mix(make_policy(0, 1, Mode::Elem, PartnerRule::Roll), 12, 0, n, h, w);
  double fraction = 0.0, one_minus_lam = 0.0;
  for (const MixSample& s : plan) {
    fraction += double(s.box.area()) / double(h * w);
    one_minus_lam += 1.0 - double(s.lam);
  }
  EXPECT_NEAR(fraction / n, one_minus_lam / n, 1e-6);
  EXPECT_LT(fraction / n, 0.5);
  EXPECT_GT(fraction / n, 0.25);
}

TEST(CutMix, PairModeGivesBothSamplesTheSameBox) {
  const auto plan = plan_mix(make_policy(0, 1, Mode::Pair), 13, 2, 64, 50, 40);
  std::set<std::tuple<int32_t, int32_t, int32_t, int32_t>> boxes;
  for (int64_t i = 0; i < 64; ++i) {
    EXPECT_TRUE(same_draw(plan[i], plan[63 - i]));
    boxes.insert({plan[i].box.y0, plan[i].box.x0, plan[i].box.y1, plan[i].box.x1});
  }
  EXPECT_GT(boxes.size(), 16u);
}

TEST(CutMix, MinmaxSidesAndPlacement) {
  for (int64_t h : kSizes) {
    for (int64_t w : kSizes) {
      for (auto [lo, hi] : {std::pair<double, double>(0.2, 0.8), {0.5, 1.0}, {0.0, 0.3}}) {
        MixPolicy p = make_policy(0, 0, Mode::Elem, PartnerRule::Roll);
        p.minmax_lo = lo;
        p.minmax_hi = hi;
        p.correct_lam = false;  // minmax always corrects
        const auto plan = plan_mix(p, 14, uint64_t(h * w), 256, h, w);
        for (const MixSample& s : plan) {
          ASSERT_EQ(s.kind, MixKind::CutMix);
          const int64_t bh = s.box.y1 - s.box.y0, bw = s.box.x1 - s.box.x0;
          // timm 1.0's randint: [floor(lo*H), floor(hi*H)), the top excluded
          // (the bottom alone when that range is empty).
          const int64_t h_lo = int64_t(std::floor(lo * double(h)));
          const int64_t h_hi = std::max(h_lo + 1, int64_t(std::floor(hi * double(h))));
          const int64_t w_lo = int64_t(std::floor(lo * double(w)));
          const int64_t w_hi = std::max(w_lo + 1, int64_t(std::floor(hi * double(w))));
          EXPECT_GE(bh, h_lo);
          EXPECT_LT(bh, h_hi);
          EXPECT_GE(bw, w_lo);
          EXPECT_LT(bw, w_hi);
          EXPECT_LE(s.box.y1, h);
          EXPECT_LE(s.box.x1, w);
          EXPECT_EQ(s.lam, corrected_lam(s.box, h, w));
        }
      }
    }
  }
}

TEST(CutMix, MinmaxReachesEverySideAndPosition) {
  // 5 x 6 image, sides in [1, 3) x [1, 4) (timm's randint excludes the top):
  // every (side, corner) pair occurs, the bottom / right positions included.
  const int64_t h = 5, w = 6;
  MixPolicy p = make_policy(0, 0, Mode::Elem, PartnerRule::Roll);
  p.minmax_lo = 0.2;
  p.minmax_hi = 0.7;
  const auto plan = plan_mix(p, 15, 0, 4000, h, w);
  std::set<std::pair<int, int>> rows, cols;
  for (const MixSample& s : plan) {
    rows.insert({s.box.y1 - s.box.y0, s.box.y0});
    cols.insert({s.box.x1 - s.box.x0, s.box.x0});
  }
  std::set<std::pair<int, int>> want_rows, want_cols;
  for (int side = 1; side < 3; ++side) {
    for (int y0 = 0; y0 <= h - side; ++y0) want_rows.insert({side, y0});
  }
  for (int side = 1; side < 4; ++side) {
    for (int x0 = 0; x0 <= w - side; ++x0) want_cols.insert({side, x0});
  }
  EXPECT_EQ(rows, want_rows);
  EXPECT_EQ(cols, want_cols);
}

TEST(CutMix, MinmaxWithMixupStillSwitches) {
  MixPolicy p = make_policy(1, 0, Mode::Elem, PartnerRule::Roll);
  p.minmax_lo = 0.25;
  p.minmax_hi = 0.75;
  p.switch_prob = 0.5;
  const auto plan = plan_mix(p, 16, 0, 4000, 32, 32);
  int64_t cutmix = 0;
  for (const MixSample& s : plan) cutmix += s.kind == MixKind::CutMix;
  expect_binomial(cutmix, 4000, 0.5, "switch with minmax");
}

// ---------------------------------------------------------------------------
// Pinned draws: the same (seed, step, sample) gives the same lam and box in
// every release (a compatibility promise; a faster sampler must keep them).
// The hashes were taken from the sampler as first released.

uint64_t fnv1a(uint64_t h, uint64_t v) {
  for (int b = 0; b < 8; ++b) h = (h ^ ((v >> (8 * b)) & 0xFF)) * 0x100000001B3ull;
  return h;
}

uint64_t plan_hash(const std::vector<MixSample>& plan) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (const MixSample& s : plan) {
    uint32_t lam_bits = 0;
    std::memcpy(&lam_bits, &s.lam, sizeof lam_bits);
    h = fnv1a(h, uint64_t(s.partner));
    h = fnv1a(h, uint64_t(lam_bits) | uint64_t(s.kind) << 32);
    h = fnv1a(h, uint64_t(uint32_t(s.box.y0)) | uint64_t(uint32_t(s.box.x0)) << 32);
    h = fnv1a(h, uint64_t(uint32_t(s.box.y1)) | uint64_t(uint32_t(s.box.x1)) << 32);
  }
  return h;
}

struct PinnedCase {
  const char* what;
  MixPolicy policy;
  uint64_t seed, step;
  int64_t n, h, w;
  uint64_t hash;
};

std::vector<PinnedCase> pinned_cases() {
  MixPolicy timm_elem = make_policy(0.8, 1.0, Mode::Elem);
  MixPolicy mixup = make_policy(1.0, 0, Mode::Elem);
  MixPolicy cutmix_raw = make_policy(0, 1.0, Mode::Elem);
  cutmix_raw.correct_lam = false;
  MixPolicy tiny = make_policy(0.1, 0.3, Mode::Elem, PartnerRule::Roll);
  tiny.prob = 0.7;
  tiny.switch_prob = 0.3;
  MixPolicy minmax = make_policy(2.0, 0, Mode::Elem);
  minmax.minmax_lo = 0.2;
  minmax.minmax_hi = 0.8;
  MixPolicy batch = make_policy(0.8, 1.0, Mode::Batch);
  MixPolicy pair = make_policy(0.8, 1.0, Mode::Pair, PartnerRule::Permutation);
  return {
      {"timm elem", timm_elem, 1, 0, 256, 32, 32, 0xa4b3b361a32bcf4cull},
      {"timm elem, big step", timm_elem, 0x0123456789ABCDEFull, 12345678901ull, 256, 32, 32,
       0xcbbc92b5cd144dbdull},
      {"timm elem, odd image", timm_elem, 7, 3, 33, 224, 199, 0xbc831508e19e4f82ull},
      {"mixup elem", mixup, 2, 5, 256, 32, 32, 0x65b8a5b54f5e350eull},
      {"cutmix elem, raw lam", cutmix_raw, 3, 9, 256, 64, 48, 0xb19cfa49997cf35dull},
      {"tiny alphas", tiny, 4, 11, 256, 32, 32, 0xe6fde357246366ebull},
      {"minmax", minmax, 5, 13, 256, 17, 31, 0x70a66a0856e27124ull},
      {"batch", batch, 6, 17, 256, 32, 32, 0x3140bf944ffbdf25ull},
      {"pair", pair, 8, 19, 256, 32, 32, 0x932e3433d3d20321ull},
  };
}

TEST(MixPlan, PinnedDraws) {
  for (const PinnedCase& c : pinned_cases()) {
    const auto plan = plan_mix(c.policy, c.seed, c.step, c.n, c.h, c.w);
    EXPECT_EQ(plan_hash(plan), c.hash) << c.what;
  }
}

// A few of those draws in the open (timm's Mixup(0.8, 1.0, mode='elem'),
// seed 1, step 0, 256 x 32 x 32).
TEST(MixPlan, PinnedElemRecords) {
  const auto plan = plan_mix(make_policy(0.8, 1.0, Mode::Elem), 1, 0, 256, 32, 32);
  const auto expect = [&](int64_t i, float lam, MixKind kind, Box box) {
    MixSample want;
    want.partner = 255 - i;
    want.lam = lam;
    want.kind = kind;
    want.box = box;
    EXPECT_TRUE(same_record(plan[size_t(i)], want)) << i;
  };
  expect(0, 0x1.1a8p-1f, MixKind::CutMix, Box{5, 0, 32, 17});
  expect(1, 0x1.f68p-5f, MixKind::Mixup, Box{});
  expect(2, 0x1.2fp-1f, MixKind::CutMix, Box{0, 0, 22, 19});
  expect(3, 0x1.6adp-2f, MixKind::Mixup, Box{});
  expect(254, 0x1.18p-1f, MixKind::CutMix, Box{16, 0, 32, 29});
  expect(255, 0x1.58p-1f, MixKind::CutMix, Box{0, 11, 16, 32});
}

}  // namespace
}  // namespace mixcut
