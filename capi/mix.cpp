// mixcut_mix_*: Mixup / CutMix plans, pixels and labels.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "convert.hpp"
#include "ctx.hpp"
#include "kernels/labels.hpp"
#include "plan/plan.hpp"
#include "status.hpp"

namespace mixcut::capi {
namespace {

// Label arguments shared by hard and soft labels: n, K, eps, plan and out.
// Returns n * K (the element count of out).
int64_t check_label_call(int64_t n, int64_t num_classes, float label_smoothing) {
  check_batch(n, "n");
  if (num_classes < 1) {
    failf(MIXCUT_ERR_BAD_SIZE, "num_classes = ", num_classes, " must be >= 1");
  }
  int64_t elems = 0, bytes = 0;
  if (__builtin_mul_overflow(n, num_classes, &elems) ||
      __builtin_mul_overflow(elems, int64_t(sizeof(float)), &bytes)) {
    failf(MIXCUT_ERR_BAD_SIZE, "n * num_classes = ", n, " * ", num_classes,
          " floats overflows int64");
  }
  if (!(label_smoothing >= 0.0f && label_smoothing <= 1.0f)) {
    failf(MIXCUT_ERR_BAD_PARAM, "label_smoothing = ", label_smoothing, " is outside [0, 1]");
  }
  return elems;
}

// Dense label arguments (soft or multi-label rows [n][K]): pointers, overlap
// (out may equal the rows), finite values, then the plan's records.
std::vector<MixSample> check_dense_labels(const mixcut_mix_sample* plan, int64_t n,
                                          const float* rows, const char* name, int64_t num_classes,
                                          float label_smoothing, const float* out) {
  const int64_t elems = check_label_call(n, num_classes, label_smoothing);
  if (n > 0) {
    require_pointer(plan, "plan");
    require_pointer(rows, name);
    require_pointer(out, "out");
  }
  const bool in_place = n > 0 && out == rows;
  if (!in_place &&
      array_bytes(out, elems, sizeof(float)).intersects(array_bytes(rows, elems, sizeof(float)))) {
    failf(MIXCUT_ERR_OVERLAP, "out and ", name, " (", n, " x ", num_classes,
          " floats each) overlap without being the same buffer");
  }
  for (int64_t e = 0; e < elems; ++e) {
    if (!std::isfinite(rows[e])) {
      failf(MIXCUT_ERR_BAD_PARAM, name, "[", e / num_classes, "][", e % num_classes,
            "] = ", rows[e], " is not finite");
    }
  }
  return to_mix_plan(plan, n, false, 0, 0);
}

// mixcut_mix_apply and its gather twin: `source()` validates the source.
template <class Source>
void apply_mix(mixcut_ctx* ctx, const mixcut_mix_sample* plan, Source&& source,
               const mixcut_tensor* dst, const mixcut_normalize* norm) {
  Context fallback;
  Context& context = resolve_context(ctx, fallback);
  const BackendOps& backend = backend_of(context);
  const Tensor s = source();
  const Tensor d = to_tensor(dst, "dst");
  check_src_dst(s, d);
  Normalize norm_storage;
  const Normalize* normalize = to_normalize(norm, s, d, norm_storage);
  const std::vector<MixSample> records = to_mix_plan(plan, s.n, true, s.h, s.w);
  if (s.n == 0) return;
  backend.mix_apply(context, records.data(), s, d, normalize);
}

}  // namespace
}  // namespace mixcut::capi

using mixcut::capi::array_bytes;
using mixcut::capi::apply_mix;
using mixcut::capi::backend_of;
using mixcut::capi::ByteRange;
using mixcut::capi::check_batch;
using mixcut::capi::check_dense_labels;
using mixcut::capi::check_label_call;
using mixcut::capi::check_side;
using mixcut::capi::failf;
using mixcut::capi::guarded;
using mixcut::capi::require_pointer;
using mixcut::capi::to_c;
using mixcut::capi::to_mix_plan;
using mixcut::capi::to_mix_policy;
using mixcut::capi::to_gather_tensor;
using mixcut::capi::to_tensor;

