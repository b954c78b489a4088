// What a mixcut_ctx holds: options every backend reads. Owned by capi.
#pragma once

#include <cstdint>

#include "core/types.hpp"

namespace mixcut {

// Default MIXCUT_OPT_STREAM_THRESHOLD. Measured on a 32 MiB-L3 Zen 4: a
// 19 MB uint8 batch mixed out of place takes 1.1-1.7 ms streamed against
// 1.6-2.3 ms cached; outputs of a few MB stay cache-resident and should not stream.
constexpr int64_t kDefaultStreamThreshold = int64_t(16) << 20;

// Most threads one call starts (MIXCUT_MAX_THREADS in the C header). libgomp
// ends the process when it cannot create a thread, so an unbounded request
// (a ctx option, or OMP_NUM_THREADS) must never reach `num_threads(...)`.
constexpr int kMaxThreads = 1024;

struct Context {
  int64_t num_threads = 0;    // 0: OpenMP's default, read per call
  Isa max_isa = Isa::Avx512;  // cap set by the user (and MIXCUT_FORCE_ISA at creation)
  Backend backend = Backend::Cpu;
  int64_t cuda_stream = 0;
  int64_t stream_threshold = kDefaultStreamThreshold;  // bytes; see MIXCUT_OPT_STREAM_THRESHOLD
};

}  // namespace mixcut
