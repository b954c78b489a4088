// CPU backend entry points: ISA detection and capping, thread count, and the
// scheduling of a call onto the per-ISA kernels (cpu/kernel_table.hpp).
//
// Every output element depends only on the same (channel, row, column) of
// x_i and of x_partner(i), so a batch splits into tiles (a range of pixels,
// all channels) that are independent. Mixup/CutMix follow the partner graph
// per tile: the samples of one connected component are walked together so
// that each source tile is read from memory once; in place, readers of a
// sample run before it is overwritten (Kahn order), and a cycle saves its
// first tile in a per-thread scratch. Work items are (component, tile),
// split between threads by cost, so elem mode costs what batch mode costs.
#include "cpu/apply.hpp"

#include <omp.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "cpu/kernel_table.hpp"
#include "kernels/formulas.hpp"
#include "plan/schedule.hpp"

namespace mixcut::cpu {
namespace {

// ---------------------------------------------------------------------------
// ISA and threads.

std::atomic<bool> g_in_forked_child{false};

void mark_forked_child() { g_in_forked_child.store(true, std::memory_order_relaxed); }

// libgomp's thread pool does not survive fork(): a child must stay serial.
void register_fork_handler_once() {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, &mark_forked_child); });
}

// Registered at load time too, so a fork before the first call is seen.
[[maybe_unused]] const bool g_fork_handler_registered = (register_fork_handler_once(), true);

Isa detect_isa_uncached() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return Isa::Avx512;
  // The AVX2 level uses FMA too (every AVX2 CPU since Haswell and Zen has it).
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
  if (__builtin_cpu_supports("sse4.1")) return Isa::Sse2;
  return Isa::Scalar;
}

// Whether a call writes with non-temporal stores: batches of at least the
// ctx's threshold exceed the caches. Out of place, the whole output streams;
// the full cache lines of CutMix box rows (in place) and of Cutout hole rows
// do too (they are written, never read, so a regular store's read of the
// line is wasted traffic).
bool streams(const Context& ctx, const Tensor& dst) {
  return dst.n * dst.sample_elems() * elem_size(dst.dtype) >= ctx.stream_threshold;
}

// Copies `bytes` (one box or hole row), streaming its whole cache lines when
// asked (copy_stream copies rows under 128 bytes plainly). Measured (1
// thread, 128x3x224x224, in place): Cutout f32 NHWC (672-byte rows) 1.0-1.1
// -> 0.4-0.5 ms, u8 NHWC (168 bytes) 0.5-0.6 -> 0.27 ms.
void put_row(const KernelTable& k, void* dst, const void* src, int64_t bytes, bool stream) {
  if (stream) {
    k.copy_stream(dst, src, bytes);
  } else {
    std::memcpy(dst, src, size_t(bytes));
  }
}

// Writing a hole row is latency-bound: a line the row covers in part is
// read before it is written, and without help only a few such reads are in
// flight. So the row kPrefetchRows further down gets its first and last
// lines prefetched for writing (a prefetch never faults, so rows past the
// hole or the sample are harmless).
constexpr int64_t kPrefetchRows = 4;
inline void prefetch_edges(const void* row, int64_t bytes) {
  __builtin_prefetch(row, 1);
  __builtin_prefetch(static_cast<const char*>(row) + bytes - 1, 1);
}

Isa min_isa(Isa a, Isa b) { return static_cast<int32_t>(a) < static_cast<int32_t>(b) ? a : b; }

// ---------------------------------------------------------------------------
// Geometry: a tile is the pixel range [p0, p0 + len) of one sample, all
// channels. In NCHW that is `c` runs of `len` elements HW apart; in NHWC one
// run of len*c elements.
//
// Calls without a format change run on flat samples instead (see flat()): a
// "pixel" is then one element and a tile one contiguous run, which streams
// far better than c short NCHW runs (measured: a streamed NCHW f32 copy in
// 3-run tiles took 9-10 ms, flat 5-6 ms, for 128x3x224x224). Boxes then map
// to element spans through the box_* fields.

