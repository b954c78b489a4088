// Label mixing (labels.hpp): smoothing, then hard, soft and multi-hot rows
// mixed with the lam of each plan record.
#include "kernels/labels.hpp"

#include <algorithm>
#include <vector>

#include "kernels/formulas.hpp"

namespace mixcut {

Smoothing smoothing(float eps, int64_t k) {
  const double off = double(eps) / double(k);
  return {float(off), float(1.0 - double(eps) + off), 1.0f - eps};
}

void mix_labels(const MixSample* plan, int64_t n, const int64_t* labels, int64_t k, float eps,
                float* out) {
  const Smoothing s = smoothing(eps, k);
  for (int64_t i = 0; i < n; ++i) {
    float* row = out + i * k;
    const MixSample& record = plan[i];
    const int64_t yi = labels[i];
    if (!record.mixes(i) || labels[record.partner] == yi) {
      std::fill(row, row + k, s.off);
      row[yi] = s.on;
      continue;
    }
    const int64_t yj = labels[record.partner];
    const float lam = record.lam;
    const float rest = 1.0f - lam;
    // Same formula for every column, so a class neither sample has gets
    // lam*off + (1-lam)*off exactly as a dense one-hot blend would.
    const float off_off = formulas::blend_f32(s.off, s.off, lam, rest);
    std::fill(row, row + k, off_off);
    row[yi] = formulas::blend_f32(s.on, s.off, lam, rest);
    row[yj] = formulas::blend_f32(s.off, s.on, lam, rest);
  }
}

namespace {

// Dense rows: smooth(p) = (p*keep) + add per element, then mixed as the hard
// labels are. In place, row i may be some other row's partner: read a copy.
void mix_dense(const MixSample* plan, int64_t n, const float* soft, int64_t k, float keep,
               float add, float* out) {
  std::vector<float> copy;
  if (out == soft && n > 0) {
    copy.assign(soft, soft + n * k);
    soft = copy.data();
  }
  for (int64_t i = 0; i < n; ++i) {
    const MixSample& record = plan[i];
    const float* pi = soft + i * k;
    float* row = out + i * k;
    if (!record.mixes(i)) {
      for (int64_t c = 0; c < k; ++c) {
        const float scaled = pi[c] * keep;
        row[c] = scaled + add;
      }
      continue;
    }
    const float* pj = soft + record.partner * k;
    const float lam = record.lam;
    const float rest = 1.0f - lam;
    for (int64_t c = 0; c < k; ++c) {
      const float scaled_i = pi[c] * keep;
      const float scaled_j = pj[c] * keep;
      row[c] = formulas::blend_f32(scaled_i + add, scaled_j + add, lam, rest);
    }
  }
}

}  // namespace

void mix_soft_labels(const MixSample* plan, int64_t n, const float* soft, int64_t k, float eps,
                     float* out) {
  const Smoothing s = smoothing(eps, k);
  mix_dense(plan, n, soft, k, s.keep, s.off, out);
}

void mix_multi_labels(const MixSample* plan, int64_t n, const float* targets, int64_t k, float eps,
                      float* out) {
  // timm 1.0: y * (1 - eps) + 0.5 * eps; 0.5 * eps is exact in float.
  mix_dense(plan, n, targets, k, 1.0f - eps, 0.5f * eps, out);
}

}  // namespace mixcut
