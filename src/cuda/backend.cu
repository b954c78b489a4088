// The CUDA backend: thin launches of the bodies in bodies.hpp on the ctx's
// stream, with each call's launch image staged through ctx-owned pinned
// memory and copied to the device with one cudaMemcpyAsync.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cuda/backend.hpp"
#include "cuda/bodies.hpp"
#include "cuda/launch_plan.hpp"
#include "kernels/labels.hpp"

namespace mixcut::cuda {
namespace {

// Blocks per multiprocessor the mix kernel is compiled for (registers:
// 65536 / (256 * 3) = 85 each); a build option so that the benchmark can compare.
#ifndef MIXCUT_CUDA_MIX_BLOCKS
#define MIXCUT_CUDA_MIX_BLOCKS 3
#endif

// Components beyond the grid's y extent are taken by a loop.
constexpr int64_t kMaxGridY = 65535;

// The plain float32 kernel fits twice the blocks without spilling (40
// registers on sm_90); uint8 would spill there.
template <class S, bool kPlain>
constexpr int kMixBlocks = kPlain && sizeof(S) == 4 ? 2 * MIXCUT_CUDA_MIX_BLOCKS
                                                    : MIXCUT_CUDA_MIX_BLOCKS;

template <class S, class D, bool kPlain>
__global__ void __launch_bounds__(kBlock, (kMixBlocks<S, kPlain>)) mix_kernel(MixArgs a) {
  const int64_t chunk = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t r = blockIdx.y; r < a.num_regions; r += gridDim.y) {
    mix_thread<S, D, kPlain>(a, r, chunk);
  }
}

template <class S, class D>
__global__ void __launch_bounds__(kBlock, 4) cutout_kernel(CutoutArgs a) {
  const int64_t chunk = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t i = blockIdx.y; i < a.num_regions; i += gridDim.y) cutout_thread<S, D>(a, i, chunk);
}

template <class T>
__global__ void __launch_bounds__(kBlock) mix_rows_kernel(RowMixArgs a) {
  const int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t t = blockIdx.y; t < a.num_regions; t += gridDim.y) mix_rows_thread<T>(a, t, e);
}

template <class T>
__global__ void __launch_bounds__(kBlock) cutout_rows_kernel(RowCutoutArgs a) {
  const int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t h = blockIdx.y; h < a.num_regions; h += gridDim.y) cutout_rows_thread<T>(a, h, e);
}

__global__ void labels_kernel(LabelArgs a) {
  labels_thread(a, int64_t(blockIdx.x) * blockDim.x + threadIdx.x);
}

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  const Status status = e == cudaErrorMemoryAllocation ? Status::OutOfMemory : Status::Internal;
  throw Error(status, std::string(what) + ": " + cudaGetErrorString(e));
}

// One staging slot: a pinned host image and its device copy. `done` is
// recorded after the launch that reads the device copy; a slot captured into
// a CUDA graph is read by every replay and never reused.
struct Slot {
  unsigned char* host = nullptr;
  void* device = nullptr;
  size_t capacity = 0;
  cudaEvent_t done = nullptr;
  bool free = true;  // known idle (never used, or `done` was seen complete)
  bool graph = false;
};

// The ctx's scratch while it runs on CUDA (core/context.hpp's BackendScratch).
struct State final : BackendScratch {
  int device = -1;
  // Rows launches for in-place CutMix and Cutout and pixel-run loads
  // (bodies.hpp); MIXCUT_CUDA_BASELINE=1 when the ctx first runs on CUDA keeps
  // the region launches and gathers of the first H200 run, for benchmarking.
  bool lean = true;
  std::vector<Slot> slots;
  MixLaunch mix;
  CutoutLaunch cutout;
  std::vector<unsigned char> label_image;

  ~State() override {
    for (Slot& s : slots) {
      if (s.done) cudaEventDestroy(s.done);
      if (s.host) cudaFreeHost(s.host);
      if (s.device) cudaFree(s.device);
    }
  }

  // Marks slots whose last launch has finished as free (no waiting).
  void poll() {
    for (Slot& s : slots) {
      if (!s.free && !s.graph && cudaEventQuery(s.done) == cudaSuccess) s.free = true;
    }
  }

