// ThreadSanitizer stress of the C API (scripts/tsan.sh): many std::threads at
// once, each with its own multi-threaded ctx, the NULL ctx, or one ctx shared
// by all (taken in turn under a mutex, as the header allows), sharing one
// read-only source and its samples (the gather calls); results must equal a
// serial run, nothing may be written next to an output, and each thread must
// see its own mixcut_last_error(). Exits nonzero on any difference.
#include <mixcut/mixcut.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

constexpr int kThreads = 8;
constexpr int kRounds = 40;
constexpr int64_t kN = 6, kC = 3, kH = 24, kW = 20;

std::atomic<int> failures{0};

void expect(bool ok, int thread, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "thread %d: %s (last error: %s)\n", thread, what, mixcut_last_error());
    failures.fetch_add(1);
  }
}

mixcut_tensor view(void* data, int32_t dtype, int32_t layout) {
  mixcut_tensor t;
  std::memset(&t, 0, sizeof t);
  t.data = data;
  t.dtype = dtype;
  t.layout = layout;
  t.n = kN;
  t.c = kC;
  t.h = kH;
  t.w = kW;
  return t;
}

// What one round computes: uint8 Mixup/CutMix out of place, in place,
// uint8 -> float32 normalised, cutout with noise, and both gathers (from
// the source's samples, shuffled and one repeated, into float32 NCHW
// normalised and uint8 NCHW). Variant v picks the plan's step, so threads
// differ.
struct Result {
  std::vector<uint8_t> mixed, in_place, cut;
  std::vector<float> converted;
  std::vector<unsigned char> gathered, gather_cut;  // float32 and uint8 bytes
  bool operator==(const Result& o) const {
    return mixed == o.mixed && in_place == o.in_place && cut == o.cut && converted == o.converted &&
           gathered == o.gathered && gather_cut == o.gather_cut;
  }
};

// The gather's samples: sample i of the source, in another order, one twice.
std::vector<const void*> samples_of(const std::vector<uint8_t>& src) {
  std::vector<const void*> samples;
  for (int64_t i = 0; i < kN; ++i) {
    const int64_t from = i == kN - 1 ? 0 : (i * 5 + 1) % kN;
    samples.push_back(src.data() + from * kC * kH * kW);
  }
  return samples;
}

Result run(mixcut_ctx* ctx, const std::vector<uint8_t>& src, uint64_t step, int thread) {
  const size_t elems = size_t(kN * kC * kH * kW);
  Result r{std::vector<uint8_t>(elems), src, std::vector<uint8_t>(elems), std::vector<float>(elems),
           {}, {}};
  mixcut_mix_policy policy;
  mixcut_mix_policy_init(&policy);
  policy.cutmix_alpha = 1.0f;
  policy.mode = MIXCUT_MODE_ELEM;
  policy.partner = MIXCUT_PARTNER_PERMUTATION;
  mixcut_mix_sample plan[kN];
  expect(mixcut_mix_plan(&policy, 7, step, kN, kH, kW, plan) == MIXCUT_OK, thread, "plan");
  const mixcut_tensor s = view(const_cast<uint8_t*>(src.data()), MIXCUT_UINT8, MIXCUT_NHWC);
  const mixcut_tensor d = view(r.mixed.data(), MIXCUT_UINT8, MIXCUT_NCHW);
  expect(mixcut_mix_apply(ctx, plan, &s, &d, nullptr) == MIXCUT_OK, thread, "mix_apply");
  const mixcut_tensor ip = view(r.in_place.data(), MIXCUT_UINT8, MIXCUT_NHWC);
  expect(mixcut_mix_apply(ctx, plan, &ip, &ip, nullptr) == MIXCUT_OK, thread, "in place");
  const float mean[kC] = {0.5f, 0.4f, 0.3f}, stdev[kC] = {0.2f, 0.25f, 0.3f};
  const mixcut_normalize norm{mean, stdev};
  const mixcut_tensor f = view(r.converted.data(), MIXCUT_FLOAT32, MIXCUT_NCHW);
  expect(mixcut_mix_apply(ctx, plan, &s, &f, &norm) == MIXCUT_OK, thread, "u8 -> f32");

  mixcut_cutout_policy cp;
  mixcut_cutout_policy_init(&cp);
  cp.max_count = 3;
  cp.length = 9;
  mixcut_cutout_hole holes[kN * 3];
  int64_t count = 0;
  expect(mixcut_cutout_plan(&cp, 9, step, kN, kH, kW, holes, &count) == MIXCUT_OK, thread,
         "cutout plan");
  mixcut_fill fill;
  std::memset(&fill, 0, sizeof fill);
  fill.kind = MIXCUT_FILL_NOISE;
  const mixcut_tensor c = view(r.cut.data(), MIXCUT_UINT8, MIXCUT_NHWC);
  expect(mixcut_cutout_apply(ctx, holes, count, &fill, &s, &c, nullptr) == MIXCUT_OK, thread,
         "cutout");

  // The gathers write between canary guards.
  const std::vector<const void*> samples = samples_of(src);
  const mixcut_tensor gs = view(nullptr, MIXCUT_UINT8, MIXCUT_NHWC);
  mixcut::test::GuardedBuffer gathered(elems * sizeof(float)), gather_cut(elems);
  const mixcut_tensor gf = view(gathered.data(), MIXCUT_FLOAT32, MIXCUT_NCHW);
  expect(mixcut_mix_apply_gather(ctx, plan, samples.data(), &gs, &gf, &norm) == MIXCUT_OK, thread,
         "mix_apply_gather");
  const mixcut_tensor gc = view(gather_cut.data(), MIXCUT_UINT8, MIXCUT_NCHW);
  expect(mixcut_cutout_apply_gather(ctx, holes, count, &fill, samples.data(), &gs, &gc, nullptr) ==
             MIXCUT_OK,
         thread, "cutout_apply_gather");
  expect(gathered.guards_intact() && gather_cut.guards_intact(), thread,
         "a gather wrote next to its output");
  r.gathered = gathered.payload();
  r.gather_cut = gather_cut.payload();
  return r;
}

}  // namespace

