// What a mixcut_ctx holds. Owned by capi; read by the CPU layer.
#pragma once

#include <cstdint>

#include "core/types.hpp"

namespace mixcut {

struct Context {
  int64_t num_threads = 0;    // 0: OpenMP's default, read per call
  Isa max_isa = Isa::Avx512;  // cap set by the user (and MIXCUT_FORCE_ISA at creation)
  int32_t backend = 1;        // mixcut_backend
  int64_t cuda_stream = 0;
};

}  // namespace mixcut