// A tile holds kTileBytes of each channel plane at the wider element size
// (of a flat sample: kTileBytes). Measured in alternating A/B runs
// (128x3x224x224, 1 and 2 threads): 64 KiB against 16 KiB flat tiles, Mixup
// f32 out of place 4.82 -> 4.42 ms, CutMix f32 out of place 6.99 -> 5.98 ms;
// longer runs per output stream keep DRAM pages open. 4 KiB tiles were twice
// as slow, 128 KiB no better than 64. With a format change, 64 KiB per plane
// against 64 KiB for all three: fused uint8 NHWC -> float32 NCHW Mixup 4.58
// -> 4.17 ms, uint8 NCHW -> NHWC Mixup 2.34 -> 2.15 ms.
constexpr int64_t kTileBytes = 64 * 1024;

struct Geometry {
  int64_t n, c, h, w, hw;
  int64_t tile_pixels, num_tiles;
  // Box row y of plane pl covers [pl*plane_stride + y*row_stride + x*box_scale)
  // for x in [x0, x1), in the tile's pixel units.
  int64_t box_planes = 1, plane_stride = 0, row_stride = 0, box_scale = 1;
};

Geometry make_geometry(const Tensor& t, int64_t max_elem_size) {
  Geometry g{t.n, t.c, t.h, t.w, t.h * t.w, 0, 0};
  int64_t pixels = kTileBytes / max_elem_size;
  pixels = std::max<int64_t>(64, pixels / 64 * 64);
  g.tile_pixels = std::min(pixels, g.hw);
  g.num_tiles = (g.hw + g.tile_pixels - 1) / g.tile_pixels;
  g.row_stride = t.w;
  return g;
}

// The same sample as one flat run of c*h*w elements (c = h = 1).
Tensor flat(const Tensor& t) {
  Tensor f = t;
  f.layout = Layout::NCHW;
  f.c = f.h = 1;
  f.w = t.sample_elems();
  return f;
}

// Geometry of flat(t), with boxes mapped to t's element spans.
Geometry make_flat_geometry(const Tensor& t, int64_t elem_size) {
  Geometry g = make_geometry(flat(t), elem_size);
  const bool nchw = t.layout == Layout::NCHW;
  g.box_planes = nchw ? t.c : 1;
  g.plane_stride = nchw ? t.h * t.w : 0;
  g.row_stride = nchw ? t.w : t.w * t.c;
  g.box_scale = nchw ? 1 : t.c;
  return g;
}

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Element (run r, k) of a tile lives at ptr[r * run_stride + k].
template <class T>
struct View {
  T* ptr;
  int64_t run_stride;  // elements between runs (NCHW: channels)
  int64_t runs;        // c in NCHW, 1 in NHWC
  int64_t scale;       // elements per pixel inside a run (1 in NCHW, c in NHWC)
};

template <class T>
View<T> tile_view(T* sample, Layout layout, const Geometry& g, int64_t p0) {
  if (layout == Layout::NCHW) return {sample + p0, g.hw, g.c, 1};
  return {sample + p0 * g.c, 0, 1, g.c};
}

// A scratch tile laid out like the source tile (runs packed).
template <class T>
View<T> scratch_view(T* scratch, Layout layout, const Geometry& g) {
  if (layout == Layout::NCHW) return {scratch, g.tile_pixels, g.c, 1};
  return {scratch, 0, 1, g.c};
}

// Calls fn(q0, q1) for the spans [q0, q1) of the box inside the tile
// [p0, p0 + len), relative to p0, in increasing order.
template <class Fn>
void for_each_box_span(const Box& box, const Geometry& g, int64_t p0, int64_t len, Fn&& fn) {
  if (box.empty()) return;
  const int64_t p1 = p0 + len, rs = g.row_stride;
  for (int64_t plane = 0; plane < g.box_planes; ++plane) {
    const int64_t base = plane * g.plane_stride;
    const int64_t first_row = std::max<int64_t>(box.y0, floor_div(p0 - base, rs));
    const int64_t last_row = std::min<int64_t>(box.y1, floor_div(p1 - base + rs - 1, rs));
    for (int64_t y = first_row; y < last_row; ++y) {
      const int64_t row = base + y * rs;
      const int64_t s0 = std::max(row + box.x0 * g.box_scale, p0) - p0;
      const int64_t s1 = std::min(row + box.x1 * g.box_scale, p1) - p0;
      if (s0 < s1) fn(s0, s1);
    }
  }
}

