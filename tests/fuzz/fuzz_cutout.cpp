// libFuzzer target: mixcut_cutout_plan and mixcut_cutout_apply (both forms,
// every fill, dtype/layout pairs, strides, in place, overlaps, norm).
#include "fuzz_common.hpp"

namespace {

using fuzz::check;

mixcut_cutout_policy some_policy(FuzzedDataProvider& p) {
  mixcut_cutout_policy policy;
  check(mixcut_cutout_policy_init(&policy) == MIXCUT_OK, "policy_init");
  policy.form = fuzz::some_enum(p, MIXCUT_CUTOUT_HOLES, MIXCUT_CUTOUT_ERASING);
  if (p.ConsumeBool()) policy.prob = fuzz::mostly_float(p, 0.0f, 1.0f);
  policy.min_count = fuzz::rare(p, 15) ? p.ConsumeIntegral<int32_t>()
                                                          : p.ConsumeIntegralInRange(0, 4);
  policy.max_count = fuzz::rare(p, 15) ? p.ConsumeIntegral<int32_t>()
                                                          : p.ConsumeIntegralInRange(0, 6);
  policy.length = fuzz::rare(p, 15) ? p.ConsumeIntegral<int32_t>()
                                                       : p.ConsumeIntegralInRange(1, 24);
  if (p.ConsumeBool()) {
    policy.scale_lo = fuzz::mostly_float(p, 0.0f, 1.0f);
    policy.scale_hi = fuzz::mostly_float(p, 0.0f, 1.0f);
  }
  if (p.ConsumeBool()) {
    policy.ratio_lo = fuzz::mostly_float(p, 0.0f, 4.0f);
    policy.ratio_hi = fuzz::mostly_float(p, 0.0f, 4.0f);
  }
  if (fuzz::rare(p, 31)) policy.reserved = 1;
  return policy;
}

// Holes from mixcut_cutout_plan (a failure must write neither out nor
// count), else made up from the input: mostly inside, ordered by sample.
std::vector<mixcut_cutout_hole> some_holes(FuzzedDataProvider& p, const fuzz::Shape& s) {
  const int64_t n = s.n >= 0 && s.n <= 8 ? s.n : 0;
  if (p.ConsumeBool()) {
    const mixcut_cutout_policy policy = some_policy(p);
    const int64_t per = policy.max_count >= 0 && policy.max_count <= 1024 ? policy.max_count : 1;
    std::vector<mixcut_cutout_hole> holes(size_t(n * per));
    fuzz::set_bytes(holes.data(), 0xAB, holes.size() * sizeof(mixcut_cutout_hole));
    const std::vector<mixcut_cutout_hole> before = holes;
    int64_t count = -5;
    const mixcut_status st = mixcut_cutout_plan(&policy, p.ConsumeIntegral<uint64_t>(),
                                                p.ConsumeIntegralInRange<uint64_t>(0, 1000), n,
                                                s.h, s.w, holes.data(), &count);
    if (st == MIXCUT_OK) {
      check(count == n * per, "cutout_plan count", count, n * per);
      return holes;
    }
    check(count == -5 && fuzz::same_bytes(holes.data(), before.data(),
                                           holes.size() * sizeof(mixcut_cutout_hole)),
          "a failed cutout_plan wrote out", st);
  }
  std::vector<mixcut_cutout_hole> holes(p.ConsumeIntegralInRange<size_t>(0, 12));
  int64_t sample = 0;
  const int32_t h = int32_t(std::clamp<int64_t>(s.h, 1, 64)), w = int32_t(std::clamp<int64_t>(s.w, 1, 64));
  for (mixcut_cutout_hole& hole : holes) {
    std::memset(&hole, 0, sizeof hole);
    sample += fuzz::rare(p, 2);
    hole.sample = fuzz::rare(p, 15) ? p.ConsumeIntegralInRange<int64_t>(-1, n)
                                                       : std::min<int64_t>(sample, std::max<int64_t>(n - 1, 0));
    hole.y0 = p.ConsumeIntegralInRange<int32_t>(0, h);
    hole.y1 = p.ConsumeIntegralInRange<int32_t>(hole.y0, h + (fuzz::rare(p, 15)));
    hole.x0 = p.ConsumeIntegralInRange<int32_t>(-(fuzz::rare(p, 15)), w);
    hole.x1 = p.ConsumeIntegralInRange<int32_t>(std::max(hole.x0, 0), w);
    hole.noise_key = p.ConsumeIntegral<uint64_t>();
  }
  return holes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  const fuzz::Shape src = fuzz::some_shape(p);
  const std::vector<mixcut_cutout_hole> holes = some_holes(p, src);
  mixcut_ctx* ctx = fuzz::some_ctx(p);

  fuzz::Shape dst = src;
  fuzz::some_format(p, dst);
  dst.stride = p.ConsumeBool() ? 0 : dst.chw() + p.ConsumeIntegralInRange<int64_t>(0, 5);
  if (!src.sane) dst = src;
  bool in_place = false;
  const fuzz::Placement at = fuzz::place(p, src, dst, in_place);
  if (in_place) dst = src;
  std::vector<unsigned char> arena(at.bytes);
  fuzz::fill_bytes(p, arena.data(), arena.size());

  mixcut_fill fill;
  std::memset(&fill, 0, sizeof fill);
  fill.kind = fuzz::some_enum(p, MIXCUT_FILL_CONSTANT, MIXCUT_FILL_CHANNEL_NOISE);
  fill.value = !fuzz::rare(p, 7) ? float(p.ConsumeIntegralInRange(0, 255))
                                                   : fuzz::some_float(p, -2, 300);
  std::vector<float> channel_values;
  for (int64_t ch = 0; src.sane && ch < src.c; ++ch)
    channel_values.push_back(!fuzz::rare(p, 15) ? float(p.ConsumeIntegralInRange(0, 255))
                                                                   : fuzz::some_float(p, -1, 256));
  if (fill.kind == MIXCUT_FILL_CHANNEL && !channel_values.empty() && !fuzz::rare(p, 15))
    fill.channel_values = channel_values.data();
  std::vector<float> mean(channel_values.size(), 0.5f), stdev(channel_values.size(), 0.25f);
  const mixcut_normalize norm{p.ConsumeBool() ? mean.data() : nullptr,
                              p.ConsumeBool() ? stdev.data() : nullptr};
  const bool converts = src.dtype == MIXCUT_UINT8 && dst.dtype == MIXCUT_FLOAT32;
  const bool use_norm = converts ? p.ConsumeBool() : fuzz::rare(p, 15);
  // (More holes than the array holds would be our bug, not the library's.)
  const int64_t num_holes = fuzz::rare(p, 31) ? -1 : int64_t(holes.size());

  fuzz::differential(ctx, arena, [&](mixcut_ctx* c, unsigned char* base) {
    const mixcut_tensor s = src.view(base + at.src_at);
    const mixcut_tensor d = dst.view(base + at.dst_at);
    return mixcut_cutout_apply(c, holes.empty() ? nullptr : holes.data(), num_holes, &fill, &s, &d,
                               use_norm ? &norm : nullptr);
  });
  mixcut_ctx_destroy(ctx);
  return 0;
}
