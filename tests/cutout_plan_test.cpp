// plan_cutout: the Cutout (holes) and RandomErasing forms.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "plan/plan.hpp"

namespace mixcut {
namespace {

const int64_t kSizes[] = {1, 2, 3, 17, 224};
const int64_t kBatches[] = {1, 2, 3, 64};

CutoutPolicy holes_policy(int32_t length, int32_t min_count, int32_t max_count) {
  CutoutPolicy p;
  p.form = CutoutForm::Holes;
  p.length = length;
  p.min_count = min_count;
  p.max_count = max_count;
  return p;
}

CutoutPolicy erasing_policy(double scale_lo, double scale_hi, double ratio_lo, double ratio_hi,
                            int32_t min_count = 1, int32_t max_count = 1) {
  CutoutPolicy p;
  p.form = CutoutForm::Erasing;
  p.scale_lo = scale_lo;
  p.scale_hi = scale_hi;
  p.ratio_lo = ratio_lo;
  p.ratio_hi = ratio_hi;
  p.min_count = min_count;
  p.max_count = max_count;
  return p;
}

bool same_holes(const std::vector<CutoutHole>& a, const std::vector<CutoutHole>& b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k].sample != b[k].sample || a[k].noise_key != b[k].noise_key ||
        a[k].box.y0 != b[k].box.y0 || a[k].box.x0 != b[k].box.x0 || a[k].box.y1 != b[k].box.y1 ||
        a[k].box.x1 != b[k].box.x1) {
      return false;
    }
  }
  return true;
}

// Layout shared by both forms: n * max_count slots, sample i owns its block,
// boxes inside the image, empty boxes carry noise key 0.
void check_layout(const std::vector<CutoutHole>& holes, const CutoutPolicy& p, int64_t n, int64_t h,
                  int64_t w) {
  ASSERT_EQ(int64_t(holes.size()), n * p.max_count);
  for (size_t k = 0; k < holes.size(); ++k) {
    const CutoutHole& hole = holes[k];
    ASSERT_EQ(hole.sample, int64_t(k) / p.max_count);
    ASSERT_LE(0, hole.box.y0);
    ASSERT_LE(hole.box.y0, hole.box.y1);
    ASSERT_LE(hole.box.y1, h);
    ASSERT_LE(0, hole.box.x0);
    ASSERT_LE(hole.box.x0, hole.box.x1);
    ASSERT_LE(hole.box.x1, w);
    if (hole.box.empty()) {
      ASSERT_EQ(hole.noise_key, 0u);
    }
  }
}

// ---------------------------------------------------------------------------
// Holes.

TEST(CutoutHoles, ClippedSquaresEverywhere) {
  for (int64_t h : kSizes) {
    for (int64_t w : kSizes) {
      for (int64_t n : kBatches) {
        for (int32_t length : {1, 2, 3, 16}) {
          if (length > std::min(h, w)) continue;
          const CutoutPolicy p = holes_policy(length, 0, 3);
          const auto holes = plan_cutout(p, 1, uint64_t(h * 1000 + w), n, h, w);
          SCOPED_TRACE(testing::Message()
                       << "h " << h << " w " << w << " n " << n << " L " << length);
          check_layout(holes, p, n, h, w);
          const int32_t side = length;  // odd lengths keep their full side
          for (const CutoutHole& hole : holes) {
            const int32_t bh = hole.box.y1 - hole.box.y0, bw = hole.box.x1 - hole.box.x0;
            EXPECT_LE(bh, side);
            EXPECT_LE(bw, side);
            // A hole is smaller than the square only where it meets a border.
            if (!hole.box.empty() && bh < side) {
              EXPECT_TRUE(hole.box.y0 == 0 || hole.box.y1 == h);
            }
            if (!hole.box.empty() && bw < side) {
              EXPECT_TRUE(hole.box.x0 == 0 || hole.box.x1 == w);
            }
          }
          if (HasFailure()) return;
        }
      }
    }
  }
}

