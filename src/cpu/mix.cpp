// CPU Mixup and CutMix: each call walks the partner-graph schedule
// (plan/schedule.hpp) tile by tile. Every output element depends only on
// the same (channel, row, column) of x_i and of x_partner(i), so a batch
// splits into independent tiles (cpu/tiling.hpp); the samples of one
// connected component are walked together so that each source tile is read
// from memory once; in place, readers of a sample run before it is
// overwritten, and a cycle saves its first tile in the thread's scratch.
// Work items are (component, tile), split between threads by cost, so elem
// mode costs what batch mode costs.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "cpu/apply.hpp"
#include "cpu/convert_tile.hpp"
#include "cpu/dispatch.hpp"
#include "cpu/kernel_table.hpp"
#include "cpu/scratch.hpp"
#include "cpu/tiling.hpp"
#include "kernels/formulas.hpp"
#include "plan/schedule.hpp"

namespace mixcut::cpu {
namespace {

template <class S>
inline void blend_runs(const KernelTable& k, const View<const S>& a, const View<const S>& b,
                       const View<S>& out, int64_t len, const MixSample& record, bool stream) {
  const int64_t run_len = len * a.scale;
  for (int64_t r = 0; r < a.runs; ++r) {
    const S* pa = a.ptr + r * a.run_stride;
    const S* pb = b.ptr + r * b.run_stride;
    S* po = out.ptr + r * out.run_stride;
    if constexpr (std::is_same_v<S, float>) {
      const float lam = record.lam, rest = 1.0f - record.lam;
      k.blend_f32(pa, pb, po, run_len, lam, rest, stream);
    } else {
      k.blend_u8(pa, pb, po, run_len, formulas::lam_weight(record.lam), stream);
    }
  }
}

template <class S, class D>
struct MixJob {
  const KernelTable& k;
  const MixSample* plan;
  const Tensor& src;
  const Tensor& dst;
  const Geometry& g;
  const Schedule& schedule;
  const ChannelNorm& norm;
  bool in_place, same_format, stream;
  bool stream_boxes;  // in place: box rows use non-temporal stores

  View<const S> src_view(int64_t i, int64_t p0) const {
    return tile_view<const S>(src.sample<const S>(i), src.layout, g, p0);
  }

  // out = the mixed tile of sample i from a (x_i) and b (x_partner) tiles.
  void mix_into(ThreadScratch& ts, int64_t i, const View<const S>& a, const View<const S>& b,
                const View<S>& out, int64_t p0, int64_t len, bool stream_out) const {
    const MixSample& record = plan[i];
    if (!plan[i].changes_pixels(i)) {
      if (out.ptr != a.ptr) copy_pixels<S>(a, out, 0, len);
    } else if (record.kind == MixKind::Mixup) {
      blend_runs<S>(k, a, b, out, len, record, stream_out);
    } else if (out.ptr == a.ptr) {
      for_each_box_span(record.box, g, p0, len, [&](int64_t q0, int64_t q1) {
        const int64_t bytes = (q1 - q0) * a.scale * int64_t(sizeof(S));
        for (int64_t r = 0; r < a.runs; ++r) {
          put_row(k, out.ptr + r * out.run_stride + q0 * a.scale,
                  b.ptr + r * b.run_stride + q0 * a.scale, bytes, stream_boxes);
        }
      });
    } else {
      const ByteSpans spans = byte_spans(record.box, p0, len, a.scale, ts.spans_a);
      for (int64_t r = 0; r < a.runs; ++r) {
        k.select_spans(reinterpret_cast<const uint8_t*>(a.ptr + r * a.run_stride),
                       reinterpret_cast<const uint8_t*>(b.ptr + r * b.run_stride),
                       reinterpret_cast<uint8_t*>(out.ptr + r * out.run_stride),
                       len * a.scale * int64_t(sizeof(S)), spans.at, spans.count, stream_out);
      }
    }
  }

