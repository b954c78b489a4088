// Shared pieces of the libFuzzer targets: fuzzed values, shapes, plans,
// holes, fills and norms, tensors in one arena, and the oracle of fuzz_mix
// and fuzz_cutout (failures leave every byte alone; successes equal the
// scalar ISA's result).
#pragma once

#include <fuzzer/FuzzedDataProvider.h>
#include <mixcut/mixcut.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "test_util.hpp"  // the canary helpers (tests/, on the targets' include path)

namespace fuzz {

// An oracle violation: libFuzzer saves the input as a crash.
[[noreturn]] inline void fail(const char* what, long long a = 0, long long b = 0) {
  std::fprintf(stderr, "mixcut fuzz oracle: %s (%lld, %lld); last error: %s\n", what, a, b,
               mixcut_last_error());
  std::abort();
}

inline void check(bool ok, const char* what, long long a = 0, long long b = 0) {
  if (!ok) fail(what, a, b);
}

// memset and memcmp that accept NULL with a zero size (a vector's empty data()).
inline void set_bytes(void* p, int value, size_t n) {
  if (n > 0) std::memset(p, value, n);
}
inline bool same_bytes(const void* a, const void* b, size_t n) {
  return n == 0 || std::memcmp(a, b, n) == 0;
}

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

// True once in n + 1 draws. Rare branches take the top value because an
// exhausted input yields the bottom one: short inputs then stay on the common path.
inline bool rare(FuzzedDataProvider& p, int n) { return p.ConsumeIntegralInRange(0, n) == n; }

// Mostly a sensible float, sometimes an edge or raw bits.
inline float some_float(FuzzedDataProvider& p, float lo, float hi) {
  switch (p.ConsumeIntegralInRange(0, 7)) {
    case 7:
      return std::numeric_limits<float>::quiet_NaN();
    case 6:
      return p.PickValueInArray({0.0f, 1.0f, -1.0f, 0.5f, 1e-30f,
                                 std::numeric_limits<float>::infinity()});
    case 5: {
      const uint32_t bits = p.ConsumeIntegral<uint32_t>();
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return f;
    }
    default:
      return p.ConsumeFloatingPointInRange(lo, hi);
  }
}

// Like some_float, but 15 times in 16 a value from [lo, hi].
inline float mostly_float(FuzzedDataProvider& p, float lo, float hi) {
  if (rare(p, 15)) return some_float(p, lo, hi);
  return p.ConsumeFloatingPointInRange(lo, hi);
}

// An enum field: usually one of the valid values, sometimes anything.
inline int32_t some_enum(FuzzedDataProvider& p, int32_t lo, int32_t hi) {
  if (rare(p, 15)) return p.ConsumeIntegral<int32_t>();
  return p.ConsumeIntegralInRange(lo, hi);
}

// A fuzzed ctx, or NULL: threads, ISA cap, stream threshold. Failed sets must
// not change the option.
inline mixcut_ctx* some_ctx(FuzzedDataProvider& p) {
  if (rare(p, 3)) return nullptr;
  mixcut_ctx* ctx = nullptr;
  check(mixcut_ctx_create(&ctx) == MIXCUT_OK, "ctx_create");
  const int rounds = p.ConsumeIntegralInRange(0, 4);
  for (int r = 0; r < rounds; ++r) {
    const int32_t key = some_enum(p, MIXCUT_OPT_NUM_THREADS, MIXCUT_OPT_STREAM_THRESHOLD);
    int64_t value;
    switch (p.ConsumeIntegralInRange(0, 3)) {
      case 3:
        value = p.ConsumeIntegral<int64_t>();
        break;
      case 2:
        value = p.PickValueInArray<int64_t>({-1, 0, 1, 2, 3, MIXCUT_MAX_THREADS + 1, kI64Max});
        break;
      default:
        value = p.ConsumeIntegralInRange<int64_t>(0, 3);
    }
    // A real thread count would start that many threads: stay small, the
    // rejection of large ones is covered by ctx_set on its own below.
    if (key == MIXCUT_OPT_NUM_THREADS && value > 3 && value <= MIXCUT_MAX_THREADS) value = 3;
    int64_t before = 0;
    const mixcut_status got_before = mixcut_ctx_get(ctx, key, &before);
    const mixcut_status set = mixcut_ctx_set(ctx, key, value);
    if (set != MIXCUT_OK) {
      int64_t after = 0;
      const mixcut_status got_after = mixcut_ctx_get(ctx, key, &after);
      check(got_before == got_after && (got_after != MIXCUT_OK || after == before),
            "a failed ctx_set changed the option", key, value);
    }
  }
  return ctx;
}

// A ctx that runs the scalar kernels on one thread: the oracle.
inline mixcut_ctx* scalar_ctx() {
  static mixcut_ctx* ctx = [] {
    mixcut_ctx* c = nullptr;
    check(mixcut_ctx_create(&c) == MIXCUT_OK, "ctx_create");
    check(mixcut_ctx_set(c, MIXCUT_OPT_NUM_THREADS, 1) == MIXCUT_OK, "threads");
    check(mixcut_ctx_set(c, MIXCUT_OPT_MAX_ISA, MIXCUT_ISA_SCALAR) == MIXCUT_OK, "isa");
    return c;
  }();
  return ctx;
}

// One tensor's declared shape; sizes are sane unless `bad` picked an invalid one.
struct Shape {
  int32_t dtype = MIXCUT_UINT8, layout = MIXCUT_NCHW;
  int64_t n = 1, c = 1, h = 1, w = 1, stride = 0;
  bool sane = true;  // the extent below is what the library will touch

