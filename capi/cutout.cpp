// mixcut_cutout_*: Cutout / RandomErasing plans and their application.
#include <algorithm>
#include <cstring>
#include <vector>

#include "convert.hpp"
#include "ctx.hpp"
#include "plan/plan.hpp"
#include "status.hpp"

namespace mixcut::capi {
namespace {

// mixcut_cutout_apply and its gather twin: `source()` validates the source.
template <class Source>
void apply_cutout(mixcut_ctx* ctx, const mixcut_cutout_hole* holes, int64_t num_holes,
                  const mixcut_fill* fill, Source&& source, const mixcut_tensor* dst,
                  const mixcut_normalize* norm) {
  Context fallback;
  Context& context = resolve_context(ctx, fallback);
  const BackendOps& backend = backend_of(context);
  const Tensor s = source();
  const Tensor d = to_tensor(dst, "dst");
  check_src_dst(s, d);
  Normalize norm_storage;
  const Normalize* normalize = to_normalize(norm, s, d, norm_storage);
  const Fill f = to_fill(fill, d);
  const std::vector<CutoutHole> records = to_holes(holes, num_holes, s.n, s.h, s.w);
  if (s.n == 0) return;
  backend.cutout_apply(context, records.data(), int64_t(records.size()), f, s, d, normalize);
}

}  // namespace
}  // namespace mixcut::capi

using mixcut::capi::apply_cutout;
using mixcut::capi::check_batch;
using mixcut::capi::check_side;
using mixcut::capi::guarded;
using mixcut::capi::require_pointer;
using mixcut::capi::to_c;
using mixcut::capi::to_cutout_policy;
using mixcut::capi::to_gather_tensor;
using mixcut::capi::to_tensor;

extern "C" {

mixcut_status mixcut_cutout_policy_init(mixcut_cutout_policy* policy) {
  return guarded("mixcut_cutout_policy_init", [&] {
    require_pointer(policy, "policy");
    // The defaults live in one place: the core's CutoutPolicy.
    const mixcut::CutoutPolicy d;
    mixcut_cutout_policy p;
    std::memset(&p, 0, sizeof p);
    p.form = static_cast<int32_t>(d.form);
    p.prob = float(d.prob);
    p.min_count = d.min_count;
    p.max_count = d.max_count;
    p.length = d.length;
    p.scale_lo = float(d.scale_lo);
    p.scale_hi = float(d.scale_hi);
    p.ratio_lo = float(d.ratio_lo);
    p.ratio_hi = float(d.ratio_hi);
    *policy = p;
  });
}

mixcut_status mixcut_cutout_plan(const mixcut_cutout_policy* policy, uint64_t seed, uint64_t step,
                                 int64_t n, int64_t h, int64_t w, mixcut_cutout_hole* out,
                                 int64_t* count) {
  return guarded("mixcut_cutout_plan", [&] {
    require_pointer(policy, "policy");
    require_pointer(count, "count");
    check_batch(n, "n");
    check_side(h, "h");
    check_side(w, "w");
    const mixcut::CutoutPolicy p = to_cutout_policy(policy, step, h, w);
    const int64_t total = n * p.max_count;  // <= 2^31 * 1024: no overflow
    if (total == 0) {
      *count = 0;
      return;
    }
    require_pointer(out, "out");
    const std::vector<mixcut::CutoutHole> holes = mixcut::plan_cutout(p, seed, step, n, h, w);
    std::transform(holes.begin(), holes.end(), out,
                   [](const mixcut::CutoutHole& hole) { return to_c(hole); });
    *count = total;
  });
}

mixcut_status mixcut_cutout_apply(mixcut_ctx* ctx, const mixcut_cutout_hole* holes,
                                  int64_t num_holes, const mixcut_fill* fill,
                                  const mixcut_tensor* src, const mixcut_tensor* dst,
                                  const mixcut_normalize* norm) {
  return guarded("mixcut_cutout_apply", [&] {
    apply_cutout(ctx, holes, num_holes, fill, [&] { return to_tensor(src, "src"); }, dst, norm);
  });
}

mixcut_status mixcut_cutout_apply_gather(mixcut_ctx* ctx, const mixcut_cutout_hole* holes,
                                         int64_t num_holes, const mixcut_fill* fill,
                                         const void* const* samples, const mixcut_tensor* src,
                                         const mixcut_tensor* dst, const mixcut_normalize* norm) {
  return guarded("mixcut_cutout_apply_gather", [&] {
    apply_cutout(ctx, holes, num_holes, fill, [&] { return to_gather_tensor(samples, src); }, dst,
                 norm);
  });
}

}  // extern "C"