  static void grow(Slot& s, size_t bytes) {
    const size_t capacity = std::max<size_t>(4096, bytes * 2);
    if (s.host) check(cudaFreeHost(s.host), "cudaFreeHost"), s.host = nullptr;
    if (s.device) check(cudaFree(s.device), "cudaFree"), s.device = nullptr;
    s.capacity = 0;
    check(cudaMallocHost(reinterpret_cast<void**>(&s.host), capacity), "cudaMallocHost");
    check(cudaMalloc(&s.device, capacity), "cudaMalloc");
    if (!s.done)
      check(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming), "cudaEventCreate");
    s.capacity = capacity;
  }

  Slot* find_free(size_t bytes, const Slot* other) {
    for (Slot& s : slots) {
      if (&s != other && s.free && !s.graph && s.capacity >= bytes) return &s;
    }
    return nullptr;
  }

  // A free slot of at least `bytes`. Outside a capture this may allocate, and
  // it keeps one spare free slot so that a capture that follows need not.
  // Inside a capture it never allocates; when no slot is known to be free it
  // polls the events (recorded before the capture) in relaxed capture mode,
  // since global mode forbids the query: several calls in one capture then
  // find the slots their warm-up calls left, once those have finished.
  Slot& acquire(size_t bytes, bool capturing) {
    if (capturing) {
      Slot* s = find_free(bytes, nullptr);
      if (s == nullptr) {
        cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
        check(cudaThreadExchangeStreamCaptureMode(&mode), "cudaThreadExchangeStreamCaptureMode");
        poll();
        check(cudaThreadExchangeStreamCaptureMode(&mode), "cudaThreadExchangeStreamCaptureMode");
        s = find_free(bytes, nullptr);
      }
      if (s == nullptr) {
        throw Error(Status::Unsupported,
                    "no staging slot is free during stream capture: make the same calls once "
                    "before capturing them, and let them finish (synchronize) first");
      }
      return *s;
    }
    poll();
    Slot* s = find_free(bytes, nullptr);
    if (s == nullptr) {
      for (Slot& t : slots) {
        if (t.free && !t.graph) s = &t;  // too small: grow it
      }
      if (s == nullptr) s = &slots.emplace_back();
      grow(*s, bytes);
    }
    const size_t index = size_t(s - slots.data());
    if (find_free(bytes, s) == nullptr) {
      Slot* spare = nullptr;
      for (Slot& t : slots) {
        if (&t != &slots[index] && t.free && !t.graph) spare = &t;
      }
      if (spare == nullptr) spare = &slots.emplace_back();  // may move slots
      grow(*spare, bytes);
    }
    return slots[index];
  }
};

cudaStream_t stream_of(const Context& ctx) {
  return reinterpret_cast<cudaStream_t>(static_cast<intptr_t>(ctx.cuda_stream));
}

// The ctx's state on the current device (created on first use).
State& state_of(Context& ctx) {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  auto* state = dynamic_cast<State*>(ctx.scratch.get());
  if (state == nullptr) {  // first CUDA call of this ctx (or it ran on the CPU before)
    auto fresh = std::make_unique<State>();
    fresh->device = device;
    const char* baseline = std::getenv("MIXCUT_CUDA_BASELINE");
    fresh->lean = baseline == nullptr || std::string(baseline) != "1";
    state = fresh.get();
    ctx.scratch = std::move(fresh);
  }
  State& s = *state;
  if (s.device != device) {
    throw Error(Status::Unsupported, "this ctx was first used on CUDA device " +
                                         std::to_string(s.device) + ", the current device is " +
                                         std::to_string(device) + ": use one ctx per device");
  }
  return s;
}

// Device (or managed) memory of the current device, else BAD_PARAM.
void require_device(const void* p, const char* name, int device) {
  cudaPointerAttributes attr{};
  const cudaError_t e = cudaPointerGetAttributes(&attr, p);
  if (e != cudaSuccess) {
    cudaGetLastError();  // not sticky: clear it
    throw Error(Status::BadParam,
                std::string(name) + " is not CUDA memory (" + cudaGetErrorString(e) + ")");
  }
  const bool on_device = attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged;
  if (!on_device || attr.device != device) {
    throw Error(Status::BadParam, std::string(name) + " is not memory of the current CUDA device " +
                                      std::to_string(device) +
                                      " (a host pointer, or another device)");
  }
}

bool capturing(cudaStream_t stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  check(cudaStreamIsCapturing(stream, &status), "cudaStreamIsCapturing");
  return status == cudaStreamCaptureStatusActive;
}

// Copies `image` into a slot, queues the transfer, then launch(device image).
template <class Launch>
void stage_and_launch(State& s, cudaStream_t stream, const std::vector<unsigned char>& image,
                      Launch launch) {
  const bool capture = capturing(stream);
  Slot& slot = s.acquire(image.size(), capture);
  std::copy(image.begin(), image.end(), slot.host);
  check(cudaMemcpyAsync(slot.device, slot.host, image.size(), cudaMemcpyHostToDevice, stream),
        "cudaMemcpyAsync");
  launch(slot.device);
  check(cudaGetLastError(), "kernel launch");
  slot.free = false;
  if (capture) {
    slot.graph = true;
  } else {
    check(cudaEventRecord(slot.done, stream), "cudaEventRecord");
  }
}

dim3 grid_for(int64_t max_chunks, int64_t regions) {
  const int64_t blocks = std::max<int64_t>(1, (max_chunks + kBlock - 1) / kBlock);
  return dim3(unsigned(blocks), unsigned(std::min(regions, kMaxGridY)));
}

// The entry points of core/backend.hpp on device memory.