// Copies pixels [q0, q1) of every run of `from` to `to` (same layout).
template <class T>
void copy_pixels(const View<const T>& from, const View<T>& to, int64_t q0, int64_t q1) {
  const int64_t scale = from.scale;
  const size_t bytes = size_t((q1 - q0) * scale) * sizeof(T);
  for (int64_t r = 0; r < from.runs; ++r) {
    const T* s = from.ptr + r * from.run_stride + q0 * scale;
    T* d = to.ptr + r * to.run_stride + q0 * scale;
    if (s != d) std::memcpy(d, s, bytes);
  }
}

// A box's spans in a tile: count (begin, end) byte offsets at `at`.
struct ByteSpans {
  const int64_t* at;
  int64_t count;
};

// Scratch buffers of the calling thread; they only grow, so steady state
// does not allocate.
struct ThreadScratch {
  std::vector<unsigned char> cycle, stage;
  std::vector<int64_t> spans_a, spans_b;  // box spans in bytes (select_spans)
};
thread_local ThreadScratch t_scratch;

template <class T>
T* scratch_of(std::vector<unsigned char>& buffer, int64_t elems) {
  const size_t bytes = size_t(elems) * sizeof(T) + 64;
  if (buffer.size() < bytes) buffer.resize(bytes);
  auto addr = reinterpret_cast<uintptr_t>(buffer.data());
  return reinterpret_cast<T*>((addr + 63) & ~uintptr_t(63));
}

// a/d as the normalize kernels compute it with fma set: fma(a, hi, a*lo)
// from formulas::split_reciprocal, one rounding of a nearly exact product
// (std::fma rounds once, like the vector FMA).
float divide_split(float a, formulas::SplitReciprocal r) { return std::fma(a, r.hi, a * r.lo); }

// Per-channel mean and std with defaults (0 and 1) and the exact uint8 ->
// float32 table built with formulas::normalize_u8; fma_exact[c]: the kernels'
// fma form gives that table bit for bit on channel c (all 256 inputs).
struct ChannelNorm {
  std::vector<float> mean, std, table;  // table[c * 256 + v]
  std::vector<char> fma_exact;
  void reset(const Normalize* norm, int64_t channels) {
    mean.assign(size_t(channels), 0.0f);
    std.assign(size_t(channels), 1.0f);
    if (norm != nullptr && !norm->mean.empty()) {
      std::copy(norm->mean.begin(), norm->mean.begin() + channels, mean.begin());
    }
    if (norm != nullptr && !norm->std.empty()) {
      std::copy(norm->std.begin(), norm->std.begin() + channels, std.begin());
    }
    table.resize(size_t(channels) * 256);
    fma_exact.assign(size_t(channels), 1);
    const formulas::SplitReciprocal r255 = formulas::split_reciprocal(255.0f);
    for (int64_t ch = 0; ch < channels; ++ch) {
      const float m = mean[size_t(ch)], s = std[size_t(ch)];
      const formulas::SplitReciprocal rs = formulas::split_reciprocal(s);
      for (int v = 0; v < 256; ++v) {
        const float exact = formulas::normalize_u8(uint8_t(v), m, s);
        table[size_t(ch * 256 + v)] = exact;
        const float fast = divide_split(divide_split(float(v), r255) - m, rs);
        if (std::memcmp(&fast, &exact, sizeof(float)) != 0) fma_exact[size_t(ch)] = 0;
      }
    }
  }
};

// Whether the normalize kernels convert uint8 to float32 between these
// layouts: into NCHW planes, from planes or from 3-channel NHWC pixels.
bool normalize_kernels_apply(Layout from_layout, Layout to_layout, int64_t channels) {
  return to_layout == Layout::NCHW && (from_layout == Layout::NCHW || channels == 3);
}

