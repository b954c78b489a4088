// A data-loader-style use of the C API from C++: worker threads collate uint8
// HWC images, each in its own buffer, into normalised float32 NCHW batches
// with Mixup or CutMix in one pass (mixcut_mix_apply_gather: no stacking
// copy), plus soft targets. Keyed randomness makes any batch
// reproducible from (seed, step) alone, in any thread or process.
#include <mixcut/mixcut.h>

#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

constexpr int64_t kImages = 256, kBatch = 32, kSide = 64, kClasses = 10;
constexpr int64_t kBatchesPerEpoch = kImages / kBatch;
constexpr uint64_t kSeed = 2024;
const float kMean[3] = {0.485f, 0.456f, 0.406f};
const float kStd[3] = {0.229f, 0.224f, 0.225f};

// The "decoded dataset": image k is a colour ramp, label k % kClasses.
std::vector<uint8_t> MakeDataset() {
  std::vector<uint8_t> images(static_cast<size_t>(kImages * kSide * kSide * 3));
  for (size_t i = 0; i < images.size(); ++i) {
    images[i] = static_cast<uint8_t>((i * 7 + i / (kSide * kSide * 3) * 31) & 0xFF);
  }
  return images;
}

struct Batch {
  std::vector<float> pixels;   // kBatch x 3 x kSide x kSide, normalised
  std::vector<float> targets;  // kBatch x kClasses
};

bool Check(mixcut_status status, const char* what) {
  if (status == MIXCUT_OK) return true;
  std::fprintf(stderr, "%s: %s (%s)\n", what, mixcut_status_string(status), mixcut_last_error());
  return false;
}

// What a collate function does for batch `index` of `epoch`. ctx belongs to the caller's thread.
bool Collate(mixcut_ctx* ctx, const std::vector<uint8_t>& dataset, int64_t epoch, int64_t index,
             Batch* out) {
  const size_t image_bytes = static_cast<size_t>(kSide * kSide * 3);
  std::vector<const void*> images(kBatch);  // the samples stay where they are
  std::vector<int64_t> labels(kBatch);
  for (int64_t i = 0; i < kBatch; ++i) {
    const int64_t sample = (index * kBatch + i * 5 + epoch * 3) % kImages;  // a "shuffle"
    images[static_cast<size_t>(i)] = &dataset[static_cast<size_t>(sample) * image_bytes];
    labels[static_cast<size_t>(i)] = sample % kClasses;
  }

  mixcut_mix_policy policy;
  mixcut_mix_policy_init(&policy);
  policy.cutmix_alpha = 1.0f;  // Mixup or CutMix, half and half
  policy.mode = MIXCUT_MODE_ELEM;
  const uint64_t step = static_cast<uint64_t>(epoch * kBatchesPerEpoch + index);
  std::vector<mixcut_mix_sample> plan(kBatch);
  // Each sample's format; data is NULL: the samples are images[0..kBatch-1].
  mixcut_tensor src = {nullptr, MIXCUT_UINT8, MIXCUT_NHWC, kBatch, 3, kSide, kSide, 0};
  out->pixels.resize(static_cast<size_t>(kBatch * 3 * kSide * kSide));
  out->targets.resize(static_cast<size_t>(kBatch * kClasses));
  mixcut_tensor dst = {out->pixels.data(), MIXCUT_FLOAT32, MIXCUT_NCHW, kBatch, 3, kSide, kSide, 0};
  const mixcut_normalize norm = {kMean, kStd};
  return Check(mixcut_mix_plan(&policy, kSeed, step, kBatch, kSide, kSide, plan.data()), "plan") &&
         Check(mixcut_mix_apply_gather(ctx, plan.data(), images.data(), &src, &dst, &norm),
               "apply") &&
         Check(mixcut_mix_labels(plan.data(), kBatch, labels.data(), kClasses, 0.1f,
                                 out->targets.data()),
               "labels");
}

}  // namespace

int main() {
  const std::vector<uint8_t> dataset = MakeDataset();
  const int workers = 2;
  const int64_t epoch = 1;
  std::vector<Batch> batches(kBatchesPerEpoch);
  std::vector<int> ok(workers, 1);

  // Worker w takes batches w, w + workers, ...: each with its own single-threaded ctx
  // (the workers keep the cores busy; a ctx left at 0 threads would choose one too).
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      mixcut_ctx* ctx = nullptr;
      if (!Check(mixcut_ctx_create(&ctx), "ctx") ||
          !Check(mixcut_ctx_set(ctx, MIXCUT_OPT_NUM_THREADS, 1), "ctx_set")) {
        ok[static_cast<size_t>(w)] = 0;
        mixcut_ctx_destroy(ctx);
        return;
      }
      for (int64_t b = w; b < kBatchesPerEpoch; b += workers) {
        if (!Collate(ctx, dataset, epoch, b, &batches[static_cast<size_t>(b)])) {
          ok[static_cast<size_t>(w)] = 0;
        }
      }
      mixcut_ctx_destroy(ctx);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int w = 0; w < workers; ++w) {
    if (!ok[static_cast<size_t>(w)]) return 1;
  }

  // Any batch can be recomputed anywhere from (seed, step): no RNG state is shared.
  Batch again;
  if (!Collate(nullptr, dataset, epoch, 3, &again)) return 1;
  const bool same = again.pixels == batches[3].pixels && again.targets == batches[3].targets;
  double checksum = 0.0;
  for (const Batch& b : batches) {
    for (float v : b.pixels) checksum += v;
  }
  std::printf("%lld batches of %lldx3x%lldx%lld float32, checksum %.3f, batch 3 reproduced: %s\n",
              static_cast<long long>(kBatchesPerEpoch), static_cast<long long>(kBatch),
              static_cast<long long>(kSide), static_cast<long long>(kSide), checksum,
              same ? "yes" : "NO");
  return same ? 0 : 2;
}
