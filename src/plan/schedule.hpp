// The partner graph of a mix plan as the order every backend walks it: steps
// grouped by connected component, readers of a sample before its overwrite
// (Kahn order) and cycles last, so that in place each source is read before
// it is written and a component can run tile by tile on its own.
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.hpp"

namespace mixcut {

// Single: one sample from its own tile and its partner's. Pair: a 2-cycle of
// Mixups; BoxPair: a 2-cycle of CutMixes (both outputs in one pass). Cycle:
// a longer cycle, or a 2-cycle of mixed kinds; in place, a backend saves the
// first node's tile before it is overwritten.
enum class StepType : int32_t { Single, Pair, BoxPair, Cycle };

// nodes[first, first + count) of the schedule. A Cycle's nodes run in
// partner order: the partner of nodes[m] is nodes[m + 1], of the last nodes[0].
struct Step {
  StepType type;
  int64_t first, count;
};

struct Schedule {
  std::vector<int64_t> nodes;
  std::vector<Step> steps;                // component by component, in order
  std::vector<int64_t> comp_first_step;   // component c: steps [first[c], first[c + 1])
  std::vector<int64_t> comp_cost_prefix;  // samples in components [0, c), prefix sums

  int64_t num_components() const { return int64_t(comp_first_step.size()) - 1; }

  // Scratch of build_schedule, kept so that steady state does not allocate.
  std::vector<Step> steps_tmp;
  std::vector<int64_t> indeg, queue, parent, comp_of_root, step_comp, comp_count;
  std::vector<char> done;
};

// Fills s for the n records of plan (partners validated in [0, n)). Samples
// whose pixels do not change (MixSample::changes_pixels) get a Single step
// out of place (a copy) and none in place. O(n); allocates only to grow s.
void build_schedule(const MixSample* plan, int64_t n, bool in_place, Schedule& s);

}  // namespace mixcut