  // How the normalize kernels mix sample i (which mixes) into tile [p0, p0 +
  // len): its Mixup weight, or its CutMix box as byte spans of the tile.
  MixSource mix_source(ThreadScratch& ts, int64_t i, int64_t p0, int64_t len) const {
    MixSource mix;
    if (plan[i].kind == MixKind::Mixup) {
      mix.kind = MixSource::Kind::Mixup;
      mix.q = formulas::lam_weight(plan[i].lam);
      mix.lam = plan[i].lam;
      mix.rest = 1.0f - plan[i].lam;
      return mix;
    }
    const int64_t unit = src.layout == Layout::NHWC ? g.c : 1;  // bytes per pixel
    const ByteSpans spans = byte_spans(plan[i].box, p0, len, unit, ts.spans_a);
    mix.kind = spans.count == 0 ? MixSource::Kind::None : MixSource::Kind::CutMix;
    mix.spans = spans.at;
    mix.count = spans.count;
    return mix;
  }

  // Computes output tile t of sample i with partner tile `b` and stores it.
  void single(ThreadScratch& ts, int64_t i, const View<const S>& b, int64_t p0, int64_t len) const {
    const View<const S> a = src_view(i, p0);
    if (same_format) {
      const View<S> out = tile_view<S>(dst.sample<S>(i), dst.layout, g, p0);
      if (!plan[i].changes_pixels(i) && !in_place && stream) {
        for (int64_t r = 0; r < a.runs; ++r) {
          k.copy_stream(out.ptr + r * out.run_stride, a.ptr + r * a.run_stride,
                        int64_t(sizeof(S)) * len * a.scale);
        }
        return;
      }
      mix_into(ts, i, a, b, out, p0, len, stream);
      return;
    }
    const View<D> out = tile_view<D>(dst.sample<D>(i), dst.layout, g, p0);
    if constexpr (!std::is_same_v<S, D>) {
      // uint8 -> float32 planes: the Mixup or CutMix happens inside the
      // normalize kernels, in registers.
      if (normalize_kernels_apply(src.layout, dst.layout, g.c)) {
        const MixSource mix = plan[i].changes_pixels(i) ? mix_source(ts, i, p0, len) : MixSource{};
        normalize_tile(k, a, &b, mix, src.layout, out, len, g.c, norm, stream);
        return;
      }
    }
    if constexpr (std::is_same_v<S, D>) {
      // NHWC -> NCHW, 3 channels: the Mixup or CutMix happens inside the split.
      if (src.layout == Layout::NHWC && g.c == 3) {
        MixSource mix = plan[i].changes_pixels(i) ? mix_source(ts, i, p0, len) : MixSource{};
        if constexpr (std::is_same_v<S, float>) {
          mix.b_f32 = b.ptr;
        } else {
          mix.b = b.ptr;
        }
        void* const planes[3] = {out.ptr, out.ptr + out.run_stride, out.ptr + 2 * out.run_stride};
        k.deinterleave3(a.ptr, mix, planes, len, int64_t(sizeof(S)), stream);
        return;
      }
    }
    View<const S> staged = a;
    if (plan[i].changes_pixels(i)) {
      S* stage = scratch_of<S>(ts.stage, g.tile_pixels * g.c);
      const View<S> stage_view = scratch_view<S>(stage, src.layout, g);
      mix_into(ts, i, a, b, stage_view, p0, len, false);
      staged = {stage, stage_view.run_stride, stage_view.runs, stage_view.scale};
    }
    convert_tile<S, D>(k, staged, src.layout, out, dst.layout, len, g.c, norm, stream);
  }

  void run_tile(ThreadScratch& ts, int64_t comp, int64_t t) const {
    const int64_t p0 = t * g.tile_pixels;
    const int64_t len = std::min(g.tile_pixels, g.hw - p0);
    for (int64_t si = schedule.comp_first_step[size_t(comp)];
         si < schedule.comp_first_step[size_t(comp) + 1]; ++si) {
      const Step& step = schedule.steps[size_t(si)];
      const int64_t* nodes = schedule.nodes.data() + step.first;
      if (step.type == StepType::Single) {
        const int64_t i = nodes[0];
        single(ts, i, src_view(plan[i].partner, p0), p0, len);
      } else if (step.type == StepType::Pair && same_format) {
        pair(nodes[0], nodes[1], p0, len);
      } else if (step.type == StepType::BoxPair && same_format) {
        if (in_place) {
          box_swap(nodes[0], nodes[1], p0, len);
        } else {
          box_pair(ts, nodes[0], nodes[1], p0, len);
        }
      } else if (step.type == StepType::Pair || !in_place) {
        for (int64_t m = 0; m < step.count; ++m) {
          single(ts, nodes[m], src_view(plan[nodes[m]].partner, p0), p0, len);
        }
      } else {
        cycle_in_place(ts, nodes, step.count, p0, len);
      }
    }
  }

