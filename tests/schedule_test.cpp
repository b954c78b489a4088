// The partner-graph schedule (plan/schedule.hpp) on its own: every sample
// visited once, Kahn order and cycles correct in place (checked by running
// the schedule on tokens and comparing with the out-of-place result), steps
// grouped by connected component, 2-cycles recognised.
#include "plan/schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace mixcut {
namespace {

MixSample record(int64_t partner, MixKind kind, Box box = Box{0, 0, 2, 2}) {
  MixSample s;
  s.partner = partner;
  s.kind = kind;
  s.lam = 0.5f;
  s.box = box;
  return s;
}

std::vector<MixSample> with_partners(const std::vector<int64_t>& partners, MixKind kind) {
  std::vector<MixSample> plan;
  for (int64_t j : partners) plan.push_back(record(j, kind));
  return plan;
}

// What a sample holds: the token of the value it was built from. Out of
// place, out_i = mix(x_i, x_partner(i)); mix is not commutative, so reading
// a partner after it was overwritten changes the result.
uint64_t mix(uint64_t a, uint64_t b) { return a * 1000003u + b + 7u; }

// Runs the schedule on tokens as a backend runs it in place: Single and Pair
// steps read the current values; a Cycle saves its first node, then writes
// each node from the next one.
std::vector<uint64_t> run_in_place(const std::vector<MixSample>& plan, const Schedule& s) {
  std::vector<uint64_t> x(plan.size());
  std::iota(x.begin(), x.end(), uint64_t(1));
  for (const Step& step : s.steps) {
    const int64_t* nodes = s.nodes.data() + step.first;
    if (step.type == StepType::Single) {
      const int64_t i = nodes[0];
      x[size_t(i)] = mix(x[size_t(i)], x[size_t(plan[size_t(i)].partner)]);
    } else if (step.type == StepType::Cycle) {
      const uint64_t saved = x[size_t(nodes[0])];
      for (int64_t m = 0; m + 1 < step.count; ++m) {
        x[size_t(nodes[m])] = mix(x[size_t(nodes[m])], x[size_t(nodes[m + 1])]);
      }
      const int64_t last = nodes[step.count - 1];
      x[size_t(last)] = mix(x[size_t(last)], saved);
    } else {  // Pair, BoxPair: both outputs from the values before the step
      const int64_t i = nodes[0], j = nodes[1];
      const uint64_t xi = x[size_t(i)], xj = x[size_t(j)];
      x[size_t(i)] = mix(xi, xj);
      x[size_t(j)] = mix(xj, xi);
    }
  }
  return x;
}

std::vector<uint64_t> out_of_place(const std::vector<MixSample>& plan) {
  std::vector<uint64_t> out(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    const uint64_t xi = i + 1, xj = uint64_t(plan[i].partner) + 1;
    out[i] = plan[i].changes_pixels(int64_t(i)) ? mix(xi, xj) : xi;
  }
  return out;
}

// Every changing sample appears in exactly one step (every sample out of
// place); components are contiguous and their cost is their sample count.
void check_structure(const std::vector<MixSample>& plan, const Schedule& s, bool in_place) {
  const int64_t n = int64_t(plan.size());
  std::vector<int> seen(plan.size(), 0);
  for (const Step& step : s.steps) {
    for (int64_t m = 0; m < step.count; ++m) ++seen[size_t(s.nodes[size_t(step.first + m)])];
    if (step.type == StepType::Cycle || step.type == StepType::Pair ||
        step.type == StepType::BoxPair) {
      for (int64_t m = 0; m < step.count; ++m) {
        const int64_t node = s.nodes[size_t(step.first + m)];
        const int64_t next = s.nodes[size_t(step.first + (m + 1) % step.count)];
        ASSERT_EQ(plan[size_t(node)].partner, next) << "cycle nodes out of partner order";
      }
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const bool expected = !in_place || plan[size_t(i)].changes_pixels(i);
    ASSERT_EQ(seen[size_t(i)], expected ? 1 : 0) << "sample " << i;
  }
  ASSERT_EQ(s.comp_first_step.front(), 0);
  ASSERT_EQ(s.comp_first_step.back(), int64_t(s.steps.size()));
  ASSERT_EQ(s.comp_cost_prefix.size(), s.comp_first_step.size());
  // No sample of a component is linked to a sample of another one.
  std::vector<int64_t> comp_of(plan.size(), -1);
  for (int64_t c = 0; c < s.num_components(); ++c) {
    int64_t cost = 0;
    for (int64_t si = s.comp_first_step[size_t(c)]; si < s.comp_first_step[size_t(c) + 1]; ++si) {
      const Step& step = s.steps[size_t(si)];
      cost += step.count;
      for (int64_t m = 0; m < step.count; ++m) comp_of[size_t(s.nodes[size_t(step.first + m)])] = c;
    }
    ASSERT_EQ(s.comp_cost_prefix[size_t(c) + 1] - s.comp_cost_prefix[size_t(c)], cost);
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = plan[size_t(i)].partner;
    if (plan[size_t(i)].changes_pixels(i) && comp_of[size_t(j)] >= 0) {
      ASSERT_EQ(comp_of[size_t(i)], comp_of[size_t(j)]) << "sample " << i << " and partner " << j;
    }
  }
}

void check_plan(const std::vector<MixSample>& plan) {
  Schedule s;
  for (bool in_place : {false, true}) {
    SCOPED_TRACE(in_place ? "in place" : "out of place");
    build_schedule(plan.data(), int64_t(plan.size()), in_place, s);
    check_structure(plan, s, in_place);
    if (::testing::Test::HasFatalFailure()) return;
    if (in_place) {
      ASSERT_EQ(run_in_place(plan, s), out_of_place(plan));
    }
  }
}

std::vector<StepType> types(const Schedule& s) {
  std::vector<StepType> t;
  for (const Step& step : s.steps) t.push_back(step.type);
  return t;
}

TEST(Schedule, FlipMixupsArePairsOneComponentEach) {
  const auto plan = with_partners({3, 2, 1, 0}, MixKind::Mixup);
  Schedule s;
  build_schedule(plan.data(), 4, true, s);
  EXPECT_EQ(types(s), (std::vector<StepType>{StepType::Pair, StepType::Pair}));
  EXPECT_EQ(s.num_components(), 2);
  EXPECT_EQ(s.comp_cost_prefix, (std::vector<int64_t>{0, 2, 4}));
  check_plan(plan);
}

TEST(Schedule, FlipCutMixesAreBoxPairsAndMixedKindsACycle) {
  auto plan = with_partners({1, 0, 3, 2}, MixKind::CutMix);
  plan[2].kind = MixKind::Mixup;
  Schedule s;
  build_schedule(plan.data(), 4, false, s);
  EXPECT_EQ(types(s), (std::vector<StepType>{StepType::BoxPair, StepType::Cycle}));
  check_plan(plan);
}

TEST(Schedule, RollIsOneCycleInPartnerOrder) {
  const auto plan = with_partners({4, 0, 1, 2, 3}, MixKind::Mixup);
  Schedule s;
  build_schedule(plan.data(), 5, true, s);
  ASSERT_EQ(types(s), std::vector<StepType>{StepType::Cycle});
  EXPECT_EQ(s.steps[0].count, 5);
  EXPECT_EQ(s.num_components(), 1);
  check_plan(plan);
}

TEST(Schedule, ReadersRunBeforeTheirPartnerIsWritten) {
  // 0 <- 1 <- 2 (a chain into a 2-cycle 0 <-> 3), and 4 reads 2.
  const auto plan = with_partners({3, 0, 1, 0, 2}, MixKind::Mixup);
  Schedule s;
  build_schedule(plan.data(), 5, true, s);
  EXPECT_EQ(types(s), (std::vector<StepType>{StepType::Single, StepType::Single, StepType::Single,
                                             StepType::Pair}));
  EXPECT_EQ(s.num_components(), 1);
  check_plan(plan);
}

TEST(Schedule, UnchangedSamplesAreCopiesOutOfPlaceAndSkippedInPlace) {
  std::vector<MixSample> plan = {record(0, MixKind::Mixup),          // its own partner
                                 record(0, MixKind::None),           // not augmented
                                 record(0, MixKind::CutMix, Box{}),  // an empty box
                                 record(1, MixKind::Mixup)};
  Schedule s;
  build_schedule(plan.data(), 4, true, s);
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(s.nodes[size_t(s.steps[0].first)], 3);
  build_schedule(plan.data(), 4, false, s);
  EXPECT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.num_components(), 3);  // {0}, {1, 3}, {2}
  check_plan(plan);
}

TEST(Schedule, EmptyBatch) {
  Schedule s;
  build_schedule(nullptr, 0, true, s);
  EXPECT_TRUE(s.steps.empty());
  EXPECT_EQ(s.num_components(), 0);
}

TEST(Schedule, RandomGraphsRunInPlaceAsOutOfPlace) {
  std::mt19937_64 rng(11);
  Schedule reused;  // one Schedule for every call, as a backend keeps it
  for (int trial = 0; trial < 400; ++trial) {
    const int64_t n = 1 + int64_t(rng() % 40);
    std::vector<MixSample> plan;
    for (int64_t i = 0; i < n; ++i) {
      const MixKind kind = MixKind(rng() % 3);
      // Permutations (cycles only) half the time, any function otherwise.
      plan.push_back(
          record(int64_t(rng() % uint64_t(n)), kind, rng() % 8 == 0 ? Box{} : Box{0, 0, 2, 2}));
    }
    if (trial % 2 == 0) {
      std::vector<int64_t> perm(static_cast<size_t>(n));
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng);
      for (int64_t i = 0; i < n; ++i) plan[size_t(i)].partner = perm[size_t(i)];
    }
    SCOPED_TRACE(trial);
    check_plan(plan);
    if (HasFatalFailure()) return;
    build_schedule(plan.data(), n, true, reused);
    ASSERT_EQ(run_in_place(plan, reused), out_of_place(plan));
  }
}

}  // namespace
}  // namespace mixcut