int main() {
  std::vector<uint8_t> src(size_t(kN * kC * kH * kW));
  for (size_t i = 0; i < src.size(); ++i) src[i] = uint8_t(i * 2654435761u >> 13);

  // The serial answers: one thread, scalar kernels.
  mixcut_ctx* serial = nullptr;
  mixcut_ctx_create(&serial);
  mixcut_ctx_set(serial, MIXCUT_OPT_NUM_THREADS, 1);
  mixcut_ctx_set(serial, MIXCUT_OPT_MAX_ISA, MIXCUT_ISA_SCALAR);
  std::vector<Result> want;
  for (int v = 0; v < kThreads; ++v) want.push_back(run(serial, src, uint64_t(v), -1));
  mixcut_ctx_destroy(serial);

  // One ctx for every thread, taken in turn: its scratch and OpenMP teams
  // pass from thread to thread.
  mixcut_ctx* shared = nullptr;
  mixcut_ctx_create(&shared);
  mixcut_ctx_set(shared, MIXCUT_OPT_NUM_THREADS, 2);
  std::mutex shared_lock;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &src, &want, shared, &shared_lock] {
      mixcut_ctx* own = nullptr;
      expect(mixcut_ctx_create(&own) == MIXCUT_OK, t, "ctx_create");
      expect(mixcut_ctx_set(own, MIXCUT_OPT_NUM_THREADS, 1 + t % 3) == MIXCUT_OK, t, "threads");
      // Half the ctxs stream every store, half never.
      mixcut_ctx_set(own, MIXCUT_OPT_STREAM_THRESHOLD, t % 2 == 0 ? 0 : INT64_MAX);
      for (int round = 0; round < kRounds; ++round) {
        const int v = (t + round) % kThreads;
        Result got;
        if (round % 3 == 2) {
          const std::lock_guard<std::mutex> hold(shared_lock);
          got = run(shared, src, uint64_t(v), t);
        } else {
          got = run(round % 3 == 0 ? own : nullptr, src, uint64_t(v), t);
        }
        expect(got == want[size_t(v)], t, "result differs from the serial run");
        // A failure with this thread's own value: the message is ours alone.
        const int64_t bad = -1 - t;
        expect(mixcut_ctx_set(own, MIXCUT_OPT_NUM_THREADS, bad) == MIXCUT_ERR_BAD_PARAM, t,
               "bad thread count accepted");
        std::this_thread::yield();
        const std::string message = mixcut_last_error();
        expect(message.find("value = " + std::to_string(bad) + " ") != std::string::npos, t,
               "mixcut_last_error is not this thread's");
      }
      mixcut_ctx_destroy(own);
    });
  }
  for (std::thread& th : threads) th.join();
  mixcut_ctx_destroy(shared);
  std::printf("tsan_threads: %d threads x %d rounds, %d failures\n", kThreads, kRounds,
              failures.load());
  return failures.load() == 0 ? 0 : 1;
}
