// libFuzzer target: mixcut_mix_plan, mixcut_mix_apply (every dtype/layout
// pair, strides, in place, overlaps, norm) and the label functions.
#include "fuzz_common.hpp"

namespace {

using fuzz::check;

mixcut_mix_policy some_policy(FuzzedDataProvider& p, int64_t n, std::vector<int64_t>& partners) {
  mixcut_mix_policy policy;
  check(mixcut_mix_policy_init(&policy) == MIXCUT_OK, "policy_init");
  if (p.ConsumeBool()) policy.mixup_alpha = fuzz::mostly_float(p, 0.0f, 4.0f);
  if (p.ConsumeBool()) policy.cutmix_alpha = fuzz::mostly_float(p, 0.0f, 4.0f);
  if (fuzz::rare(p, 3)) {
    policy.cutmix_minmax_lo = fuzz::some_float(p, 0.0f, 1.0f);
    policy.cutmix_minmax_hi = fuzz::some_float(p, 0.0f, 1.0f);
  }
  if (p.ConsumeBool()) policy.prob = fuzz::mostly_float(p, 0.0f, 1.0f);
  if (p.ConsumeBool()) policy.switch_prob = fuzz::mostly_float(p, 0.0f, 1.0f);
  policy.mode = fuzz::some_enum(p, MIXCUT_MODE_BATCH, MIXCUT_MODE_ELEM);
  policy.partner = fuzz::some_enum(p, MIXCUT_PARTNER_FLIP, MIXCUT_PARTNER_EXPLICIT);
  policy.correct_lam = p.ConsumeBool();
  if (fuzz::rare(p, 31)) policy.reserved = 1;
  partners.assign(size_t(std::max<int64_t>(n, 0)), 0);
  for (int64_t& j : partners) {
    j = fuzz::rare(p, 31) ? p.ConsumeIntegral<int64_t>()
                                             : p.ConsumeIntegralInRange<int64_t>(0, n - 1);
  }
  if (policy.partner == MIXCUT_PARTNER_EXPLICIT && !(n > 0 && fuzz::rare(p, 15)))
    policy.partner_index = partners.data();
  return policy;
}

// A plan from mixcut_mix_plan (checked: a failure writes nothing), perhaps
// with one field changed; or records made up from the input.
std::vector<mixcut_mix_sample> some_plan(FuzzedDataProvider& p, const fuzz::Shape& s) {
  const int64_t n = s.n >= 0 && s.n <= 8 ? s.n : 0;  // an invalid n gets no records
  std::vector<mixcut_mix_sample> plan(static_cast<size_t>(n));
  fuzz::set_bytes(plan.data(), 0xAB, plan.size() * sizeof(mixcut_mix_sample));
  if (p.ConsumeBool()) {
    std::vector<int64_t> partners;
    const mixcut_mix_policy policy = some_policy(p, n, partners);
    const uint64_t seed = p.ConsumeIntegral<uint64_t>();
    const uint64_t step = p.ConsumeBool() ? p.ConsumeIntegral<uint64_t>()
                                          : p.ConsumeIntegralInRange<uint64_t>(0, 1000);
    const std::vector<mixcut_mix_sample> before = plan;
    const mixcut_status st = mixcut_mix_plan(&policy, seed, step, n, s.h, s.w, plan.data());
    if (st != MIXCUT_OK) {
      check(fuzz::same_bytes(before.data(), plan.data(), plan.size() * sizeof plan[0]),
            "a failed mix_plan wrote out", st);
    } else if (n > 0 && fuzz::rare(p, 3)) {
      mixcut_mix_sample& r = plan[p.ConsumeIntegralInRange<size_t>(0, plan.size() - 1)];
      switch (p.ConsumeIntegralInRange(0, 3)) {
        case 0:
          r.partner = p.ConsumeIntegral<int64_t>();
          break;
        case 1:
          r.lam = fuzz::some_float(p, 0.0f, 1.0f);
          break;
        case 2:
          r.kind = fuzz::some_enum(p, MIXCUT_KIND_NONE, MIXCUT_KIND_CUTMIX);
          break;
        default:
          r.y1 = p.ConsumeIntegralInRange<int32_t>(-1, int32_t(s.h) + 1);
      }
    }
    if (st == MIXCUT_OK) return plan;
  }
  for (mixcut_mix_sample& r : plan) {
    std::memset(&r, 0, sizeof r);
    r.partner = p.ConsumeIntegralInRange<int64_t>(0, n);  // n is out of range
    r.lam = p.ConsumeBool() ? float(p.ConsumeIntegralInRange(0, 16384)) / 16384.0f
                            : fuzz::some_float(p, 0.0f, 1.0f);
    r.kind = fuzz::some_enum(p, MIXCUT_KIND_NONE, MIXCUT_KIND_CUTMIX);
    const int32_t h = int32_t(std::clamp<int64_t>(s.h, 1, 64)), w = int32_t(std::clamp<int64_t>(s.w, 1, 64));
    r.y0 = p.ConsumeIntegralInRange<int32_t>(0, h);
    r.y1 = p.ConsumeIntegralInRange<int32_t>(r.y0, h + (fuzz::rare(p, 15)));
    r.x0 = p.ConsumeIntegralInRange<int32_t>(-(fuzz::rare(p, 15)), w);
    r.x1 = p.ConsumeIntegralInRange<int32_t>(std::max(r.x0, 0), w);
  }
  return plan;
}

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
  const bool converts = src.dtype == MIXCUT_UINT8 && dst.dtype == MIXCUT_FLOAT32;
  const bool use_norm = converts ? p.ConsumeBool() : fuzz::rare(p, 15);
  if (use_norm && src.sane) {
    for (int64_t ch = 0; ch < src.c; ++ch) {
      mean.push_back(fuzz::rare(p, 15) ? fuzz::some_float(p, -1, 1)
                                                          : p.ConsumeFloatingPointInRange(-1.0f, 1.0f));
      stdev.push_back(fuzz::rare(p, 15) ? fuzz::some_float(p, 0, 2)
                                                           : p.ConsumeFloatingPointInRange(0.05f, 2.0f));
    }
    if (!fuzz::rare(p, 3)) norm.mean = mean.data();
    if (!fuzz::rare(p, 3)) norm.std = stdev.data();
  }
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
  });
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
  const std::vector<mixcut_mix_sample> plan = some_plan(p, src);
  mixcut_ctx* ctx = fuzz::some_ctx(p);
  fuzz_apply(p, src, plan, ctx);
  fuzz_labels(p, plan);
  mixcut_ctx_destroy(ctx);
  return 0;
}
