#include "throughput.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "check.hpp"

namespace mixcut_demo {
namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<uint8_t[], FreeDeleter>;

// 64-byte aligned and touched once, so that page faults are not timed.
Buffer AllocateWarm(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  Buffer buffer(static_cast<uint8_t*>(std::aligned_alloc(64, rounded)));
  if (buffer) {
    for (size_t i = 0; i < bytes; ++i) buffer[i] = static_cast<uint8_t>(i * 2654435761u >> 24);
  }
  return buffer;
}

// Writing more than the last-level cache between runs makes every run start
// cold, as a training loop would see its batch.
void EvictCaches(uint8_t* scratch, size_t bytes) {
  static uint8_t value = 0;
  std::memset(scratch, ++value, bytes);
}

// Medians of `runs` timed in alternation, rep by rep, so that a shared
// machine's drift hits each alike.
std::vector<double> MedianSeconds(const std::vector<std::function<bool()>>& runs, int reps,
                                  uint8_t* scratch, size_t scratch_bytes, bool* ok) {
  std::vector<std::vector<double>> seconds(runs.size());
  *ok = true;
  for (const auto& run : runs) *ok = *ok && run();  // warm-up: first touch, thread pools
  for (int r = 0; r < reps && *ok; ++r) {
    for (size_t k = 0; k < runs.size() && *ok; ++k) {
      EvictCaches(scratch, scratch_bytes);
      const auto start = std::chrono::steady_clock::now();
      *ok = runs[k]();
      const auto stop = std::chrono::steady_clock::now();
      seconds[k].push_back(std::chrono::duration<double>(stop - start).count());
    }
  }
  std::vector<double> medians;
  for (std::vector<double>& s : seconds) {
    std::sort(s.begin(), s.end());
    medians.push_back(s.empty() ? 0.0 : s[s.size() / 2]);
  }
  return medians;
}

mixcut_tensor Tensor(void* data, mixcut_dtype dtype, const ThroughputConfig& config) {
  mixcut_tensor t{};
  t.data = data;
  t.dtype = dtype;
  t.layout = MIXCUT_NCHW;
  t.n = config.n;
  t.c = config.c;
  t.h = config.h;
  t.w = config.w;
  t.sample_stride = 0;
  return t;
}

struct Row {
  std::string name;
  double seconds;    // with the ctx's thread setting
  double one;        // with one thread
  double bytes;      // the bytes the operation must move at the least
  double copy_rate;  // memcpy's GB/s on the same buffer, 0 for the memcpy rows
};

void PrintRow(const Row& row) {
  const double rate = row.bytes / row.seconds / 1e9;
  std::printf("  %-26s %9.3f %9.3f %10.1f %8.1f", row.name.c_str(), row.seconds * 1e3,
              row.one * 1e3, row.bytes / 1e6, rate);
  if (row.copy_rate > 0) {
    std::printf(" %7.0f%%\n", 100.0 * rate / row.copy_rate);
  } else {
    std::printf(" %8s\n", "-");
  }
}

}  // namespace

