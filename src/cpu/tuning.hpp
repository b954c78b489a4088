// Tuning knobs of the CPU backend that are not (yet) ctx options; the
// benchmarks use them to measure both sides of a choice.
#pragma once

#include <cstdint>

namespace mixcut::cpu {

// Out-of-place outputs of at least this many bytes are written with
// non-temporal stores (they exceed the cache and are not read back soon).
constexpr int64_t kDefaultNonTemporalThreshold = int64_t(32) << 20;

// Process-wide; for benchmarks and tests. INT64_MAX disables streaming.
void set_non_temporal_threshold(int64_t bytes);
int64_t non_temporal_threshold();

}  // namespace mixcut::cpu
