// The opaque mixcut_ctx of the C API: a core Context owned by the caller.
#pragma once

#include "core/backend.hpp"
#include "core/context.hpp"
#include "mixcut/mixcut.h"

struct mixcut_ctx {
  mixcut::Context context;
};

namespace mixcut::capi {

// A Context with every option at its default (ISA cap from MIXCUT_FORCE_ISA).
Context default_context();

// The Context a call runs with: ctx's own, or `fallback` (set to defaults)
// for NULL.
Context& resolve_context(mixcut_ctx* ctx, Context& fallback);

// The implementation of the context's backend; UNSUPPORTED when this build
// lacks it.
const BackendOps& backend_of(const Context& context);

}  // namespace mixcut::capi
