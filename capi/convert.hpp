// C policies, plans, holes and fills -> validated C++ core types, and the
// records back to C. Every function here either returns a value the core may
// trust or throws mixcut::Error with the status and a message naming the
// argument (see status.hpp); none writes to caller memory. The tensor
// arguments and the shared pointer and size checks: tensors.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "core/types.hpp"
#include "mixcut/mixcut.h"
#include "tensors.hpp"

namespace mixcut::capi {

constexpr int32_t kMaxHolesPerSample = 1024;  // cutout max_count

// Policies. n (mix) is needed for explicit partners, h and w (cutout) for
// the hole length.
MixPolicy to_mix_policy(const mixcut_mix_policy* policy, uint64_t step, int64_t n);
CutoutPolicy to_cutout_policy(const mixcut_cutout_policy* policy, uint64_t step, int64_t h,
                              int64_t w);

// A caller's mix plan of n records. Boxes are checked against h x w when
// check_boxes is set (pixels); labels ignore boxes.
std::vector<MixSample> to_mix_plan(const mixcut_mix_sample* plan, int64_t n, bool check_boxes,
                                   int64_t h, int64_t w, const char* name = "plan");

// A caller's holes for a batch of n samples of h x w pixels.
std::vector<CutoutHole> to_holes(const mixcut_cutout_hole* holes, int64_t num_holes, int64_t n,
                                 int64_t h, int64_t w, const char* name = "holes");

// A fill for a destination (units and channel count come from dst).
Fill to_fill(const mixcut_fill* fill, const Tensor& dst);

// Record conversions back to C.
mixcut_mix_sample to_c(const MixSample& sample);
mixcut_cutout_hole to_c(const CutoutHole& hole);

}  // namespace mixcut::capi
