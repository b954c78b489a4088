// The fast CPU backend against the scalar reference, byte for byte, on every
// ISA this CPU has, several thread counts, every dtype and layout pair, every
// partner pattern, in place and out of place, with padded sample strides.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/types.hpp"
#include "cpu/apply.hpp"
#include "cpu/kernel_table.hpp"
#include "kernels/formulas.hpp"
#include "kernels/reference.hpp"
#include "plan/plan.hpp"
#include "test_util.hpp"

namespace mixcut {
namespace {

using namespace test;  // NOLINT: the shared helpers

std::vector<Isa> isas_of_this_cpu() {
  std::vector<Isa> isas;
  for (int level = 0; level <= static_cast<int>(cpu::detected_isa()); ++level) {
    isas.push_back(static_cast<Isa>(level));
  }
  return isas;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return "scalar";
    case Isa::Sse2:
      return "sse2";
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
  }
  return "?";
}

std::string describe(const Format& f, const Shape& s, bool in_place, int threads, Isa isa) {
  return describe_case(f, s, in_place) + " threads=" + std::to_string(threads) +
         " isa=" + isa_name(isa);
}

// One mix case against the reference on every ISA and thread count.
// stream_threshold: the ctx's MIXCUT_OPT_STREAM_THRESHOLD (0: every
// out-of-place output is written with non-temporal stores).
void check_mix(const Format& f, const Shape& s, bool in_place, const std::vector<MixSample>& plan,
               std::mt19937_64& rng, int64_t stream_threshold = kDefaultStreamThreshold) {
  if (in_place && !same_format(f)) return;
  const int64_t src_pad = int64_t(rng() % 2) * 5, dst_pad = int64_t(rng() % 2) * 3;
  Batch src(s, f.src_dtype, f.src_layout, src_pad);
  src.randomize(rng);
  const Normalize norm = random_norm(s.c, rng);
  const bool use_norm = f.src_dtype != f.dst_dtype && rng() % 2 == 0;
  const Normalize* norm_ptr = use_norm ? &norm : nullptr;
  Batch want = in_place ? src : Batch(s, f.dst_dtype, f.dst_layout, dst_pad);
  const Batch dst_initial = want;
  reference::mix_apply(plan.data(), src.t, want.t, norm_ptr);
  for (Isa isa : isas_of_this_cpu()) {
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(describe(f, s, in_place, threads, isa));
      Context ctx;
      ctx.max_isa = isa;
      ctx.num_threads = threads;
      ctx.stream_threshold = stream_threshold;
      Batch input = src;
      Batch got = in_place ? input : dst_initial;
      const Tensor& in = in_place ? got.t : input.t;
      cpu::mix_apply(ctx, plan.data(), in, got.t, norm_ptr);
      ASSERT_TRUE(got.bytes == want.bytes) << first_difference(got, want);
      if (!in_place) {
        ASSERT_TRUE(input.bytes == src.bytes) << "source modified";
      }
    }
  }
}

const Shape kSmallShapes[] = {{1, 3, 1, 1},  {2, 1, 2, 3},  {3, 3, 17, 17},
                              {64, 3, 3, 2}, {5, 4, 17, 3}, {2, 3, 1, 17}};

// One case of for_each_mix_case; false after a fatal failure.
bool check_mix_case(const MixCase& c, std::mt19937_64& rng,
                    int64_t stream_threshold = kDefaultStreamThreshold) {
  SCOPED_TRACE(pattern_name(c.pattern));
  check_mix(c.format, c.shape, c.in_place, c.plan, rng, stream_threshold);
  return !::testing::Test::HasFatalFailure();
}

TEST(CpuKernels, MixMatchesReferenceSmallShapes) {
  std::mt19937_64 rng(1);
  for_each_mix_case(kSmallShapes, kPatterns, rng,
                    [&](const MixCase& c) { return check_mix_case(c, rng); });
}

TEST(CpuKernels, MixMatchesReferenceLargeImages) {
  std::mt19937_64 rng(2);
  const Shape shapes[] = {{3, 3, 224, 224}, {2, 1, 224, 17}};
  const Pattern patterns[] = {Pattern::Flip, Pattern::Permutation, Pattern::Explicit};
  for_each_mix_case(shapes, patterns, rng,
                    [&](const MixCase& c) { return check_mix_case(c, rng); });
}