  // A 2-cycle of Mixups in one pass, no scratch (same format only). Out of
  // place and streamed, each source line is read from memory once (as two
  // singles, a float32 batch took about 1.3 times as long).
  void pair(int64_t i, int64_t j, int64_t p0, int64_t len) const {
    const View<const S> a = src_view(i, p0), b = src_view(j, p0);
    const View<S> oa = tile_view<S>(dst.sample<S>(i), dst.layout, g, p0);
    const View<S> ob = tile_view<S>(dst.sample<S>(j), dst.layout, g, p0);
    const int64_t run_len = len * a.scale;
    for (int64_t r = 0; r < a.runs; ++r) {
      const int64_t ra = r * a.run_stride, rb = r * b.run_stride, rout = r * oa.run_stride;
      if constexpr (std::is_same_v<S, float>) {
        k.blend_f32_pair(a.ptr + ra, b.ptr + rb, oa.ptr + rout, ob.ptr + rout, run_len, plan[i].lam,
                         1.0f - plan[i].lam, plan[j].lam, 1.0f - plan[j].lam, stream);
      } else {
        k.blend_u8_pair(a.ptr + ra, b.ptr + rb, oa.ptr + rout, ob.ptr + rout, run_len,
                        formulas::lam_weight(plan[i].lam), formulas::lam_weight(plan[j].lam),
                        stream);
      }
    }
  }

  // A 2-cycle of CutMixes out of place, both outputs in one walk over the
  // tile: x_i and x_j are each read once, in order. (As two singles, the
  // first reads x_j's box rows only and the second the rest of x_j: that
  // scattered remainder missed the prefetchers and ran at about half the
  // copy bandwidth.)
  void box_pair(ThreadScratch& ts, int64_t i, int64_t j, int64_t p0, int64_t len) const {
    const View<const S> a = src_view(i, p0), b = src_view(j, p0);
    const View<S> oi = tile_view<S>(dst.sample<S>(i), dst.layout, g, p0);
    const View<S> oj = tile_view<S>(dst.sample<S>(j), dst.layout, g, p0);
    // Flat geometry (same format): one run per tile.
    const ByteSpans spans_i = byte_spans(plan[i].box, p0, len, 1, ts.spans_a);
    const ByteSpans spans_j = byte_spans(plan[j].box, p0, len, 1, ts.spans_b);
    k.select_spans_pair(reinterpret_cast<const uint8_t*>(a.ptr),
                        reinterpret_cast<const uint8_t*>(b.ptr), reinterpret_cast<uint8_t*>(oi.ptr),
                        reinterpret_cast<uint8_t*>(oj.ptr), len * int64_t(sizeof(S)), spans_i.at,
                        spans_i.count, spans_j.at, spans_j.count, stream);
  }

  // A 2-cycle of CutMixes in place, in one walk over the tile: where the
  // boxes overlap the two samples swap, elsewhere one side copies from the
  // other. Each box line is read and written once, in order (the generic
  // cycle, which saves x_i's box and then copies twice, took about twice as
  // long as an in-place Mixup of the whole batch, for a box of half the image).
  void box_swap(int64_t i, int64_t j, int64_t p0, int64_t len) const {
    S* a = tile_view<S>(dst.sample<S>(i), dst.layout, g, p0).ptr;
    S* b = tile_view<S>(dst.sample<S>(j), dst.layout, g, p0).ptr;
    constexpr int64_t es = int64_t(sizeof(S));
    const TileRows tile{p0 * es, (p0 + len) * es, g.box_planes, g.plane_stride * es,
                        g.row_stride * es};
    k.swap_boxes(reinterpret_cast<uint8_t*>(a), reinterpret_cast<uint8_t*>(b), tile,
                 box_bytes(plan[i].box), box_bytes(plan[j].box), stream_boxes);
  }

  // A box in bytes of a flat sample (see TileRows).
  BoxBytes box_bytes(const Box& box) const {
    const int64_t unit = g.box_scale * int64_t(sizeof(S));
    return {box.y0, box.y1, box.x0 * unit, box.x1 * unit};
  }

