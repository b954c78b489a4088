// Plans: pure functions of (policy, seed, step, n, h, w). Host only; every
// backend applies the same plan. Inputs are validated by the caller (capi).
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.hpp"

namespace mixcut {

// Philox counter purposes: each kind of draw has its own stream so that
// changing one knob (e.g. the box rule) never shifts another draw.
enum class Purpose : uint32_t {
  MixDecision = 1,   // apply? cutmix or mixup?
  MixLam = 2,        // Gamma variates for Beta(a, a)
  MixBox = 3,        // CutMix box size and centre
  Permutation = 4,   // partner permutation
  Cutout = 5,        // hole counts, sizes, positions, noise keys
  Noise = 6,         // per-element noise fills (keyed by a hole's noise_key)
  ChannelNoise = 7,  // per-channel noise fills
};

// Largest step accepted (counters keep 8 bits for the purpose).
constexpr uint64_t kMaxStep = (uint64_t(1) << 56) - 1;

// Partner j of every sample under the policy's rule (permutation drawn from
// (seed, step)). n >= 1.
std::vector<int64_t> plan_partners(const MixPolicy& policy, uint64_t seed, uint64_t step,
                                   int64_t n);

// One record per sample; see mixcut_mix_sample in the public header.
std::vector<MixSample> plan_mix(const MixPolicy& policy, uint64_t seed, uint64_t step, int64_t n,
                                int64_t h, int64_t w);

// n * policy.max_count holes; sample i owns [i*max_count, (i+1)*max_count).
std::vector<CutoutHole> plan_cutout(const CutoutPolicy& policy, uint64_t seed, uint64_t step,
                                    int64_t n, int64_t h, int64_t w);

}  // namespace mixcut