bool cuda_available(std::string& why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    why = std::string("no usable CUDA device: ") + cudaGetErrorString(e);
    return false;
  }
  if (count == 0) {
    why = "no CUDA device";
    return false;
  }
  return true;
}

class CudaBackend final : public BackendOps {
 public:
  Backend kind() const override { return Backend::Cuda; }
  const char* name() const override { return "cuda"; }
  // No CPU kernels run: planning and staging are plain host code.
  Isa isa(const Context&) const override { return Isa::Scalar; }
  Isa default_isa_cap() const override { return Isa::Scalar; }
  bool available(std::string& why) const override { return cuda_available(why); }

  void mix_apply(Context& ctx, const MixSample* plan, const Tensor& src, const Tensor& dst,
                 const Normalize* norm) const override {
    State& s = state_of(ctx);
    require_device(src.data, "src.data", s.device);
    require_device(dst.data, "dst.data", s.device);
    s.mix.build(plan, src, dst, norm, s.lean);
    if (s.mix.num_regions() == 0 || s.mix.max_chunks() == 0) return;
    const cudaStream_t stream = stream_of(ctx);
    if (s.mix.rows()) {
      stage_and_launch(s, stream, s.mix.image(), [&](const void* image) {
        const RowMixArgs args = s.mix.bind_rows(image);
        const dim3 grid = grid_for(s.mix.max_chunks(), s.mix.num_regions());
        with_types(src.dtype, dst.dtype, [&](auto a, auto) {
          mix_rows_kernel<decltype(a)><<<grid, kBlock, 0, stream>>>(args);
        });
      });
      return;
    }
    stage_and_launch(s, stream, s.mix.image(), [&](const void* image) {
      const MixArgs args = s.mix.bind(image);
      const dim3 grid = grid_for(s.mix.max_chunks(), s.mix.num_regions());
      with_mix_variant(src.dtype, dst.dtype, args.positions != 0, [&](auto a, auto b, auto plain) {
        mix_kernel<decltype(a), decltype(b), plain()><<<grid, kBlock, 0, stream>>>(args);
      });
    });
  }

  void cutout_apply(Context& ctx, const CutoutHole* holes, int64_t num_holes, const Fill& fill,
                    const Tensor& src, const Tensor& dst, const Normalize* norm) const override {
    State& s = state_of(ctx);
    require_device(src.data, "src.data", s.device);
    require_device(dst.data, "dst.data", s.device);
    s.cutout.build(holes, num_holes, fill, src, dst, norm, s.lean);
    if (s.cutout.max_chunks() == 0) return;
    const cudaStream_t stream = stream_of(ctx);
    if (s.cutout.rows()) {
      stage_and_launch(s, stream, s.cutout.image(), [&](const void* image) {
        const RowCutoutArgs args = s.cutout.bind_rows(image);
        const dim3 grid = grid_for(s.cutout.max_chunks(), s.cutout.num_regions());
        with_types(src.dtype, dst.dtype, [&](auto a, auto) {
          cutout_rows_kernel<decltype(a)><<<grid, kBlock, 0, stream>>>(args);
        });
      });
      return;
    }
    stage_and_launch(s, stream, s.cutout.image(), [&](const void* image) {
      const CutoutArgs args = s.cutout.bind(image);
      const dim3 grid = grid_for(s.cutout.max_chunks(), s.cutout.num_regions());
      with_types(src.dtype, dst.dtype, [&](auto a, auto b) {
        cutout_kernel<decltype(a), decltype(b)><<<grid, kBlock, 0, stream>>>(args);
      });
    });
  }

  void mix_labels(Context& ctx, const MixSample* plan, int64_t n, const int64_t* labels, int64_t k,
                  float eps, float* out) const override {
    State& s = state_of(ctx);
    require_device(labels, "labels", s.device);
    require_device(out, "out", s.device);
    s.label_image.resize(size_t(n) * sizeof(DevLabel));
    auto* rows = reinterpret_cast<DevLabel*>(s.label_image.data());
    for (int64_t i = 0; i < n; ++i) {
      const MixSample& r = plan[i];
      rows[i] = DevLabel{r.mixes(i) ? int32_t(r.partner) : int32_t(i), r.lam, 1.0f - r.lam};
    }
    const Smoothing sm = smoothing(eps, k);
    const int64_t total = n * k;
    const cudaStream_t stream = stream_of(ctx);
    stage_and_launch(s, stream, s.label_image, [&](const void* image) {
      const LabelArgs args{static_cast<const DevLabel*>(image), labels, out, n, k, sm.off, sm.on};
      const int64_t blocks = (total + kBlock - 1) / kBlock;
      labels_kernel<<<unsigned(blocks), kBlock, 0, stream>>>(args);
    });
  }
};

}  // namespace

const BackendOps* backend() {
  static const CudaBackend kBackend;
  return &kBackend;
}

}  // namespace mixcut::cuda
