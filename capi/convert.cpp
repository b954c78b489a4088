// Validation of the C API's policies, plans, holes and fills, their
// conversion into core types, and the records back to C.
#include "convert.hpp"

#include <cmath>
#include <string>

#include "plan/plan.hpp"
#include "status.hpp"

namespace mixcut::capi {
namespace {

bool is_mode(int32_t v) { return v >= MIXCUT_MODE_BATCH && v <= MIXCUT_MODE_ELEM; }
bool is_partner_rule(int32_t v) { return v >= MIXCUT_PARTNER_FLIP && v <= MIXCUT_PARTNER_EXPLICIT; }
bool is_mix_kind(int32_t v) { return v >= MIXCUT_KIND_NONE && v <= MIXCUT_KIND_CUTMIX; }
bool is_cutout_form(int32_t v) { return v == MIXCUT_CUTOUT_HOLES || v == MIXCUT_CUTOUT_ERASING; }
bool is_fill_kind(int32_t v) { return v >= MIXCUT_FILL_CONSTANT && v <= MIXCUT_FILL_CHANNEL_NOISE; }

// A probability in [0, 1]; NaN fails the comparison and is rejected.
void check_probability(float p, const char* name) {
  if (!(p >= 0.0f && p <= 1.0f)) {
    failf(MIXCUT_ERR_BAD_PARAM, name, " = ", p, " is outside [0, 1]");
  }
}

void check_step(uint64_t step) {
  if (step > kMaxStep) {
    failf(MIXCUT_ERR_BAD_PARAM, "step = ", step, " exceeds the maximum 2^56 - 1 = ", kMaxStep);
  }
}

void check_reserved(int32_t reserved, const char* name) {
  if (reserved != 0) failf(MIXCUT_ERR_BAD_PARAM, name, " = ", reserved, " must be 0");
}

// A fill value as it will land in dst: finite, and for uint8 it must round
// (half to even) into [0, 255].
void check_fill_value(float value, DType dst_dtype, const std::string& name) {
  if (!std::isfinite(value)) {
    failf(MIXCUT_ERR_BAD_PARAM, name, " = ", value, " is not finite");
  }
  if (dst_dtype == DType::U8) {
    const double rounded = std::nearbyint(double(value));
    if (rounded < 0.0 || rounded > 255.0) {
      failf(MIXCUT_ERR_BAD_PARAM, name, " = ", value,
            " does not round into [0, 255] for a uint8 destination");
    }
  }
}

// 0 <= y0 <= y1 <= h and 0 <= x0 <= x1 <= w.
bool box_inside(int32_t y0, int32_t x0, int32_t y1, int32_t x1, int64_t h, int64_t w) {
  return 0 <= y0 && y0 <= y1 && y1 <= h && 0 <= x0 && x0 <= x1 && x1 <= w;
}

[[noreturn]] void fail_box(const char* name, int64_t i, int32_t y0, int32_t x0, int32_t y1,
                           int32_t x1, int64_t h, int64_t w) {
  failf(MIXCUT_ERR_BAD_BOX, name, "[", i, "] box (y0 = ", y0, ", x0 = ", x0, ", y1 = ", y1,
        ", x1 = ", x1, ") is not inside 0 <= y0 <= y1 <= ", h, ", 0 <= x0 <= x1 <= ", w);
}

}  // namespace

MixPolicy to_mix_policy(const mixcut_mix_policy* policy, uint64_t step, int64_t n) {
  require_pointer(policy, "policy");
  check_reserved(policy->reserved, "policy->reserved");
  if (!is_mode(policy->mode)) {
    failf(MIXCUT_ERR_BAD_ENUM, "policy->mode = ", policy->mode,
          " is not a mixcut_mode (1 batch, 2 pair, 3 elem)");
  }
  if (!is_partner_rule(policy->partner)) {
    failf(MIXCUT_ERR_BAD_ENUM, "policy->partner = ", policy->partner,
          " is not a mixcut_partner (1 flip, 2 roll, 3 permutation, 4 explicit)");
  }
  const float alphas[] = {policy->mixup_alpha, policy->cutmix_alpha};
  const char* alpha_names[] = {"policy->mixup_alpha", "policy->cutmix_alpha"};
  for (int a = 0; a < 2; ++a) {
    if (!(std::isfinite(alphas[a]) && alphas[a] >= 0.0f)) {
      failf(MIXCUT_ERR_BAD_PARAM, alpha_names[a], " = ", alphas[a], " must be finite and >= 0");
    }
  }
  const float lo = policy->cutmix_minmax_lo, hi = policy->cutmix_minmax_hi;
  if (!(lo >= 0.0f && lo <= 1.0f && hi >= 0.0f && hi <= 1.0f && lo <= hi)) {
    failf(MIXCUT_ERR_BAD_PARAM, "policy->cutmix_minmax = (", lo, ", ", hi,
          ") must satisfy 0 <= lo <= hi <= 1");
  }
  // lo == hi is neither a range nor the documented "off" (0, 0): refuse
  // rather than silently disable a box size the caller asked for.
  if (lo == hi && lo != 0.0f) {
    failf(MIXCUT_ERR_BAD_PARAM, "policy->cutmix_minmax = (", lo, ", ", hi,
          ") is empty: use lo < hi, or (0, 0) for off");
  }
  const bool minmax_on = lo < hi;
  if (policy->mixup_alpha == 0.0f && policy->cutmix_alpha == 0.0f && !minmax_on) {
    failf(MIXCUT_ERR_BAD_PARAM,
          "policy->mixup_alpha = 0 and policy->cutmix_alpha = 0 with cutmix_minmax off: nothing "
          "to apply (enable one)");
  }
  check_probability(policy->prob, "policy->prob");
  check_probability(policy->switch_prob, "policy->switch_prob");
  check_step(step);

  MixPolicy p;
  p.mixup_alpha = policy->mixup_alpha;
  p.cutmix_alpha = policy->cutmix_alpha;
  p.minmax_lo = lo;
  p.minmax_hi = hi;
  p.prob = policy->prob;
  p.switch_prob = policy->switch_prob;
  p.mode = static_cast<Mode>(policy->mode);
  p.partner = static_cast<PartnerRule>(policy->partner);
  p.correct_lam = policy->correct_lam != 0;
  if (p.partner == PartnerRule::Explicit && n > 0) {
    require_pointer(policy->partner_index, "policy->partner_index");
    for (int64_t i = 0; i < n; ++i) {
      const int64_t j = policy->partner_index[i];
      if (j < 0 || j >= n) {
        failf(MIXCUT_ERR_BAD_PARTNER, "policy->partner_index[", i, "] = ", j, " is outside [0, ", n,
              ")");
      }
    }
    p.partner_index.assign(policy->partner_index, policy->partner_index + n);
  }
  return p;
}

CutoutPolicy to_cutout_policy(const mixcut_cutout_policy* policy, uint64_t step, int64_t h,
                              int64_t w) {
  require_pointer(policy, "policy");
  check_reserved(policy->reserved, "policy->reserved");
  if (!is_cutout_form(policy->form)) {
    failf(MIXCUT_ERR_BAD_ENUM, "policy->form = ", policy->form,
          " is not a mixcut_cutout_form (1 holes, 2 erasing)");
  }
  check_probability(policy->prob, "policy->prob");
  if (policy->min_count < 0) {
    failf(MIXCUT_ERR_BAD_PARAM, "policy->min_count = ", policy->min_count, " must be >= 0");
  }
  if (policy->max_count > kMaxHolesPerSample) {
    failf(MIXCUT_ERR_BAD_PARAM, "policy->max_count = ", policy->max_count, " exceeds the cap of ",
          kMaxHolesPerSample, " holes per sample");
  }
  if (policy->min_count > policy->max_count) {
    failf(MIXCUT_ERR_BAD_PARAM, "policy->min_count = ", policy->min_count,
          " is greater than policy->max_count = ", policy->max_count);
  }
  CutoutPolicy p;
  p.form = static_cast<CutoutForm>(policy->form);
  p.prob = policy->prob;
  p.min_count = policy->min_count;
  p.max_count = policy->max_count;
  if (p.form == CutoutForm::Holes) {
    if (policy->length < 1) {
      failf(MIXCUT_ERR_BAD_PARAM, "policy->length = ", policy->length, " must be >= 1");
    }
    if (policy->length > h || policy->length > w) {
      failf(MIXCUT_ERR_BAD_BOX, "policy->length = ", policy->length,
            " is larger than the image (h = ", h, ", w = ", w, ")");
    }
    p.length = policy->length;
  } else {
    const float slo = policy->scale_lo, shi = policy->scale_hi;
    if (!(slo > 0.0f && slo <= shi && shi <= 1.0f)) {
      failf(MIXCUT_ERR_BAD_PARAM, "policy->scale = (", slo, ", ", shi,
            ") must satisfy 0 < lo <= hi <= 1");
    }
    const float rlo = policy->ratio_lo, rhi = policy->ratio_hi;
    if (!(rlo > 0.0f && rlo <= rhi && std::isfinite(rhi))) {
      failf(MIXCUT_ERR_BAD_PARAM, "policy->ratio = (", rlo, ", ", rhi,
            ") must be finite with 0 < lo <= hi");
    }
    p.scale_lo = slo;
    p.scale_hi = shi;
    p.ratio_lo = rlo;
    p.ratio_hi = rhi;
  }
  check_step(step);
  return p;
}

std::vector<MixSample> to_mix_plan(const mixcut_mix_sample* plan, int64_t n, bool check_boxes,
                                   int64_t h, int64_t w, const char* name) {
  if (n == 0) return {};
  require_pointer(plan, name);
  std::vector<MixSample> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const mixcut_mix_sample& s = plan[i];
    if (!is_mix_kind(s.kind)) {
      failf(MIXCUT_ERR_BAD_ENUM, name, "[", i, "].kind = ", s.kind,
            " is not a mixcut_mix_kind (0 none, 1 mixup, 2 cutmix)");
    }
    if (s.partner < 0 || s.partner >= n) {
      failf(MIXCUT_ERR_BAD_PARTNER, name, "[", i, "].partner = ", s.partner, " is outside [0, ", n,
            ")");
    }
    if (!(s.lam >= 0.0f && s.lam <= 1.0f)) {
      failf(MIXCUT_ERR_BAD_LAM, name, "[", i, "].lam = ", s.lam, " is outside [0, 1]");
    }
    if (check_boxes && s.kind == MIXCUT_KIND_CUTMIX && !box_inside(s.y0, s.x0, s.y1, s.x1, h, w)) {
      fail_box(name, i, s.y0, s.x0, s.y1, s.x1, h, w);
    }
    MixSample& m = out[size_t(i)];
    m.partner = s.partner;
    m.lam = s.lam;
    m.kind = static_cast<MixKind>(s.kind);
    m.box = Box{s.y0, s.x0, s.y1, s.x1};
  }
  return out;
}

