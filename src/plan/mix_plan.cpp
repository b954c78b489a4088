// Mixup / CutMix plans: timm's Mixup (_params_per_elem / _params_per_batch,
// rand_bbox, rand_bbox_minmax) with keyed draws instead of global RNG state.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include "cpu/dispatch.hpp"
#include "cpu/kernel_table.hpp"
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
  return Box::clipped(cy - cut_h / 2, cy + (cut_h + 1) / 2, cx - cut_w / 2, cx + (cut_w + 1) / 2, h,
                      w);
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

// What the draws of one plan share: the policy, its Gamma shapes and how
// many blocks of each stream a draw usually takes (computed ahead, see
// Ahead).
struct DrawSetup {
  explicit DrawSetup(const MixPolicy& policy)
      : p(policy),
        minmax(minmax_active(policy)),
        mixup_on(policy.mixup_alpha > 0.0),
        cutmix_on(policy.cutmix_alpha > 0.0 || minmax),
        mixup_shape(mixup_on ? policy.mixup_alpha : 1.0),
        cutmix_shape(policy.cutmix_alpha > 0.0 ? policy.cutmix_alpha : 1.0) {
    decision_blocks = mixup_on && cutmix_on ? 2 : 1;
    // A Gamma variate takes 2 blocks when its first try is accepted (most
    // are), one more below shape 1; a Beta takes two Gammas.
    const auto beta_blocks = [](bool on, const GammaShape& g) {
      return on ? (g.a < 1.0 ? 6 : 4) : 0;
    };
    lam_blocks = uint32_t(std::max(beta_blocks(mixup_on, mixup_shape),
                                   beta_blocks(cutmix_on && !minmax, cutmix_shape)));
    box_blocks = cutmix_on ? (minmax ? 4 : 2) : 0;
  }
  const MixPolicy& p;
  bool minmax, mixup_on, cutmix_on;
  GammaShape mixup_shape, cutmix_shape;
  uint32_t decision_blocks, lam_blocks, box_blocks;
};

// Blocks 0 .. n-1 of a draw's three streams, computed before the draw (a
// draw reads past them, computing, in the rare case it needs more).
struct Ahead {
  const PhiloxCounter* decision = nullptr;
  const PhiloxCounter* lam = nullptr;
  const PhiloxCounter* box = nullptr;
};

MixDraw draw_for_key(const DrawSetup& setup, uint64_t seed, uint64_t step, uint32_t key, int64_t h,
                     int64_t w, const Ahead& ahead = Ahead{}) {
  const MixPolicy& p = setup.p;
  const auto count = [](const PhiloxCounter* blocks, uint32_t n) { return blocks ? n : 0u; };
  MixDraw out;
  Stream decision(seed, Purpose::MixDecision, step, key, ahead.decision,
                  count(ahead.decision, setup.decision_blocks));
  if (!(decision.uniform() < p.prob)) return out;  // draw 0: mix at all?

  bool use_cutmix = setup.cutmix_on;
  if (setup.mixup_on && setup.cutmix_on) use_cutmix = decision.uniform() < p.switch_prob;  // draw 1

  Stream lam_stream(seed, Purpose::MixLam, step, key, ahead.lam,
                    count(ahead.lam, setup.lam_blocks));
  if (!use_cutmix) {
    const double lam = lam_stream.beta(setup.mixup_shape, setup.mixup_shape);
    out.kind = MixKind::Mixup;
    // On the 2^-14 grid, so the uint8 weight and the labels agree exactly.
    out.lam = float(std::nearbyint(lam * kLamOne) / kLamOne);
    return out;
  }

  out.kind = MixKind::CutMix;
  Stream box_stream(seed, Purpose::MixBox, step, key, ahead.box,
                    count(ahead.box, setup.box_blocks));
  const double area = double(h) * double(w);
  if (setup.minmax) {
    // timm forces alpha 1 here, but its lam is discarded: the box ignores it
    // and lam is always corrected. So no lam draw is needed.
    out.box = minmax_box(box_stream, p, h, w);
    out.lam = float(1.0 - double(out.box.area()) / area);
    return out;
  }
  // The box comes from the lam as stored, so a plan reader can recompute it.
  const float drawn = float(lam_stream.beta(setup.cutmix_shape, setup.cutmix_shape));
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
  const DrawSetup setup(policy);
  // Every NONE record says partner = i (not the rule's partner), so apply
  // and the labels treat it as the identity without looking at the kind.
  const auto store = [&](int64_t i, int64_t j, const MixDraw& d) {
    MixSample& s = plan[size_t(i)];
    s.partner = i;
    if (j == i || d.kind == MixKind::None) return;
    s.partner = j;
    s.kind = d.kind;
    s.lam = d.lam;
    s.box = d.box;
  };
  if (policy.mode == Mode::Batch) {
    // Batch mode shares one draw; computing it once also keeps the plan O(n).
    const MixDraw batch_draw = draw_for_key(setup, seed, step, kBatchSampleKey, h, w);
    for (int64_t i = 0; i < n; ++i) store(i, partner[size_t(i)], batch_draw);
    return plan;
  }
  // One draw per sample (per pair in pair mode). The blocks a draw usually
  // reads are computed first, for kChunk samples at once on vector lanes
  // (philox_many): one at a time, each a chain of 10 dependent multiplies,
  // they were about a third of an elem plan's instructions.
  constexpr int64_t kChunk = 64;
  const uint32_t per_sample = setup.decision_blocks + setup.lam_blocks + setup.box_blocks;
  std::vector<PhiloxCounter> blocks(size_t(std::min(n, kChunk) * per_sample));
  uint32_t keys[kChunk];
  const PhiloxKey key = philox_key(seed);
  const auto philox_many = cpu::kernels_for(cpu::default_isa_cap()).philox_many;
  for (int64_t first = 0; first < n; first += kChunk) {
    const int64_t m = std::min(kChunk, n - first);
    PhiloxCounter* at = blocks.data();
    for (int64_t k = 0; k < m; ++k) {
      const int64_t i = first + k;
      keys[k] = draw_key(policy.mode, i, partner[size_t(i)]);
      for (const auto& [purpose, count] : {std::pair{Purpose::MixDecision, setup.decision_blocks},
                                           std::pair{Purpose::MixLam, setup.lam_blocks},
                                           std::pair{Purpose::MixBox, setup.box_blocks}}) {
        for (uint32_t d = 0; d < count; ++d) {
          *at++ = philox_counter(uint32_t(purpose), step, keys[k], d);
        }
      }
    }
    philox_many(blocks.data(), key, blocks.data(), m * per_sample);
    for (int64_t k = 0; k < m; ++k) {
      const int64_t i = first + k, j = partner[size_t(i)];
      if (j == i) {
        store(i, j, MixDraw{});
        continue;
      }
      Ahead ahead;
      ahead.decision = blocks.data() + k * per_sample;
      ahead.lam = ahead.decision + setup.decision_blocks;
      ahead.box = ahead.lam + setup.lam_blocks;
      store(i, j, draw_for_key(setup, seed, step, keys[k], h, w, ahead));
    }
  }
  return plan;
}

}  // namespace mixcut
