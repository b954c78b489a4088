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

namespace mixcut::cpu {
namespace {

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

  run_items(
      threads, int64_t(samples.size()), g.num_tiles, cost_prefix,
      [&](int64_t s, int64_t t, int) {
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
          for_each_box_span(hole.box, g, p0, len, [&](int64_t q0, int64_t q1) {
            const int64_t ahead = kPrefetchRows * g.row_stride;
            if (row_fill && dst.layout == Layout::NHWC) {
              const int64_t bytes = (q1 - q0) * g.c * int64_t(sizeof(D));
              prefetch_edges(out.ptr + (q0 + ahead) * g.c, bytes);
              put_row(k, out.ptr + q0 * g.c, fill_row, bytes, stream_holes);
              return;
            }
            if (row_fill) {
              const int64_t bytes = (q1 - q0) * int64_t(sizeof(D));
              for (int64_t ch = 0; ch < g.c; ++ch) {
                prefetch_edges(out.ptr + ch * out.run_stride + q0 + ahead, bytes);
                put_row(k, out.ptr + ch * out.run_stride + q0, fill_row + ch * g.w, bytes,
                        stream_holes);
              }
              return;
            }
            for (int64_t ch = 0; ch < g.c; ++ch) {
              D value = values[ch];
              if (fill.kind == FillKind::ChannelNoise) {
                if constexpr (std::is_same_v<D, uint8_t>) {
                  value = channel_noise_u8(hole.noise_key, ch);
                } else {
                  value = channel_noise_f32(hole.noise_key, ch);
                }
              }
              D* base = dst.layout == Layout::NCHW ? out.ptr + ch * out.run_stride : out.ptr + ch;
              const int64_t step = dst.layout == Layout::NCHW ? 1 : g.c;
              if (fill.kind == FillKind::Noise) {
                for (int64_t q = q0; q < q1; ++q) {
                  const int64_t pixel = p0 + q;
                  const int64_t e = noise_element_index(ch, pixel / g.w, pixel % g.w, g.h, g.w);
                  if constexpr (std::is_same_v<D, uint8_t>) {
                    base[q * step] = noise_u8(hole.noise_key, e);
                  } else {
                    base[q * step] = noise_f32(hole.noise_key, e);
                  }
                }
              } else if (step == 1) {
                if constexpr (std::is_same_v<D, uint8_t>) {
                  std::memset(base + q0, value, size_t(q1 - q0));
                } else {
                  std::fill(base + q0, base + q1, value);
                }
              } else {
                for (int64_t q = q0; q < q1; ++q) base[q * step] = value;
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
  const int threads = thread_count(ctx);
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
