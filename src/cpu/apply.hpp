// The CPU backend's operations (cpu/mix.cpp, cpu/cutout.cpp) on validated
// arguments; the ISA and thread choices they make are in cpu/dispatch.hpp.
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "core/types.hpp"
#include "cpu/dispatch.hpp"

namespace mixcut::cpu {

// Scratch comes from ctx (cpu/scratch.hpp) and stays there for the next call.
void mix_apply(Context& ctx, const MixSample* plan, const Tensor& src, const Tensor& dst,
               const Normalize* norm);

void cutout_apply(Context& ctx, const CutoutHole* holes, int64_t num_holes, const Fill& fill,
                  const Tensor& src, const Tensor& dst, const Normalize* norm);

}  // namespace mixcut::cpu
