// The CUDA kernels' per-thread bodies, run on the host over the whole grid
// each launch would have, against the CPU backend byte for byte: every dtype
// and layout pair, partner pattern, in place and out of place, odd sizes,
// padded strides. Needs no GPU (CI runs it in every build).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "core/context.hpp"
#include "cpu/apply.hpp"
#include "cuda/bodies.hpp"
#include "cuda/launch_plan.hpp"
#include "kernels/labels.hpp"
#include "plan/plan.hpp"

namespace mixcut {
namespace {

using namespace test;  // NOLINT: the shared helpers

// Every block of the grid, threads past a region included; regions and
// chunks in reverse so that no body may rely on a lower block or thread
// having run first (a later hole must win over an earlier one by itself).
template <class Args, class Body>
void run_grid(const Args& args, int64_t max_chunks, Body body) {
  const int64_t threads = (max_chunks + cuda::kBlock - 1) / cuda::kBlock * cuda::kBlock;
  for (int64_t r = args.num_regions - 1; r >= 0; --r) {
    for (int64_t t = threads - 1; t >= 0; --t) body(args, r, t);
  }
}

// lean: the backend's default (rows launches where they apply, pixel-run
// loads); false: the region launches and gathers (MIXCUT_CUDA_BASELINE=1).
void grid_mix(const std::vector<MixSample>& plan, const Tensor& src, const Tensor& dst,
              const Normalize* norm, bool lean) {
  cuda::MixLaunch launch;
  launch.build(plan.data(), src, dst, norm, lean);
  const std::vector<unsigned char> image = launch.image();  // as the device gets it
  if (launch.rows()) {
    const cuda::RowMixArgs args = launch.bind_rows(image.data());
    ASSERT_TRUE(cuda::with_types(src.dtype, dst.dtype, [&](auto s, auto) {
      run_grid(args, launch.max_chunks(), cuda::mix_rows_thread<decltype(s)>);
    }));
    return;
  }
  const cuda::MixArgs args = launch.bind(image.data());
  // The body the backend launches for these arguments (cuda::with_mix_variant).
  ASSERT_TRUE(cuda::with_mix_variant(
      src.dtype, dst.dtype, args.positions != 0, [&](auto s, auto d, auto plain) {
        run_grid(args, launch.max_chunks(), cuda::mix_thread<decltype(s), decltype(d), plain()>);
      }));
}

void grid_cutout(const std::vector<CutoutHole>& holes, const Fill& fill, const Tensor& src,
                 const Tensor& dst, const Normalize* norm, bool lean) {
  cuda::CutoutLaunch launch;
  launch.build(holes.data(), int64_t(holes.size()), fill, src, dst, norm, lean);
  const std::vector<unsigned char> image = launch.image();
  EXPECT_EQ(launch.rows(), lean && src.data == dst.data);
  if (launch.rows()) {
    const cuda::RowCutoutArgs args = launch.bind_rows(image.data());
    ASSERT_TRUE(cuda::with_types(src.dtype, dst.dtype, [&](auto s, auto) {
      run_grid(args, launch.max_chunks(), cuda::cutout_rows_thread<decltype(s)>);
    }));
    return;
  }
  const cuda::CutoutArgs args = launch.bind(image.data());
  ASSERT_TRUE(cuda::with_types(src.dtype, dst.dtype, [&](auto s, auto d) {
    run_grid(args, launch.max_chunks(), cuda::cutout_thread<decltype(s), decltype(d)>);
  }));
}

void check_mix(const Format& f, const Shape& s, bool in_place, const std::vector<MixSample>& plan,
               std::mt19937_64& rng) {
  if (in_place && !same_format(f)) return;
  SCOPED_TRACE(describe_case(f, s, in_place));
  Batch src(s, f.src_dtype, f.src_layout, int64_t(rng() % 2) * 5);
  src.randomize(rng);
  const Normalize norm = random_norm(s.c, rng);
  const Normalize* norm_ptr = f.src_dtype != f.dst_dtype && rng() % 2 ? &norm : nullptr;
  Batch want = in_place ? src : Batch(s, f.dst_dtype, f.dst_layout, int64_t(rng() % 2) * 3);
  const Batch before = want;
  Context ctx;
  cpu::mix_apply(ctx, plan.data(), in_place ? want.t : src.t, want.t, norm_ptr);
  for (bool lean : {true, false}) {
    SCOPED_TRACE(lean ? "lean" : "baseline");
    Batch got = before;
    Batch got_src = src;
    grid_mix(plan, in_place ? got.t : got_src.t, got.t, norm_ptr, lean);
    ASSERT_TRUE(got.bytes == want.bytes) << first_difference(got, want);
    if (!in_place) {
      ASSERT_TRUE(got_src.bytes == src.bytes) << "source modified";
    }
  }
}

const Shape kShapes[] = {{1, 3, 1, 1},  {2, 1, 2, 3},  {3, 3, 17, 17}, {64, 3, 3, 2},
                         {5, 4, 17, 3}, {2, 3, 1, 17}, {7, 3, 31, 45}, {4, 1, 8, 16}};

TEST(CudaGrid, MixMatchesCpuBackend) {
  std::mt19937_64 rng(11);
  for_each_mix_case(kShapes, kPatterns, rng, [&](const MixCase& c) {
    SCOPED_TRACE(pattern_name(c.pattern));
    check_mix(c.format, c.shape, c.in_place, c.plan, rng);
    return !HasFatalFailure();
  });
}

// Batch-mode plans (one kind, one box) exercise whole-chunk vector moves and
// box regions shared by a whole component.
TEST(CudaGrid, MixUniformPlansMatchCpuBackend) {
  std::mt19937_64 rng(12);
  for (const Format& f : all_formats()) {
    for (const Shape& s : {Shape{6, 3, 16, 24}, Shape{5, 3, 12, 13}}) {
      for (Pattern p : kPatterns) {
        for (MixKind kind : {MixKind::Mixup, MixKind::CutMix}) {
          std::vector<MixSample> plan = random_plan(s, p, rng);
          const Box box = random_box(s.h, s.w, rng);
          for (int64_t i = 0; i < s.n; ++i) {
            MixSample& r = plan[size_t(i)];
            r.kind = kind, r.box = kind == MixKind::CutMix ? box : Box{};
            r.lam = kind == MixKind::Mixup ? 0.3125f : 1.0f - float(box.area()) / float(s.h * s.w);
          }
          SCOPED_TRACE(pattern_name(p));
          for (bool in_place : {false, true}) check_mix(f, s, in_place, plan, rng);
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

TEST(CudaGrid, MixWithPlannerPlans) {
  std::mt19937_64 rng(13);
  const Shape s{9, 3, 20, 28};
  for (Mode mode : {Mode::Batch, Mode::Pair, Mode::Elem}) {
    for (PartnerRule rule : {PartnerRule::Flip, PartnerRule::Roll, PartnerRule::Permutation}) {
      MixPolicy policy;
      policy.cutmix_alpha = 1.0;
      policy.mode = mode;
      policy.partner = rule;
      const std::vector<MixSample> plan = plan_mix(policy, 5, uint64_t(rng() % 100), s.n, s.h, s.w);
      for (const Format& f : all_formats()) {
        for (bool in_place : {false, true}) check_mix(f, s, in_place, plan, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
}

// CutMix-only plans in place take the rows launch unless a sample is the
// partner of two; boxes that all hold one pixel make whole-cycle rotations.
TEST(CudaGrid, MixRowsLaunchMatchesCpuBackend) {
  std::mt19937_64 rng(17);
  const Shape shapes[] = {{1, 3, 5, 4}, {2, 1, 2, 3}, {7, 3, 17, 13}, {16, 3, 9, 11}};
  for (const Format& f : all_formats()) {
    if (!same_format(f)) continue;
    for (const Shape& s : shapes) {
      for (Pattern p : kPatterns) {
        for (bool common : {false, true}) {
          std::vector<MixSample> plan = random_plan(s, p, rng);
          std::vector<int> readers(size_t(s.n), 0);
          for (int64_t i = 0; i < s.n; ++i) {
            MixSample& r = plan[size_t(i)];
            if (r.kind == MixKind::None) continue;
            r.kind = MixKind::CutMix;
            r.box = random_box(s.h, s.w, rng);
            if (common) {  // stretch the box over the centre pixel
              r.box.y0 = std::min(r.box.y0, int32_t(s.h / 2)), r.box.y1 = int32_t(s.h);
              r.box.x0 = std::min(r.box.x0, int32_t(s.w / 2)), r.box.x1 = int32_t(s.w);
            }
            r.lam = 1.0f - float(r.box.area()) / float(s.h * s.w);
            if (r.changes_pixels(i)) ++readers[size_t(r.partner)];
          }
          SCOPED_TRACE(std::string(pattern_name(p)) + (common ? " common pixel" : ""));
          Batch x(s, f.src_dtype, f.src_layout, 0);
          cuda::MixLaunch launch;
          launch.build(plan.data(), x.t, x.t, nullptr);
          EXPECT_EQ(launch.rows(), *std::max_element(readers.begin(), readers.end()) <= 1);
          check_mix(f, s, true, plan, rng);
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

void check_cutout(const Format& f, const Shape& s, bool in_place, FillKind kind,
                  std::mt19937_64& rng) {
  if (in_place && !same_format(f)) return;
  SCOPED_TRACE(describe_case(f, s, in_place) + " fill " + std::to_string(int(kind)));
  const std::vector<CutoutHole> holes = random_holes(s, rng);
  const Fill fill = random_fill(kind, f, s.c, rng);
  Batch src(s, f.src_dtype, f.src_layout, int64_t(rng() % 2) * 7);
  src.randomize(rng);
  const Normalize norm = random_norm(s.c, rng);
  const Normalize* norm_ptr = f.src_dtype != f.dst_dtype && rng() % 2 ? &norm : nullptr;
  Batch want = in_place ? src : Batch(s, f.dst_dtype, f.dst_layout, int64_t(rng() % 2));
  const Batch before = want;
  Context ctx;
  cpu::cutout_apply(ctx, holes.data(), int64_t(holes.size()), fill, in_place ? want.t : src.t,
                    want.t, norm_ptr);
  for (bool lean : {true, false}) {
    SCOPED_TRACE(lean ? "lean" : "baseline");
    Batch got = before;
    Batch got_src = src;
    grid_cutout(holes, fill, in_place ? got.t : got_src.t, got.t, norm_ptr, lean);
    ASSERT_TRUE(got.bytes == want.bytes) << first_difference(got, want);
  }
}

TEST(CudaGrid, CutoutMatchesCpuBackend) {
  std::mt19937_64 rng(14);
  const Shape shapes[] = {{1, 3, 1, 1}, {3, 3, 17, 17}, {64, 1, 3, 17}, {2, 3, 40, 36}};
  for_each_cutout_case(shapes, [&](const Format& f, const Shape& s, FillKind kind, bool in_place) {
    check_cutout(f, s, in_place, kind, rng);
    return !HasFatalFailure();
  });
}

// Device labels: every element of out[n][K] by its own thread, against the
// host formula (kernels/labels.cpp), and NaN rows for labels out of range.
TEST(CudaGrid, LabelsMatchHostLabels) {
  std::mt19937_64 rng(16);
  for (const int64_t k : {1, 3, 10, 1000}) {
    const Shape s{9, 1, 5, 7};
    for (Pattern p : kPatterns) {
      const std::vector<MixSample> plan = random_plan(s, p, rng);
      std::vector<int64_t> labels(size_t(s.n));
      for (int64_t& y : labels) y = int64_t(rng() % uint64_t(k));
      const float eps = k == 3 ? 0.0f : 0.1f;
      std::vector<float> want(size_t(s.n * k)), got(size_t(s.n * k), -1.0f);
      mix_labels(plan.data(), s.n, labels.data(), k, eps, want.data());
      std::vector<cuda::DevLabel> rows(size_t(s.n));
      for (int64_t i = 0; i < s.n; ++i) {
        const MixSample& r = plan[size_t(i)];
        const bool mixes = r.kind != MixKind::None && r.partner != i;
        rows[size_t(i)] = {mixes ? int32_t(r.partner) : int32_t(i), r.lam, 1.0f - r.lam};
      }
      const Smoothing sm = smoothing(eps, k);
      const cuda::LabelArgs args{rows.data(), labels.data(), got.data(), s.n, k, sm.off, sm.on};
      for (int64_t t = s.n * k + cuda::kBlock; t >= 0; --t) cuda::labels_thread(args, t);
      ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)))
          << "k=" << k << " " << pattern_name(p);
      labels[0] = k;  // out of range: row 0 becomes NaN, the others do not change
      cuda::labels_thread(args, 0);
      EXPECT_TRUE(std::isnan(got[0]));
    }
  }
}

// The test can fail: a body that skips the last cycle node's write is caught.
TEST(CudaGrid, DetectsABrokenBody) {
  const Shape s{4, 1, 2, 4};
  std::mt19937_64 rng(15);
  std::vector<MixSample> plan = random_plan(s, Pattern::Roll, rng);
  for (int64_t i = 0; i < s.n; ++i) {
    plan[size_t(i)].kind = MixKind::Mixup, plan[size_t(i)].partner = (i + 3) % 4;
    plan[size_t(i)].lam = 0.5f;
  }
  Batch src(s, DType::F32, Layout::NCHW, 0);
  src.randomize(rng);
  Batch want = src, got = src;
  Context ctx;
  cpu::mix_apply(ctx, plan.data(), want.t, want.t, nullptr);
  cuda::MixLaunch launch;
  launch.build(plan.data(), got.t, got.t, nullptr);
  const std::vector<unsigned char> image = launch.image();
  cuda::MixArgs args = launch.bind(image.data());
  std::vector<cuda::DevStep> steps(args.steps, args.steps + 1);
  steps[0].count -= 1;  // drop the cycle's last node
  args.steps = steps.data();
  run_grid(args, launch.max_chunks(), cuda::mix_thread<float, float>);
  EXPECT_FALSE(got.bytes == want.bytes);
}

}  // namespace
}  // namespace mixcut
