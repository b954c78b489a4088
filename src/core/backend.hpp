// The one interface every backend implements (CPU today, CUDA beside it), and
// where a ctx's Backend picks its implementation. capi validates and converts,
// then calls only this; nothing here knows a backend's internals.
#pragma once

#include <cstdint>
#include <string>

#include "core/context.hpp"
#include "core/types.hpp"

namespace mixcut {

// Arguments arrive validated (capi): shapes agree, the dtype pair is
// supported, plan partners and boxes lie inside the batch, src and dst are
// the same buffer or disjoint, n > 0. Failures throw Error. A backend may
// keep scratch in ctx.scratch between calls (one call at a time per ctx).
class BackendOps {
 public:
  virtual ~BackendOps() = default;

  virtual Backend kind() const = 0;
  // "cpu", "cuda": for messages and bug reports.
  virtual const char* name() const = 0;
  // The instruction set this backend's kernels run for ctx, and the cap a
  // new ctx starts with (the CPU reads MIXCUT_FORCE_ISA there).
  virtual Isa isa(const Context& ctx) const = 0;
  virtual Isa default_isa_cap() const = 0;
  // Whether this machine can run it (a CUDA build may find no device); if
  // not, why, for the message of the call that asked for it.
  virtual bool available(std::string& why) const = 0;

  // dst = the plan's Mixup/CutMix of src (norm: uint8 -> float32 only).
  virtual void mix_apply(Context& ctx, const MixSample* plan, const Tensor& src, const Tensor& dst,
                         const Normalize* norm) const = 0;
  // dst = src with the holes filled.
  virtual void cutout_apply(Context& ctx, const CutoutHole* holes, int64_t num_holes,
                            const Fill& fill, const Tensor& src, const Tensor& dst,
                            const Normalize* norm) const = 0;
  // Soft targets out[n][k] from hard labels[n] (kernels/labels.hpp), in the
  // backend's memory: device pointers for CUDA, where the host cannot check
  // the labels (a row whose label lies outside [0, k) becomes NaN there).
  virtual void mix_labels(Context& ctx, const MixSample* plan, int64_t n, const int64_t* labels,
                          int64_t k, float eps, float* out) const = 0;
};

// The implementation of `backend` in this build, or nullptr when it was not
// built (capi answers UNSUPPORTED then).
const BackendOps* find_backend(Backend backend);

}  // namespace mixcut
