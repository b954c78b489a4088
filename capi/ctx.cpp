// mixcut_ctx_*: options of a context, and the ISA it runs.
#include "ctx.hpp"

#include <cstdint>
#include <string>

#include "tensors.hpp"
#include "status.hpp"

namespace mixcut::capi {

static_assert(MIXCUT_MAX_THREADS == kMaxThreads, "the header and the core agree");

namespace {

// The C value of a backend and back; -1 / false for values that name none.
int32_t backend_to_c(Backend backend) {
  switch (backend) {
    case Backend::Cpu:
      return MIXCUT_BACKEND_CPU;
    case Backend::Cuda:
      return MIXCUT_BACKEND_CUDA;
  }
  return -1;
}
const char* backend_label(Backend backend) { return backend == Backend::Cuda ? "CUDA" : "CPU"; }
bool backend_from_c(int64_t value, Backend& out) {
  if (value == MIXCUT_BACKEND_CPU) {
    out = Backend::Cpu;
  } else if (value == MIXCUT_BACKEND_CUDA) {
    out = Backend::Cuda;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Context default_context() {
  Context context;
  context.backend = Backend::Cpu;
  context.max_isa = backend_of(context).default_isa_cap();
  return context;
}

Context& resolve_context(mixcut_ctx* ctx, Context& fallback) {
  if (ctx == nullptr) {
    fallback = default_context();
    return fallback;
  }
  return ctx->context;
}

const BackendOps& backend_of(const Context& context) {
  const BackendOps* ops = find_backend(context.backend);
  if (ops == nullptr) {
    failf(MIXCUT_ERR_UNSUPPORTED, "ctx backend = ", backend_to_c(context.backend), " (",
          backend_label(context.backend), ") is not available in this build");
  }
  return *ops;
}

}  // namespace mixcut::capi

using mixcut::capi::backend_from_c;
using mixcut::capi::backend_label;
using mixcut::capi::backend_to_c;
using mixcut::capi::failf;
using mixcut::capi::guarded;
using mixcut::capi::require_pointer;

extern "C" {

mixcut_status mixcut_ctx_create(mixcut_ctx** out) {
  return guarded("mixcut_ctx_create", [&] {
    require_pointer(out, "out");
    auto* ctx = new mixcut_ctx{mixcut::capi::default_context()};
    *out = ctx;
  });
}

void mixcut_ctx_destroy(mixcut_ctx* ctx) { delete ctx; }

mixcut_status mixcut_ctx_set(mixcut_ctx* ctx, int32_t key, int64_t value) {
  return guarded("mixcut_ctx_set", [&] {
    require_pointer(ctx, "ctx");
    mixcut::Context& c = ctx->context;
    switch (key) {
      case MIXCUT_OPT_NUM_THREADS:
        if (value < 0 || value > MIXCUT_MAX_THREADS) {
          failf(MIXCUT_ERR_BAD_PARAM, "value = ", value,
                " for MIXCUT_OPT_NUM_THREADS is outside [0, MIXCUT_MAX_THREADS = ",
                MIXCUT_MAX_THREADS, "]");
        }
        c.num_threads = value;
        return;
      case MIXCUT_OPT_MAX_ISA:
        if (value < MIXCUT_ISA_SCALAR || value > MIXCUT_ISA_AVX512) {
          failf(MIXCUT_ERR_BAD_PARAM, "value = ", value,
                " for MIXCUT_OPT_MAX_ISA is not a mixcut_isa (0 scalar .. 3 avx512)");
        }
        c.max_isa = static_cast<mixcut::Isa>(value);
        return;
      case MIXCUT_OPT_BACKEND: {
        mixcut::Backend backend = mixcut::Backend::Cpu;
        if (!backend_from_c(value, backend)) {
          failf(MIXCUT_ERR_BAD_PARAM, "value = ", value,
                " for MIXCUT_OPT_BACKEND is not a mixcut_backend (1 cpu, 2 cuda)");
        }
        const mixcut::BackendOps* ops = mixcut::find_backend(backend);
        if (ops == nullptr) {
          failf(MIXCUT_ERR_UNSUPPORTED, "value = ", value,
                " for MIXCUT_OPT_BACKEND: built without ", backend_label(backend));
        }
        std::string why;
        if (!ops->available(why)) {
          failf(MIXCUT_ERR_UNSUPPORTED, "value = ", value, " (", backend_label(backend),
                ") for MIXCUT_OPT_BACKEND: ", why);
        }
        c.backend = backend;
        return;
      }
      case MIXCUT_OPT_CUDA_STREAM:
        c.cuda_stream = value;  // any handle; the CPU backend ignores it
        return;
      case MIXCUT_OPT_STREAM_THRESHOLD:
        if (value < 0) {
          failf(MIXCUT_ERR_BAD_PARAM, "value = ", value,
                " for MIXCUT_OPT_STREAM_THRESHOLD is negative (bytes; 0 = always stream)");
        }
        c.stream_threshold = value;
        return;
      default:
        failf(MIXCUT_ERR_BAD_ENUM, "key = ", key, " is not a mixcut_option (1 .. 5)");
    }
  });
}

mixcut_status mixcut_ctx_get(const mixcut_ctx* ctx, int32_t key, int64_t* value) {
  return guarded("mixcut_ctx_get", [&] {
    require_pointer(ctx, "ctx");
    require_pointer(value, "value");
    const mixcut::Context& c = ctx->context;
    switch (key) {
      case MIXCUT_OPT_NUM_THREADS:
        *value = c.num_threads;
        return;
      case MIXCUT_OPT_MAX_ISA:
        *value = static_cast<int64_t>(c.max_isa);
        return;
      case MIXCUT_OPT_BACKEND:
        *value = backend_to_c(c.backend);
        return;
      case MIXCUT_OPT_CUDA_STREAM:
        *value = c.cuda_stream;
        return;
      case MIXCUT_OPT_STREAM_THRESHOLD:
        *value = c.stream_threshold;
        return;
      default:
        failf(MIXCUT_ERR_BAD_ENUM, "key = ", key, " is not a mixcut_option (1 .. 5)");
    }
  });
}

mixcut_status mixcut_ctx_isa(const mixcut_ctx* ctx, int32_t* isa) {
  return guarded("mixcut_ctx_isa", [&] {
    require_pointer(isa, "isa");
    mixcut::Context fallback;
    const mixcut::Context& context =
        ctx != nullptr ? ctx->context : (fallback = mixcut::capi::default_context());
    *isa = static_cast<int32_t>(mixcut::capi::backend_of(context).isa(context));
  });
}

const char* mixcut_isa_string(int32_t isa) {
  static const char* const kNames[] = {"scalar", "sse2", "avx2", "avx512"};  // by mixcut_isa
  if (isa < MIXCUT_ISA_SCALAR || isa > MIXCUT_ISA_AVX512) return "unknown";
  return kNames[isa];
}

}  // extern "C"