bool PrintThroughputTable(mixcut_ctx* ctx, const ThroughputConfig& config) {
  const int64_t elements = config.n * config.c * config.h * config.w;
  const size_t f32_bytes = static_cast<size_t>(elements) * sizeof(float);
  const size_t u8_bytes = static_cast<size_t>(elements);
  const size_t scratch_bytes = size_t{64} << 20;  // twice this machine's L3

  Buffer f32 = AllocateWarm(f32_bytes), f32_copy = AllocateWarm(f32_bytes);
  Buffer u8 = AllocateWarm(u8_bytes), u8_copy = AllocateWarm(u8_bytes);
  Buffer scratch = AllocateWarm(scratch_bytes);
  if (!f32 || !f32_copy || !u8 || !u8_copy || !scratch) {
    std::fprintf(stderr, "mixcut-demo: out of memory for the throughput batch\n");
    return false;
  }
  // Finite floats in [0, 1): the bytes written by AllocateWarm may be NaN bit patterns.
  float* f32_values = reinterpret_cast<float*>(f32.get());
  for (int64_t i = 0; i < elements; ++i) f32_values[i] = static_cast<float>(i % 251) / 251.0f;

  const mixcut_tensor f32_batch = Tensor(f32.get(), MIXCUT_FLOAT32, config);
  const mixcut_tensor u8_batch = Tensor(u8.get(), MIXCUT_UINT8, config);

  // Plans: one draw per sample (elem mode), the same seed for every row.
  mixcut_mix_policy mixup;
  if (!Check(mixcut_mix_policy_init(&mixup), "mixcut_mix_policy_init")) return false;
  mixup.mode = MIXCUT_MODE_ELEM;
  mixcut_mix_policy cutmix = mixup;
  cutmix.mixup_alpha = 0.0f;
  cutmix.cutmix_alpha = 1.0f;
  std::vector<mixcut_mix_sample> mixup_plan(static_cast<size_t>(config.n));
  std::vector<mixcut_mix_sample> cutmix_plan(static_cast<size_t>(config.n));
  if (!Check(
          mixcut_mix_plan(&mixup, config.seed, 0, config.n, config.h, config.w, mixup_plan.data()),
          "mixcut_mix_plan (mixup)") ||
      !Check(mixcut_mix_plan(&cutmix, config.seed, 0, config.n, config.h, config.w,
                             cutmix_plan.data()),
             "mixcut_mix_plan (cutmix)")) {
    return false;
  }
  double box_pixels = 0;
  for (const mixcut_mix_sample& s : cutmix_plan) {
    if (s.kind == MIXCUT_KIND_CUTMIX) box_pixels += double(s.y1 - s.y0) * double(s.x1 - s.x0);
  }

  // Cutout as in the paper: one square hole of half the image side.
  mixcut_cutout_policy cutout;
  if (!Check(mixcut_cutout_policy_init(&cutout), "mixcut_cutout_policy_init")) return false;
  cutout.length = static_cast<int32_t>(std::min(config.h, config.w) / 2);
  std::vector<mixcut_cutout_hole> holes(static_cast<size_t>(config.n * cutout.max_count));
  int64_t hole_count = 0;
  if (!Check(mixcut_cutout_plan(&cutout, config.seed, 0, config.n, config.h, config.w, holes.data(),
                                &hole_count),
             "mixcut_cutout_plan")) {
    return false;
  }
  double hole_pixels = 0;
  for (int64_t k = 0; k < hole_count; ++k) {
    const mixcut_cutout_hole& hole = holes[static_cast<size_t>(k)];
    hole_pixels += double(hole.y1 - hole.y0) * double(hole.x1 - hole.x0);
  }
  mixcut_fill fill{};
  fill.kind = MIXCUT_FILL_CONSTANT;
  fill.value = 0.0f;

  int64_t threads = 0;
  int32_t effective_isa = 0;
  if (!Check(mixcut_ctx_get(ctx, MIXCUT_OPT_NUM_THREADS, &threads), "mixcut_ctx_get") ||
      !Check(mixcut_ctx_isa(ctx, &effective_isa), "mixcut_ctx_isa")) {
    return false;
  }
  std::printf(
      "\nthroughput: %lldx%lldx%lldx%lld NCHW batch (float32 %.1f MB, uint8 %.1f MB), "
      "ISA %s, threads %s beside 1 thread, medians of %d alternating cold runs\n",
      static_cast<long long>(config.n), static_cast<long long>(config.c),
      static_cast<long long>(config.h), static_cast<long long>(config.w),
      static_cast<double>(f32_bytes) / 1e6, static_cast<double>(u8_bytes) / 1e6,
      mixcut_isa_string(effective_isa),
      threads == 0 ? "default (0)" : std::to_string(threads).c_str(), config.reps);
  std::printf("  %-26s %9s %9s %10s %8s %8s\n", "operation", "ms", "1 thr ms", "MB moved", "GB/s",
              "memcpy");

  // The same ISA cap and streaming threshold with one thread: the column that
  // says what threads buy (under contention the default picks one itself).
  mixcut_ctx* one = nullptr;
  int64_t max_isa = 0, stream_threshold = 0;
  if (!Check(mixcut_ctx_get(ctx, MIXCUT_OPT_MAX_ISA, &max_isa), "mixcut_ctx_get") ||
      !Check(mixcut_ctx_get(ctx, MIXCUT_OPT_STREAM_THRESHOLD, &stream_threshold),
             "mixcut_ctx_get") ||
      !Check(mixcut_ctx_create(&one), "mixcut_ctx_create")) {
    return false;
  }
  const std::unique_ptr<mixcut_ctx, void (*)(mixcut_ctx*)> one_owner(one, mixcut_ctx_destroy);
  if (!Check(mixcut_ctx_set(one, MIXCUT_OPT_NUM_THREADS, 1), "mixcut_ctx_set") ||
      !Check(mixcut_ctx_set(one, MIXCUT_OPT_MAX_ISA, max_isa), "mixcut_ctx_set") ||
      !Check(mixcut_ctx_set(one, MIXCUT_OPT_STREAM_THRESHOLD, stream_threshold),
             "mixcut_ctx_set")) {
    return false;
  }

  bool ok = true;
  const int reps = config.reps;
  uint8_t* cold = scratch.get();
  // (the ctx's setting, one thread) for a run on a given ctx.
  auto time = [&](const std::function<bool(mixcut_ctx*)>& run) {
    bool run_ok = false;
    const std::vector<double> s = MedianSeconds(
        {[&] { return run(ctx); }, [&] { return run(one); }}, reps, cold, scratch_bytes, &run_ok);
    ok = ok && run_ok;
    return std::make_pair(s[0], s[1]);
  };
  auto row = [](const char* name, std::pair<double, double> t, double bytes, double copy_rate) {
    return Row{name, t.first, t.second, bytes, copy_rate};
  };

  const double f32_moved = 2.0 * static_cast<double>(f32_bytes);
  const auto copy_f32 = time([&](mixcut_ctx*) {
    std::memcpy(f32_copy.get(), f32.get(), f32_bytes);
    return true;
  });
  const double copy_f32_rate = f32_moved / copy_f32.first / 1e9;
  PrintRow(row("memcpy float32 (1 thread)", copy_f32, f32_moved, 0));
  PrintRow(row("mixup float32 in place", time([&](mixcut_ctx* c) {
                 return Check(
                     mixcut_mix_apply(c, mixup_plan.data(), &f32_batch, &f32_batch, nullptr),
                     "mixcut_mix_apply");
               }),
               f32_moved, copy_f32_rate));
  const double f32_pixel_bytes = static_cast<double>(config.c) * sizeof(float);
  PrintRow(row("cutmix float32 in place", time([&](mixcut_ctx* c) {
                 return Check(
                     mixcut_mix_apply(c, cutmix_plan.data(), &f32_batch, &f32_batch, nullptr),
                     "mixcut_mix_apply");
               }),
               2.0 * box_pixels * f32_pixel_bytes, copy_f32_rate));
  PrintRow(row("cutout float32 in place", time([&](mixcut_ctx* c) {
                 return Check(mixcut_cutout_apply(c, holes.data(), hole_count, &fill, &f32_batch,
                                                  &f32_batch, nullptr),
                              "mixcut_cutout_apply");
               }),
               hole_pixels * f32_pixel_bytes, copy_f32_rate));

  const double u8_moved = 2.0 * static_cast<double>(u8_bytes);
  const auto copy_u8 = time([&](mixcut_ctx*) {
    std::memcpy(u8_copy.get(), u8.get(), u8_bytes);
    return true;
  });
  PrintRow(row("memcpy uint8 (1 thread)", copy_u8, u8_moved, 0));
  PrintRow(row("mixup uint8 in place", time([&](mixcut_ctx* c) {
                 return Check(mixcut_mix_apply(c, mixup_plan.data(), &u8_batch, &u8_batch, nullptr),
                              "mixcut_mix_apply");
               }),
               u8_moved, u8_moved / copy_u8.first / 1e9));
  std::printf(
      "  MB moved = the least each operation must read + write: mixup 2x the batch,\n"
      "  cutmix 2x its boxes, cutout 1x its holes (in place, nothing else is touched).\n"
      "  memcpy writes a second buffer, whose lines the CPU also reads first, so an\n"
      "  in-place kernel can pass 100%%. GB/s and memcpy %% are of the first ms column.\n");
  return ok;
}

}  // namespace mixcut_demo