// The uint8 tile `a` (pixels [0, len)) normalised into the float32 NCHW
// tile `to` by the normalize kernels, mixed in the same pass with the tile
// `b` as `mix` says (b may be null for Kind::None); mix.b is set here, plane
// by plane.
void normalize_tile(const KernelTable& k, const View<const uint8_t>& a,
                    const View<const uint8_t>* b, MixSource mix, Layout from_layout,
                    const View<float>& to, int64_t len, int64_t channels, const ChannelNorm& norm,
                    bool stream) {
  if (from_layout == Layout::NCHW) {
    for (int64_t ch = 0; ch < channels; ++ch) {
      mix.b = b != nullptr ? b->ptr + ch * b->run_stride : nullptr;
      k.normalize_u8(a.ptr + ch * a.run_stride, mix, to.ptr + ch * to.run_stride, len,
                     norm.mean[size_t(ch)], norm.std[size_t(ch)], norm.fma_exact[size_t(ch)] != 0,
                     stream);
    }
    return;
  }
  mix.b = b != nullptr ? b->ptr : nullptr;
  float* const planes[3] = {to.ptr, to.ptr + to.run_stride, to.ptr + 2 * to.run_stride};
  const bool fma = norm.fma_exact[0] && norm.fma_exact[1] && norm.fma_exact[2];
  k.normalize3_u8(a.ptr, mix, planes, len, norm.mean.data(), norm.std.data(), fma, stream);
}

// Writes the source-layout tile `from` (pixels [0, len)) to the destination
// tile `to`, converting dtype and layout. `stream`: the destination is written
// with non-temporal stores where a kernel has them (u8 -> f32 into NCHW).
template <class S, class D>
void convert_tile(const KernelTable& k, const View<const S>& from, Layout from_layout,
                  const View<D>& to, Layout to_layout, int64_t len, int64_t channels,
                  const ChannelNorm& norm, bool stream) {
  constexpr bool kSameType = std::is_same_v<S, D>;
  if constexpr (!kSameType) {
    if (normalize_kernels_apply(from_layout, to_layout, channels)) {
      normalize_tile(k, from, nullptr, MixSource{}, from_layout, to, len, channels, norm, stream);
      return;
    }
  }
  if (from_layout == to_layout) {
    if constexpr (kSameType) {
      copy_pixels<S>(from, View<S>{to.ptr, to.run_stride, to.runs, to.scale}, 0, len);
    } else {
      const float* table = norm.table.data();
      for (int64_t p = 0; p < len; ++p) {
        for (int64_t ch = 0; ch < channels; ++ch) {
          to.ptr[p * channels + ch] = table[ch * 256 + from.ptr[p * channels + ch]];
        }
      }
    }
    return;
  }
  // Layout change: NHWC -> NCHW or NCHW -> NHWC; 3 channels of one dtype
  // through the shuffle kernels, anything else channel by channel.
  if constexpr (kSameType) {
    if (channels == 3) {
      void* const planes[3] = {to.ptr, to.ptr + to.run_stride, to.ptr + 2 * to.run_stride};
      const void* const from_planes[3] = {from.ptr, from.ptr + from.run_stride,
                                          from.ptr + 2 * from.run_stride};
      if (from_layout == Layout::NHWC) {
        k.deinterleave3(from.ptr, MixSource{}, planes, len, int64_t(sizeof(S)), stream);
      } else {
        k.interleave3(from_planes, to.ptr, len, int64_t(sizeof(S)), stream);
      }
      return;
    }
  }
  for (int64_t ch = 0; ch < channels; ++ch) {
    const S* s;
    int64_t s_step;
    D* d;
    int64_t d_step;
    if (from_layout == Layout::NHWC) {
      s = from.ptr + ch, s_step = channels;
      d = to.ptr + ch * to.run_stride, d_step = 1;
    } else {
      s = from.ptr + ch * from.run_stride, s_step = 1;
      d = to.ptr + ch, d_step = channels;
    }
    if constexpr (kSameType) {
      for (int64_t p = 0; p < len; ++p) d[p * d_step] = s[p * s_step];
    } else {
      const float* table = norm.table.data() + ch * 256;
      for (int64_t p = 0; p < len; ++p) d[p * d_step] = table[s[p * s_step]];
    }
  }
}

thread_local Schedule t_schedule;

