// The CUDA backend beside the GPU's own bandwidth, in one binary: rooflines
// (cudaMemcpyAsync device to device, an in-place float4 scale kernel) over the
// batch, then Mixup / CutMix / Cutout / uint8 NHWC -> normalised float32 NCHW
// on a 256x3x224x224 batch through the C API. Times are CUDA events around 10
// back-to-back calls on one stream; `GB/s` counts the fewest bytes an op must
// move; the label names the roofline row of this run that bench/cuda_report.py
// divides it by. Rows ending in /baseline run on a ctx with
// MIXCUT_CUDA_BASELINE=1: the region launches and gathers of the first H200
// run instead of the rows launches and pixel-run loads, so one run compares both.
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>
#include <mixcut/mixcut.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

constexpr int64_t kN = 256, kC = 3, kH = 224, kW = 224;
constexpr int64_t kElems = kN * kC * kH * kW;
constexpr int kCalls = 10;  // per timed iteration

void ok(cudaError_t e) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "CUDA: %s\n", cudaGetErrorString(e));
    std::exit(1);
  }
}
void ok(mixcut_status s) {
  if (s != MIXCUT_OK) {
    std::fprintf(stderr, "mixcut: %s\n", mixcut_last_error());
    std::exit(1);
  }
}

struct Gpu {
  cudaStream_t stream;
  cudaEvent_t start, stop;
  float* f32a;  // the batch, float32
  float* f32b;  // a second float32 batch
  uint8_t* u8;  // the batch, uint8 NHWC
  mixcut_ctx* ctx;
  mixcut_ctx* baseline;  // a ctx with MIXCUT_CUDA_BASELINE=1, to compare
  Gpu() {
    ok(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    ok(cudaEventCreate(&start));
    ok(cudaEventCreate(&stop));
    ok(cudaMalloc(&f32a, kElems * 4));
    ok(cudaMalloc(&f32b, kElems * 4));
    ok(cudaMalloc(&u8, kElems));
    ok(cudaMemset(f32a, 0x3F, kElems * 4));
    ok(cudaMemset(f32b, 0x3F, kElems * 4));
    ok(cudaMemset(u8, 0x7F, kElems));
    ok(mixcut_ctx_create(&ctx));
    ok(mixcut_ctx_set(ctx, MIXCUT_OPT_BACKEND, MIXCUT_BACKEND_CUDA));
    ok(mixcut_ctx_set(ctx, MIXCUT_OPT_CUDA_STREAM, int64_t(intptr_t(stream))));
    ok(mixcut_ctx_create(&baseline));
    ok(mixcut_ctx_set(baseline, MIXCUT_OPT_BACKEND, MIXCUT_BACKEND_CUDA));
    ok(mixcut_ctx_set(baseline, MIXCUT_OPT_CUDA_STREAM, int64_t(intptr_t(stream))));
    // Each ctx reads MIXCUT_CUDA_BASELINE at its first CUDA call: one call each.
    const mixcut_mix_sample keep{0, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0};
    const mixcut_tensor one{f32a, MIXCUT_FLOAT32, MIXCUT_NCHW, 1, kC, kH, kW, 0};
    ok(mixcut_mix_apply(ctx, &keep, &one, &one, nullptr));
    setenv("MIXCUT_CUDA_BASELINE", "1", 1);
    ok(mixcut_mix_apply(baseline, &keep, &one, &one, nullptr));
    unsetenv("MIXCUT_CUDA_BASELINE");
  }
};

Gpu& gpu() {
  static Gpu g;
  return g;
}

__global__ void scale_kernel(float4* x, int64_t n4, float s) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n4) {
    float4 v = x[i];
    v.x *= s, v.y *= s, v.z *= s, v.w *= s;
    x[i] = v;
  }
}

