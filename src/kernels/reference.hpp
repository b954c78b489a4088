// Scalar reference kernels: the oracle every fast path is tested against bit
// for bit. Plain loops, no SIMD, no threads. Inputs are validated by capi:
// shapes match, dtype pair supported, plan/holes in range, and either
// dst.data == src.data (exact in place, same dtype/layout/stride) or the two
// buffers are disjoint.
#pragma once

#include <cstdint>

#include "core/types.hpp"

namespace mixcut::reference {

void mix_apply(const MixSample* plan, const Tensor& src, const Tensor& dst, const Normalize* norm);

void cutout_apply(const CutoutHole* holes, int64_t num_holes, const Fill& fill, const Tensor& src,
                  const Tensor& dst, const Normalize* norm);

}  // namespace mixcut::reference