TEST(CutoutHoles, CountIsUniformInRange) {
  // length >= 2 holes always cover their centre, so non-empty = drawn count.
  const CutoutPolicy p = holes_policy(4, 1, 4);
  const int64_t n = 8000;
  const auto holes = plan_cutout(p, 2, 0, n, 32, 32);
  std::vector<int> per_count(5, 0);
  for (int64_t i = 0; i < n; ++i) {
    int count = 0;
    for (int k = 0; k < 4; ++k) {
      const CutoutHole& hole = holes[size_t(i * 4 + k)];
      if (!hole.box.empty()) {
        ++count;
        EXPECT_NE(hole.noise_key, 0u);
      }
    }
    ASSERT_GE(count, 1);
    ASSERT_LE(count, 4);
    ++per_count[count];
  }
  double chi2 = 0.0;
  for (int c = 1; c <= 4; ++c) chi2 += (per_count[c] - 2000.0) * (per_count[c] - 2000.0) / 2000.0;
  EXPECT_LT(chi2, 16.27);  // 3 degrees of freedom, p = 0.001
}

TEST(CutoutHoles, CentresAreUniform) {
  // length 2: the box is [cy - 1, cy + 1) clipped, so cy = y1 - 1 always.
  const int64_t h = 5, w = 7, n = 35 * 400;
  const auto holes = plan_cutout(holes_policy(2, 1, 1), 3, 0, n, h, w);
  std::vector<int> counts(h * w, 0);
  for (const CutoutHole& hole : holes) {
    ASSERT_FALSE(hole.box.empty());
    const int cy = hole.box.y1 - 1, cx = hole.box.x1 - 1;
    EXPECT_EQ(hole.box.y0, std::max(cy - 1, 0));
    EXPECT_EQ(hole.box.x0, std::max(cx - 1, 0));
    ++counts[size_t(cy * w + cx)];
  }
  double chi2 = 0.0;
  for (int c : counts) chi2 += (c - 400.0) * (c - 400.0) / 400.0;
  EXPECT_LT(chi2, 65.25);  // 34 degrees of freedom, p = 0.001
}

TEST(CutoutHoles, ProbDecidesPerSample) {
  CutoutPolicy p = holes_policy(4, 1, 1);
  p.prob = 0.0;
  for (const CutoutHole& hole : plan_cutout(p, 4, 0, 64, 16, 16)) {
    EXPECT_TRUE(hole.box.empty());
  }
  p.prob = 0.35;
  const int64_t n = 20000;
  int64_t applied = 0;
  for (const CutoutHole& hole : plan_cutout(p, 4, 0, n, 16, 16)) applied += !hole.box.empty();
  EXPECT_NEAR(double(applied), 0.35 * n, 4.5 * std::sqrt(n * 0.35 * 0.65));
}

TEST(CutoutHoles, ZeroCountsAllowed) {
  const auto holes = plan_cutout(holes_policy(4, 0, 0), 5, 0, 3, 16, 16);
  EXPECT_TRUE(holes.empty());
}

TEST(CutoutHoles, NoiseKeysDiffer) {
  const auto holes = plan_cutout(holes_policy(4, 3, 3), 6, 0, 64, 16, 16);
  std::set<uint64_t> keys;
  for (const CutoutHole& hole : holes) keys.insert(hole.noise_key);
  EXPECT_EQ(keys.size(), holes.size());
}

TEST(CutoutPlan, PureFunctionOfItsKey) {
  for (const CutoutPolicy& p : {holes_policy(5, 0, 3), erasing_policy(0.02, 1.0 / 3, 0.3, 3.3)}) {
    const auto a = plan_cutout(p, 7, 9, 64, 40, 30);
    EXPECT_TRUE(same_holes(a, plan_cutout(p, 7, 9, 64, 40, 30)));
    EXPECT_FALSE(same_holes(a, plan_cutout(p, 8, 9, 64, 40, 30)));
    EXPECT_FALSE(same_holes(a, plan_cutout(p, 7, 10, 64, 40, 30)));
    // Keyed by sample index: a smaller batch is a prefix of a larger one.
    const auto prefix = plan_cutout(p, 7, 9, 10, 40, 30);
    EXPECT_TRUE(
        same_holes(prefix, std::vector<CutoutHole>(a.begin(), a.begin() + 10 * p.max_count)));
  }
}

