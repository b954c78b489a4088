// CPU dispatch: the ISA a call runs (detected once, capped by the ctx and
// MIXCUT_FORCE_ISA), how many threads it starts (serial in a forked child),
// and how its work items are split between them.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/context.hpp"
#include "core/types.hpp"

namespace mixcut::cpu {

// Best ISA the running CPU supports (detected once).
Isa detected_isa();
// min(detected, MIXCUT_FORCE_ISA) — the default cap of a new ctx.
Isa default_isa_cap();
// The ISA a ctx's kernels run: min(detected, ctx.max_isa).
Isa effective_isa(const Context& ctx);
// Threads a call moving `bytes` (source + destination) uses with this ctx:
// its option, else the default policy of cpu/threads.hpp under OpenMP's
// default; at most kMaxThreads (1 in a forked child).
int thread_count(const Context& ctx, int64_t bytes = INT64_MAX);

// The bytes a call reads and writes at most: the source and destination batches.
inline int64_t moved_bytes(const Tensor& src, const Tensor& dst) {
  return src.n * src.sample_elems() * elem_size(src.dtype) +
         dst.n * dst.sample_elems() * elem_size(dst.dtype);
}

// Whether a call writes with non-temporal stores: batches of at least the
// ctx's threshold exceed the caches. Out of place, the whole output streams;
// the full cache lines of CutMix box rows (in place) and of Cutout hole rows
// do too (they are written, never read, so a regular store's read of the
// line is wasted traffic).
inline bool streams(const Context& ctx, const Tensor& dst) {
  return dst.n * dst.sample_elems() * elem_size(dst.dtype) >= ctx.stream_threshold;
}

// Runs the items (c, t) of a list where item (c, t), t < num_tiles, costs
// cost_prefix[c + 1] - cost_prefix[c]: splits the total cost evenly between
// `threads` and calls fn(c, t, part) in part `part` (0 .. threads-1: the
// index of the caller's per-thread scratch); each part calls done(part) after
// its last item (the one sfence of its streamed stores: a fence per span costs
// about what the streaming saves).
template <class Fn, class Done>
void run_items(int threads, int64_t num_comps, int64_t num_tiles,
               const std::vector<int64_t>& cost_prefix, Fn&& fn, Done&& done) {
  const int64_t total = cost_prefix[size_t(num_comps)] * num_tiles;
  if (total == 0) return;
  // First item whose cost range starts at or after `position`.
  auto item_at = [&](int64_t position) -> std::pair<int64_t, int64_t> {
    if (position >= total) return {num_comps, 0};
    // Component c covers [prefix[c] * T, prefix[c + 1] * T).
    const auto it = std::upper_bound(cost_prefix.begin(), cost_prefix.begin() + num_comps + 1,
                                     position / num_tiles);
    int64_t c = int64_t(it - cost_prefix.begin()) - 1;
    while (c + 1 < num_comps && cost_prefix[size_t(c + 1)] * num_tiles <= position) ++c;
    while (c > 0 && cost_prefix[size_t(c)] * num_tiles > position) --c;
    const int64_t base = cost_prefix[size_t(c)] * num_tiles;
    const int64_t cost = cost_prefix[size_t(c + 1)] - cost_prefix[size_t(c)];
    int64_t t = (position - base + cost - 1) / cost;
    if (t >= num_tiles) return {c + 1, 0};
    return {c, t};
  };
  auto run_range = [&](int part, int parts) {
    const auto [c0, t0] = item_at(total * part / parts);
    const auto [c1, t1] = item_at(total * (part + 1) / parts);
    for (int64_t c = c0, t = t0; c < c1 || (c == c1 && t < t1);) {
      fn(c, t, part);
      if (++t == num_tiles) t = 0, ++c;
    }
    done(part);
  };
  if (threads <= 1) {
    run_range(0, 1);
    return;
  }
#pragma omp parallel num_threads(threads)
  run_range(omp_get_thread_num(), omp_get_num_threads());
}

}  // namespace mixcut::cpu
