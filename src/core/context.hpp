// What a mixcut_ctx holds: options every backend reads, and the scratch its
// backend keeps between calls. Owned by capi.
#pragma once

#include <cstdint>
#include <memory>

#include "core/types.hpp"

namespace mixcut {

// Default MIXCUT_OPT_STREAM_THRESHOLD: outputs of a few MB stay in a 32 MiB
// L3 and should not stream; batches past it run faster streamed (bench/README.md).
constexpr int64_t kDefaultStreamThreshold = int64_t(16) << 20;

// Most threads one call starts (MIXCUT_MAX_THREADS in the C header). libgomp
// ends the process when it cannot create a thread, so an unbounded request
// (a ctx option, or OMP_NUM_THREADS) must never reach `num_threads(...)`.
constexpr int kMaxThreads = 1024;

// Memory a backend keeps between the calls of one ctx, so that steady state
// does not allocate; each backend derives its own. Sized by the calls made,
// released with the ctx.
struct BackendScratch {
  virtual ~BackendScratch() = default;
};

// Move-only: the scratch belongs to one ctx (one call at a time).
struct Context {
  int64_t num_threads = 0;    // 0: OpenMP's default, read per call
  Isa max_isa = Isa::Avx512;  // cap set by the user (and MIXCUT_FORCE_ISA at creation)
  Backend backend = Backend::Cpu;
  int64_t cuda_stream = 0;
  int64_t stream_threshold = kDefaultStreamThreshold;  // bytes; see MIXCUT_OPT_STREAM_THRESHOLD
  std::unique_ptr<BackendScratch> scratch;             // created by the backend on first use
};

}  // namespace mixcut