// ---------------------------------------------------------------------------
// RandomErasing.

// The drawn (area, aspect) that produced an h x w box after rounding lie in
// [(h-1/2)(w-1/2), (h+1/2)(w+1/2)] and [(h-1/2)/(w+1/2), (h+1/2)/(w-1/2)].
void expect_consistent_with_ranges(const Box& box, const CutoutPolicy& p, int64_t count, int64_t h,
                                   int64_t w) {
  const double bh = box.y1 - box.y0, bw = box.x1 - box.x0;
  const double unit = double(h) * double(w) / double(count);
  const double area_lo = (bh - 0.5) * (bw - 0.5), area_hi = (bh + 0.5) * (bw + 0.5);
  EXPECT_LE(area_lo, p.scale_hi * unit * (1 + 1e-12));
  EXPECT_GE(area_hi, p.scale_lo * unit * (1 - 1e-12));
  const double aspect_lo = (bh - 0.5) / (bw + 0.5), aspect_hi = (bh + 0.5) / (bw - 0.5);
  EXPECT_LE(aspect_lo, p.ratio_hi * (1 + 1e-12));
  EXPECT_GE(aspect_hi, p.ratio_lo * (1 - 1e-12));
}

TEST(Erasing, BoxesInsideAndConsistentEverywhere) {
  for (int64_t h : kSizes) {
    for (int64_t w : kSizes) {
      for (int64_t n : kBatches) {
        const CutoutPolicy p = erasing_policy(0.02, 1.0 / 3, 0.3, 1 / 0.3, 1, 2);
        const auto holes = plan_cutout(p, 8, uint64_t(h * 1000 + w), n, h, w);
        SCOPED_TRACE(testing::Message() << "h " << h << " w " << w << " n " << n);
        check_layout(holes, p, n, h, w);
        for (int64_t i = 0; i < n; ++i) {
          int64_t placed = 0;
          for (int k = 0; k < 2; ++k) placed += !holes[size_t(i * 2 + k)].box.empty();
          for (int k = 0; k < 2; ++k) {
            const Box& box = holes[size_t(i * 2 + k)].box;
            if (box.empty()) continue;
            EXPECT_LT(box.y1 - box.y0, h);
            EXPECT_LT(box.x1 - box.x0, w);
            // The count divides the area; with one hole placed it may be 1 or 2.
            if (placed == 2) {
              expect_consistent_with_ranges(box, p, 2, h, w);
            }
          }
        }
        if (HasFailure()) return;
      }
    }
  }
}

TEST(Erasing, AreaAndAspectDistribution) {
  // A range where every first try fits (h, w <= 142 < 224): the area fraction
  // is U(0.02, 0.2) and log(h/w) is U(log 0.5, log 2), up to rounding.
  const int64_t h = 224, w = 224, n = 20000;
  const CutoutPolicy p = erasing_policy(0.02, 0.2, 0.5, 2.0);
  const auto holes = plan_cutout(p, 9, 0, n, h, w);
  double sum_fraction = 0.0, sum_log_aspect = 0.0;
  for (const CutoutHole& hole : holes) {
    ASSERT_FALSE(hole.box.empty());
    expect_consistent_with_ranges(hole.box, p, 1, h, w);
    const double bh = hole.box.y1 - hole.box.y0, bw = hole.box.x1 - hole.box.x0;
    sum_fraction += bh * bw / double(h * w);
    sum_log_aspect += std::log(bh / bw);
  }
  // U(0.02, 0.2): mean 0.11, sd 0.052. Rounding adds well under 1e-3.
  EXPECT_NEAR(sum_fraction / n, 0.11, 4.5 * 0.052 / std::sqrt(double(n)) + 1e-3);
  // log-uniform aspect: log(h/w) has mean 0, sd log(4)/sqrt(12) = 0.4.
  EXPECT_NEAR(sum_log_aspect / n, 0.0, 4.5 * 0.4 / std::sqrt(double(n)) + 2e-3);
}

