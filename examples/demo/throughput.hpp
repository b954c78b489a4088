// The demo's throughput table: each kernel on a realistic batch beside memcpy.
#pragma once

#include <mixcut/mixcut.h>

#include <cstdint>

namespace mixcut_demo {

struct ThroughputConfig {
  int64_t n = 64, c = 3, h = 224, w = 224;
  int reps = 7;  // timed runs per row; the median is reported
  uint64_t seed = 1;
};

// Prints the table to stdout. Returns false (after printing the library's
// message to stderr) if a mixcut call fails.
bool PrintThroughputTable(mixcut_ctx* ctx, const ThroughputConfig& config);

}  // namespace mixcut_demo
