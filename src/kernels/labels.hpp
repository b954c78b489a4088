// Label mixing: soft targets from the same plan as the pixels. This is the
// only implementation; every backend (CPU, CUDA) calls it on the host.
// Inputs are validated by capi (labels in [0, K), K >= 1, eps in [0, 1]).
#pragma once

#include <cstdint>

#include "core/types.hpp"

namespace mixcut {

// Label smoothing over K classes; off and on are computed in double and
// rounded once, as timm's Python floats are before torch stores them in a
// float32 one-hot.
struct Smoothing {
  float off;   // eps / K
  float on;    // 1 - eps + eps / K
  float keep;  // 1 - eps, the weight of a soft label
};
Smoothing smoothing(float eps, int64_t k);

// out[n][K] from hard labels[n]:
//   off = eps/K, on = 1 - eps + off (both computed in double, rounded once);
//   row i = smooth(y_i) if the kind is None, partner == i or y_i == y_partner,
//   else lam*smooth(y_i) + (1-lam)*smooth(y_partner), per element in float as
//   (lam*s_i) + ((1-lam)*s_j) with two roundings (no FMA), lam from the record.
// out must not overlap labels.
void mix_labels(const MixSample* plan, int64_t n, const int64_t* labels, int64_t k, float eps,
                float* out);

// As mix_labels for soft labels soft[n][K]: smooth(p) = (p*(1-eps)) + eps/K in
// float ((1-eps) rounded to float first), mixed the same way. out may equal
// soft (in place); the result is the same as out of place.
void mix_soft_labels(const MixSample* plan, int64_t n, const float* soft, int64_t k, float eps,
                     float* out);

// timm 1.0's multi_label: dense rows targets[n][K] smoothed toward 0.5,
// smooth(y) = (y*(1-eps)) + 0.5*eps in float, mixed as mix_soft_labels; out
// may equal targets.
void mix_multi_labels(const MixSample* plan, int64_t n, const float* targets, int64_t k, float eps,
                      float* out);

}  // namespace mixcut
