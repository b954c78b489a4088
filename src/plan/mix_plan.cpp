// Mixup / CutMix plans: timm's Mixup (_params_per_elem / _params_per_batch,
// rand_bbox, rand_bbox_minmax) with keyed draws instead of global RNG state.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include "plan/plan.hpp"
#include "plan/sampling.hpp"

namespace mixcut {

namespace {

bool minmax_active(const MixPolicy& p) { return p.minmax_lo < p.minmax_hi; }

// The outcome of one draw key: what every sample using that key does.
struct MixDraw {
  MixKind kind = MixKind::None;
  float lam = 1.0f;
  Box box;
};

// timm 1.0's rand_bbox: sides floor(H * sqrt(1 - lam)), centre uniform over
// the image, [c - side/2, c + (side+1)/2) with integer halves, clipped, so an
// unclipped side is exactly floor(H * sqrt(1 - lam)) (older timm lost a pixel
// on odd sides).
Box centred_box(Stream& box_stream, double lam, int64_t h, int64_t w) {
  const double r = std::sqrt(1.0 - lam);
  const int64_t cut_h = int64_t(std::floor(double(h) * r));
  const int64_t cut_w = int64_t(std::floor(double(w) * r));
  const int64_t cy = int64_t(box_stream.below(uint64_t(h)));
  const int64_t cx = int64_t(box_stream.below(uint64_t(w)));
  return Box::clipped(cy - cut_h / 2, cy + (cut_h + 1) / 2, cx - cut_w / 2, cx + (cut_w + 1) / 2,
                      h, w);
}

// timm 1.0's rand_bbox_minmax: sides uniform in [floor(lo*H), floor(hi*H))
// (randint: the top value excluded; a single value when the range is empty),
// corner uniform in [0, H - side] so every position inside is reachable.
Box minmax_box(Stream& box_stream, const MixPolicy& p, int64_t h, int64_t w) {
  const auto side = [&](int64_t extent) {
    const int64_t lo =
        std::clamp<int64_t>(int64_t(std::floor(p.minmax_lo * double(extent))), 0, extent);
    const int64_t hi =
        std::clamp<int64_t>(int64_t(std::floor(p.minmax_hi * double(extent))), lo, extent);
    return hi > lo ? box_stream.uniform_int(lo, hi - 1) : lo;
  };
  const int64_t cut_h = side(h);
  const int64_t cut_w = side(w);
  const int64_t y0 = box_stream.uniform_int(0, h - cut_h);
  const int64_t x0 = box_stream.uniform_int(0, w - cut_w);
  return Box::clipped(y0, y0 + cut_h, x0, x0 + cut_w, h, w);  // inside already
}

MixDraw draw_for_key(const MixPolicy& p, uint64_t seed, uint64_t step, uint32_t key, int64_t h,
                     int64_t w) {
  MixDraw out;
  Stream decision(seed, Purpose::MixDecision, step, key);
  if (!(decision.uniform() < p.prob)) return out;  // draw 0: mix at all?

  const bool minmax = minmax_active(p);
  const bool mixup_on = p.mixup_alpha > 0.0;
  const bool cutmix_on = p.cutmix_alpha > 0.0 || minmax;
  bool use_cutmix = cutmix_on;
  if (mixup_on && cutmix_on) use_cutmix = decision.uniform() < p.switch_prob;  // draw 1

  Stream lam_stream(seed, Purpose::MixLam, step, key);
  if (!use_cutmix) {
    const double lam = lam_stream.beta(p.mixup_alpha, p.mixup_alpha);
    out.kind = MixKind::Mixup;
    // On the 2^-14 grid, so the uint8 weight and the labels agree exactly.
    out.lam = float(std::nearbyint(lam * kLamOne) / kLamOne);
    return out;
  }

  out.kind = MixKind::CutMix;
  Stream box_stream(seed, Purpose::MixBox, step, key);
  const double area = double(h) * double(w);
  if (minmax) {
    // timm forces alpha 1 here, but its lam is discarded: the box ignores it
    // and lam is always corrected. So no lam draw is needed.
    out.box = minmax_box(box_stream, p, h, w);
    out.lam = float(1.0 - double(out.box.area()) / area);
    return out;
  }
  // The box comes from the lam as stored, so a plan reader can recompute it.
  const float drawn = float(lam_stream.beta(p.cutmix_alpha, p.cutmix_alpha));
  out.box = centred_box(box_stream, double(drawn), h, w);
  out.lam = p.correct_lam ? float(1.0 - double(out.box.area()) / area) : drawn;
  return out;
}

uint32_t draw_key(Mode mode, int64_t i, int64_t partner) {
  switch (mode) {
    case Mode::Batch:
      return kBatchSampleKey;
    case Mode::Pair:
      return uint32_t(std::min(i, partner));
    case Mode::Elem:
      break;
  }
  return uint32_t(i);
}

}  // namespace

std::vector<int64_t> plan_partners(const MixPolicy& policy, uint64_t seed, uint64_t step,
                                   int64_t n) {
  std::vector<int64_t> partner(static_cast<size_t>(n));
  switch (policy.partner) {
    case PartnerRule::Flip:
      for (int64_t i = 0; i < n; ++i) partner[size_t(i)] = n - 1 - i;
      break;
    case PartnerRule::Roll:
      for (int64_t i = 0; i < n; ++i) partner[size_t(i)] = (i + n - 1) % n;
      break;
    case PartnerRule::Permutation: {
      // Fisher-Yates; shuffle step t uses Permutation draw t of the batch key.
      std::iota(partner.begin(), partner.end(), int64_t(0));
      Stream stream(seed, Purpose::Permutation, step, kBatchSampleKey);
      for (int64_t k = n - 1; k > 0; --k) {
        const int64_t j = int64_t(stream.below(uint64_t(k) + 1));
        std::swap(partner[size_t(k)], partner[size_t(j)]);
      }
      break;
    }
    case PartnerRule::Explicit:
      if (int64_t(policy.partner_index.size()) != n) {
        throw Error(Status::BadPartner, "explicit partner_index has " +
                                            std::to_string(policy.partner_index.size()) +
                                            " entries for a batch of " + std::to_string(n));
      }
      for (int64_t i = 0; i < n; ++i) {
        const int64_t j = policy.partner_index[size_t(i)];
        if (j < 0 || j >= n) {
          throw Error(Status::BadPartner, "partner_index[" + std::to_string(i) +
                                              "] = " + std::to_string(j) + " is outside [0, n)");
        }
        partner[size_t(i)] = j;
      }
      break;
  }
  return partner;
}

std::vector<MixSample> plan_mix(const MixPolicy& policy, uint64_t seed, uint64_t step, int64_t n,
                                int64_t h, int64_t w) {
  const std::vector<int64_t> partner = plan_partners(policy, seed, step, n);
  std::vector<MixSample> plan(static_cast<size_t>(n));
  // Batch mode shares one draw; computing it once also keeps the plan O(n).
  MixDraw batch_draw;
  if (policy.mode == Mode::Batch)
    batch_draw = draw_for_key(policy, seed, step, kBatchSampleKey, h, w);

  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = partner[size_t(i)];
    MixSample& s = plan[size_t(i)];
    // Every NONE record says partner = i (not the rule's partner), so apply
    // and the labels treat it as the identity without looking at the kind.
    s.partner = i;
    if (j == i) continue;
    const MixDraw d = policy.mode == Mode::Batch
                          ? batch_draw
                          : draw_for_key(policy, seed, step, draw_key(policy.mode, i, j), h, w);
    if (d.kind == MixKind::None) continue;
    s.partner = j;
    s.kind = d.kind;
    s.lam = d.lam;
    s.box = d.box;
  }
  return plan;
}

}  // namespace mixcut
