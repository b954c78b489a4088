// Kernel benchmarks beside the machine's own bandwidth for the same access
// pattern, in one binary: rooflines (memcpy, non-temporal copy, in-place
// scale, memset) over the same byte counts, then every op x dtype x layout x
// mode x {in place, out of place} x threads {1, 2}. Each kernel reports
// bytes/second over the fewest bytes the op must move and `ratio`, its
// bandwidth over the matching roofline's (measured in this process).
//
// Buffers are allocated and page-faulted once. For the large batch every
// iteration starts with the caches flushed (a 64 MiB write, not timed).
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "core/context.hpp"
#include "core/types.hpp"
#include "cpu/apply.hpp"
#include "cpu/kernel_table.hpp"
#include "kernels/noise.hpp"
#include "plan/plan.hpp"

namespace mixcut {
namespace {

struct Shape {
  int64_t n, c, h, w;
  bool flush;  // larger than the caches: flush before each iteration
  std::string name() const {
    return std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) + "x" +
           std::to_string(w);
  }
  int64_t elems() const { return n * c * h * w; }
};

const Shape kShapes[] = {{128, 3, 224, 224, true}, {256, 3, 32, 32, false}};

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<unsigned char, FreeDeleter>;

// Page-faulted once, reused by every benchmark.
unsigned char* buffer(int slot, size_t bytes) {
  static std::map<int, std::pair<size_t, Buffer>> buffers;
  auto& [size, data] = buffers[slot];
  if (size < bytes) {
    const size_t rounded = (bytes + 4095) / 4096 * 4096;
    data.reset(static_cast<unsigned char*>(std::aligned_alloc(4096, rounded)));
    std::memset(data.get(), 1, rounded);
    size = rounded;
  }
  return data.get();
}

constexpr size_t kFlushBytes = size_t(64) << 20;

void flush_caches() {
  static unsigned counter = 0;
  std::memset(buffer(9, kFlushBytes), int(++counter & 0xFF), kFlushBytes);
}

// Splits [0, bytes) between threads in cache-line multiples.
template <class Fn>
void parallel_bytes(int threads, size_t bytes, Fn&& fn) {
#pragma omp parallel num_threads(threads)
  {
    const size_t parts = size_t(omp_get_num_threads()), part = size_t(omp_get_thread_num());
    const size_t chunk = (bytes / parts + 63) / 64 * 64;
    const size_t begin = std::min(bytes, part * chunk), end = std::min(bytes, begin + chunk);
    if (end > begin) fn(begin, end - begin);
  }
}

// ---------------------------------------------------------------------------
// Rooflines.

enum class Roof { Memcpy, NtCopy, Scale, Memset, Widen };
const char* roof_name(Roof r) {
  switch (r) {
    case Roof::Memcpy:
      return "memcpy";
    case Roof::NtCopy:
      return "nt_copy";
    case Roof::Scale:
      return "scale_inplace";
    case Roof::Memset:
      return "memset";
    case Roof::Widen:
      return "widen_u8_f32";
  }
  return "?";
}

// Bytes a roofline moves over a buffer of `bytes` (Widen: `bytes` uint8 in,
// 4 * bytes float32 out).
int64_t roof_traffic(Roof r, int64_t bytes) {
  switch (r) {
    case Roof::Memset:
      return bytes;
    case Roof::Widen:
      return 5 * bytes;
    default:
      return 2 * bytes;
  }
}

// float(s[i]) with streaming stores: the byte pattern of a uint8 -> float32
// conversion (1 byte read, 4 written) with next to no arithmetic, so it
// measures what the machine can move in that pattern. d is 32-byte aligned.
__attribute__((target("avx2"))) void widen_stream_avx2(const uint8_t* s, float* d, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s + i));
    _mm256_stream_ps(d + i, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)));
  }
  for (; i < n; ++i) d[i] = float(s[i]);
}

void widen_stream(const uint8_t* s, float* d, size_t n) {
  if (__builtin_cpu_supports("avx2")) {
    widen_stream_avx2(s, d, n);
    _mm_sfence();
  } else {
    for (size_t i = 0; i < n; ++i) d[i] = float(s[i]);
  }
}

