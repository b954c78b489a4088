// The CUDA backend behind core/backend.hpp's interface: the same operations
// as the CPU backend on device pointers, queued on the ctx's stream.
#pragma once

#include "core/backend.hpp"

namespace mixcut::cuda {

// The backend, or nullptr in a build without it (MIXCUT_CUDA=OFF:
// src/cuda/absent.cpp). Calls return without waiting for the device; each
// call's plan is staged through ctx-owned pinned memory, so the caller may
// reuse it at once; after a first call of a given size, calls allocate
// nothing and never synchronise, so they can be captured in a CUDA graph.
const BackendOps* backend();

}  // namespace mixcut::cuda