// Runs items [begin, end) of a list where item (c, t) costs `cost(c)`:
// splits the total cost evenly between `threads` and calls fn(c, t); each
// thread calls done() after its last item (the one sfence of its streamed
// stores: a fence per span costs about what the streaming saves).
template <class Fn, class Done>
void run_items(int threads, int64_t num_comps, int64_t num_tiles,
               const std::vector<int64_t>& cost_prefix, Fn&& fn, Done&& done) {
  const int64_t total = cost_prefix[size_t(num_comps)] * num_tiles;
  if (total == 0) return;
  // First item whose cost range starts at or after `position`.
  auto item_at = [&](int64_t position) -> std::pair<int64_t, int64_t> {
    if (position >= total) return {num_comps, 0};
    // Component c covers [prefix[c] * T, prefix[c + 1] * T).
    const auto it = std::upper_bound(cost_prefix.begin(), cost_prefix.begin() + num_comps + 1,
                                     position / num_tiles);
    int64_t c = int64_t(it - cost_prefix.begin()) - 1;
    while (c + 1 < num_comps && cost_prefix[size_t(c + 1)] * num_tiles <= position) ++c;
    while (c > 0 && cost_prefix[size_t(c)] * num_tiles > position) --c;
    const int64_t base = cost_prefix[size_t(c)] * num_tiles;
    const int64_t cost = cost_prefix[size_t(c + 1)] - cost_prefix[size_t(c)];
    int64_t t = (position - base + cost - 1) / cost;
    if (t >= num_tiles) return {c + 1, 0};
    return {c, t};
  };
  auto run_range = [&](int part, int parts) {
    const auto [c0, t0] = item_at(total * part / parts);
    const auto [c1, t1] = item_at(total * (part + 1) / parts);
    for (int64_t c = c0, t = t0; c < c1 || (c == c1 && t < t1);) {
      fn(c, t);
      if (++t == num_tiles) t = 0, ++c;
    }
    done();
  };
  if (threads <= 1) {
    run_range(0, 1);
    return;
  }
#pragma omp parallel num_threads(threads)
  run_range(omp_get_thread_num(), omp_get_num_threads());
}