void run_roof(Roof r, int threads, size_t bytes) {
  unsigned char* src = buffer(0, bytes);
  unsigned char* dst = buffer(1, r == Roof::Widen ? 4 * bytes : bytes);
  const cpu::KernelTable& k = cpu::kernels_for(cpu::detected_isa());
  switch (r) {
    case Roof::Memcpy:
      parallel_bytes(threads, bytes,
                     [&](size_t at, size_t len) { std::memcpy(dst + at, src + at, len); });
      break;
    case Roof::NtCopy:
      parallel_bytes(threads, bytes, [&](size_t at, size_t len) {
        k.copy_stream(dst + at, src + at, int64_t(len));
        k.stream_fence();
      });
      break;
    case Roof::Scale:
      // x = x*s (+ x*0, from L1): one read and one write per element, with
      // the same vector width as the kernels.
      parallel_bytes(threads, bytes, [&](size_t at, size_t len) {
        float* p = reinterpret_cast<float*>(src + at);
        k.blend_f32(p, p, p, int64_t(len / sizeof(float)), 0.999f, 0.0f, false);
      });
      break;
    case Roof::Memset:
      parallel_bytes(threads, bytes, [&](size_t at, size_t len) { std::memset(dst + at, 7, len); });
      break;
    case Roof::Widen:
      parallel_bytes(threads, bytes, [&](size_t at, size_t len) {
        widen_stream(src + at, reinterpret_cast<float*>(dst) + at, len);
      });
      break;
  }
  benchmark::ClobberMemory();
}

// Median seconds of each of `fns` over rounds that run them in turn (7;
// 15 for cache-resident sizes, whose runs are short), each after a cache
// flush when `flush`, else after an untimed run of the same fn
// (cache-resident sizes: the one before may have evicted its buffers, as the
// non-temporal copy does). `thread_time`: the calling thread's CPU time,
// for 1-thread rows (the machine is shared: wall time also counts the time
// other processes held the core), else wall time.
double now_seconds(bool thread_time) {
  if (!thread_time) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

std::vector<double> alternating_median_seconds(bool flush, bool thread_time,
                                               const std::vector<std::function<void()>>& fns) {
  std::vector<std::vector<double>> seconds(fns.size());
  const int rounds = flush ? 7 : 15;
  for (int round = 0; round < rounds; ++round) {
    for (size_t f = 0; f < fns.size(); ++f) {
      if (flush) {
        flush_caches();
      } else {
        fns[f]();
      }
      const double t0 = now_seconds(thread_time);
      fns[f]();
      seconds[f].push_back(now_seconds(thread_time) - t0);
    }
  }
  std::vector<double> medians;
  for (std::vector<double>& v : seconds) {
    std::sort(v.begin(), v.end());
    medians.push_back(v[v.size() / 2]);
  }
  return medians;
}

// Calls fn(to, from, bytes) for each box row that item k (a plan record, or
// a hole when there are holes) of an in-place CutMix or Cutout writes; from
// is the partner's row, or nullptr for a Cutout fill.
template <class Fn>
void for_each_box_row(const Tensor& t, const std::vector<MixSample>& plan,
                      const std::vector<CutoutHole>& holes, int64_t k, Fn&& fn) {
  const int64_t es = elem_size(t.dtype);
  const bool nchw = t.layout == Layout::NCHW;
  auto* base = static_cast<unsigned char*>(t.data);
  int64_t to = 0, from = -1;
  Box box;
  if (holes.empty()) {
    const MixSample& m = plan[size_t(k)];
    if (m.kind != MixKind::CutMix) return;
    to = k, from = m.partner, box = m.box;
  } else {
    to = holes[size_t(k)].sample, box = holes[size_t(k)].box;
  }
  if (box.empty()) return;
  const int64_t bytes = (box.x1 - box.x0) * (nchw ? 1 : t.c) * es;
  for (int64_t ch = 0; ch < (nchw ? t.c : 1); ++ch) {
    for (int64_t y = box.y0; y < box.y1; ++y) {
      const int64_t at = t.offset(ch, y, box.x0) * es;
      fn(base + to * t.stride * es + at, from < 0 ? nullptr : base + from * t.stride * es + at,
         bytes);
    }
  }
}

int64_t box_items(const std::vector<MixSample>& plan, const std::vector<CutoutHole>& holes) {
  return int64_t(holes.empty() ? plan.size() : holes.size());
}

// The box rows an in-place CutMix or Cutout must touch, moved by glibc alone
// (memcpy from the partner's box, memset of the holes): the machine's
// bandwidth for that scattered pattern of short rows, so the kernel's own
// overhead can be told apart from the cost of the access pattern.
void run_box_pattern(int threads, const Tensor& t, const std::vector<MixSample>& plan,
                     const std::vector<CutoutHole>& holes) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t k = 0; k < box_items(plan, holes); ++k) {
    for_each_box_row(t, plan, holes, k,
                     [](unsigned char* to, const unsigned char* from, int64_t bytes) {
                       if (from == nullptr) {
                         std::memset(to, 7, size_t(bytes));
                       } else {
                         std::memcpy(to, from, size_t(bytes));
                       }
                     });
  }
  benchmark::ClobberMemory();
}

