// libFuzzer target: mixcut_mix_plan, mixcut_mix_apply (every dtype/layout
// pair, strides, in place, overlaps, norm) and the label functions.
#include "fuzz_common.hpp"

namespace {

using fuzz::check;

void fuzz_apply(FuzzedDataProvider& p, const fuzz::Shape& src, const std::vector<mixcut_mix_sample>& plan,
                mixcut_ctx* ctx) {
  fuzz::Shape dst = src;
  fuzz::some_format(p, dst);
  dst.stride = p.ConsumeBool() ? 0 : dst.chw() + p.ConsumeIntegralInRange<int64_t>(0, 5);
  if (src.sane && fuzz::rare(p, 15)) {  // a shape that disagrees with src
    if (p.ConsumeBool()) dst.c += 1; else dst.n = dst.n > 0 ? dst.n - 1 : 1;
    dst.stride = 0;
  }
  if (!src.sane) dst = src;
  bool in_place = false;
  const fuzz::Placement at = fuzz::place(p, src, dst, in_place);
  if (in_place) dst = src;
  std::vector<unsigned char> arena(at.bytes);
  fuzz::fill_bytes(p, arena.data(), arena.size());

  std::vector<float> mean, stdev;
  mixcut_normalize norm{nullptr, nullptr};
  const bool use_norm = fuzz::some_norm(p, src, dst, mean, stdev, norm);
  const bool null_plan = fuzz::rare(p, 31);
  if (std::getenv("MIXCUT_FUZZ_DEBUG") != nullptr) {  // prints the case
    std::fprintf(stderr, "src %d %d n%lld c%lld h%lld w%lld s%lld at %zu | dst %d %d n%lld c%lld h%lld w%lld s%lld at %zu | arena %zu\n",
                 src.dtype, src.layout, (long long)src.n, (long long)src.c, (long long)src.h, (long long)src.w, (long long)src.stride, at.src_at,
                 dst.dtype, dst.layout, (long long)dst.n, (long long)dst.c, (long long)dst.h, (long long)dst.w, (long long)dst.stride, at.dst_at, at.bytes);
    for (const auto& r : plan) std::fprintf(stderr, "  j%lld lam%g k%d box %d %d %d %d\n", (long long)r.partner, r.lam, r.kind, r.y0, r.x0, r.y1, r.x1);
  }
  fuzz::differential(ctx, arena, [&](mixcut_ctx* c, unsigned char* base) {
    const mixcut_tensor s = src.view(base + at.src_at);
    const mixcut_tensor d = dst.view(base + at.dst_at);
    return mixcut_mix_apply(c, null_plan ? nullptr : plan.data(), &s, &d,
                            use_norm ? &norm : nullptr);
  }, fuzz::float_words(dst, at.dst_at));
}

// Hard and soft labels: no sanitizer report, failures write nothing, rows
// with lam = 1 equal the smoothed label.
void fuzz_labels(FuzzedDataProvider& p, const std::vector<mixcut_mix_sample>& plan) {
  const int64_t n = int64_t(plan.size());
  const int64_t k = fuzz::rare(p, 31) ? p.PickValueInArray<int64_t>({0, -1, fuzz::kI64Max})
                                                         : p.ConsumeIntegralInRange<int64_t>(1, 12);
  const float eps = p.ConsumeBool() ? 0.0f : fuzz::some_float(p, 0.0f, 1.0f);
  const int64_t kk = (k >= 1 && k <= 12) ? k : 1;
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t& y : labels)
    y = fuzz::rare(p, 31) ? p.ConsumeIntegral<int64_t>()
                                             : p.ConsumeIntegralInRange<int64_t>(0, kk - 1);
  std::vector<float> out(size_t(n * kk) + 1, -7.0f), before = out;
  const mixcut_status st = mixcut_mix_labels(plan.data(), n, labels.data(), k, eps, out.data());
  if (st != MIXCUT_OK) {
    check(std::memcmp(out.data(), before.data(), out.size() * 4) == 0, "mix_labels wrote on failure", st);
  } else {
    check(out.back() == -7.0f, "mix_labels wrote past n * K");
  }
  std::vector<float> soft(size_t(n * kk) + 1);
  for (float& v : soft) v = fuzz::rare(p, 31) ? fuzz::some_float(p, 0, 1)
                                                                 : p.ConsumeFloatingPointInRange(0.0f, 1.0f);
  const bool in_place = p.ConsumeBool();
  std::vector<float> soft_before = soft;
  float* target = in_place ? soft.data() : out.data();
  const std::vector<float> target_before(target, target + soft.size());
  const mixcut_status ss = mixcut_mix_soft_labels(plan.data(), n, soft.data(), k, eps, target);
  if (ss != MIXCUT_OK) {
    check(std::memcmp(target, target_before.data(), soft.size() * 4) == 0,
          "mix_soft_labels wrote on failure", ss);
  }
  if (!in_place) {
    check(std::memcmp(soft.data(), soft_before.data(), soft.size() * 4) == 0, "soft changed");
  }
  // Multi-hot rows, the same contract (out may equal targets).
  const std::vector<float> multi_before(target, target + soft.size());
  const mixcut_status sm = mixcut_mix_multi_labels(plan.data(), n, soft.data(), k, eps, target);
  if (sm != MIXCUT_OK) {
    check(std::memcmp(target, multi_before.data(), soft.size() * 4) == 0,
          "mix_multi_labels wrote on failure", sm);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  const fuzz::Shape src = fuzz::some_shape(p);
  const std::vector<mixcut_mix_sample> plan = fuzz::some_plan(p, src);
  mixcut_ctx* ctx = fuzz::some_ctx(p);
  fuzz_apply(p, src, plan, ctx);
  fuzz_labels(p, plan);
  mixcut_ctx_destroy(ctx);
  return 0;
}
