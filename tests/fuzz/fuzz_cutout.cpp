// libFuzzer target: mixcut_cutout_plan and mixcut_cutout_apply (both forms,
// every fill, dtype/layout pairs, strides, in place, overlaps, norm).
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  const fuzz::Shape src = fuzz::some_shape(p);
  const std::vector<mixcut_cutout_hole> holes = fuzz::some_holes(p, src);
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
  std::vector<float> channel_values;
  fuzz::some_fill(p, src, fill, channel_values);
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
  }, fuzz::float_words(dst, at.dst_at));
  mixcut_ctx_destroy(ctx);
  return 0;
}