// Times kCalls calls of fn (after one warm-up) per iteration; bytes per call.
// The label names the roofline row a report divides by (bench/cuda_report.py).
void run(benchmark::State& state, double bytes, const char* roofline,
         const std::function<void()>& fn) {
  Gpu& g = gpu();
  fn();
  ok(cudaStreamSynchronize(g.stream));
  double host_seconds = 0;
  for (auto _ : state) {
    ok(cudaEventRecord(g.start, g.stream));
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < kCalls; ++k) fn();
    host_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ok(cudaEventRecord(g.stop, g.stream));
    ok(cudaEventSynchronize(g.stop));
    float ms = 0;
    ok(cudaEventElapsedTime(&ms, g.start, g.stop));
    state.SetIterationTime(double(ms) / 1e3 / kCalls);
  }
  state.counters["GB/s"] =
      benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = bytes;
  // Host time to queue one call (planning, staging, launch): the GPU idles
  // between calls when this exceeds the kernel's time.
  state.counters["host_us"] = host_seconds * 1e6 / double(state.iterations() * kCalls);
  if (roofline != nullptr) state.SetLabel(std::string("roofline=") + roofline);
}

// As run(), for one call captured in a CUDA graph and replayed: the GPU's
// time for the staging copy and the kernel, without the host's.
void run_graph(benchmark::State& state, double bytes, const char* roofline,
               const std::function<void()>& fn) {
  Gpu& g = gpu();
  fn();  // warm-up outside the capture: staging slots exist
  ok(cudaStreamSynchronize(g.stream));
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  ok(cudaStreamBeginCapture(g.stream, cudaStreamCaptureModeGlobal));
  fn();
  ok(cudaStreamEndCapture(g.stream, &graph));
  ok(cudaGraphInstantiate(&exec, graph, 0));
  run(state, bytes, roofline, [&] { ok(cudaGraphLaunch(exec, g.stream)); });
  ok(cudaGraphExecDestroy(exec));
  ok(cudaGraphDestroy(graph));
}

mixcut_tensor tensor(void* data, int32_t dtype, int32_t layout) {
  return mixcut_tensor{data, dtype, layout, kN, kC, kH, kW, 0};
}

std::vector<mixcut_mix_sample> mix_plan(int32_t mode, int32_t partner, bool cutmix) {
  mixcut_mix_policy p;
  ok(mixcut_mix_policy_init(&p));
  p.mixup_alpha = cutmix ? 0.0f : 1.0f;
  p.cutmix_alpha = cutmix ? 1.0f : 0.0f;
  p.mode = mode;
  p.partner = partner;
  std::vector<mixcut_mix_sample> plan(kN);
  ok(mixcut_mix_plan(&p, 42, 7, kN, kH, kW, plan.data()));
  return plan;
}

double box_bytes(const std::vector<mixcut_mix_sample>& plan, int64_t elem) {
  double total = 0;
  for (const mixcut_mix_sample& r : plan) {
    if (r.kind == MIXCUT_KIND_CUTMIX && r.partner != &r - plan.data()) {
      total += double(r.y1 - r.y0) * double(r.x1 - r.x0) * kC * elem * 2;  // read x_j, write
    }
  }
  return total;
}

const char* mode_name(int32_t mode) {
  return mode == MIXCUT_MODE_BATCH ? "batch" : mode == MIXCUT_MODE_PAIR ? "pair" : "elem";
}