// The least DRAM traffic for those rows at cache-line granularity: every
// line a source row touches is read (64 bytes); a line a destination row
// covers wholly is written (64, streamed), one it covers in part is read and
// written back (128). must_move over this is the best ratio to the
// contiguous roofline that any kernel can reach on these rows.
int64_t least_line_traffic(const Tensor& t, const std::vector<MixSample>& plan,
                           const std::vector<CutoutHole>& holes) {
  constexpr uintptr_t kLine = 64;
  int64_t traffic = 0;
  for (int64_t k = 0; k < box_items(plan, holes); ++k) {
    for_each_box_row(
        t, plan, holes, k, [&](unsigned char* to, const unsigned char* from, int64_t bytes) {
          const auto lines = [&](uintptr_t a) {
            return int64_t((a + uintptr_t(bytes) + kLine - 1) / kLine - a / kLine);
          };
          const auto d = reinterpret_cast<uintptr_t>(to);
          const int64_t touched = lines(d);
          const int64_t whole = std::max<int64_t>(
              0, int64_t((d + uintptr_t(bytes)) / kLine) - int64_t((d + kLine - 1) / kLine));
          traffic += 64 * whole + 128 * (touched - whole);
          if (from != nullptr) traffic += 64 * lines(reinterpret_cast<uintptr_t>(from));
        });
  }
  return traffic;
}

void BM_Roofline(benchmark::State& state, Roof r, int threads, size_t bytes, bool flush) {
  run_roof(r, threads, bytes);
  for (auto _ : state) {
    if (flush) {
      state.PauseTiming();
      flush_caches();
      state.ResumeTiming();
    }
    run_roof(r, threads, bytes);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * roof_traffic(r, int64_t(bytes)));
}

// ---------------------------------------------------------------------------
// Kernels.

// CutoutNoise: the Cutout plan filled with per-element noise (timm's
// mode='pixel'), beside memset on the same hole rows.
enum class Op { Mixup, CutMix, Cutout, CutoutNoise };
const char* op_name(Op op) {
  switch (op) {
    case Op::Mixup:
      return "mixup";
    case Op::CutMix:
      return "cutmix";
    case Op::Cutout:
      return "cutout";
    case Op::CutoutNoise:
      return "cutout_noise";
  }
  return "?";
}

struct KernelCase {
  Op op;
  DType src_dtype, dst_dtype;
  Layout src_layout, dst_layout;
  Mode mode;
  bool in_place;
  int threads;
  Shape shape;

  std::string name() const {
    auto dt = [](DType d) { return d == DType::U8 ? "u8" : "f32"; };
    auto ly = [](Layout l) { return l == Layout::NCHW ? "NCHW" : "NHWC"; };
    std::string s = std::string(op_name(op)) + "/" + dt(src_dtype);
    if (dst_dtype != src_dtype) s += std::string("->") + dt(dst_dtype);
    s += std::string("/") + ly(src_layout);
    if (dst_layout != src_layout) s += std::string("->") + ly(dst_layout);
    s += std::string("/") + (mode == Mode::Batch ? "batch" : "elem");
    s += in_place ? "/inplace" : "/outofplace";
    return s + "/threads:" + std::to_string(threads) + "/" + shape.name();
  }
};

