// The CUDA backend on a GPU, through the C API as a user calls it: results
// equal the CPU backend's byte for byte (every dtype and layout pair, partner
// pattern, in place and out of place, padded strides, every fill), calls
// return before the GPU is done and can be captured in a CUDA graph and
// replayed, bad pointers are refused. Skips where no device is usable.
#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <mixcut/mixcut.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace mixcut {
namespace {

using namespace test;  // NOLINT: the shared helpers

#define CUDA_OK(call) ASSERT_EQ((call), cudaSuccess) << #call

bool have_device() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

struct Ctx {
  mixcut_ctx* p = nullptr;
  explicit Ctx(bool cuda, cudaStream_t stream = nullptr) {
    EXPECT_EQ(mixcut_ctx_create(&p), MIXCUT_OK);
    if (cuda) {
      EXPECT_EQ(mixcut_ctx_set(p, MIXCUT_OPT_BACKEND, MIXCUT_BACKEND_CUDA), MIXCUT_OK)
          << mixcut_last_error();
      EXPECT_EQ(mixcut_ctx_set(p, MIXCUT_OPT_CUDA_STREAM, int64_t(intptr_t(stream))), MIXCUT_OK);
    }
  }
  ~Ctx() { mixcut_ctx_destroy(p); }
};

// A device copy of a host batch (padding included).
struct DeviceBatch {
  void* data = nullptr;
  size_t bytes = 0;
  explicit DeviceBatch(const Batch& b) : bytes(b.bytes.size()) {
    EXPECT_EQ(cudaMalloc(&data, bytes), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(data, b.bytes.data(), bytes, cudaMemcpyHostToDevice), cudaSuccess);
  }
  ~DeviceBatch() { cudaFree(data); }
  std::vector<unsigned char> download() const {
    std::vector<unsigned char> out(bytes);
    EXPECT_EQ(cudaMemcpy(out.data(), data, bytes, cudaMemcpyDeviceToHost), cudaSuccess);
    return out;
  }
};

mixcut_tensor c_tensor(const Tensor& t, void* data) {
  return mixcut_tensor{
      data,    static_cast<int32_t>(t.dtype), static_cast<int32_t>(t.layout), t.n, t.c, t.h, t.w,
      t.stride};
}

std::vector<mixcut_mix_sample> c_plan(const std::vector<MixSample>& plan) {
  std::vector<mixcut_mix_sample> out;
  for (const MixSample& s : plan) {
    out.push_back(
        {s.partner, s.lam, static_cast<int32_t>(s.kind), s.box.y0, s.box.x0, s.box.y1, s.box.x1});
  }
  return out;
}

class CudaDevice : public ::testing::Test {
 protected:
  // Skips without a device, unless MIXCUT_REQUIRE_GPU=1 (scripts/gpu-check.sh)
  // makes that a failure, so that a GPU run cannot pass by skipping.
  void SetUp() override {
    if (have_device()) return;
    const char* require = std::getenv("MIXCUT_REQUIRE_GPU");
    if (require != nullptr && std::string(require) == "1")
      FAIL() << "MIXCUT_REQUIRE_GPU=1: no CUDA device";
    GTEST_SKIP() << "no CUDA device";
  }
};

// One mix case: the CPU ctx on host memory, the CUDA ctx on device memory.
void check_mix(const Format& f, const Shape& s, bool in_place, const std::vector<MixSample>& plan,
               std::mt19937_64& rng) {
  if (in_place && !same_format(f)) return;
  SCOPED_TRACE(describe_case(f, s, in_place));
  Batch src(s, f.src_dtype, f.src_layout, int64_t(rng() % 2) * 5);
  src.randomize(rng);
  Normalize norm = random_norm(s.c, rng);
  const bool use_norm = f.src_dtype != f.dst_dtype && rng() % 2;
  const mixcut_normalize c_norm{norm.mean.data(), norm.std.data()};
  Batch want = in_place ? src : Batch(s, f.dst_dtype, f.dst_layout, int64_t(rng() % 2) * 3);
  DeviceBatch d_src(src), d_dst(want);
  std::vector<mixcut_mix_sample> records = c_plan(plan);
  Ctx cpu(false), gpu(true);
  const mixcut_tensor hs = c_tensor(src.t, in_place ? want.bytes.data() : src.bytes.data());
  const mixcut_tensor hd = c_tensor(want.t, want.bytes.data());
  ASSERT_EQ(mixcut_mix_apply(cpu.p, records.data(), &hs, &hd, use_norm ? &c_norm : nullptr),
            MIXCUT_OK);
  const mixcut_tensor ds = c_tensor(src.t, in_place ? d_dst.data : d_src.data);
  const mixcut_tensor dd = c_tensor(want.t, d_dst.data);
  ASSERT_EQ(mixcut_mix_apply(gpu.p, records.data(), &ds, &dd, use_norm ? &c_norm : nullptr),
            MIXCUT_OK)
      << mixcut_last_error();
  // The plan and the normalisation are staged: the caller may reuse them at once.
  std::memset(records.data(), 0xFF, records.size() * sizeof(records[0]));
  std::fill(norm.mean.begin(), norm.mean.end(), 1e9f);
  const std::vector<unsigned char> got = d_dst.download();
  ASSERT_TRUE(got == want.bytes) << "CUDA differs from the CPU backend";
  if (!in_place) {
    ASSERT_TRUE(d_src.download() == src.bytes) << "source modified";
  }
}

const Shape kShapes[] = {{1, 3, 1, 1},  {3, 3, 17, 17}, {64, 3, 3, 2},
                         {5, 4, 17, 3}, {7, 3, 31, 45}, {6, 3, 224, 224}};

TEST_F(CudaDevice, MixMatchesCpuBackend) {
  std::mt19937_64 rng(21);
  for_each_mix_case(kShapes, kPatterns, rng, [&](const MixCase& c) {
    SCOPED_TRACE(pattern_name(c.pattern));
    check_mix(c.format, c.shape, c.in_place, c.plan, rng);
    return !HasFatalFailure();
  });
}

TEST_F(CudaDevice, MixPlannerPlansMatchCpuBackend) {
  std::mt19937_64 rng(22);
  const Shape s{32, 3, 64, 48};
  for (int32_t mode : {MIXCUT_MODE_BATCH, MIXCUT_MODE_ELEM}) {
    for (int32_t rule : {MIXCUT_PARTNER_FLIP, MIXCUT_PARTNER_ROLL, MIXCUT_PARTNER_PERMUTATION}) {
      mixcut_mix_policy policy;
      mixcut_mix_policy_init(&policy);
      policy.cutmix_alpha = 1.0f;
      policy.mode = mode;
      policy.partner = rule;
      std::vector<mixcut_mix_sample> c(size_t(s.n));
      ASSERT_EQ(mixcut_mix_plan(&policy, 3, 9, s.n, s.h, s.w, c.data()), MIXCUT_OK);
      std::vector<MixSample> plan;
      for (const mixcut_mix_sample& r : c) {
        MixSample m;
        m.partner = r.partner, m.lam = r.lam, m.kind = static_cast<MixKind>(r.kind);
        m.box = Box{r.y0, r.x0, r.y1, r.x1};
        plan.push_back(m);
      }
      for (const Format& f : all_formats()) {
        for (bool in_place : {false, true}) check_mix(f, s, in_place, plan, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
}

void check_cutout(const Format& f, const Shape& s, bool in_place, FillKind kind,
                  std::mt19937_64& rng) {
  if (in_place && !same_format(f)) return;
  SCOPED_TRACE(describe_case(f, s, in_place) + " fill " + std::to_string(int(kind)));
  const std::vector<CutoutHole> holes = random_holes(s, rng);
  std::vector<mixcut_cutout_hole> c_holes;
  for (const CutoutHole& h : holes) {
    c_holes.push_back({h.sample, h.box.y0, h.box.x0, h.box.y1, h.box.x1, h.noise_key});
  }
  const Fill fill = random_fill(kind, f, s.c, rng);
  const mixcut_fill c_fill{static_cast<int32_t>(kind), fill.value, fill.channel_values.data()};
  Batch src(s, f.src_dtype, f.src_layout, int64_t(rng() % 2) * 7);
  src.randomize(rng);
  const Normalize norm = random_norm(s.c, rng);
  const bool use_norm = f.src_dtype != f.dst_dtype && rng() % 2;
  const mixcut_normalize c_norm{norm.mean.data(), norm.std.data()};
  Batch want = in_place ? src : Batch(s, f.dst_dtype, f.dst_layout, int64_t(rng() % 2));
  DeviceBatch d_src(src), d_dst(want);
  Ctx cpu(false), gpu(true);
  const mixcut_tensor hs = c_tensor(src.t, in_place ? want.bytes.data() : src.bytes.data());
  const mixcut_tensor hd = c_tensor(want.t, want.bytes.data());
  ASSERT_EQ(mixcut_cutout_apply(cpu.p, c_holes.data(), int64_t(c_holes.size()), &c_fill, &hs, &hd,
                                use_norm ? &c_norm : nullptr),
            MIXCUT_OK);
  const mixcut_tensor ds = c_tensor(src.t, in_place ? d_dst.data : d_src.data);
  const mixcut_tensor dd = c_tensor(want.t, d_dst.data);
  ASSERT_EQ(mixcut_cutout_apply(gpu.p, c_holes.data(), int64_t(c_holes.size()), &c_fill, &ds, &dd,
                                use_norm ? &c_norm : nullptr),
            MIXCUT_OK)
      << mixcut_last_error();
  ASSERT_TRUE(d_dst.download() == want.bytes) << "CUDA differs from the CPU backend";
}

TEST_F(CudaDevice, CutoutMatchesCpuBackend) {
  std::mt19937_64 rng(23);
  const Shape shapes[] = {{1, 3, 1, 1}, {3, 3, 17, 17}, {64, 1, 3, 17}, {4, 3, 224, 224}};
  for_each_cutout_case(shapes, [&](const Format& f, const Shape& s, FillKind kind, bool in_place) {
    check_cutout(f, s, in_place, kind, rng);
    return !HasFatalFailure();
  });
}

TEST_F(CudaDevice, LabelsMatchHostLabels) {
  std::mt19937_64 rng(24);
  const Shape s{37, 1, 8, 8};
  const int64_t k = 1000;
  const std::vector<mixcut_mix_sample> plan = c_plan(random_plan(s, Pattern::Permutation, rng));
  std::vector<int64_t> labels(size_t(s.n));
  for (int64_t& y : labels) y = int64_t(rng() % uint64_t(k));
  std::vector<float> want(size_t(s.n * k));
  ASSERT_EQ(mixcut_mix_labels(plan.data(), s.n, labels.data(), k, 0.1f, want.data()), MIXCUT_OK);
  int64_t* d_labels = nullptr;
  float* d_out = nullptr;
  CUDA_OK(cudaMalloc(&d_labels, labels.size() * sizeof(int64_t)));
  CUDA_OK(cudaMalloc(&d_out, want.size() * sizeof(float)));
  CUDA_OK(cudaMemcpy(d_labels, labels.data(), labels.size() * 8, cudaMemcpyHostToDevice));
  Ctx gpu(true);
  ASSERT_EQ(mixcut_mix_labels_ctx(gpu.p, plan.data(), s.n, d_labels, k, 0.1f, d_out), MIXCUT_OK)
      << mixcut_last_error();
  std::vector<float> got(want.size());
  CUDA_OK(cudaMemcpy(got.data(), d_out, got.size() * sizeof(float), cudaMemcpyDeviceToHost));
  EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)));
  cudaFree(d_labels);
  cudaFree(d_out);
}

// Warm up once, then capture a mix call on a stream in global mode (where any hidden allocation or
// synchronisation fails the capture), replay the graph on fresh inputs, compare with the CPU.
TEST_F(CudaDevice, CallsCanBeCapturedInAGraphAndReplayed) {
  std::mt19937_64 rng(25);
  const Shape s{16, 3, 40, 56};
  const Format f{DType::F32, DType::F32, Layout::NCHW, Layout::NCHW};
  const std::vector<mixcut_mix_sample> plan = c_plan(random_plan(s, Pattern::Roll, rng));
  Batch host(s, f.src_dtype, f.src_layout, 0);
  DeviceBatch dev(host);
  cudaStream_t stream;
  CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  {
    Ctx gpu(true, stream);
    const mixcut_tensor t = c_tensor(host.t, dev.data);
    ASSERT_EQ(mixcut_mix_apply(gpu.p, plan.data(), &t, &t, nullptr), MIXCUT_OK);  // warm-up
    CUDA_OK(cudaStreamSynchronize(stream));
    cudaGraph_t graph;
    CUDA_OK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
    const mixcut_status captured = mixcut_mix_apply(gpu.p, plan.data(), &t, &t, nullptr);
    CUDA_OK(cudaStreamEndCapture(stream, &graph));
    ASSERT_EQ(captured, MIXCUT_OK) << mixcut_last_error();
    cudaGraphExec_t exec;
    CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
    Ctx cpu(false);
    for (int replay = 0; replay < 3; ++replay) {
      host.randomize(rng);
      Batch want = host;
      const mixcut_tensor h = c_tensor(want.t, want.bytes.data());
      ASSERT_EQ(mixcut_mix_apply(cpu.p, plan.data(), &h, &h, nullptr), MIXCUT_OK);
      CUDA_OK(
          cudaMemcpyAsync(dev.data, host.bytes.data(), dev.bytes, cudaMemcpyHostToDevice, stream));
      // An uncaptured call in between must not disturb the graph's plan.
      std::vector<mixcut_mix_sample> other = c_plan(random_plan(s, Pattern::Flip, rng));
      Batch scratch(s, f.src_dtype, f.src_layout, 0);
      DeviceBatch d_scratch(scratch);
      const mixcut_tensor st = c_tensor(scratch.t, d_scratch.data);
      ASSERT_EQ(mixcut_mix_apply(gpu.p, other.data(), &st, &st, nullptr), MIXCUT_OK);
      CUDA_OK(cudaGraphLaunch(exec, stream));
      CUDA_OK(cudaStreamSynchronize(stream));
      ASSERT_TRUE(dev.download() == want.bytes) << "replay " << replay;
    }
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  }
  cudaStreamDestroy(stream);
}

// Labels, mix and cutout calls in one capture, each made once before (as
// torch.cuda.graph users do: warm up, synchronise, capture): the capture
// finds the staging slots of the warm-up calls free without allocating.
TEST_F(CudaDevice, SeveralCallsCanBeCapturedInOneGraph) {
  std::mt19937_64 rng(26);
  const Shape s{12, 3, 24, 20};
  const int64_t k = 10;
  const std::vector<mixcut_mix_sample> plan = c_plan(random_plan(s, Pattern::Permutation, rng));
  const std::vector<mixcut_cutout_hole> holes = {{1, 2, 3, 9, 11, 77}, {5, 0, 0, 24, 4, 78}};
  const mixcut_fill fill{MIXCUT_FILL_NOISE, 0.0f, nullptr};
  Batch host(s, DType::F32, Layout::NCHW, 0);
  DeviceBatch dev(host);
  int64_t* d_labels = nullptr;
  float* d_targets = nullptr;
  CUDA_OK(cudaMalloc(&d_labels, size_t(s.n) * sizeof(int64_t)));
  CUDA_OK(cudaMalloc(&d_targets, size_t(s.n * k) * sizeof(float)));
  cudaStream_t stream;
  CUDA_OK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  {
    Ctx gpu(true, stream);
    const mixcut_tensor t = c_tensor(host.t, dev.data);
    auto calls = [&] {
      const mixcut_status a =
          mixcut_mix_labels_ctx(gpu.p, plan.data(), s.n, d_labels, k, 0.1f, d_targets);
      const mixcut_status b = mixcut_mix_apply(gpu.p, plan.data(), &t, &t, nullptr);
      const mixcut_status c =
          mixcut_cutout_apply(gpu.p, holes.data(), int64_t(holes.size()), &fill, &t, &t, nullptr);
      return a == MIXCUT_OK && b == MIXCUT_OK && c == MIXCUT_OK;
    };
    ASSERT_TRUE(calls()) << mixcut_last_error();  // warm-up
    CUDA_OK(cudaStreamSynchronize(stream));
    cudaGraph_t graph;
    CUDA_OK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
    const bool captured = calls();
    const std::string why = mixcut_last_error();
    CUDA_OK(cudaStreamEndCapture(stream, &graph));
    ASSERT_TRUE(captured) << why;
    cudaGraphExec_t exec;
    CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
    Ctx cpu(false);
    for (int replay = 0; replay < 2; ++replay) {
      host.randomize(rng);
      std::vector<int64_t> labels(size_t(s.n));
      for (int64_t& y : labels) y = int64_t(rng() % uint64_t(k));
      Batch want = host;
      std::vector<float> want_targets(size_t(s.n * k));
      const mixcut_tensor h = c_tensor(want.t, want.bytes.data());
      ASSERT_EQ(mixcut_mix_labels(plan.data(), s.n, labels.data(), k, 0.1f, want_targets.data()),
                MIXCUT_OK);
      ASSERT_EQ(mixcut_mix_apply(cpu.p, plan.data(), &h, &h, nullptr), MIXCUT_OK);
      ASSERT_EQ(
          mixcut_cutout_apply(cpu.p, holes.data(), int64_t(holes.size()), &fill, &h, &h, nullptr),
          MIXCUT_OK);
      CUDA_OK(
          cudaMemcpyAsync(dev.data, host.bytes.data(), dev.bytes, cudaMemcpyHostToDevice, stream));
      CUDA_OK(cudaMemcpyAsync(d_labels, labels.data(), labels.size() * sizeof(int64_t),
                              cudaMemcpyHostToDevice, stream));
      CUDA_OK(cudaGraphLaunch(exec, stream));
      CUDA_OK(cudaStreamSynchronize(stream));
      ASSERT_TRUE(dev.download() == want.bytes) << "replay " << replay;
      std::vector<float> got(want_targets.size());
      CUDA_OK(
          cudaMemcpy(got.data(), d_targets, got.size() * sizeof(float), cudaMemcpyDeviceToHost));
      EXPECT_EQ(0, std::memcmp(got.data(), want_targets.data(), got.size() * sizeof(float)));
    }
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  }
  cudaStreamDestroy(stream);
  cudaFree(d_labels);
  cudaFree(d_targets);
}

// Host memory given to the CUDA backend is refused; nothing is written.
TEST_F(CudaDevice, HostPointersAreRefused) {
  const Shape s{2, 3, 4, 4};
  Batch host(s, DType::U8, Layout::NCHW, 0);
  const std::vector<unsigned char> before = host.bytes;
  const mixcut_tensor t = c_tensor(host.t, host.bytes.data());
  mixcut_mix_sample plan[2] = {{1, 0.5f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0},
                               {0, 0.5f, MIXCUT_KIND_MIXUP, 0, 0, 0, 0}};
  Ctx gpu(true);
  EXPECT_EQ(mixcut_mix_apply(gpu.p, plan, &t, &t, nullptr), MIXCUT_ERR_BAD_PARAM);
  EXPECT_NE(std::string(mixcut_last_error()).find("src.data"), std::string::npos);
  EXPECT_TRUE(host.bytes == before);
}

}  // namespace
}  // namespace mixcut