std::vector<CutoutHole> to_holes(const mixcut_cutout_hole* holes, int64_t num_holes, int64_t n,
                                 int64_t h, int64_t w, const char* name) {
  if (num_holes < 0 || uint64_t(num_holes) > uint64_t(PTRDIFF_MAX) / sizeof(mixcut_cutout_hole)) {
    failf(MIXCUT_ERR_BAD_SIZE, "num_holes = ", num_holes, " is negative or too large");
  }
  if (num_holes == 0) return {};
  require_pointer(holes, name);
  // Reserved, not filled: the pages are touched only as records pass, so a
  // bad record early in a huge count costs no memory; a count no memory can
  // hold still fails here (OUT_OF_MEMORY), before any record is read.
  std::vector<CutoutHole> out;
  out.reserve(static_cast<size_t>(num_holes));
  for (int64_t i = 0; i < num_holes; ++i) {
    const mixcut_cutout_hole& hole = holes[i];
    if (hole.sample < 0 || hole.sample >= n) {
      failf(MIXCUT_ERR_BAD_PARTNER, name, "[", i, "].sample = ", hole.sample, " is outside [0, ", n,
            ")");
    }
    if (i > 0 && hole.sample < holes[i - 1].sample) {
      failf(MIXCUT_ERR_BAD_PARAM, name, "[", i, "].sample = ", hole.sample, " is less than ", name,
            "[", i - 1, "].sample = ", holes[i - 1].sample, " (holes must be ordered by sample)");
    }
    if (!box_inside(hole.y0, hole.x0, hole.y1, hole.x1, h, w)) {
      fail_box(name, i, hole.y0, hole.x0, hole.y1, hole.x1, h, w);
    }
    out.push_back(CutoutHole{hole.sample, Box{hole.y0, hole.x0, hole.y1, hole.x1}, hole.noise_key});
  }
  return out;
}