// ---------------------------------------------------------------------------
// Mixup and CutMix.

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
      (stream ? k.blend_f32_stream : k.blend_f32)(pa, pb, po, run_len, lam, rest);
    } else {
      (stream ? k.blend_u8_stream : k.blend_u8)(pa, pb, po, run_len,
                                                formulas::lam_weight(record.lam));
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
  void mix_into(int64_t i, const View<const S>& a, const View<const S>& b, const View<S>& out,
                int64_t p0, int64_t len, bool stream_out) const {
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
      const ByteSpans spans = byte_spans(record.box, p0, len, a.scale, t_scratch.spans_a);
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
  MixSource mix_source(int64_t i, int64_t p0, int64_t len) const {
    MixSource mix;
    if (plan[i].kind == MixKind::Mixup) {
      mix.kind = MixSource::Kind::Mixup;
      mix.q = formulas::lam_weight(plan[i].lam);
      mix.lam = plan[i].lam;
      mix.rest = 1.0f - plan[i].lam;
      return mix;
    }
    const int64_t unit = src.layout == Layout::NHWC ? g.c : 1;  // bytes per pixel
    const ByteSpans spans = byte_spans(plan[i].box, p0, len, unit, t_scratch.spans_a);
    mix.kind = spans.count == 0 ? MixSource::Kind::None : MixSource::Kind::CutMix;
    mix.spans = spans.at;
    mix.count = spans.count;
    return mix;
  }

  // Computes output tile t of sample i with partner tile `b` and stores it.
  void single(int64_t i, const View<const S>& b, int64_t p0, int64_t len) const {
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
      mix_into(i, a, b, out, p0, len, stream);
      return;
    }
    const View<D> out = tile_view<D>(dst.sample<D>(i), dst.layout, g, p0);
    if constexpr (!std::is_same_v<S, D>) {
      // uint8 -> float32 planes: the Mixup or CutMix happens inside the
      // normalize kernels, in registers.
      if (normalize_kernels_apply(src.layout, dst.layout, g.c)) {
        const MixSource mix = plan[i].changes_pixels(i) ? mix_source(i, p0, len) : MixSource{};
        normalize_tile(k, a, &b, mix, src.layout, out, len, g.c, norm, stream);
        return;
      }
    }
    if constexpr (std::is_same_v<S, D>) {
      // NHWC -> NCHW, 3 channels: the Mixup or CutMix happens inside the split.
      if (src.layout == Layout::NHWC && g.c == 3) {
        MixSource mix = plan[i].changes_pixels(i) ? mix_source(i, p0, len) : MixSource{};
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
      S* stage = scratch_of<S>(t_scratch.stage, g.tile_pixels * g.c);
      const View<S> stage_view = scratch_view<S>(stage, src.layout, g);
      mix_into(i, a, b, stage_view, p0, len, false);
      staged = {stage, stage_view.run_stride, stage_view.runs, stage_view.scale};
    }
    convert_tile<S, D>(k, staged, src.layout, out, dst.layout, len, g.c, norm, stream);
  }

  void run_tile(int64_t comp, int64_t t) const {
    const int64_t p0 = t * g.tile_pixels;
    const int64_t len = std::min(g.tile_pixels, g.hw - p0);
    for (int64_t si = schedule.comp_first_step[size_t(comp)];
         si < schedule.comp_first_step[size_t(comp) + 1]; ++si) {
      const Step& step = schedule.steps[size_t(si)];
      const int64_t* nodes = schedule.nodes.data() + step.first;
      if (step.type == StepType::Single) {
        const int64_t i = nodes[0];
        single(i, src_view(plan[i].partner, p0), p0, len);
      } else if (step.type == StepType::Pair && same_format) {
        pair(nodes[0], nodes[1], p0, len);
      } else if (step.type == StepType::BoxPair && same_format) {
        if (in_place) {
          box_swap(nodes[0], nodes[1], p0, len);
        } else {
          box_pair(nodes[0], nodes[1], p0, len);
        }
      } else if (step.type == StepType::Pair || !in_place) {
        for (int64_t m = 0; m < step.count; ++m) {
          single(nodes[m], src_view(plan[nodes[m]].partner, p0), p0, len);
        }
      } else {
        cycle_in_place(nodes, step.count, p0, len);
      }
    }
  }

  // A 2-cycle of Mixups in one pass, no scratch (same format only). Out of
  // place and streamed, each source line is read from memory once (measured:
  // 5.1-6.0 ms for 128x3x224x224 f32 against 6.6-7.8 ms as two singles).
  void pair(int64_t i, int64_t j, int64_t p0, int64_t len) const {
    const View<const S> a = src_view(i, p0), b = src_view(j, p0);
    const View<S> oa = tile_view<S>(dst.sample<S>(i), dst.layout, g, p0);
    const View<S> ob = tile_view<S>(dst.sample<S>(j), dst.layout, g, p0);
    const int64_t run_len = len * a.scale;
    for (int64_t r = 0; r < a.runs; ++r) {
      const int64_t ra = r * a.run_stride, rb = r * b.run_stride, rout = r * oa.run_stride;
      if constexpr (std::is_same_v<S, float>) {
        (stream ? k.blend_f32_pair_stream : k.blend_f32_pair)(
            a.ptr + ra, b.ptr + rb, oa.ptr + rout, ob.ptr + rout, run_len, plan[i].lam,
            1.0f - plan[i].lam, plan[j].lam, 1.0f - plan[j].lam);
      } else {
        (stream ? k.blend_u8_pair_stream : k.blend_u8_pair)(
            a.ptr + ra, b.ptr + rb, oa.ptr + rout, ob.ptr + rout, run_len,
            formulas::lam_weight(plan[i].lam), formulas::lam_weight(plan[j].lam));
      }
    }
  }

  // A 2-cycle of CutMixes out of place, both outputs in one walk over the
  // tile: x_i and x_j are each read once, in order. (As two singles, the
  // first reads x_j's box rows only and the second the rest of x_j: that
  // scattered remainder missed the prefetchers and ran at about half the
  // copy bandwidth.)
  void box_pair(int64_t i, int64_t j, int64_t p0, int64_t len) const {
    const View<const S> a = src_view(i, p0), b = src_view(j, p0);
    const View<S> oi = tile_view<S>(dst.sample<S>(i), dst.layout, g, p0);
    const View<S> oj = tile_view<S>(dst.sample<S>(j), dst.layout, g, p0);
    // Flat geometry (same format): one run per tile.
    const ByteSpans spans_i = byte_spans(plan[i].box, p0, len, 1, t_scratch.spans_a);
    const ByteSpans spans_j = byte_spans(plan[j].box, p0, len, 1, t_scratch.spans_b);
    k.select_spans_pair(reinterpret_cast<const uint8_t*>(a.ptr),
                        reinterpret_cast<const uint8_t*>(b.ptr), reinterpret_cast<uint8_t*>(oi.ptr),
                        reinterpret_cast<uint8_t*>(oj.ptr), len * int64_t(sizeof(S)), spans_i.at,
                        spans_i.count, spans_j.at, spans_j.count, stream);
  }

  // A 2-cycle of CutMixes in place, in one walk over the tile: where the
  // boxes overlap the two samples swap, elsewhere one side copies from the
  // other. Each box line is read and written once, in order (measured: the
  // generic cycle, which saves x_i's box, then copies twice, took 6.2 ms for a
  // 128x3x224x224 f32 batch whose box covers 54 %; a Mixup of the whole batch
  // in place takes 3.3).
  void box_swap(int64_t i, int64_t j, int64_t p0, int64_t len) const {
    S* a = tile_view<S>(dst.sample<S>(i), dst.layout, g, p0).ptr;
    S* b = tile_view<S>(dst.sample<S>(j), dst.layout, g, p0).ptr;
    const ByteSpans spans_i = byte_spans(plan[i].box, p0, len, 1, t_scratch.spans_a);
    const ByteSpans spans_j = byte_spans(plan[j].box, p0, len, 1, t_scratch.spans_b);
    k.swap_spans(reinterpret_cast<uint8_t*>(a), reinterpret_cast<uint8_t*>(b), spans_i.at,
                 spans_i.count, spans_j.at, spans_j.count, stream_boxes);
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
  void cycle_in_place(const int64_t* nodes, int64_t count, int64_t p0, int64_t len) const {
    const int64_t first = nodes[0], last = nodes[count - 1];
    S* saved = scratch_of<S>(t_scratch.cycle, g.tile_pixels * g.c);
    const View<S> saved_view = scratch_view<S>(saved, src.layout, g);
    const View<const S> from = src_view(first, p0);
    if (plan[last].kind == MixKind::Mixup) {
      copy_pixels<S>(from, saved_view, 0, len);
    } else {
      for_each_box_span(plan[last].box, g, p0, len,
                        [&](int64_t q0, int64_t q1) { copy_pixels<S>(from, saved_view, q0, q1); });
    }
    for (int64_t m = 0; m + 1 < count; ++m) single(nodes[m], src_view(nodes[m + 1], p0), p0, len);
    single(last, {saved, saved_view.run_stride, saved_view.runs, saved_view.scale}, p0, len);
  }
};

template <class S, class D>
void mix_typed(const Context& ctx, const KernelTable& k, int threads, const MixSample* plan,
               const Tensor& src_in, const Tensor& dst_in, const Normalize* norm) {
  const bool in_place = src_in.data == dst_in.data;
  const bool same_format = src_in.dtype == dst_in.dtype && src_in.layout == dst_in.layout;
  const Tensor src = same_format ? flat(src_in) : src_in;
  const Tensor dst = same_format ? flat(dst_in) : dst_in;
  const Geometry g = same_format ? make_flat_geometry(src_in, sizeof(S))
                                 : make_geometry(src, int64_t(std::max(sizeof(S), sizeof(D))));
  Schedule& schedule = t_schedule;
  build_schedule(plan, src.n, in_place, schedule);
  thread_local ChannelNorm channel_norm;
  if constexpr (!std::is_same_v<S, D>) channel_norm.reset(norm, src.c);
  const bool stream = !in_place && streams(ctx, dst);
  const bool stream_boxes = in_place && streams(ctx, dst);
  const MixJob<S, D> job{k,        plan,        src,    dst,         g, schedule, channel_norm,
                         in_place, same_format, stream, stream_boxes};
  const int64_t num_comps = schedule.num_components();
  run_items(
      threads, num_comps, g.num_tiles, schedule.comp_cost_prefix,
      [&](int64_t comp, int64_t t) { job.run_tile(comp, t); }, [&] { k.stream_fence(); });
}

// ---------------------------------------------------------------------------
// Cutout: copy/convert (out of place), then the holes, tile by tile.

template <class D>
struct FillValues {
  std::vector<D> channel;  // per channel (Constant and Channel fills)
};

template <class S, class D>
void cutout_typed(const Context& ctx, const KernelTable& k, int threads, const CutoutHole* holes,
                  int64_t num_holes, const Fill& fill, const Tensor& src, const Tensor& dst,
                  const Normalize* norm) {
  const bool in_place = src.data == dst.data;
  const Geometry g = make_geometry(src, int64_t(std::max(sizeof(S), sizeof(D))));
  thread_local ChannelNorm channel_norm;
  if constexpr (!std::is_same_v<S, D>) channel_norm.reset(norm, src.c);
  // Values of constant fills in destination units (uint8 rounds half to even).
  thread_local std::vector<D> channel_values;
  channel_values.resize(size_t(g.c));
  for (int64_t ch = 0; ch < g.c; ++ch) {
    const float v = fill.kind == FillKind::Channel ? fill.channel_values[size_t(ch)] : fill.value;
    if constexpr (std::is_same_v<D, uint8_t>) {
      channel_values[size_t(ch)] = formulas::fill_u8(v);
    } else {
      channel_values[size_t(ch)] = v;
    }
  }
  // Constant fills as rows to copy: NHWC, one row of w interleaved pixels;
  // NCHW, one row of w values per channel.
  const bool row_fill = fill.kind == FillKind::Constant || fill.kind == FillKind::Channel;
  thread_local std::vector<D> fill_rows;
  if (row_fill) {
    fill_rows.resize(size_t(g.w * g.c));
    for (int64_t e = 0; e < g.w * g.c; ++e) {
      const int64_t ch = dst.layout == Layout::NHWC ? e % g.c : e / g.w;
      fill_rows[size_t(e)] = channel_values[size_t(ch)];
    }
  }
  // Holes of sample i: [hole_first[i], hole_first[i + 1]).
  thread_local std::vector<int64_t> hole_first;
  hole_first.assign(size_t(g.n) + 1, 0);
  for (int64_t h = 0; h < num_holes; ++h) ++hole_first[size_t(holes[h].sample) + 1];
  for (int64_t i = 0; i < g.n; ++i) hole_first[size_t(i) + 1] += hole_first[size_t(i)];
  // Samples to visit (cost 1 each): all of them out of place, those with holes in place.
  thread_local std::vector<int64_t> samples, cost_prefix;
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
  // Thread-locals are named only here: inside the parallel region the name
  // would mean the worker thread's own (empty) copy.
  const D* values = channel_values.data();
  const D* fill_row = fill_rows.data();
  const int64_t* first_hole = hole_first.data();
  const int64_t* sample_of_item = samples.data();
  const ChannelNorm& norm_table = channel_norm;

  run_items(
      threads, int64_t(samples.size()), g.num_tiles, cost_prefix,
      [&](int64_t s, int64_t t) {
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
      [&] { k.stream_fence(); });
}

}  // namespace

Isa detected_isa() {
  static const Isa isa = detect_isa_uncached();
  return isa;
}

Isa default_isa_cap() {
  const Isa detected = detected_isa();
  const char* forced = std::getenv("MIXCUT_FORCE_ISA");
  if (forced == nullptr || *forced == '\0') return detected;
  Isa cap = detected;
  if (std::strcmp(forced, "scalar") == 0) {
    cap = Isa::Scalar;
  } else if (std::strcmp(forced, "sse2") == 0) {
    cap = Isa::Sse2;
  } else if (std::strcmp(forced, "avx2") == 0) {
    cap = Isa::Avx2;
  } else if (std::strcmp(forced, "avx512") == 0) {
    cap = Isa::Avx512;
  }
  return min_isa(detected, cap);
}

Isa effective_isa(const Context& ctx) { return min_isa(detected_isa(), ctx.max_isa); }

int thread_count(const Context& ctx) {
  register_fork_handler_once();
  if (g_in_forked_child.load(std::memory_order_relaxed)) return 1;
  if (ctx.num_threads > 0) return static_cast<int>(std::min<int64_t>(ctx.num_threads, kMaxThreads));
  return std::clamp(omp_get_max_threads(), 1, kMaxThreads);
}

void mix_apply(Context& ctx, const MixSample* plan, const Tensor& src, const Tensor& dst,
               const Normalize* norm) {
  if (src.n == 0) return;
  const KernelTable& k = kernels_for(effective_isa(ctx));
  const int threads = thread_count(ctx);
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
