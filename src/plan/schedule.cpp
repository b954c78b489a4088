// build_schedule: Kahn order over the partner graph, then its cycles, then a
// stable grouping of the steps by connected component (union-find).
#include "plan/schedule.hpp"

namespace mixcut {
namespace {

int64_t find_root(std::vector<int64_t>& parent, int64_t x) {
  while (parent[size_t(x)] != x) {
    parent[size_t(x)] = parent[size_t(parent[size_t(x)])];
    x = parent[size_t(x)];
  }
  return x;
}

void join(std::vector<int64_t>& parent, int64_t a, int64_t b) {
  const int64_t ra = find_root(parent, a), rb = find_root(parent, b);
  if (ra != rb) parent[size_t(ra)] = rb;
}

}  // namespace

void build_schedule(const MixSample* plan, int64_t n, bool in_place, Schedule& s) {
  const size_t un = size_t(n);
  s.indeg.assign(un, 0);
  s.done.assign(un, 0);
  s.parent.resize(un);
  s.nodes.clear();
  s.steps_tmp.clear();
  for (int64_t k = 0; k < n; ++k) {
    s.parent[size_t(k)] = k;
    if (plan[k].changes_pixels(k)) ++s.indeg[size_t(plan[k].partner)];
  }
  auto emit = [&](StepType type, int64_t first) {
    s.steps_tmp.push_back({type, first, int64_t(s.nodes.size()) - first});
  };
  // Kahn: a sample is written only after every reader of it has run.
  s.queue.clear();
  for (int64_t k = 0; k < n; ++k) {
    if (s.indeg[size_t(k)] == 0) s.queue.push_back(k);
  }
  for (size_t head = 0; head < s.queue.size(); ++head) {
    const int64_t k = s.queue[head];
    s.done[size_t(k)] = 1;
    const bool changes = plan[k].changes_pixels(k);
    if (changes || !in_place) {
      const int64_t first = int64_t(s.nodes.size());
      s.nodes.push_back(k);
      emit(StepType::Single, first);
    }
    if (changes) {
      const int64_t j = plan[k].partner;
      join(s.parent, k, j);
      if (--s.indeg[size_t(j)] == 0) s.queue.push_back(j);
    }
  }
  // What is left lies on cycles (every node there changes).
  for (int64_t c0 = 0; c0 < n; ++c0) {
    if (s.done[size_t(c0)]) continue;
    const int64_t first = int64_t(s.nodes.size());
    int64_t k = c0;
    do {
      s.done[size_t(k)] = 1;
      s.nodes.push_back(k);
      const int64_t j = plan[k].partner;
      join(s.parent, k, j);
      k = j;
    } while (k != c0);
    StepType type = StepType::Cycle;
    if (s.nodes.size() - size_t(first) == 2) {
      const MixKind k0 = plan[s.nodes[size_t(first)]].kind;
      const MixKind k1 = plan[s.nodes[size_t(first + 1)]].kind;
      if (k0 == MixKind::Mixup && k1 == MixKind::Mixup) type = StepType::Pair;
      if (k0 == MixKind::CutMix && k1 == MixKind::CutMix) type = StepType::BoxPair;
    }
    emit(type, first);
  }
  // Group steps by component, keeping their order (a stable counting sort).
  s.comp_of_root.assign(un, -1);
  s.step_comp.resize(s.steps_tmp.size());
  int64_t num_comps = 0;
  for (size_t i = 0; i < s.steps_tmp.size(); ++i) {
    const int64_t root = find_root(s.parent, s.nodes[size_t(s.steps_tmp[i].first)]);
    if (s.comp_of_root[size_t(root)] < 0) s.comp_of_root[size_t(root)] = num_comps++;
    s.step_comp[i] = s.comp_of_root[size_t(root)];
  }
  s.comp_count.assign(size_t(num_comps) + 1, 0);
  s.comp_cost_prefix.assign(size_t(num_comps) + 1, 0);
  for (size_t i = 0; i < s.steps_tmp.size(); ++i) {
    ++s.comp_count[size_t(s.step_comp[i]) + 1];
    s.comp_cost_prefix[size_t(s.step_comp[i]) + 1] += s.steps_tmp[i].count;
  }
  for (int64_t c = 0; c < num_comps; ++c) {
    s.comp_count[size_t(c) + 1] += s.comp_count[size_t(c)];
    s.comp_cost_prefix[size_t(c) + 1] += s.comp_cost_prefix[size_t(c)];
  }
  s.comp_first_step.assign(s.comp_count.begin(), s.comp_count.end());
  s.steps.resize(s.steps_tmp.size());
  for (size_t i = 0; i < s.steps_tmp.size(); ++i) {
    s.steps[size_t(s.comp_count[size_t(s.step_comp[i])]++)] = s.steps_tmp[i];
  }
}

}  // namespace mixcut