Fill to_fill(const mixcut_fill* fill, const Tensor& dst) {
  require_pointer(fill, "fill");
  if (!is_fill_kind(fill->kind)) {
    failf(MIXCUT_ERR_BAD_ENUM, "fill->kind = ", fill->kind,
          " is not a mixcut_fill_kind (1 constant, 2 channel, 3 noise, 4 channel noise)");
  }
  Fill f;
  f.kind = static_cast<FillKind>(fill->kind);
  if (f.kind == FillKind::Constant) {
    check_fill_value(fill->value, dst.dtype, "fill->value");
    f.value = fill->value;
  } else if (f.kind == FillKind::Channel) {
    require_pointer(fill->channel_values, "fill->channel_values");
    for (int64_t i = 0; i < dst.c; ++i) {
      check_fill_value(fill->channel_values[i], dst.dtype, concat("fill->channel_values[", i, "]"));
    }
    f.channel_values.assign(fill->channel_values, fill->channel_values + dst.c);
  }
  return f;
}

mixcut_mix_sample to_c(const MixSample& s) {
  mixcut_mix_sample out{};
  out.partner = s.partner;
  out.lam = s.lam;
  out.kind = static_cast<int32_t>(s.kind);
  out.y0 = s.box.y0;
  out.x0 = s.box.x0;
  out.y1 = s.box.y1;
  out.x1 = s.box.x1;
  return out;
}

mixcut_cutout_hole to_c(const CutoutHole& hole) {
  mixcut_cutout_hole out{};
  out.sample = hole.sample;
  out.y0 = hole.box.y0;
  out.x0 = hole.box.x0;
  out.y1 = hole.box.y1;
  out.x1 = hole.box.x1;
  out.noise_key = hole.noise_key;
  return out;
}

}  // namespace mixcut::capi