TEST(Erasing, EveryCornerReachable) {
  // Square holes of side 2 or 3 on a 6 x 6 image: corners 0..6-side all occur.
  const CutoutPolicy p = erasing_policy(4.0 / 36, 9.0 / 36, 1.0, 1.0);
  const auto holes = plan_cutout(p, 10, 0, 4000, 6, 6);
  std::set<std::pair<int, int>> seen;
  for (const CutoutHole& hole : holes) {
    ASSERT_FALSE(hole.box.empty());
    const int side = hole.box.y1 - hole.box.y0;
    ASSERT_EQ(side, hole.box.x1 - hole.box.x0);
    seen.insert({side, hole.box.y0});
    seen.insert({side, hole.box.x0});
  }
  std::set<std::pair<int, int>> want;
  for (int side = 2; side <= 3; ++side) {
    for (int corner = 0; corner <= 6 - side; ++corner) want.insert({side, corner});
  }
  EXPECT_EQ(seen, want);
}

TEST(Erasing, EmptyWhenNothingFits) {
  for (int64_t h : kSizes) {
    for (int64_t w : kSizes) {
      // Whole-image area never fits strictly inside; a 1-pixel-wide image never
      // fits any hole (h < H needs H >= 2).
      const CutoutPolicy full = erasing_policy(1.0, 1.0, 0.3, 1 / 0.3);
      for (const CutoutHole& hole : plan_cutout(full, 11, 0, 64, h, w)) {
        EXPECT_TRUE(hole.box.empty()) << h << " x " << w;
        EXPECT_EQ(hole.noise_key, 0u);
      }
      if (h == 1 || w == 1) {
        const CutoutPolicy small = erasing_policy(0.02, 1.0 / 3, 0.3, 1 / 0.3);
        for (const CutoutHole& hole : plan_cutout(small, 11, 0, 64, h, w)) {
          EXPECT_TRUE(hole.box.empty()) << h << " x " << w;
        }
      }
    }
  }
}

TEST(Erasing, ASideOfZeroEndsTheTries) {
  // 8 x 8, area 0.01-0.05 of 64 px split over 4 holes: sqrt(area * r) is often
  // below 0.5, so a side rounds to 0. timm 1.0 accepts such a try (0 < H) and
  // stops: the hole erases nothing. A hole is then placed with probability
  // ~0.49 (timm's own _erase simulated, 10^5 holes); retrying such tries (the
  // old rule) placed one in ~99.9 % of the slots.
  const CutoutPolicy p = erasing_policy(0.01, 0.05, 0.3, 1 / 0.3, 4, 4);
  const int64_t n = 4000, slots = 4 * n;
  int64_t placed = 0;
  for (const CutoutHole& hole : plan_cutout(p, 13, 0, n, 8, 8)) {
    if (hole.box.empty()) {
      EXPECT_EQ(hole.noise_key, 0u);
      continue;
    }
    ++placed;
    const int64_t bh = hole.box.y1 - hole.box.y0, bw = hole.box.x1 - hole.box.x0;
    EXPECT_TRUE((bh == 1 && bw <= 2) || (bh == 2 && bw == 1)) << bh << " x " << bw;
  }
  // sd of the fraction ~0.004: 0.4 and 0.6 are > 20 sd away, 0.999 far outside.
  EXPECT_GT(placed, slots * 4 / 10);
  EXPECT_LT(placed, slots * 6 / 10);
}

TEST(Erasing, RetriesFindAFitWhenOneExists) {
  // Wide ratio range on a square image: a try fits with probability ~0.4
  // (r must lie in about [0.42, 2.4]), so nearly every sample gets its hole,
  // yet all 10 tries fail for ~0.8% of them: the retry count is bounded.
  const CutoutPolicy p = erasing_policy(0.3, 0.4, 0.1, 10.0);
  const int64_t n = 4000;
  int64_t placed = 0;
  for (const CutoutHole& hole : plan_cutout(p, 12, 0, n, 20, 20)) placed += !hole.box.empty();
  EXPECT_GT(placed, int64_t(0.98 * n));
  EXPECT_LT(placed, n);
}

}  // namespace
}  // namespace mixcut
