// CPU tiling: a batch as independent tiles (a pixel range of one sample, all
// channels), views of a tile's runs, a box's spans inside a tile, row copies.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/types.hpp"
#include "cpu/kernel_table.hpp"

namespace mixcut::cpu {

// Geometry: a tile is the pixel range [p0, p0 + len) of one sample, all
// channels. In NCHW that is `c` runs of `len` elements HW apart; in NHWC one
// run of len*c elements.
//
// Calls without a format change run on flat samples instead (see flat()): a
// "pixel" is then one element and a tile one contiguous run, which streams
// far better than c short NCHW runs (a streamed 3-run NCHW float32 copy took
// about 1.7 times as long as a flat one). Boxes then map to element spans
// through the box_* fields.

// A tile holds kTileBytes of each channel plane at the wider element size
// (of a flat sample: kTileBytes). Chosen by alternating A/B runs (figures in
// the commit that set it): 64 KiB beat 16 KiB by 8-15 % (longer runs per
// output stream keep DRAM pages open), 4 KiB was twice as slow, 128 KiB no
// better; with a format change, 64 KiB per plane beat 64 KiB for all planes.
constexpr int64_t kTileBytes = int64_t{64} * 1024;

struct Geometry {
  int64_t n, c, h, w, hw;
  int64_t tile_pixels, num_tiles;
  // Box row y of plane pl covers [pl*plane_stride + y*row_stride + x*box_scale)
  // for x in [x0, x1), in the tile's pixel units.
  int64_t box_planes = 1, plane_stride = 0, row_stride = 0, box_scale = 1;
};

inline Geometry make_geometry(const Tensor& t, int64_t max_elem_size) {
  Geometry g{t.n, t.c, t.h, t.w, t.h * t.w, 0, 0};
  int64_t pixels = kTileBytes / max_elem_size;
  pixels = std::max<int64_t>(64, pixels / 64 * 64);
  g.tile_pixels = std::min(pixels, g.hw);
  g.num_tiles = (g.hw + g.tile_pixels - 1) / g.tile_pixels;
  g.row_stride = t.w;
  return g;
}

// The same sample as one flat run of c*h*w elements (c = h = 1).
inline Tensor flat(const Tensor& t) {
  Tensor f = t;
  f.layout = Layout::NCHW;
  f.c = f.h = 1;
  f.w = t.sample_elems();
  return f;
}

// Geometry of flat(t), with boxes mapped to t's element spans.
inline Geometry make_flat_geometry(const Tensor& t, int64_t elem_size) {
  Geometry g = make_geometry(flat(t), elem_size);
  const bool nchw = t.layout == Layout::NCHW;
  g.box_planes = nchw ? t.c : 1;
  g.plane_stride = nchw ? t.h * t.w : 0;
  g.row_stride = nchw ? t.w : t.w * t.c;
  g.box_scale = nchw ? 1 : t.c;
  return g;
}

inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

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

// Copies `bytes` (one box or hole row), streaming its whole cache lines when
// asked (copy_stream copies rows under 128 bytes plainly): in-place Cutout
// of NHWC rows ran about twice as fast so.
inline void put_row(const KernelTable& k, void* dst, const void* src, int64_t bytes, bool stream) {
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

}  // namespace mixcut::cpu
