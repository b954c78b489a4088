// The CPU backend's entry points: choose the ISA and thread count for a ctx,
// then run the kernels. Arguments are validated by capi.
#pragma once

#include <cstdint>

#include "core/context.hpp"
#include "core/types.hpp"

namespace mixcut::cpu {

// Best ISA the running CPU supports (detected once).
Isa detected_isa();
// min(detected, MIXCUT_FORCE_ISA) — the default cap of a new ctx.
Isa default_isa_cap();
// The ISA a ctx's kernels run: min(detected, ctx.max_isa).
Isa effective_isa(const Context& ctx);
// Threads a call would use with this ctx: its option, else OpenMP's default,
// at most kMaxThreads (1 in a forked child).
int thread_count(const Context& ctx);

void mix_apply(Context& ctx, const MixSample* plan, const Tensor& src, const Tensor& dst,
               const Normalize* norm);

void cutout_apply(Context& ctx, const CutoutHole* holes, int64_t num_holes, const Fill& fill,
                  const Tensor& src, const Tensor& dst, const Normalize* norm);

}  // namespace mixcut::cpu