void BM_Kernel(benchmark::State& state, KernelCase kc) {
  const Shape& s = kc.shape;
  Tensor src;
  src.dtype = kc.src_dtype, src.layout = kc.src_layout;
  src.n = s.n, src.c = s.c, src.h = s.h, src.w = s.w, src.stride = s.c * s.h * s.w;
  Tensor dst = src;
  dst.dtype = kc.dst_dtype, dst.layout = kc.dst_layout;
  const int64_t src_bytes = s.elems() * elem_size(src.dtype);
  const int64_t dst_bytes = s.elems() * elem_size(dst.dtype);
  Context ctx;
  ctx.num_threads = kc.threads;
  ctx.max_isa = cpu::detected_isa();

  std::vector<MixSample> plan;
  // elem_vs_batch compares the elem and batch plans of the same kVsBatchSteps
  // steps: one batch draw is one box, and on a small image its shape (a
  // whole-width box is one contiguous block per plane) would decide the
  // figure alone.
  constexpr uint64_t kVsBatchSteps = 8;
  std::vector<std::vector<MixSample>> elem_plans, batch_plans;
  std::vector<CutoutHole> holes;
  Fill fill;
  int64_t must_move = 0;        // fewest bytes the op must touch
  int64_t elem_must_move = 0;   // the same for elem_plans (elem rows)
  int64_t batch_must_move = 0;  // and for batch_plans
  Roof roof = Roof::Memcpy;
  const bool cutout = kc.op == Op::Cutout || kc.op == Op::CutoutNoise;
  if (kc.op == Op::CutoutNoise) fill.kind = FillKind::Noise;
  if (cutout) {
    CutoutPolicy policy;
    policy.length = int32_t(s.h / 4);
    holes = plan_cutout(policy, 1, 1, s.n, s.h, s.w);
    int64_t hole_pixels = 0;
    for (const CutoutHole& h : holes) hole_pixels += h.box.area();
    must_move = kc.in_place ? hole_pixels * s.c * elem_size(dst.dtype) : src_bytes + dst_bytes;
    roof = kc.in_place ? Roof::Memset : Roof::Memcpy;
  } else {
    MixPolicy policy;
    policy.mixup_alpha = kc.op == Op::Mixup ? 1.0 : 0.0;
    policy.cutmix_alpha = kc.op == Op::CutMix ? 1.0 : 0.0;
    policy.mode = kc.mode;
    plan = plan_mix(policy, 1, 1, s.n, s.h, s.w);
    for (uint64_t step = 1; step <= kVsBatchSteps && kc.mode == Mode::Elem; ++step) {
      elem_plans.push_back(plan_mix(policy, 1, step, s.n, s.h, s.w));
      MixPolicy batch = policy;
      batch.mode = Mode::Batch;
      batch_plans.push_back(plan_mix(batch, 1, step, s.n, s.h, s.w));
    }
    const bool box_bytes_only = kc.op == Op::CutMix && kc.in_place;
    const auto bytes_of = [&](const std::vector<MixSample>& p) {
      if (!box_bytes_only) return src_bytes + dst_bytes;
      int64_t box_pixels = 0;
      for (const MixSample& m : p) box_pixels += m.box.area();
      return 2 * box_pixels * s.c * elem_size(src.dtype);
    };
    must_move = bytes_of(plan);
    for (const auto& p : elem_plans) elem_must_move += bytes_of(p);
    for (const auto& p : batch_plans) batch_must_move += bytes_of(p);
    roof = box_bytes_only ? Roof::Memcpy : kc.in_place ? Roof::Scale : Roof::Memcpy;
  }
  // The rooflines of the same access, each over the same byte count: in
  // place Mixup -> scale, CutMix -> memcpy, Cutout -> memset; out of place the
  // better of memcpy and the non-temporal copy; uint8 -> float32 the widening
  // copy (the same bytes in and out).
  std::vector<std::pair<Roof, size_t>> roofs;
  if (src.dtype != dst.dtype) {
    roofs.push_back({Roof::Widen, size_t(src_bytes)});
  } else {
    const size_t bytes = size_t(std::max(src_bytes, dst_bytes));
    roofs.push_back({roof, bytes});
    if (!kc.in_place) roofs.push_back({Roof::NtCopy, bytes});
  }
  for (const auto& [r, bytes] : roofs) run_roof(r, kc.threads, bytes);  // sizes the buffers

  // Buffers after the rooflines: those may grow (and move) the same slots.
  src.data = buffer(0, size_t(src_bytes));
  dst.data = kc.in_place ? src.data : buffer(1, size_t(dst_bytes));
  if (src.dtype == DType::F32) {  // finite values, so repeated mixing stays cheap
    float* p = static_cast<float*>(src.data);
    for (int64_t e = 0; e < s.elems(); ++e) p[e] = float(e % 251) * 0.01f;
  }

  // uint8 -> float32 rows normalise with ImageNet's mean and std, as loaders do.
  const Normalize imagenet{{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
  const Normalize* norm = src.dtype != dst.dtype && s.c == 3 ? &imagenet : nullptr;
  Context one_thread;
  one_thread.max_isa = ctx.max_isa;
  one_thread.num_threads = 1;
  auto apply = [&](Context& c, const std::vector<MixSample>& p) {
    if (cutout) {
      cpu::cutout_apply(c, holes.data(), int64_t(holes.size()), fill, src, dst, norm);
    } else {
      cpu::mix_apply(c, p.data(), src, dst, norm);
    }
    benchmark::ClobberMemory();
  };
  auto run = [&] { apply(ctx, plan); };
  run();
  for (auto _ : state) {
    if (s.flush) {
      state.PauseTiming();
      flush_caches();
      state.ResumeTiming();
    }
    run();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * must_move);

  // Ratios from runs that alternate the kernel with its rooflines (and, for
  // in-place CutMix and Cutout, glibc on the same rows): this machine is
  // shared, and two figures taken minutes apart drift apart with it. The
  // rooflines run on the same buffers (their values do not matter here).
  const bool box_only = kc.in_place && (cutout || kc.op == Op::CutMix);
  std::vector<std::function<void()>> runs = {run};
  for (const auto& [r, bytes] : roofs) {
    runs.push_back([&, r = r, bytes = bytes] { run_roof(r, kc.threads, bytes); });
  }
  const size_t box_at = runs.size();
  if (box_only) runs.push_back([&] { run_box_pattern(kc.threads, src, plan, holes); });
  // The targets compare elem with batch and 2 threads with 1, so those run in
  // the same rounds too: the batch plan of the same policy, and the kernel at
  // 1 thread.
  const size_t elem_at = runs.size(), batch_at = elem_at + 1;
  const bool vs_batch = !cutout && kc.mode == Mode::Elem;
  if (vs_batch) {
    runs.push_back([&] {
      for (const auto& p : elem_plans) apply(ctx, p);
    });
    runs.push_back([&] {
      for (const auto& p : batch_plans) apply(ctx, p);
    });
  }
  const size_t one_thread_at = runs.size();
  const bool vs_one_thread = kc.threads > 1;
  if (vs_one_thread) runs.push_back([&] { apply(one_thread, plan); });
  const std::vector<double> seconds = alternating_median_seconds(s.flush, kc.threads == 1, runs);
  double roof_bw = 0.0;
  for (size_t r = 0; r < roofs.size(); ++r) {
    roof_bw = std::max(
        roof_bw, double(roof_traffic(roofs[r].first, int64_t(roofs[r].second))) / seconds[r + 1]);
  }
  const double kernel_bw = double(must_move) / seconds[0];
  state.counters["ratio"] = kernel_bw / roof_bw;
  state.counters["roof_GBps"] = roof_bw / 1e9;
  if (box_only) {
    // Kernel bandwidth over glibc's on the same rows (1 = no overhead).
    state.counters["pattern_ratio"] = seconds[box_at] / seconds[0];
    state.counters["line_ceiling"] =
        double(must_move) / double(least_line_traffic(src, plan, holes));
  }
  // Bandwidth of the elem plans over the batch plans' (target: >= 0.95); in
  // place, CutMix moves box bytes only, and the two plans' boxes differ.
  if (vs_batch) {
    state.counters["elem_vs_batch"] =
        double(elem_must_move) / seconds[elem_at] / (double(batch_must_move) / seconds[batch_at]);
  }
  if (vs_one_thread) {
    // Speed-up over 1 thread, and the most the roofline allows: this thread
    // count's roofline over the kernel's 1-thread bandwidth (target: >= 1.5
    // where that is above 1.5).
    state.counters["speedup"] = seconds[one_thread_at] / seconds[0];
    state.counters["speedup_room"] = roof_bw * seconds[one_thread_at] / double(must_move);
  }
}

// ---------------------------------------------------------------------------
// Gather: Mixup from n separate samples (one allocation each, as a loader
// holds them) into the batch, in one pass, beside (in the same alternating
// rounds) the byte bound of the same bytes -- memcpy of each sample to its
// slot, or for uint8 -> float32 the widening copy -- and the 4S path it
// replaces: memcpy the samples into a batch, then mix that batch in place.
// `ratio` = bound time / gather time (target >= 0.85); `vs_stack_then_mix`
// = the 4S path's time / gather time. 1-thread rounds in the thread's CPU
// time, as the kernel rows.

void BM_Gather(benchmark::State& state, DType dst_dtype, Layout src_layout, int threads) {
  const Shape s = kShapes[0];
  const int64_t sample = s.c * s.h * s.w;
  const int64_t dst_bytes = s.elems() * elem_size(dst_dtype);
  std::vector<Buffer> own;
  std::vector<void*> samples;
  for (int64_t i = 0; i < s.n; ++i) {
    own.emplace_back(static_cast<unsigned char*>(std::aligned_alloc(64, size_t(sample))));
    for (int64_t e = 0; e < sample; ++e) own.back().get()[e] = uint8_t(e * 7 + i);
    samples.push_back(own.back().get());
  }
  Tensor src;
  src.dtype = DType::U8, src.layout = src_layout;
  src.n = s.n, src.c = s.c, src.h = s.h, src.w = s.w, src.stride = sample;
  src.samples = samples.data();
  Tensor dst = src;
  dst.samples = nullptr;
  dst.dtype = dst_dtype, dst.layout = Layout::NCHW;
  const bool convert = dst_dtype != DType::U8;
  if (convert) run_roof(Roof::Widen, threads, size_t(s.elems()));  // sizes its buffers
  dst.data = buffer(1, size_t(dst_bytes));
  Tensor stacked = src;  // the 4S path's batch
  stacked.samples = nullptr;
  stacked.data = buffer(2, size_t(s.elems()));
  Tensor stacked_dst = stacked;
  stacked_dst.dtype = dst.dtype, stacked_dst.layout = dst.layout, stacked_dst.data = dst.data;

  MixPolicy policy;
  policy.mode = Mode::Elem;
  const std::vector<MixSample> plan = plan_mix(policy, 1, 1, s.n, s.h, s.w);
  const Normalize imagenet{{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
  const Normalize* norm = convert ? &imagenet : nullptr;
  Context ctx;
  ctx.num_threads = threads;
  ctx.max_isa = cpu::detected_isa();
  auto memcpy_samples = [&](unsigned char* to) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < s.n; ++i)
      std::memcpy(to + i * sample, samples[size_t(i)], size_t(sample));
  };
  auto gather = [&] {
    cpu::mix_apply(ctx, plan.data(), src, dst, norm);
    benchmark::ClobberMemory();
  };
  auto bound = [&] {
    if (convert) {
      run_roof(Roof::Widen, threads, size_t(s.elems()));
    } else {
      memcpy_samples(static_cast<unsigned char*>(dst.data));
    }
    benchmark::ClobberMemory();
  };
  auto stack_then_mix = [&] {
    memcpy_samples(static_cast<unsigned char*>(stacked.data));
    if (convert) {
      cpu::mix_apply(ctx, plan.data(), stacked, stacked_dst, norm);
    } else {
      cpu::mix_apply(ctx, plan.data(), stacked, stacked, nullptr);
    }
    benchmark::ClobberMemory();
  };
  gather();
  for (auto _ : state) {
    state.PauseTiming();
    flush_caches();
    state.ResumeTiming();
    gather();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * (s.elems() + dst_bytes));
  const std::vector<double> seconds =
      alternating_median_seconds(true, threads == 1, {gather, bound, stack_then_mix});
  state.counters["ratio"] = seconds[1] / seconds[0];
  state.counters["vs_stack_then_mix"] = seconds[2] / seconds[0];
}

// ---------------------------------------------------------------------------
// Stages of the fused uint8 -> float32 path on 1344 pixels x 3 channels
// (4 KiB in, 16 KiB out: L1-resident): their arithmetic with no DRAM
// traffic. `batch_ms` scales the time to a 128x3x224x224 batch, to set beside
// the widen_u8_f32 roofline. The normalize stages use the split-reciprocal
// (fma) form, as apply does for ImageNet's mean and std, except `_div`.

enum class Stage { BlendU8, Normalize3, Normalize3Blend, Normalize, NormalizeBlend, NormalizeDiv };

void BM_Stage(benchmark::State& state, Stage stage) {
  const cpu::KernelTable& k = cpu::kernels_for(cpu::detected_isa());
  constexpr int64_t kPixels = 1344, kC = 3;
  std::vector<uint8_t> a(kPixels * kC), b(kPixels * kC), planes(kPixels * kC);
  std::vector<float> out(size_t(kPixels * kC));
  for (size_t e = 0; e < a.size(); ++e) a[e] = uint8_t(e * 7), b[e] = uint8_t(e * 13);
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdev[3] = {0.229f, 0.224f, 0.225f};
  float* const out_planes[3] = {out.data(), out.data() + kPixels, out.data() + 2 * kPixels};
  const bool blend = stage == Stage::Normalize3Blend || stage == Stage::NormalizeBlend;
  cpu::MixSource mix;
  if (blend) mix.kind = cpu::MixSource::Kind::Mixup, mix.b = b.data(), mix.q = 9000;
  for (auto _ : state) {
    switch (stage) {
      case Stage::BlendU8:
        k.blend_u8(a.data(), b.data(), planes.data(), kPixels * kC, 9000, false);
        break;
      case Stage::Normalize3:
      case Stage::Normalize3Blend:
        k.normalize3_u8(a.data(), mix, out_planes, kPixels, mean, stdev, true, false);
        break;
      case Stage::Normalize:
      case Stage::NormalizeBlend:
      case Stage::NormalizeDiv:
        for (int64_t ch = 0; ch < kC; ++ch) {
          cpu::MixSource plane = mix;
          if (blend) plane.b += ch * kPixels;
          k.normalize_u8(a.data() + ch * kPixels, plane, out_planes[ch], kPixels, mean[ch],
                         stdev[ch], stage != Stage::NormalizeDiv, false);
        }
        break;
    }
    benchmark::DoNotOptimize(planes.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  // A kIsRate | kInvert counter of value v reads as (elapsed seconds) / v.
  const double tiles_per_batch = 128.0 * 224 * 224 / double(kPixels);
  state.counters["batch_ms"] =
      benchmark::Counter(double(state.iterations()) / (tiles_per_batch * 1e3),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The noise generator alone (KernelTable::noise_u8 / noise_f32) on the 4096
// values of consecutive blocks into an L1-resident buffer, a new hole key each call:
// what a RandomErasing mode='pixel' value costs before it is written.
// `ns_per_value` is the time per value produced.
template <class T>
void BM_NoiseStage(benchmark::State& state) {
  const cpu::KernelTable& k = cpu::kernels_for(cpu::detected_isa());
  constexpr int64_t kBlock = std::is_same_v<T, float> ? kNoiseBlockF32 : kNoiseBlockU8;
  constexpr int64_t kBlocks = 4096 / kBlock;
  const cpu::NoiseRun run = {1000, kBlocks};
  std::vector<T> out(size_t(kBlocks * kBlock));
  uint64_t key = 0x9E3779B97F4A7C15ull;
  for (auto _ : state) {
    if constexpr (std::is_same_v<T, float>) {
      k.noise_f32(out.data(), key++, &run, 1);
    } else {
      k.noise_u8(out.data(), key++, &run, 1);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["ns_per_value"] =
      benchmark::Counter(double(state.iterations()) * double(kBlocks * kBlock) * 1e-9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void register_all() {
  const std::pair<Stage, const char*> stages[] = {{Stage::BlendU8, "blend_u8"},
                                                  {Stage::Normalize3, "normalize3_u8"},
                                                  {Stage::Normalize3Blend, "normalize3_u8+blend"},
                                                  {Stage::Normalize, "normalize_u8"},
                                                  {Stage::NormalizeBlend, "normalize_u8+blend"},
                                                  {Stage::NormalizeDiv, "normalize_u8_div"}};
  for (const auto& [stage, name] : stages) {
    benchmark::RegisterBenchmark((std::string("stage/") + name + "/tile:1344x3").c_str(), BM_Stage,
                                 stage);
  }
  benchmark::RegisterBenchmark("stage/noise_f32/values:4096", BM_NoiseStage<float>);
  benchmark::RegisterBenchmark("stage/noise_u8/values:4096", BM_NoiseStage<uint8_t>);
  for (const Shape& s : kShapes) {
    for (int threads : {1, 2}) {
      for (size_t bytes : {size_t(s.elems()), size_t(s.elems()) * 4}) {
        for (Roof r : {Roof::Memcpy, Roof::NtCopy, Roof::Scale, Roof::Memset, Roof::Widen}) {
          if (r == Roof::Widen && bytes != size_t(s.elems())) continue;  // uint8 in, float32 out
          const std::string name = std::string("roofline/") + roof_name(r) +
                                   "/bytes:" + std::to_string(bytes) +
                                   "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(), BM_Roofline, r, threads, bytes, s.flush)
              ->UseRealTime()
              ->Unit(benchmark::kMillisecond);
        }
      }
    }
  }
  for (int threads : {1, 2}) {
    const std::string t = "/threads:" + std::to_string(threads) + "/" + kShapes[0].name();
    benchmark::RegisterBenchmark(("gather/mixup/u8/NCHW/elem" + t).c_str(), BM_Gather, DType::U8,
                                 Layout::NCHW, threads)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("gather/mixup/u8->f32/NHWC->NCHW/elem" + t).c_str(), BM_Gather,
                                 DType::F32, Layout::NHWC, threads)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  struct Format {
    DType sd, dd;
    Layout sl, dl;
  };
  const Format formats[] = {{DType::U8, DType::U8, Layout::NCHW, Layout::NCHW},
                            {DType::U8, DType::U8, Layout::NHWC, Layout::NHWC},
                            {DType::F32, DType::F32, Layout::NCHW, Layout::NCHW},
                            {DType::F32, DType::F32, Layout::NHWC, Layout::NHWC},
                            {DType::U8, DType::F32, Layout::NHWC, Layout::NCHW},
                            {DType::U8, DType::F32, Layout::NCHW, Layout::NCHW},
                            {DType::U8, DType::U8, Layout::NHWC, Layout::NCHW},
                            {DType::F32, DType::F32, Layout::NHWC, Layout::NCHW}};
  for (const Shape& s : kShapes) {
    for (Op op : {Op::Mixup, Op::CutMix, Op::Cutout, Op::CutoutNoise}) {
      for (const Format& f : formats) {
        const bool same = f.sd == f.dd && f.sl == f.dl;
        for (Mode mode : {Mode::Batch, Mode::Elem}) {
          const bool cutout = op == Op::Cutout || op == Op::CutoutNoise;
          if (cutout && mode == Mode::Batch) continue;  // holes are per sample
          // Noise fills: the hole rows in place, same dtype and layout.
          if (op == Op::CutoutNoise && !same) continue;
          // A layout change alone: batch Mixup and CutMix (elem mode and
          // Cutout run the same kernels).
          if (f.sd == f.dd && f.sl != f.dl && (cutout || mode != Mode::Batch)) continue;
          for (bool in_place : {true, false}) {
            if (in_place && !same) continue;
            if (op == Op::CutoutNoise && !in_place) continue;
            for (int threads : {1, 2}) {
              const KernelCase kc{op, f.sd, f.dd, f.sl, f.dl, mode, in_place, threads, s};
              benchmark::RegisterBenchmark(kc.name().c_str(), BM_Kernel, kc)
                  ->UseRealTime()
                  ->Unit(benchmark::kMillisecond);
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace mixcut

int main(int argc, char** argv) {
  mixcut::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
