// Cutout (DeVries & Taylor) and RandomErasing (Zhong et al., as in timm)
// plans. Sample i draws from the Cutout stream keyed by i, in this order:
// apply?, hole count, then per hole its box draws and its noise key.
#include <algorithm>
#include <cmath>

#include "plan/plan.hpp"
#include "plan/sampling.hpp"

namespace mixcut {

namespace {

constexpr int kErasingTries = 10;

// Cutout: centre uniform over the image, [c - L/2, c - L/2 + L) clipped. For
// even L this is the paper's [c - L/2, c + L/2); for odd L the paper's code
// loses a pixel (side L - 1, and L = 1 erases nothing) while this keeps side L.
Box cutout_box(Stream& stream, int64_t length, int64_t h, int64_t w) {
  const int64_t cy = int64_t(stream.below(uint64_t(h)));
  const int64_t cx = int64_t(stream.below(uint64_t(w)));
  const int64_t half = length / 2;
  return Box::clipped(cy - half, cy - half + length, cx - half, cx - half + length, h, w);
}

// timm 1.0 RandomErasing._erase for one hole: up to 10 tries of (area,
// aspect), sides rounded half to even like Python's round(); the first try
// with h < H and w < W is accepted and placed with a uniform corner. A side of
// 0 is accepted too: it erases nothing and ends the tries, as in timm. Empty
// if no try fits.
Box erasing_box(Stream& stream, const CutoutPolicy& p, int64_t count, int64_t h, int64_t w) {
  const double area = double(h) * double(w);
  for (int attempt = 0; attempt < kErasingTries; ++attempt) {
    const double target_area = stream.uniform(p.scale_lo, p.scale_hi) * area / double(count);
    const double aspect = stream.log_uniform(p.ratio_lo, p.ratio_hi);
    // nearbyint in the default rounding mode rounds half to even.
    const double eh = std::nearbyint(std::sqrt(target_area * aspect));
    const double ew = std::nearbyint(std::sqrt(target_area / aspect));
    if (!(eh < double(h) && ew < double(w))) continue;
    if (eh < 1.0 || ew < 1.0) return Box{};  // accepted, erases nothing
    const int64_t bh = int64_t(eh), bw = int64_t(ew);
    const int64_t y0 = stream.uniform_int(0, h - bh);
    const int64_t x0 = stream.uniform_int(0, w - bw);
    return Box::clipped(y0, y0 + bh, x0, x0 + bw, h, w);  // inside already
  }
  return Box{};
}

}  // namespace

std::vector<CutoutHole> plan_cutout(const CutoutPolicy& policy, uint64_t seed, uint64_t step,
                                    int64_t n, int64_t h, int64_t w) {
  const int64_t slots = policy.max_count;
  std::vector<CutoutHole> holes(static_cast<size_t>(n * slots));
  for (int64_t i = 0; i < n; ++i) {
    CutoutHole* own = holes.data() + i * slots;
    for (int64_t k = 0; k < slots; ++k) own[k].sample = i;

    Stream stream(seed, Purpose::Cutout, step, uint32_t(i));
    if (!(stream.uniform() < policy.prob)) continue;
    const int64_t count = stream.uniform_int(policy.min_count, policy.max_count);
    for (int64_t k = 0; k < count; ++k) {
      const Box box = policy.form == CutoutForm::Holes ? cutout_box(stream, policy.length, h, w)
                                                       : erasing_box(stream, policy, count, h, w);
      // Empty holes keep noise key 0: nothing is filled with it.
      if (box.empty()) continue;
      own[k].box = box;
      own[k].noise_key = stream.next_u64();
    }
  }
  return holes;
}

}  // namespace mixcut
