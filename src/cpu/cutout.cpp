// CPU Cutout and RandomErasing: out of place, each tile is copied or
// converted first; then the holes of its sample are filled, tile by tile.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu/apply.hpp"
#include "cpu/convert_tile.hpp"
#include "cpu/dispatch.hpp"
#include "cpu/kernel_table.hpp"
#include "cpu/scratch.hpp"
#include "cpu/tiling.hpp"
#include "kernels/formulas.hpp"
#include "kernels/noise.hpp"

namespace mixcut::cpu {
namespace {

// FillKind::Noise holes. Element (ch, pixel p0 + q) has the canonical index
// ch*h*w + p0 + q, consecutive along a span, so each channel row of a span
// is a run of noise blocks. The blocks of the rows of several spans are
// listed and computed in one kernel call (a hole row is often only a few
// blocks, fewer than a vector of Philox calls makes) into L1, then copied on
// as constant rows are: every whole line streamed, whatever the row's
// alignment; NHWC interleaved.
template <class D>
void fill_noise(const KernelTable& k, const Geometry& g, const CutoutHole& hole, const View<D>& out,
                Layout layout, int64_t p0, int64_t len, bool stream, ThreadScratch& ts) {
  constexpr int64_t kBlock = std::is_same_v<D, uint8_t> ? kNoiseBlockU8 : kNoiseBlockF32;
  // A batch ends with the span that brings it to 16 KiB of values.
  constexpr int64_t kBatchBlocks = 16384 / (kBlock * int64_t(sizeof(D)));
  std::vector<NoiseRun>& runs = ts.noise_runs;   // one per channel row
  std::vector<int64_t>& spans = ts.noise_spans;  // (q0, q1) pairs
  // Channel ch's row of the span [q0, q0 + n): its first block and count.
  const auto row_blocks = [&](int64_t ch, int64_t q0, int64_t n, int64_t* b0) {
    const uint64_t e0 = uint64_t(ch * g.hw + p0 + q0);  // >= 0: unsigned divisions are shifts
    *b0 = int64_t(e0 / kBlock);
    return int64_t((e0 + uint64_t(n) + kBlock - 1) / kBlock) - *b0;
  };
  int64_t listed = 0;  // blocks in runs
  const auto flush = [&] {
    D* values = scratch_of<D>(ts.fill, listed * kBlock);
    if constexpr (std::is_same_v<D, uint8_t>) {
      k.noise_u8(values, hole.noise_key, runs.data(), int64_t(runs.size()));
    } else {
      k.noise_f32(values, hole.noise_key, runs.data(), int64_t(runs.size()));
    }
    const int64_t ahead = kPrefetchRows * g.row_stride;
    const D* row = values;              // the rows follow each other, whole blocks each
    const NoiseRun* run = runs.data();  // g.c per span
    for (size_t sp = 0; sp < spans.size(); sp += 2, run += g.c) {
      const int64_t q0 = spans[sp], q1 = spans[sp + 1], n = q1 - q0;
      // Channel ch's values start in its row at the element's offset in the first block.
      const auto values_of = [&](const D* r, int64_t ch) {
        return r + (ch * g.hw + p0 + q0 - run[ch].first * kBlock);
      };
      const void* planes[3];
      const D* first_row = row;
      for (int64_t ch = 0; ch < g.c; ++ch) {
        const D* v = values_of(row, ch);
        if (ch < 3) planes[ch] = v;
        if (layout == Layout::NCHW) {
          D* to = out.ptr + ch * out.run_stride + q0;
          prefetch_edges(to + ahead, n * int64_t(sizeof(D)));
          put_row(k, to, v, n * int64_t(sizeof(D)), stream);
        }
        row += run[ch].count * kBlock;
      }
      if (layout == Layout::NCHW) continue;
      prefetch_edges(out.ptr + (q0 + ahead) * g.c, n * g.c * int64_t(sizeof(D)));
      if (g.c == 3) {
        k.interleave3(planes, out.ptr + q0 * 3, n, int64_t(sizeof(D)), stream);
        continue;
      }
      const D* r = first_row;  // other channel counts
      for (int64_t ch = 0; ch < g.c; ++ch) {
        const D* v = values_of(r, ch);
        for (int64_t q = 0; q < n; ++q) out.ptr[(q0 + q) * g.c + ch] = v[q];
        r += run[ch].count * kBlock;
      }
    }
    listed = 0;
    runs.clear();
    spans.clear();
  };
  runs.clear();
  spans.clear();
  for_each_box_span(hole.box, g, p0, len, [&](int64_t q0, int64_t q1) {
    int64_t total = 0;
    for (int64_t ch = 0; ch < g.c; ++ch) {
      int64_t b0 = 0;
      const int64_t count = row_blocks(ch, q0, q1 - q0, &b0);
      runs.push_back({b0, count});
      total += count;
    }
    listed += total;
    spans.push_back(q0);
    spans.push_back(q1);
    if (listed >= kBatchBlocks) flush();
  });
  if (!spans.empty()) flush();
}

template <class S, class D>
void cutout_typed(Context& ctx, const KernelTable& k, int threads, const CutoutHole* holes,
                  int64_t num_holes, const Fill& fill, const Tensor& src, const Tensor& dst,
                  const Normalize* norm) {
  const bool in_place = src.data == dst.data;
  const Geometry g = make_geometry(src, int64_t(std::max(sizeof(S), sizeof(D))));
  CpuScratch& scratch = cpu_scratch(ctx, threads);
  if constexpr (!std::is_same_v<S, D>) scratch.norm.reset(norm, src.c, src.layout, dst.layout);
  // Values of constant fills in destination units (uint8 rounds half to even).
  D* const values = scratch_of<D>(scratch.fill_values, g.c);
  for (int64_t ch = 0; ch < g.c; ++ch) {
    const float v = fill.kind == FillKind::Channel ? fill.channel_values[size_t(ch)] : fill.value;
    if constexpr (std::is_same_v<D, uint8_t>) {
      values[ch] = formulas::fill_u8(v);
    } else {
      values[ch] = v;
    }
  }
  // Constant fills as rows to copy: NHWC, one row of w interleaved pixels;
  // NCHW, one row of w values per channel.
  const bool row_fill = fill.kind == FillKind::Constant || fill.kind == FillKind::Channel;
  D* fill_row = nullptr;
  if (row_fill) {
    fill_row = scratch_of<D>(scratch.fill_rows, g.w * g.c);
    for (int64_t e = 0; e < g.w * g.c; ++e) {
      const int64_t ch = dst.layout == Layout::NHWC ? e % g.c : e / g.w;
      fill_row[e] = values[ch];
    }
  }
  // Holes of sample i: [hole_first[i], hole_first[i + 1]).
  std::vector<int64_t>& hole_first = scratch.hole_first;
  hole_first.assign(size_t(g.n) + 1, 0);
  for (int64_t h = 0; h < num_holes; ++h) ++hole_first[size_t(holes[h].sample) + 1];
  for (int64_t i = 0; i < g.n; ++i) hole_first[size_t(i) + 1] += hole_first[size_t(i)];
  // Samples to visit (cost 1 each): all of them out of place, those with holes in place.
  std::vector<int64_t>& samples = scratch.samples;
  std::vector<int64_t>& cost_prefix = scratch.cost_prefix;
  samples.clear();
  for (int64_t i = 0; i < g.n; ++i) {
    if (!in_place || hole_first[size_t(i) + 1] > hole_first[size_t(i)]) samples.push_back(i);
  }
  cost_prefix.resize(samples.size() + 1);
  for (size_t i = 0; i <= samples.size(); ++i) cost_prefix[i] = int64_t(i);
  const bool same_format = std::is_same_v<S, D> && src.layout == dst.layout;
  // Large batches stream the copy and the whole lines of hole rows. A tile
  // copied with streaming stores and then holed reads back only the partly
  // covered lines of its hole rows; copying tiles with holes through the
  // cache instead was 3-10 % slower (alternating A/B, 128x3x224x224).
  const bool stream = !in_place && streams(ctx, dst);
  const bool stream_holes = streams(ctx, dst);
  const int64_t* first_hole = hole_first.data();
  const int64_t* sample_of_item = samples.data();
  const ChannelNorm& norm_table = scratch.norm;
  // ChannelNoise values, c per hole, computed once.
  D* hole_noise = nullptr;
  if (fill.kind == FillKind::ChannelNoise) {
    hole_noise = scratch_of<D>(scratch.hole_noise, num_holes * g.c);
    for (int64_t h = 0; h < num_holes; ++h) {
      for (int64_t ch = 0; ch < g.c; ++ch) {
        if constexpr (std::is_same_v<D, uint8_t>) {
          hole_noise[h * g.c + ch] = channel_noise_u8(holes[h].noise_key, ch);
        } else {
          hole_noise[h * g.c + ch] = channel_noise_f32(holes[h].noise_key, ch);
        }
      }
    }
  }

  run_items(
      threads, int64_t(samples.size()), g.num_tiles, cost_prefix,
      [&](int64_t s, int64_t t, int part) {
        ThreadScratch& ts = scratch.threads[size_t(part)];
        const int64_t i = sample_of_item[s];
        const int64_t p0 = t * g.tile_pixels;
        const int64_t len = std::min(g.tile_pixels, g.hw - p0);
        const View<D> out = tile_view<D>(dst.sample<D>(i), dst.layout, g, p0);
        if (!in_place) {
          const View<const S> in = tile_view<const S>(src.sample<const S>(i), src.layout, g, p0);
          if (stream && same_format) {
            for (int64_t r = 0; r < in.runs; ++r) {
              k.copy_stream(out.ptr + r * out.run_stride, in.ptr + r * in.run_stride,
                            int64_t(sizeof(S)) * len * in.scale);
            }
          } else {
            convert_tile<S, D>(k, in, src.layout, out, dst.layout, len, g.c, norm_table, stream);
          }
        }
        for (int64_t h = first_hole[i]; h < first_hole[i + 1]; ++h) {
          const CutoutHole& hole = holes[h];
          if (fill.kind == FillKind::Noise) {
            fill_noise(k, g, hole, out, dst.layout, p0, len, stream_holes, ts);
            continue;
          }
          // Rows to copy: the constant fill's, or, for a ChannelNoise fill,
          // this hole's values as rows of its width (laid out as fill_row
          // is), so that it is copied, streamed and prefetched as a
          // constant fill is.
          const D* rows = fill_row;
          int64_t rows_w = g.w;  // values per channel row (NCHW)
          if (fill.kind == FillKind::ChannelNoise) {
            const D* v = hole_noise + h * g.c;
            rows_w = hole.box.x1 - hole.box.x0;
            D* r = scratch_of<D>(ts.fill, rows_w * g.c);
            if (dst.layout == Layout::NHWC) {
              for (int64_t x = 0; x < rows_w; ++x) {
                for (int64_t ch = 0; ch < g.c; ++ch) r[x * g.c + ch] = v[ch];
              }
            } else {
              for (int64_t ch = 0; ch < g.c; ++ch) {
                std::fill(r + ch * rows_w, r + (ch + 1) * rows_w, v[ch]);
              }
            }
            rows = r;
          }
          for_each_box_span(hole.box, g, p0, len, [&](int64_t q0, int64_t q1) {
            const int64_t ahead = kPrefetchRows * g.row_stride;
            if (dst.layout == Layout::NHWC) {
              const int64_t bytes = (q1 - q0) * g.c * int64_t(sizeof(D));
              prefetch_edges(out.ptr + (q0 + ahead) * g.c, bytes);
              put_row(k, out.ptr + q0 * g.c, rows, bytes, stream_holes);
              return;
            }
            const int64_t bytes = (q1 - q0) * int64_t(sizeof(D));
            // A ChannelNoise row too short to stream is set, not copied
            // (memset beat the copy on short uint8 rows).
            const bool set = fill.kind == FillKind::ChannelNoise && (!stream_holes || bytes < 128);
            for (int64_t ch = 0; ch < g.c; ++ch) {
              D* to = out.ptr + ch * out.run_stride + q0;
              prefetch_edges(to + ahead, bytes);
              if (set) {
                std::fill(to, to + (q1 - q0), rows[ch * rows_w]);
              } else {
                put_row(k, to, rows + ch * rows_w, bytes, stream_holes);
              }
            }
          });
        }
      },
      [&](int) { k.stream_fence(); });
}

}  // namespace

void cutout_apply(Context& ctx, const CutoutHole* holes, int64_t num_holes, const Fill& fill,
                  const Tensor& src, const Tensor& dst, const Normalize* norm) {
  if (src.n == 0) return;
  const KernelTable& k = kernels_for(effective_isa(ctx));
  const int threads = thread_count(ctx, moved_bytes(src, dst));
  if (src.dtype == DType::U8 && dst.dtype == DType::U8) {
    cutout_typed<uint8_t, uint8_t>(ctx, k, threads, holes, num_holes, fill, src, dst, norm);
  } else if (src.dtype == DType::F32 && dst.dtype == DType::F32) {
    cutout_typed<float, float>(ctx, k, threads, holes, num_holes, fill, src, dst, norm);
  } else if (src.dtype == DType::U8 && dst.dtype == DType::F32) {
    cutout_typed<uint8_t, float>(ctx, k, threads, holes, num_holes, fill, src, dst, norm);
  } else {
    throw Error(Status::BadDtype, "cpu::cutout_apply: unsupported dtype pair");
  }
}

}  // namespace mixcut::cpu