  // The box's spans inside the tile as byte offsets into one run (begin, end
  // pairs), written into `scratch` by index: this runs for every tile of
  // every CutMix sample (growing a vector per span cost 5-7 % of an elem
  // CutMix).
  ByteSpans byte_spans(const Box& box, int64_t p0, int64_t len, int64_t scale,
                       std::vector<int64_t>& scratch) const {
    const size_t most = box.empty() ? 0 : size_t(2 * g.box_planes * (box.y1 - box.y0));
    if (scratch.size() < most) scratch.resize(most);
    int64_t* out = scratch.data();
    int64_t n = 0;
    const int64_t unit = scale * int64_t(sizeof(S));
    for_each_box_span(box, g, p0, len, [&](int64_t q0, int64_t q1) {
      out[n] = q0 * unit;
      out[n + 1] = q1 * unit;
      n += 2;
    });
    return {out, n / 2};
  }

  // In place: x_{c0} is saved (only what its reader needs), then each sample
  // of the cycle is overwritten right after the one that reads it.
  void cycle_in_place(ThreadScratch& ts, const int64_t* nodes, int64_t count, int64_t p0,
                      int64_t len) const {
    const int64_t first = nodes[0], last = nodes[count - 1];
    S* saved = scratch_of<S>(ts.cycle, g.tile_pixels * g.c);
    const View<S> saved_view = scratch_view<S>(saved, src.layout, g);
    const View<const S> from = src_view(first, p0);
    if (plan[last].kind == MixKind::Mixup) {
      copy_pixels<S>(from, saved_view, 0, len);
    } else {
      for_each_box_span(plan[last].box, g, p0, len,
                        [&](int64_t q0, int64_t q1) { copy_pixels<S>(from, saved_view, q0, q1); });
    }
    for (int64_t m = 0; m + 1 < count; ++m)
      single(ts, nodes[m], src_view(nodes[m + 1], p0), p0, len);
    single(ts, last, {saved, saved_view.run_stride, saved_view.runs, saved_view.scale}, p0, len);
  }
};

template <class S, class D>
void mix_typed(Context& ctx, const KernelTable& k, int threads, const MixSample* plan,
               const Tensor& src_in, const Tensor& dst_in, const Normalize* norm) {
  const bool in_place = src_in.data == dst_in.data;
  const bool same_format = src_in.dtype == dst_in.dtype && src_in.layout == dst_in.layout;
  const Tensor src = same_format ? flat(src_in) : src_in;
  const Tensor dst = same_format ? flat(dst_in) : dst_in;
  const Geometry g = same_format ? make_flat_geometry(src_in, sizeof(S))
                                 : make_geometry(src, int64_t(std::max(sizeof(S), sizeof(D))));
  CpuScratch& scratch = cpu_scratch(ctx, threads);
  build_schedule(plan, src.n, in_place, scratch.schedule);
  if constexpr (!std::is_same_v<S, D>) scratch.norm.reset(norm, src.c, src.layout, dst.layout);
  const bool stream = !in_place && streams(ctx, dst);
  const bool stream_boxes = in_place && streams(ctx, dst);
  const MixJob<S, D> job{
      k,        plan,        src,    dst,         g, scratch.schedule, scratch.norm,
      in_place, same_format, stream, stream_boxes};
  run_items(
      threads, scratch.schedule.num_components(), g.num_tiles, scratch.schedule.comp_cost_prefix,
      [&](int64_t comp, int64_t t, int part) {
        job.run_tile(scratch.threads[size_t(part)], comp, t);
      },
      [&](int) { k.stream_fence(); });
}

}  // namespace

void mix_apply(Context& ctx, const MixSample* plan, const Tensor& src, const Tensor& dst,
               const Normalize* norm) {
  if (src.n == 0) return;
  const KernelTable& k = kernels_for(effective_isa(ctx));
  const int threads = thread_count(ctx, moved_bytes(src, dst));
  if (src.dtype == DType::U8 && dst.dtype == DType::U8) {
    mix_typed<uint8_t, uint8_t>(ctx, k, threads, plan, src, dst, norm);
  } else if (src.dtype == DType::F32 && dst.dtype == DType::F32) {
    mix_typed<float, float>(ctx, k, threads, plan, src, dst, norm);
  } else if (src.dtype == DType::U8 && dst.dtype == DType::F32) {
    mix_typed<uint8_t, float>(ctx, k, threads, plan, src, dst, norm);
  } else {
    throw Error(Status::BadDtype, "cpu::mix_apply: unsupported dtype pair");
  }
}

}  // namespace mixcut::cpu