  size_t elem() const { return dtype == MIXCUT_FLOAT32 ? 4 : 1; }
  int64_t chw() const { return sane ? c * h * w : 1; }  // insane sizes may overflow
  // Bytes the view covers (when sane and n > 0).
  size_t extent() const {
    if (!sane || n <= 0) return 0;
    const int64_t s = stride == 0 ? chw() : stride;
    return size_t((n - 1) * s + chw()) * elem();
  }
  mixcut_tensor view(unsigned char* data) const {
    mixcut_tensor t;
    std::memset(&t, 0, sizeof t);
    t.data = data;
    t.dtype = dtype;
    t.layout = layout;
    t.n = n;
    t.c = c;
    t.h = h;
    t.w = w;
    t.sample_stride = stride;
    return t;
  }
};

// Dtype and layout of a tensor: mostly valid.
inline void some_format(FuzzedDataProvider& p, Shape& s) {
  s.dtype = some_enum(p, MIXCUT_UINT8, MIXCUT_FLOAT32);
  s.layout = some_enum(p, MIXCUT_NCHW, MIXCUT_NHWC);
  // Unknown dtypes are rejected; size them as bytes meanwhile.
}

// A small batch shape, now and then with one size that the contract rejects
// (never a valid huge one: the library cannot know how big our buffer is).
inline Shape some_shape(FuzzedDataProvider& p) {
  Shape s;
  some_format(p, s);
  s.n = p.ConsumeIntegralInRange<int64_t>(0, 8);
  s.c = p.ConsumeIntegralInRange<int64_t>(1, 4);
  s.h = p.ConsumeIntegralInRange<int64_t>(1, 24);
  s.w = p.ConsumeIntegralInRange<int64_t>(1, 24);
  const int stride_kind = p.ConsumeIntegralInRange(0, 3);
  if (stride_kind == 1) s.stride = s.chw() + p.ConsumeIntegralInRange<int64_t>(0, 9);
  if (rare(p, 15)) {
    const int64_t chw = s.chw();
    s.sane = false;
    switch (p.ConsumeIntegralInRange(0, 5)) {
      case 0:
        s.n = p.PickValueInArray<int64_t>({-1, kI32Max + 1, kI64Min});
        break;
      case 1:
        s.c = p.PickValueInArray<int64_t>({0, -1, kI64Min, kI64Max});
        break;
      case 2:
        s.h = p.PickValueInArray<int64_t>({0, -1, kI32Max + 1, kI64Max});
        break;
      case 3:
        s.w = p.PickValueInArray<int64_t>({0, -1, kI32Max + 1, kI64Min});
        break;
      case 4:
        s.stride = chw > 1 ? chw - 1 : -1;
        break;
      default:  // (n - 1) * stride + c * h * w, in bytes, overflows or wraps
        s.n = 3;
        s.stride = kI64Max / 2 + 1;  // 2 * stride = 2^63
    }
  }
  return s;
}

// ---- Plans: from the real plan functions (checked: a failure writes
// nothing), sometimes corrupted, or records made up from the input.

inline mixcut_mix_policy some_mix_policy(FuzzedDataProvider& p, int64_t n, std::vector<int64_t>& partners) {
  mixcut_mix_policy policy;
  check(mixcut_mix_policy_init(&policy) == MIXCUT_OK, "policy_init");
  if (p.ConsumeBool()) policy.mixup_alpha = mostly_float(p, 0.0f, 4.0f);
  if (p.ConsumeBool()) policy.cutmix_alpha = mostly_float(p, 0.0f, 4.0f);
  if (rare(p, 3)) {
    policy.cutmix_minmax_lo = some_float(p, 0.0f, 1.0f);
    policy.cutmix_minmax_hi = some_float(p, 0.0f, 1.0f);
  }
  if (p.ConsumeBool()) policy.prob = mostly_float(p, 0.0f, 1.0f);
  if (p.ConsumeBool()) policy.switch_prob = mostly_float(p, 0.0f, 1.0f);
  policy.mode = some_enum(p, MIXCUT_MODE_BATCH, MIXCUT_MODE_ELEM);
  policy.partner = some_enum(p, MIXCUT_PARTNER_FLIP, MIXCUT_PARTNER_EXPLICIT);
  policy.correct_lam = p.ConsumeBool();
  if (rare(p, 31)) policy.reserved = 1;
  partners.assign(size_t(std::max<int64_t>(n, 0)), 0);
  for (int64_t& j : partners) {
    j = rare(p, 31) ? p.ConsumeIntegral<int64_t>()
                                             : p.ConsumeIntegralInRange<int64_t>(0, n - 1);
  }
  if (policy.partner == MIXCUT_PARTNER_EXPLICIT && !(n > 0 && rare(p, 15)))
    policy.partner_index = partners.data();
  return policy;
}

// A plan from mixcut_mix_plan (checked: a failure writes nothing), perhaps
// with one field changed; or records made up from the input.
inline std::vector<mixcut_mix_sample> some_plan(FuzzedDataProvider& p, const Shape& s) {
  const int64_t n = s.n >= 0 && s.n <= 8 ? s.n : 0;  // an invalid n gets no records
  std::vector<mixcut_mix_sample> plan(static_cast<size_t>(n));
  set_bytes(plan.data(), 0xAB, plan.size() * sizeof(mixcut_mix_sample));
  if (p.ConsumeBool()) {
    std::vector<int64_t> partners;
    const mixcut_mix_policy policy = some_mix_policy(p, n, partners);
    const uint64_t seed = p.ConsumeIntegral<uint64_t>();
    const uint64_t step = p.ConsumeBool() ? p.ConsumeIntegral<uint64_t>()
                                          : p.ConsumeIntegralInRange<uint64_t>(0, 1000);
    const std::vector<mixcut_mix_sample> before = plan;
    const mixcut_status st = mixcut_mix_plan(&policy, seed, step, n, s.h, s.w, plan.data());
    if (st != MIXCUT_OK) {
      check(same_bytes(before.data(), plan.data(), plan.size() * sizeof plan[0]),
            "a failed mix_plan wrote out", st);
    } else if (n > 0 && rare(p, 3)) {
      mixcut_mix_sample& r = plan[p.ConsumeIntegralInRange<size_t>(0, plan.size() - 1)];
      switch (p.ConsumeIntegralInRange(0, 3)) {
        case 0:
          r.partner = p.ConsumeIntegral<int64_t>();
          break;
        case 1:
          r.lam = some_float(p, 0.0f, 1.0f);
          break;
        case 2:
          r.kind = some_enum(p, MIXCUT_KIND_NONE, MIXCUT_KIND_CUTMIX);
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
                            : some_float(p, 0.0f, 1.0f);
    r.kind = some_enum(p, MIXCUT_KIND_NONE, MIXCUT_KIND_CUTMIX);
    const int32_t h = int32_t(std::clamp<int64_t>(s.h, 1, 64)), w = int32_t(std::clamp<int64_t>(s.w, 1, 64));
    r.y0 = p.ConsumeIntegralInRange<int32_t>(0, h);
    r.y1 = p.ConsumeIntegralInRange<int32_t>(r.y0, h + (rare(p, 15)));
    r.x0 = p.ConsumeIntegralInRange<int32_t>(-(rare(p, 15)), w);
    r.x1 = p.ConsumeIntegralInRange<int32_t>(std::max(r.x0, 0), w);
  }
  return plan;
}

inline mixcut_cutout_policy some_cutout_policy(FuzzedDataProvider& p) {
  mixcut_cutout_policy policy;
  check(mixcut_cutout_policy_init(&policy) == MIXCUT_OK, "policy_init");
  policy.form = some_enum(p, MIXCUT_CUTOUT_HOLES, MIXCUT_CUTOUT_ERASING);
  if (p.ConsumeBool()) policy.prob = mostly_float(p, 0.0f, 1.0f);
  policy.min_count = rare(p, 15) ? p.ConsumeIntegral<int32_t>()
                                                          : p.ConsumeIntegralInRange(0, 4);
  policy.max_count = rare(p, 15) ? p.ConsumeIntegral<int32_t>()
                                                          : p.ConsumeIntegralInRange(0, 6);
  policy.length = rare(p, 15) ? p.ConsumeIntegral<int32_t>()
                                                       : p.ConsumeIntegralInRange(1, 24);
  if (p.ConsumeBool()) {
    policy.scale_lo = mostly_float(p, 0.0f, 1.0f);
    policy.scale_hi = mostly_float(p, 0.0f, 1.0f);
  }
  if (p.ConsumeBool()) {
    policy.ratio_lo = mostly_float(p, 0.0f, 4.0f);
    policy.ratio_hi = mostly_float(p, 0.0f, 4.0f);
  }
  if (rare(p, 31)) policy.reserved = 1;
  return policy;
}

// Holes from mixcut_cutout_plan (a failure must write neither out nor
// count), else made up from the input: mostly inside, ordered by sample.
inline std::vector<mixcut_cutout_hole> some_holes(FuzzedDataProvider& p, const Shape& s) {
  const int64_t n = s.n >= 0 && s.n <= 8 ? s.n : 0;
  if (p.ConsumeBool()) {
    const mixcut_cutout_policy policy = some_cutout_policy(p);
    const int64_t per = policy.max_count >= 0 && policy.max_count <= 1024 ? policy.max_count : 1;
    std::vector<mixcut_cutout_hole> holes(size_t(n * per));
    set_bytes(holes.data(), 0xAB, holes.size() * sizeof(mixcut_cutout_hole));
    const std::vector<mixcut_cutout_hole> before = holes;
    int64_t count = -5;
    const mixcut_status st = mixcut_cutout_plan(&policy, p.ConsumeIntegral<uint64_t>(),
                                                p.ConsumeIntegralInRange<uint64_t>(0, 1000), n,
                                                s.h, s.w, holes.data(), &count);
    if (st == MIXCUT_OK) {
      check(count == n * per, "cutout_plan count", count, n * per);
      return holes;
    }
    check(count == -5 && same_bytes(holes.data(), before.data(),
                                           holes.size() * sizeof(mixcut_cutout_hole)),
          "a failed cutout_plan wrote out", st);
  }
  std::vector<mixcut_cutout_hole> holes(p.ConsumeIntegralInRange<size_t>(0, 12));
  int64_t sample = 0;
  const int32_t h = int32_t(std::clamp<int64_t>(s.h, 1, 64)), w = int32_t(std::clamp<int64_t>(s.w, 1, 64));
  for (mixcut_cutout_hole& hole : holes) {
    std::memset(&hole, 0, sizeof hole);
    sample += rare(p, 2);
    hole.sample = rare(p, 15) ? p.ConsumeIntegralInRange<int64_t>(-1, n)
                                                       : std::min<int64_t>(sample, std::max<int64_t>(n - 1, 0));
    hole.y0 = p.ConsumeIntegralInRange<int32_t>(0, h);
    hole.y1 = p.ConsumeIntegralInRange<int32_t>(hole.y0, h + (rare(p, 15)));
    hole.x0 = p.ConsumeIntegralInRange<int32_t>(-(rare(p, 15)), w);
    hole.x1 = p.ConsumeIntegralInRange<int32_t>(std::max(hole.x0, 0), w);
    hole.noise_key = p.ConsumeIntegral<uint64_t>();
  }
  return holes;
}

// ---- Fills and normalisations.

// A fill for src's channels: values mostly in uint8 range, sometimes any
// float; CHANNEL fills now and then without their values.
inline void some_fill(FuzzedDataProvider& p, const Shape& src, mixcut_fill& fill,
                      std::vector<float>& channel_values) {
  std::memset(&fill, 0, sizeof fill);
  fill.kind = some_enum(p, MIXCUT_FILL_CONSTANT, MIXCUT_FILL_CHANNEL_NOISE);
  fill.value = !rare(p, 7) ? float(p.ConsumeIntegralInRange(0, 255)) : some_float(p, -2, 300);
  channel_values.clear();
  for (int64_t ch = 0; src.sane && ch < src.c; ++ch)
    channel_values.push_back(!rare(p, 15) ? float(p.ConsumeIntegralInRange(0, 255))
                                          : some_float(p, -1, 256));
  if (fill.kind == MIXCUT_FILL_CHANNEL && !channel_values.empty() && !rare(p, 15))
    fill.channel_values = channel_values.data();
}

// Whether the call gets a norm (mostly where uint8 -> float32 converts;
// rarely elsewhere, which is refused), and its fuzzed means and stds.
inline bool some_norm(FuzzedDataProvider& p, const Shape& src, const Shape& dst,
                      std::vector<float>& mean, std::vector<float>& stdev,
                      mixcut_normalize& norm) {
  const bool converts = src.dtype == MIXCUT_UINT8 && dst.dtype == MIXCUT_FLOAT32;
  const bool use_norm = converts ? p.ConsumeBool() : rare(p, 15);
  if (use_norm && src.sane) {
    for (int64_t ch = 0; ch < src.c; ++ch) {
      mean.push_back(rare(p, 15) ? some_float(p, -1, 1) : p.ConsumeFloatingPointInRange(-1.0f, 1.0f));
      stdev.push_back(rare(p, 15) ? some_float(p, 0, 2) : p.ConsumeFloatingPointInRange(0.05f, 2.0f));
    }
    if (!rare(p, 3)) norm.mean = mean.data();
    if (!rare(p, 3)) norm.std = stdev.data();
  }
  return use_norm;
}

// src and dst in one arena, so that a run can be replayed on a copy.
struct Placement {
  size_t src_at = 0, dst_at = 0, bytes = 0;
};

// dst separate (maybe misaligned), exactly in place, or overlapping src.
inline Placement place(FuzzedDataProvider& p, const Shape& src, const Shape& dst,
                       bool& in_place) {
  Placement pl;
  const size_t se = src.extent(), de = dst.extent();
  in_place = false;
  switch (p.ConsumeIntegralInRange(0, 7)) {
    case 6:
      in_place = true;
      pl.dst_at = 0;
      break;
    case 7:  // partial overlap
      pl.dst_at = se > 1 ? p.ConsumeIntegralInRange<size_t>(1, se - 1) : 0;
      break;
    default:  // separate; 1 in 8 misaligned for float32
      pl.dst_at = (se + 63) / 64 * 64 + (rare(p, 7) ? 2 : 0);
  }
  pl.bytes = std::max(se, pl.dst_at + de) + 64;
  return pl;
}

// Fills bytes from the fuzz input, or with a fixed pattern once it runs out.
inline void fill_bytes(FuzzedDataProvider& p, unsigned char* data, size_t n) {
  std::vector<uint8_t> got = p.ConsumeBytes<uint8_t>(n);
  for (size_t i = 0; i < n; ++i) data[i] = i < got.size() ? got[i] : uint8_t(i * 37 + 11);
}

// Runs call(ctx, arena) on two copies of the arena (and of `extra`, the
// call's other outputs): with the fuzzed ctx and with the scalar ctx. Checks
// that both give the same status, that a failure left every byte as it was,
// and that both successes wrote the same bytes.
// With MIXCUT_FUZZ_STATS set, how many differential calls ended in each
// status is printed at exit (to see that successes are reached).
inline void count_status(mixcut_status s) {
  static long long counts[17] = {};
  static const bool enabled = [] {
    if (std::getenv("MIXCUT_FUZZ_STATS") == nullptr) return false;
    std::atexit([] {
      for (int i = 0; i < 17; ++i)
        if (counts[i] > 0) std::fprintf(stderr, "status %2d: %lld\n", i, counts[i]);
    });
    return true;
  }();
  if (enabled) ++counts[int(s) >= 0 && int(s) < 16 ? int(s) : 16];
  if (enabled && s != MIXCUT_OK && std::getenv("MIXCUT_FUZZ_STATS")[0] == '2')
    std::fprintf(stderr, "msg %.60s\n", mixcut_last_error());
}

// Where a call's float32 results lie in the arena (byte offsets, words from
// begin): there any NaN equals any NaN. Which NaN an arithmetic result
// carries is not specified (IEEE 754 leaves it open, compilers swap the
// operands of + and *, GPUs return one canonical NaN), so the library
// promises NaN for NaN, not its payload.
struct FloatWords {
  size_t begin = 0, end = 0;
  bool holds(size_t i) const { return i >= begin && i + 4 <= end && (i - begin) % 4 == 0; }
};

inline FloatWords float_words(const Shape& dst, size_t dst_at) {
  if (dst.dtype != MIXCUT_FLOAT32) return {};
  return {dst_at, dst_at + dst.extent()};
}

inline bool is_nan_word(const unsigned char* w) {
  uint32_t u;
  std::memcpy(&u, w, 4);
  return (u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu) != 0;
}

template <class Call>
void differential(mixcut_ctx* fuzzed, const std::vector<unsigned char>& arena, Call call,
                  FloatWords f32 = {}) {
  std::vector<unsigned char> a = arena, b = arena;
  const mixcut_status sa = call(fuzzed, a.data());
  const mixcut_status sb = call(scalar_ctx(), b.data());
  // Only the ctx may differ: a fuzzed ctx that is fine for the scalar run
  // yields the same status (the ctx itself is never invalid here).
  check(sa == sb, "status differs from the scalar ctx", sa, sb);
  count_status(sa);
  if (sa != MIXCUT_OK) {
    check(a == arena, "a failed call wrote memory", sa);
    check(std::strlen(mixcut_last_error()) > 0, "a failed call left no message", sa);
  } else {
    for (size_t i = 0; i < a.size(); ++i) {
      if (f32.holds(i) && is_nan_word(&a[i]) && is_nan_word(&b[i])) {
        i += 3;
        continue;
      }
      if (a[i] != b[i]) fail("result differs from the scalar ISA at byte", (long long)i, sa);
    }
  }
}

}  // namespace fuzz