extern "C" {

mixcut_status mixcut_mix_policy_init(mixcut_mix_policy* policy) {
  return guarded("mixcut_mix_policy_init", [&] {
    require_pointer(policy, "policy");
    // The defaults live in one place: the core's MixPolicy.
    const mixcut::MixPolicy d;
    mixcut_mix_policy p;
    std::memset(&p, 0, sizeof p);
    p.mixup_alpha = float(d.mixup_alpha);
    p.cutmix_alpha = float(d.cutmix_alpha);
    p.cutmix_minmax_lo = float(d.minmax_lo);
    p.cutmix_minmax_hi = float(d.minmax_hi);
    p.prob = float(d.prob);
    p.switch_prob = float(d.switch_prob);
    p.mode = static_cast<int32_t>(d.mode);
    p.partner = static_cast<int32_t>(d.partner);
    p.correct_lam = d.correct_lam ? 1 : 0;
    p.partner_index = nullptr;
    *policy = p;
  });
}

mixcut_status mixcut_mix_plan(const mixcut_mix_policy* policy, uint64_t seed, uint64_t step,
                              int64_t n, int64_t h, int64_t w, mixcut_mix_sample* out) {
  return guarded("mixcut_mix_plan", [&] {
    require_pointer(policy, "policy");
    check_batch(n, "n");
    check_side(h, "h");
    check_side(w, "w");
    const mixcut::MixPolicy p = to_mix_policy(policy, step, n);
    if (n == 0) return;
    require_pointer(out, "out");
    // The planner's contract (records valid for n, h, w) is its tests' to
    // check (mix_plan_test), not every call's.
    const std::vector<mixcut::MixSample> plan = mixcut::plan_mix(p, seed, step, n, h, w);
    std::transform(plan.begin(), plan.end(), out,
                   [](const mixcut::MixSample& s) { return to_c(s); });
  });
}

mixcut_status mixcut_mix_apply(mixcut_ctx* ctx, const mixcut_mix_sample* plan,
                               const mixcut_tensor* src, const mixcut_tensor* dst,
                               const mixcut_normalize* norm) {
  return guarded("mixcut_mix_apply", [&] {
    apply_mix(ctx, plan, [&] { return to_tensor(src, "src"); }, dst, norm);
  });
}

mixcut_status mixcut_mix_apply_gather(mixcut_ctx* ctx, const mixcut_mix_sample* plan,
                                      const void* const* samples, const mixcut_tensor* src,
                                      const mixcut_tensor* dst, const mixcut_normalize* norm) {
  return guarded("mixcut_mix_apply_gather", [&] {
    apply_mix(ctx, plan, [&] { return to_gather_tensor(samples, src); }, dst, norm);
  });
}

mixcut_status mixcut_mix_labels(const mixcut_mix_sample* plan, int64_t n, const int64_t* labels,
                                int64_t num_classes, float label_smoothing, float* out) {
  return guarded("mixcut_mix_labels", [&] {
    const int64_t out_elems = check_label_call(n, num_classes, label_smoothing);
    if (n > 0) {
      require_pointer(plan, "plan");
      require_pointer(labels, "labels");
      require_pointer(out, "out");
    }
    const ByteRange out_bytes = array_bytes(out, out_elems, sizeof(float));
    if (out_bytes.intersects(array_bytes(labels, n, sizeof(int64_t)))) {
      failf(MIXCUT_ERR_OVERLAP, "out (", n, " x ", num_classes, " floats) overlaps labels (", n,
            " int64)");
    }
    for (int64_t i = 0; i < n; ++i) {
      if (labels[i] < 0 || labels[i] >= num_classes) {
        failf(MIXCUT_ERR_BAD_LABEL, "labels[", i, "] = ", labels[i], " is outside [0, ",
              num_classes, ")");
      }
    }
    const std::vector<mixcut::MixSample> records = to_mix_plan(plan, n, false, 0, 0);
    if (n == 0) return;
    mixcut::mix_labels(records.data(), n, labels, num_classes, label_smoothing, out);
  });
}

mixcut_status mixcut_mix_labels_ctx(mixcut_ctx* ctx, const mixcut_mix_sample* plan, int64_t n,
                                    const int64_t* labels, int64_t num_classes,
                                    float label_smoothing, float* out) {
  // The CPU's labels are host memory: mixcut_mix_labels checks every label.
  if (ctx == nullptr || ctx->context.backend == mixcut::Backend::Cpu) {
    return mixcut_mix_labels(plan, n, labels, num_classes, label_smoothing, out);
  }
  return guarded("mixcut_mix_labels_ctx", [&] {
    const int64_t out_elems = check_label_call(n, num_classes, label_smoothing);
    if (n > 0) {
      require_pointer(plan, "plan");
      require_pointer(labels, "labels");
      require_pointer(out, "out");
    }
    if (array_bytes(out, out_elems, sizeof(float))
            .intersects(array_bytes(labels, n, sizeof(int64_t)))) {
      failf(MIXCUT_ERR_OVERLAP, "out (", n, " x ", num_classes, " floats) overlaps labels (", n,
            " int64)");
    }
    const mixcut::BackendOps& backend = backend_of(ctx->context);
    const std::vector<mixcut::MixSample> records = to_mix_plan(plan, n, false, 0, 0);
    if (n == 0) return;
    backend.mix_labels(ctx->context, records.data(), n, labels, num_classes, label_smoothing, out);
  });
}

mixcut_status mixcut_mix_soft_labels(const mixcut_mix_sample* plan, int64_t n, const float* soft,
                                     int64_t num_classes, float label_smoothing, float* out) {
  return guarded("mixcut_mix_soft_labels", [&] {
    const std::vector<mixcut::MixSample> records =
        check_dense_labels(plan, n, soft, "soft", num_classes, label_smoothing, out);
    if (n == 0) return;
    mixcut::mix_soft_labels(records.data(), n, soft, num_classes, label_smoothing, out);
  });
}

mixcut_status mixcut_mix_multi_labels(const mixcut_mix_sample* plan, int64_t n,
                                      const float* targets, int64_t num_classes,
                                      float label_smoothing, float* out) {
  return guarded("mixcut_mix_multi_labels", [&] {
    const std::vector<mixcut::MixSample> records =
        check_dense_labels(plan, n, targets, "targets", num_classes, label_smoothing, out);
    if (n == 0) return;
    mixcut::mix_multi_labels(records.data(), n, targets, num_classes, label_smoothing, out);
  });
}

}  // extern "C"