// Long cycles and trees of readers with a 64-sample batch of 17x17 images:
// every sample spans several tiles in no format, so this also covers batches
// whose tiles are whole samples.
TEST(CpuKernels, MixMatchesReferenceAllPatternsN64) {
  std::mt19937_64 rng(3);
  const Shape shapes[] = {{64, 3, 17, 17}};
  for_each_mix_case(shapes, kPatterns, rng,
                    [&](const MixCase& c) { return check_mix_case(c, rng); });
}

// The plan with every record turned into a Mixup (random lam on the grid).
// Without boxes, same-format calls run each sample as one flat run.
std::vector<MixSample> mixup_only(std::vector<MixSample> plan, std::mt19937_64& rng) {
  for (MixSample& record : plan) {
    record.kind = MixKind::Mixup;
    record.lam = float(double(rng() % kLamOne) / kLamOne);
  }
  return plan;
}

// Only Mixup, so every partner edge is live: the in-place walk over cycles
// must save and restore the first tile of each cycle correctly.
TEST(CpuKernels, MixupOnlyCyclesInPlace) {
  std::mt19937_64 rng(4);
  const Shape s{17, 3, 40, 40};
  for (Pattern p : kPatterns) {
    const std::vector<MixSample> plan = mixup_only(random_plan(s, p, rng), rng);
    for (const Format& f : all_formats()) {
      SCOPED_TRACE(pattern_name(p));
      for (bool in_place : {false, true}) check_mix(f, s, in_place, plan, rng);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(CpuKernels, MixWithPlannerPlans) {
  std::mt19937_64 rng(5);
  const Shape s{9, 3, 31, 29};
  for (Mode mode : {Mode::Batch, Mode::Pair, Mode::Elem}) {
    for (PartnerRule rule : {PartnerRule::Flip, PartnerRule::Roll, PartnerRule::Permutation}) {
      MixPolicy policy;
      policy.mixup_alpha = 1.0;
      policy.cutmix_alpha = 1.0;
      policy.mode = mode;
      policy.partner = rule;
      const std::vector<MixSample> plan =
          plan_mix(policy, 7, uint64_t(mode) * 10 + 1, s.n, s.h, s.w);
      for (const Format& f : all_formats()) {
        for (bool in_place : {false, true}) check_mix(f, s, in_place, plan, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
}

// Streaming stores are chosen by batch size; force them on small batches.
// Out of place the whole output streams; in place, CutMix box rows of 128
// bytes or more (37x41 and 3x70 have such rows in both layouts and dtypes).
TEST(CpuKernels, MixWithNonTemporalStores) {
  std::mt19937_64 rng(6);
  const Shape shapes[] = {{4, 3, 37, 41}, {3, 1, 1, 5}, {5, 3, 3, 70}};
  for_each_mix_case(shapes, kPatterns, rng, [&](const MixCase& c) {
    const std::vector<MixSample> flat = mixup_only(c.plan, rng);  // streamed flat pairs
    return check_mix_case(c, rng, 0) &&
           check_mix_case(MixCase{c.format, c.shape, c.pattern, c.in_place, flat}, rng, 0);
  });
}

void check_cutout(const Format& f, const Shape& s, bool in_place, FillKind kind,
                  std::mt19937_64& rng, int64_t stream_threshold = kDefaultStreamThreshold) {
  if (in_place && !same_format(f)) return;
  const std::vector<CutoutHole> holes = random_holes(s, rng);
  const Fill fill = random_fill(kind, f, s.c, rng);
  Batch src(s, f.src_dtype, f.src_layout, int64_t(rng() % 2) * 7);
  src.randomize(rng);
  const Normalize norm = random_norm(s.c, rng);
  const Normalize* norm_ptr = f.src_dtype != f.dst_dtype && rng() % 2 ? &norm : nullptr;
  Batch want = in_place ? src : Batch(s, f.dst_dtype, f.dst_layout, int64_t(rng() % 2));
  const Batch dst_initial = want;
  reference::cutout_apply(holes.data(), int64_t(holes.size()), fill, src.t, want.t, norm_ptr);
  for (Isa isa : isas_of_this_cpu()) {
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(describe(f, s, in_place, threads, isa) + " fill " +
                   std::to_string(static_cast<int>(kind)));
      Context ctx;
      ctx.max_isa = isa;
      ctx.num_threads = threads;
      ctx.stream_threshold = stream_threshold;
      Batch input = src;
      Batch got = in_place ? input : dst_initial;
      const Tensor& in = in_place ? got.t : input.t;
      cpu::cutout_apply(ctx, holes.data(), int64_t(holes.size()), fill, in, got.t, norm_ptr);
      ASSERT_TRUE(got.bytes == want.bytes) << first_difference(got, want);
    }
  }
}

TEST(CpuKernels, CutoutMatchesReference) {
  std::mt19937_64 rng(7);
  const Shape shapes[] = {{1, 3, 1, 1}, {3, 3, 17, 17}, {64, 1, 3, 17}, {2, 3, 224, 224}};
  for_each_cutout_case(shapes, [&](const Format& f, const Shape& s, FillKind kind, bool in_place) {
    check_cutout(f, s, in_place, kind, rng);
    return !HasFatalFailure();
  });
}

TEST(CpuKernels, CutoutWithNonTemporalStores) {
  std::mt19937_64 rng(8);
  const Shape shapes[] = {{5, 3, 19, 23}, {3, 3, 9, 150}};
  for_each_cutout_case(shapes, [&](const Format& f, const Shape& s, FillKind kind, bool in_place) {
    check_cutout(f, s, in_place, kind, rng, 0);
    return !HasFatalFailure();
  });
}

// Sorted, disjoint spans in [0, bytes): random lengths from 1 byte to a few
// vectors, some touching (so edges fall inside and on vector boundaries).
std::vector<int64_t> random_spans(int64_t bytes, std::mt19937_64& rng) {
  std::vector<int64_t> spans;
  for (int64_t at = int64_t(rng() % 70); at < bytes;) {
    const int64_t end = std::min<int64_t>(bytes, at + 1 + int64_t(rng() % 200));
    spans.push_back(at);
    spans.push_back(end);
    at = end + int64_t(rng() % 3 == 0 ? 0 : rng() % 150);
  }
  return spans;
}

// The normalize kernels of each ISA's table against formulas::normalize_u8 of
// the mixed byte (none, a uint8 Mixup, or a CutMix select over random
// spans), for odd lengths and offsets, every flag. Through apply, the
// division form only runs for a channel where the split-reciprocal (fma)
// form is not exact, which no known normalisation is, so it is checked here
// directly. fma is set only with parameters for which apply finds that
// form exact (ImageNet's, and mean 0 / std 1).
TEST(CpuKernels, NormalizeKernelsMatchTheFormula) {
  const float mean[] = {0.485f, 0.456f, 0.406f, 0.0f, 0.0f, 0.0f};
  const float stdev[] = {0.229f, 0.224f, 0.225f, 1.0f, 1.0f, 1.0f};
  constexpr int32_t kQ = 9000;
  std::mt19937_64 rng(9);
  std::vector<uint8_t> a(3 * 1100), b(a.size());
  for (uint8_t& v : a) v = uint8_t(rng());
  for (uint8_t& v : b) v = uint8_t(rng());
  std::vector<float> out(a.size());
  enum class Mixing { None, Blend, Select };  // as MixSource::Kind
  // The byte the kernels normalise at offset e of the source (base: where
  // the source starts in a and b).
  auto mixed = [&](int64_t base, int64_t e, Mixing mixing, const std::vector<int64_t>& spans) {
    const size_t at = size_t(base + e);
    if (mixing == Mixing::Blend) return formulas::blend_u8(a[at], b[at], kQ);
    if (mixing == Mixing::Select) {
      for (size_t k = 0; k < spans.size(); k += 2) {
        if (spans[k] <= e && e < spans[k + 1]) return b[at];
      }
    }
    return a[at];
  };
  auto expect_out = [&](const std::vector<float>& want) {
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(std::memcmp(&out[i], &want[i], sizeof(float)), 0)
          << "at " << i << ": " << out[i] << " vs " << want[i];
    }
  };
  for (Isa isa : isas_of_this_cpu()) {
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    for (int flags = 0; flags < 12; ++flags) {
      const bool fma = flags & 1, stream = flags & 2;
      const Mixing mixing = static_cast<Mixing>(flags / 4);
      for (int64_t offset : {0, 1, 3}) {
        for (int64_t n : {0, 1, 15, 17, 22, 64, 333, 1000}) {
          SCOPED_TRACE(testing::Message()
                       << isa_name(isa) << " fma " << fma << " stream " << stream << " mixing "
                       << flags / 4 << " offset " << offset << " n " << n);
          // One channel: source byte offset + i -> out[offset + i].
          for (int ch : {0, 3}) {
            const std::vector<int64_t> spans = random_spans(n, rng);
            cpu::MixSource mix;
            mix.kind = static_cast<cpu::MixSource::Kind>(mixing);
            if (mixing != Mixing::None) mix.b = b.data() + offset;
            if (mixing == Mixing::Blend) mix.q = kQ;
            if (mixing == Mixing::Select) {
              mix.spans = spans.data();
              mix.count = int64_t(spans.size() / 2);
            }
            std::fill(out.begin(), out.end(), -7.0f);
            k.normalize_u8(a.data() + offset, mix, out.data() + offset, n, mean[ch], stdev[ch], fma,
                           stream);
            k.stream_fence();
            std::vector<float> want(out.size(), -7.0f);
            for (int64_t i = 0; i < n; ++i) {
              want[size_t(offset + i)] =
                  formulas::normalize_u8(mixed(offset, i, mixing, spans), mean[ch], stdev[ch]);
            }
            expect_out(want);
          }
          // Three interleaved channels (ImageNet's, then 0/1) -> planes
          // 1100 floats apart (co-aligned); with offset 3, also planes that
          // are not.
          for (int base : {0, 3}) {
            for (int64_t gap : {int64_t(1100), int64_t(1100) - offset}) {
              const int64_t pixels = std::min<int64_t>(n, gap);
              const std::vector<int64_t> spans = random_spans(3 * pixels, rng);
              cpu::MixSource mix;
              mix.kind = static_cast<cpu::MixSource::Kind>(mixing);
              if (mixing != Mixing::None) mix.b = b.data() + 3 * offset;
              if (mixing == Mixing::Blend) mix.q = kQ;
              if (mixing == Mixing::Select) {
                mix.spans = spans.data();
                mix.count = int64_t(spans.size() / 2);
              }
              std::fill(out.begin(), out.end(), -7.0f);
              float* const planes[3] = {out.data() + offset, out.data() + offset + gap,
                                        out.data() + offset + 2 * gap};
              k.normalize3_u8(a.data() + 3 * offset, mix, planes, pixels, mean + base, stdev + base,
                              fma, stream);
              k.stream_fence();
              std::vector<float> want(out.size(), -7.0f);
              for (int64_t p = 0; p < pixels; ++p) {
                for (int ch = 0; ch < 3; ++ch) {
                  want[size_t(offset + ch * gap + p)] =
                      formulas::normalize_u8(mixed(3 * offset, 3 * p + ch, mixing, spans),
                                             mean[base + ch], stdev[base + ch]);
                }
              }
              expect_out(want);
            }
          }
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

bool inside_spans(const std::vector<int64_t>& spans, int64_t p) {
  for (size_t s = 0; s < spans.size(); s += 2) {
    if (spans[s] <= p && p < spans[s + 1]) return true;
  }
  return false;
}

// select_spans and select_spans_pair (out-of-place CutMix) of every ISA's
// table against the per-byte definition: random span lists (short pieces,
// pieces across vectors, equal and different lists for the pair), sources
// and outputs at independent offsets (so the pair's outputs may or may not
// share their alignment), both store kinds. Bytes around the outputs stay
// untouched.
TEST(CpuKernels, SelectSpansMatchItsDefinition) {
  std::mt19937_64 rng(12);
  constexpr int64_t kPad = 64;
  for (Isa isa : isas_of_this_cpu()) {
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    for (int round = 0; round < 300; ++round) {
      const int64_t bytes = int64_t(rng() % 700);
      const int64_t in_at = int64_t(rng() % 64), out_a_at = int64_t(rng() % 64);
      const int64_t out_b_at = rng() % 2 ? out_a_at : int64_t(rng() % 64);
      std::vector<uint8_t> a(size_t(bytes + 2 * kPad)), b(a.size()), out_a(a.size()),
          out_b(a.size());
      for (std::vector<uint8_t>* v : {&a, &b, &out_a, &out_b}) {
        for (uint8_t& x : *v) x = uint8_t(rng());
      }
      const std::vector<int64_t> spans_a = random_spans(bytes, rng);
      const std::vector<int64_t> spans_b = rng() % 3 == 0 ? spans_a : random_spans(bytes, rng);
      std::vector<uint8_t> want_a = out_a, want_b = out_b;
      for (int64_t p = 0; p < bytes; ++p) {
        const uint8_t va = a[size_t(in_at + p)], vb = b[size_t(in_at + p)];
        want_a[size_t(out_a_at + p)] = inside_spans(spans_a, p) ? vb : va;
        want_b[size_t(out_b_at + p)] = inside_spans(spans_b, p) ? va : vb;
      }
      const bool stream = rng() % 2 == 0, pair = rng() % 2 == 0;
      SCOPED_TRACE(testing::Message() << isa_name(isa) << " round " << round << " bytes " << bytes
                                      << " offsets " << in_at << "/" << out_a_at << "/" << out_b_at
                                      << " stream " << stream << " pair " << pair);
      if (pair) {
        k.select_spans_pair(a.data() + in_at, b.data() + in_at, out_a.data() + out_a_at,
                            out_b.data() + out_b_at, bytes, spans_a.data(),
                            int64_t(spans_a.size() / 2), spans_b.data(),
                            int64_t(spans_b.size() / 2), stream);
      } else {
        k.select_spans(a.data() + in_at, b.data() + in_at, out_a.data() + out_a_at, bytes,
                       spans_a.data(), int64_t(spans_a.size() / 2), stream);
        want_b = out_b;
      }
      k.stream_fence();
      ASSERT_EQ(out_a, want_a);
      ASSERT_EQ(out_b, want_b);
    }
  }
}

// copy_stream of every ISA's table (hole and box rows): every length up to
// three lines past the plain-copy limit, at every alignment of both sides,
// equals memcpy and leaves the bytes around the destination untouched.
TEST(CpuKernels, CopyStreamIsAMemcpy) {
  std::mt19937_64 rng(11);
  for (Isa isa : isas_of_this_cpu()) {
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    for (int64_t bytes = 0; bytes <= 320; ++bytes) {
      for (int64_t offset = 0; offset < 64; offset += bytes < 160 ? 1 : 7) {
        alignas(64) uint8_t src[512], dst[512];
        for (uint8_t& v : src) v = uint8_t(rng());
        for (uint8_t& v : dst) v = uint8_t(rng());
        uint8_t want[512];
        std::memcpy(want, dst, sizeof dst);
        const int64_t from = int64_t(rng() % 64);
        std::memcpy(want + 64 + offset, src + from, size_t(bytes));
        k.copy_stream(dst + 64 + offset, src + from, bytes);
        k.stream_fence();
        ASSERT_EQ(std::memcmp(dst, want, sizeof dst), 0)
            << isa_name(isa) << " bytes " << bytes << " offset " << offset << " from " << from;
      }
    }
  }
}

// swap_boxes (in-place CutMix 2-cycles) of every ISA's table against the
// per-byte definition: random planes, rows, boxes (empty, equal, apart,
// overlapping, clipped at the sample's edge) and tiles that cut rows, both
// store kinds. Bytes outside the tile stay untouched.
TEST(CpuKernels, SwapBoxesMatchesItsDefinition) {
  std::mt19937_64 rng(10);
  const auto random_box = [&](int64_t rows, int64_t row_bytes) {
    const int64_t y0 = int64_t(rng() % uint64_t(rows + 1)),
                  x0 = int64_t(rng() % uint64_t(row_bytes + 1));
    return cpu::BoxBytes{y0, y0 + int64_t(rng() % uint64_t(rows - y0 + 1)), x0,
                         x0 + int64_t(rng() % uint64_t(row_bytes - x0 + 1))};
  };
  // One call against the definition (bytes outside the boxes and the tile
  // untouched).
  const auto check = [&](const cpu::KernelTable& k, const char* isa, int64_t planes, int64_t rows,
                         int64_t row_bytes, const cpu::BoxBytes& box_a, const cpu::BoxBytes& box_b,
                         int64_t begin, int64_t end, int64_t offset, bool stream) {
    const int64_t plane_bytes = rows * row_bytes, sample = planes * plane_bytes;
    const cpu::TileRows tile{begin, end, planes, plane_bytes, row_bytes};
    std::vector<uint8_t> a(size_t(sample + offset + 64)), b(a.size());
    for (uint8_t& v : a) v = uint8_t(rng());
    for (uint8_t& v : b) v = uint8_t(rng());
    std::vector<uint8_t> want_a = a, want_b = b;
    const auto mark = [&](const cpu::BoxBytes& box, std::vector<uint8_t>& want,
                          const std::vector<uint8_t>& from) {
      for (int64_t pl = 0; pl < planes; ++pl) {
        for (int64_t y = box.y0; y < box.y1; ++y) {
          for (int64_t x = box.x0; x < box.x1; ++x) {
            const int64_t e = pl * plane_bytes + y * row_bytes + x;
            if (e >= begin && e < end) want[size_t(offset + e)] = from[size_t(offset + e)];
          }
        }
      }
    };
    mark(box_a, want_a, b);
    mark(box_b, want_b, a);
    SCOPED_TRACE(testing::Message()
                 << isa << " planes " << planes << " rows " << rows << " row bytes " << row_bytes
                 << " tile " << begin << ".." << end << " box a " << box_a.y0 << ".." << box_a.y1
                 << " x " << box_a.x0 << ".." << box_a.x1 << " box b " << box_b.y0 << ".."
                 << box_b.y1 << " x " << box_b.x0 << ".." << box_b.x1 << " offset " << offset
                 << " stream " << stream);
    k.swap_boxes(a.data() + offset + begin, b.data() + offset + begin, tile, box_a, box_b, stream);
    k.stream_fence();
    ASSERT_EQ(a, want_a);
    ASSERT_EQ(b, want_b);
  };
  for (Isa isa : isas_of_this_cpu()) {
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    // Rows around one and two vectors wide; 1-byte parts, parts at either
    // end of the row, one side without a part, overlapping, nested and
    // disjoint parts.
    for (const int64_t row_bytes : {1, 2, 31, 32, 33, 63, 64, 65, 127, 128, 129}) {
      const int64_t r = row_bytes;
      const cpu::BoxBytes boxes[] = {{0, 3, 0, 1},     {1, 3, r - 1, r}, {0, 3, 0, r},
                                     {2, 3, r / 2, r}, {0, 1, 0, r / 2}, {0, 3, r / 3, r / 2 + 1},
                                     {1, 2, 0, 0}};
      for (const cpu::BoxBytes& box_a : boxes) {
        for (const cpu::BoxBytes& box_b : boxes) {
          check(k, isa_name(isa), 2, 3, r, box_a, box_b, 0, 2 * 3 * r, int64_t(rng() % 64),
                rng() % 2 == 0);
        }
      }
    }
    for (int round = 0; round < 400; ++round) {
      const int64_t planes = 1 + int64_t(rng() % 3), rows = 1 + int64_t(rng() % 40);
      const int64_t row_bytes = 1 + int64_t(rng() % 300);
      const int64_t sample = planes * rows * row_bytes;
      const cpu::BoxBytes box_a = random_box(rows, row_bytes);
      const cpu::BoxBytes box_b = rng() % 4 == 0 ? box_a : random_box(rows, row_bytes);
      int64_t begin = 0, end = sample;  // a whole sample, or a tile that cuts rows
      if (rng() % 2 == 0) {
        begin = int64_t(rng() % uint64_t(sample));
        end = begin + 1 + int64_t(rng() % uint64_t(sample - begin));
      }
      check(k, isa_name(isa), planes, rows, row_bytes, box_a, box_b, begin, end,
            int64_t(rng() % 64), rng() % 2 == 0);
    }
  }
}

// philox_many of every ISA's table against philox4x32_10, counter by
// counter: every count up to a few vector groups (partial groups), random
// counters and keys, in place and into another array.
TEST(CpuKernels, PhiloxManyMatchesPhilox) {
  std::mt19937_64 rng(12);
  for (Isa isa : isas_of_this_cpu()) {
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    for (int64_t n = 0; n <= 70; ++n) {
      const PhiloxKey key = philox_key(rng());
      std::vector<PhiloxCounter> ctr(static_cast<size_t>(n)), want = ctr, got = ctr;
      for (int64_t l = 0; l < n; ++l) {
        ctr[size_t(l)] = {uint32_t(rng()), uint32_t(rng()), uint32_t(rng()), uint32_t(rng())};
        want[size_t(l)] = philox4x32_10(ctr[size_t(l)], key);
      }
      SCOPED_TRACE(testing::Message() << isa_name(isa) << " n " << n);
      k.philox_many(ctr.data(), key, got.data(), n);
      EXPECT_EQ(got, want);
      k.philox_many(ctr.data(), key, ctr.data(), n);  // in place
      EXPECT_EQ(ctr, want);
    }
  }
}

// deinterleave3 / interleave3 (3-channel layout changes) of every ISA's
// table against their definition: both element sizes, odd pixel counts,
// offsets, planes that share their alignment and planes that do not,
// streamed or not, and deinterleave3 with and without a Mixup or a CutMix of
// the pixels first. Bytes around the outputs must stay untouched.
TEST(CpuKernels, LayoutShufflesMatchTheirDefinition) {
  std::mt19937_64 rng(11);
  for (Isa isa : isas_of_this_cpu()) {
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    for (int round = 0; round < 300; ++round) {
      const int64_t es = rng() % 2 ? 1 : 4;
      const int64_t pixels = int64_t(rng() % 300), offset = int64_t(rng() % 8);
      const int64_t gap = pixels + int64_t(rng() % 3 == 0 ? rng() % 9 : 0);  // plane stride
      const bool stream = rng() % 2 == 0;
      SCOPED_TRACE(testing::Message()
                   << isa_name(isa) << " round " << round << " elem " << es << " pixels " << pixels
                   << " offset " << offset << " gap " << gap << " stream " << stream);
      std::vector<uint8_t> packed(size_t((3 * pixels + 2 * offset + 8) * es));
      std::vector<uint8_t> planar(size_t((3 * gap + 2 * offset + 8) * es));
      for (uint8_t& v : packed) v = uint8_t(rng());
      for (uint8_t& v : planar) v = uint8_t(rng());
      uint8_t* pk = packed.data() + offset * es;
      uint8_t* pl = planar.data() + offset * es;
      void* planes[3] = {pl, pl + gap * es, pl + 2 * gap * es};
      const void* const const_planes[3] = {planes[0], planes[1], planes[2]};
      auto element = [&](const uint8_t* base, int64_t e) { return base + e * es; };

      // Pixels as they are, or their Mixup with a partner.
      std::vector<uint8_t> partner(packed.size());
      for (uint8_t& v : partner) v = uint8_t(rng());
      std::vector<float> partner_f32(size_t(3 * pixels) + 1);
      for (float& v : partner_f32) v = std::uniform_real_distribution<float>(-3.0f, 3.0f)(rng);
      // A CutMix takes the partner's elements inside spans that fall on
      // pixel boundaries, as boxes do (element spans; the kernel's are bytes).
      cpu::MixSource mix;
      const uint64_t mixing = rng() % 3;
      if (mixing == 1) mix.kind = cpu::MixSource::Kind::Mixup;
      if (mixing == 2) mix.kind = cpu::MixSource::Kind::CutMix;
      std::vector<int64_t> spans = random_spans(pixels, rng), byte_spans = spans;
      for (int64_t& edge : spans) edge *= 3;
      for (int64_t& edge : byte_spans) edge *= 3 * es;
      mix.spans = byte_spans.data();
      mix.count = int64_t(byte_spans.size() / 2);
      mix.b = partner.data() + offset;
      mix.q = int32_t(rng() % (kLamOne + 1));
      mix.b_f32 = partner_f32.data();
      mix.lam = float(double(mix.q) / kLamOne);
      mix.rest = 1.0f - mix.lam;
      const bool blend = mix.kind == cpu::MixSource::Kind::Mixup;
      auto source = [&](int64_t e, uint8_t* to) {
        if (es == 4) {
          float v;
          std::memcpy(&v, element(pk, e), 4);
          if (blend) v = formulas::blend_f32(v, mix.b_f32[e], mix.lam, mix.rest);
          if (mixing == 2 && inside_spans(spans, e)) v = mix.b_f32[e];
          std::memcpy(to, &v, 4);
        } else {
          *to = blend                                   ? formulas::blend_u8(pk[e], mix.b[e], mix.q)
                : inside_spans(spans, e) && mixing == 2 ? mix.b[e]
                                                        : pk[e];
        }
      };

      std::vector<uint8_t> want = planar;
      uint8_t* wl = want.data() + offset * es;
      for (int64_t p = 0; p < pixels; ++p) {
        for (int64_t ch = 0; ch < 3; ++ch) source(3 * p + ch, wl + (ch * gap + p) * es);
      }
      SCOPED_TRACE(testing::Message() << "mixing " << static_cast<int>(mix.kind));
      k.deinterleave3(pk, mix, planes, pixels, es, stream);
      k.stream_fence();
      ASSERT_EQ(planar, want);

      for (uint8_t& v : planar) v = uint8_t(rng());
      want = packed;
      for (int64_t p = 0; p < pixels; ++p) {
        for (int64_t ch = 0; ch < 3; ++ch) {
          std::memcpy(want.data() + (offset + 3 * p + ch) * es, element(pl, ch * gap + p),
                      size_t(es));
        }
      }
      k.interleave3(const_planes, pk, pixels, es, stream);
      k.stream_fence();
      ASSERT_EQ(packed, want);
    }
  }
}

TEST(CpuKernels, EmptyBatchIsANoOp) {
  Context ctx;
  Batch b(Shape{0, 3, 4, 4}, DType::F32, Layout::NCHW, 0);
  const std::vector<unsigned char> before = b.bytes;
  cpu::mix_apply(ctx, nullptr, b.t, b.t, nullptr);
  cpu::cutout_apply(ctx, nullptr, 0, Fill{}, b.t, b.t, nullptr);
  EXPECT_EQ(b.bytes, before);
}

// The cap is honoured exactly at or below what the CPU has, and asking for
// more gets the CPU's best: checked case by case (restating min() here
// would pass whatever min() did), and through the table a call runs.
TEST(CpuDispatch, EffectiveIsaIsCappedByCtxAndCpu) {
  const Isa best = cpu::detected_isa();
  Context ctx;
  for (Isa cap : isas_of_this_cpu()) {
    ctx.max_isa = cap;
    EXPECT_EQ(cpu::effective_isa(ctx), cap) << isa_name(cap);
    EXPECT_STREQ(cpu::kernels_for(cpu::effective_isa(ctx)).name, isa_name(cap));
  }
  ctx.max_isa = Isa::Avx512;
  EXPECT_EQ(cpu::effective_isa(ctx), best);
  ctx.max_isa = Isa::Scalar;
  EXPECT_EQ(cpu::effective_isa(ctx), Isa::Scalar);
}

// MIXCUT_FORCE_ISA caps a new ctx's default; unknown values and levels above
// the CPU's are ignored.
TEST(CpuDispatch, ForceIsaEnvironmentCapsTheDefault) {
  const char* saved = std::getenv("MIXCUT_FORCE_ISA");
  const std::string restore = saved != nullptr ? saved : "";
  const Isa best = cpu::detected_isa();
  const struct {
    const char* value;
    Isa want;
  } cases[] = {{"scalar", Isa::Scalar}, {"avx512", best}, {"", best}, {"bogus", best}};
  for (const auto& c : cases) {
    setenv("MIXCUT_FORCE_ISA", c.value, 1);
    EXPECT_EQ(cpu::default_isa_cap(), c.want) << "MIXCUT_FORCE_ISA=" << c.value;
  }
  if (best >= Isa::Sse2) {
    setenv("MIXCUT_FORCE_ISA", "sse2", 1);
    EXPECT_EQ(cpu::default_isa_cap(), Isa::Sse2);
  }
  if (saved != nullptr) {
    setenv("MIXCUT_FORCE_ISA", restore.c_str(), 1);
  } else {
    unsetenv("MIXCUT_FORCE_ISA");
  }
}

TEST(CpuDispatch, ThreadCountFollowsCtx) {
  Context ctx;
  ctx.num_threads = 3;
  EXPECT_EQ(cpu::thread_count(ctx), 3);
  ctx.num_threads = 0;
  EXPECT_GE(cpu::thread_count(ctx), 1);
}

// libgomp's pool does not survive fork(): a forked child runs serially, and
// its results are still the reference's.
TEST(CpuDispatch, ForkedChildRunsSeriallyAndCorrectly) {
  std::mt19937_64 rng(9);
  const Shape s{8, 3, 20, 20};
  Batch src(s, DType::F32, Layout::NCHW, 0);
  src.randomize(rng);
  const std::vector<MixSample> plan = random_plan(s, Pattern::Permutation, rng);
  Batch want = src;
  reference::mix_apply(plan.data(), src.t, want.t, nullptr);
  Context ctx;
  ctx.num_threads = 2;
  Batch warm = src;
  cpu::mix_apply(ctx, plan.data(), warm.t, warm.t, nullptr);  // starts the parent's pool
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Batch got = src;
    cpu::mix_apply(ctx, plan.data(), got.t, got.t, nullptr);
    const bool ok = cpu::thread_count(ctx) == 1 && got.bytes == want.bytes;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(cpu::thread_count(ctx), 2);
}

}  // namespace
}  // namespace mixcut