void register_all() {
  const double f32_bytes = double(kElems) * 4;
  // Rooflines: the achieved rate is kept for the ratio of later rows.
  benchmark::RegisterBenchmark("roofline/memcpy_d2d_f32",
                               [=](benchmark::State& s) {
                                 Gpu& g = gpu();
                                 run(s, 2 * f32_bytes, nullptr, [&] {
                                   ok(cudaMemcpyAsync(g.f32b, g.f32a, size_t(f32_bytes),
                                                      cudaMemcpyDeviceToDevice, g.stream));
                                 });
                               })
      ->UseManualTime()
      ->Iterations(20);
  benchmark::RegisterBenchmark("roofline/scale_inplace_f32",
                               [=](benchmark::State& s) {
                                 Gpu& g = gpu();
                                 const int64_t n4 = kElems / 4;
                                 run(s, 2 * f32_bytes, nullptr, [&] {
                                   scale_kernel<<<unsigned((n4 + 255) / 256), 256, 0, g.stream>>>(
                                       reinterpret_cast<float4*>(g.f32a), n4, 1.0f);
                                 });
                               })
      ->UseManualTime()
      ->Iterations(20);

  for (int32_t partner : {MIXCUT_PARTNER_FLIP, MIXCUT_PARTNER_ROLL}) {
    for (int32_t mode : {MIXCUT_MODE_BATCH, MIXCUT_MODE_PAIR, MIXCUT_MODE_ELEM}) {
      if (partner == MIXCUT_PARTNER_ROLL && mode == MIXCUT_MODE_PAIR) continue;
      const std::string p = partner == MIXCUT_PARTNER_FLIP ? "flip" : "roll";
      benchmark::RegisterBenchmark(
          ("mixup/f32_nchw_inplace/" + p + "/" + mode_name(mode)).c_str(),
          [=](benchmark::State& s) {
            Gpu& g = gpu();
            const auto plan = mix_plan(mode, partner, false);
            const mixcut_tensor t = tensor(g.f32a, MIXCUT_FLOAT32, MIXCUT_NCHW);
            run(s, 2 * f32_bytes, "roofline/scale_inplace_f32",
                [&] { ok(mixcut_mix_apply(g.ctx, plan.data(), &t, &t, nullptr)); });
          })
          ->UseManualTime()
          ->Iterations(20);
    }
  }
  for (int32_t mode : {MIXCUT_MODE_BATCH, MIXCUT_MODE_ELEM}) {
    // In-place CutMix: the rows launch (default), then the baseline.
    for (const bool baseline : {false, true}) {
      benchmark::RegisterBenchmark(
          (std::string("cutmix/f32_nchw_inplace/flip/") + mode_name(mode) +
           (baseline ? "/baseline" : ""))
              .c_str(),
          [=](benchmark::State& s) {
            Gpu& g = gpu();
            const auto plan = mix_plan(mode, MIXCUT_PARTNER_FLIP, true);
            const mixcut_tensor t = tensor(g.f32a, MIXCUT_FLOAT32, MIXCUT_NCHW);
            mixcut_ctx* ctx = baseline ? g.baseline : g.ctx;
            run(s, box_bytes(plan, 4), "roofline/memcpy_d2d_f32",
                [&] { ok(mixcut_mix_apply(ctx, plan.data(), &t, &t, nullptr)); });
          })
          ->UseManualTime()
          ->Iterations(20);
    }
    // uint8 NHWC -> float32 NCHW: pixel-run loads (default), then the baseline's gathers.
    for (const bool baseline : {false, true}) {
      benchmark::RegisterBenchmark(
          (std::string("mixup/u8_nhwc_to_f32_nchw_norm/flip/") + mode_name(mode) +
           (baseline ? "/baseline" : ""))
              .c_str(),
          [=](benchmark::State& s) {
            Gpu& g = gpu();
            const auto plan = mix_plan(mode, MIXCUT_PARTNER_FLIP, false);
            const mixcut_tensor src = tensor(g.u8, MIXCUT_UINT8, MIXCUT_NHWC);
            const mixcut_tensor dst = tensor(g.f32b, MIXCUT_FLOAT32, MIXCUT_NCHW);
            const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
            const mixcut_normalize norm{mean, sd};
            mixcut_ctx* ctx = baseline ? g.baseline : g.ctx;
            run(s, double(kElems) * 5, "roofline/memcpy_d2d_f32",
                [&] { ok(mixcut_mix_apply(ctx, plan.data(), &src, &dst, &norm)); });
          })
          ->UseManualTime()
          ->Iterations(20);
    }
  }
  // Graph replays of the target rows: GPU time alone.
  benchmark::RegisterBenchmark(
      "graph/mixup/f32_nchw_inplace/flip/elem",
      [=](benchmark::State& s) {
        Gpu& g = gpu();
        const auto plan = mix_plan(MIXCUT_MODE_ELEM, MIXCUT_PARTNER_FLIP, false);
        const mixcut_tensor t = tensor(g.f32a, MIXCUT_FLOAT32, MIXCUT_NCHW);
        run_graph(s, 2 * f32_bytes, "roofline/scale_inplace_f32",
                  [&] { ok(mixcut_mix_apply(g.ctx, plan.data(), &t, &t, nullptr)); });
      })
      ->UseManualTime()
      ->Iterations(20);
  benchmark::RegisterBenchmark(
      "graph/cutmix/f32_nchw_inplace/flip/elem",
      [=](benchmark::State& s) {
        Gpu& g = gpu();
        const auto plan = mix_plan(MIXCUT_MODE_ELEM, MIXCUT_PARTNER_FLIP, true);
        const mixcut_tensor t = tensor(g.f32a, MIXCUT_FLOAT32, MIXCUT_NCHW);
        run_graph(s, box_bytes(plan, 4), "roofline/memcpy_d2d_f32",
                  [&] { ok(mixcut_mix_apply(g.ctx, plan.data(), &t, &t, nullptr)); });
      })
      ->UseManualTime()
      ->Iterations(20);
  benchmark::RegisterBenchmark(
      "graph/mixup/u8_nhwc_to_f32_nchw_norm/flip/elem",
      [=](benchmark::State& s) {
        Gpu& g = gpu();
        const auto plan = mix_plan(MIXCUT_MODE_ELEM, MIXCUT_PARTNER_FLIP, false);
        const mixcut_tensor src = tensor(g.u8, MIXCUT_UINT8, MIXCUT_NHWC);
        const mixcut_tensor dst = tensor(g.f32b, MIXCUT_FLOAT32, MIXCUT_NCHW);
        const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
        const mixcut_normalize norm{mean, sd};
        run_graph(s, double(kElems) * 5, "roofline/memcpy_d2d_f32",
                  [&] { ok(mixcut_mix_apply(g.ctx, plan.data(), &src, &dst, &norm)); });
      })
      ->UseManualTime()
      ->Iterations(20);

  // In-place Cutout: the rows launch (default), its graph replay, the baseline.
  for (const int variant : {0, 1, 2}) {
    const bool graph = variant == 1, baseline = variant == 2;
    for (int32_t form : {MIXCUT_CUTOUT_HOLES, MIXCUT_CUTOUT_ERASING}) {
      benchmark::RegisterBenchmark(
          (std::string(graph ? "graph/" : "") + "cutout/f32_nchw_inplace/" +
           (form == MIXCUT_CUTOUT_HOLES ? "holes16" : "erasing") + (baseline ? "/baseline" : ""))
              .c_str(),
          [=](benchmark::State& s) {
            Gpu& g = gpu();
            mixcut_cutout_policy p;
            ok(mixcut_cutout_policy_init(&p));
            p.form = form;
            std::vector<mixcut_cutout_hole> holes(kN);
            int64_t count = 0;
            ok(mixcut_cutout_plan(&p, 1, 2, kN, kH, kW, holes.data(), &count));
            double bytes = 0;
            for (const auto& h : holes) bytes += double(h.y1 - h.y0) * (h.x1 - h.x0) * kC * 4;
            const mixcut_fill fill{MIXCUT_FILL_CONSTANT, 0.0f, nullptr};
            const mixcut_tensor t = tensor(g.f32a, MIXCUT_FLOAT32, MIXCUT_NCHW);
            mixcut_ctx* ctx = baseline ? g.baseline : g.ctx;
            (graph ? run_graph : run)(s, bytes, nullptr, [&] {
              ok(mixcut_cutout_apply(ctx, holes.data(), count, &fill, &t, &t, nullptr));
            });
          })
          ->UseManualTime()
          ->Iterations(20);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
