// The CUDA kernels' per-thread bodies, as MIXCUT_HD functions of (component or
// sample, chunk, args): the launches in backend.cu are thin shells around them
// and the host tests run the same bodies in a loop over the whole grid.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

#include "core/hd.hpp"
#include "core/types.hpp"
#include "kernels/formulas.hpp"
#include "kernels/noise.hpp"

namespace mixcut::cuda {

// A batch as a kernel sees it (plain data, no member functions of Tensor).
struct View {
  void* data;
  int32_t dtype, layout;  // DType, Layout values
  int64_t c, h, w, stride;
};

MIXCUT_HD inline int64_t offset_of(const View& v, int64_t ch, int64_t y, int64_t x) {
  return v.layout == int32_t(Layout::NCHW) ? (ch * v.h + y) * v.w + x : (y * v.w + x) * v.c + ch;
}

// One record of a mix plan; q is the uint8 weight, rest = 1 - lam.
struct DevSample {
  int32_t partner, kind, q;
  float lam, rest;
  int32_t y0, x0, y1, x1;
};
// nodes[first, first + count) of a component, a chain of singles (in Kahn
// order) or one cycle (partner of node t is node t+1, of the last the first).
struct DevStep {
  int32_t first, count, cycle;
};
// A component's steps, and the region its threads cover: the whole image,
// or (in place, CutMix only) the bounding box of its boxes.
struct DevRegion {
  int32_t first_step, num_steps;
  int32_t y0, x0, y1, x1;
};

struct MixArgs {
  const DevSample* samples;
  const int32_t* nodes;
  const DevStep* steps;
  const DevRegion* regions;  // one per component
  const float* table;        // uint8 -> float32: normalised value of v in channel c at c*256+v
  View src, dst;
  int32_t in_place;
  int32_t positions;  // whether bodies need (channel, row, column): boxes, normalise, layouts
  int32_t runs;       // NHWC -> NCHW sources read as pixel runs (load_pixel_run)
  int64_t num_regions;
};

// One hole, and per sample the range of its holes.
struct DevHole {
  int32_t y0, x0, y1, x1;
  uint64_t noise_key;
};
struct CutoutArgs {
  const DevHole* holes;
  const DevRegion* regions;  // per sample: its holes [first_step, +num_steps), its region
  const float* table;
  const float* fill_f32;   // per channel, float32 destinations
  const uint8_t* fill_u8;  // per channel, uint8 destinations (rounded on the host)
  View src, dst;
  int32_t in_place, fill_kind;
  int32_t runs;  // as MixArgs::runs
  int64_t num_regions;
};

// Bytes of source elements per thread (16 or 32; a build option so that the
// benchmark can compare), and the elements per thread.
#ifndef MIXCUT_CUDA_CHUNK_BYTES
#define MIXCUT_CUDA_CHUNK_BYTES 16
#endif
template <class S>
constexpr int kChunk = int(MIXCUT_CUDA_CHUNK_BYTES / sizeof(S));
static_assert(kChunk<uint8_t> <= 32, "element masks are 32-bit");

// ---------------------------------------------------------------------------
// Where a thread's chunk lies: kChunk consecutive elements (in the
// destination's order) of one segment of a region. A region's segments are
// its contiguous runs: the whole sample when it covers the image, else one
// box row (NHWC) or one box row of one channel (NCHW).

struct Cursor {
  int64_t c, y, x;
};

struct Chunk {
  int64_t offset;  // element offset of the first element inside a sample (dst order)
  int32_t count;   // valid elements, 0 when the thread is past the region
  Cursor at;       // (channel, row, column) of the first element
  int32_t x_lo, x_hi;
};

MIXCUT_HD inline bool covers_image(const DevRegion& r, const View& v) {
  return r.y0 == 0 && r.x0 == 0 && r.y1 == v.h && r.x1 == v.w;
}

// A region's contiguous runs: how many, and their length in elements.
MIXCUT_HD inline void segments_of(const DevRegion& r, const View& dst, int64_t& segments,
                                  int64_t& length) {
  const bool nchw = dst.layout == int32_t(Layout::NCHW);
  segments = 1, length = dst.c * dst.h * dst.w;
  if (covers_image(r, dst)) return;
  const int64_t bh = r.y1 - r.y0, bw = r.x1 - r.x0;
  if (bh <= 0 || bw <= 0) {
    segments = length = 0;
    return;
  }
  segments = nchw ? dst.c * bh : bh;
  length = nchw ? bw : bw * dst.c;
}

// Threads a region needs (the launch's grid covers the largest).
template <int V>
MIXCUT_HD inline int64_t chunks_of(const DevRegion& r, const View& dst) {
  int64_t segments, length;
  segments_of(r, dst, segments, length);
  return segments * ((length + V - 1) / V);
}

// Chunk `chunk` of a region. Index arithmetic is 32-bit (samples hold fewer
// than 2^31 elements in practice; larger ones take the 64-bit path), and a
// whole-image chunk needs no division unless its position is asked for.
template <int V, class I>
MIXCUT_HD inline Chunk locate_as(const DevRegion& r, const View& dst, int64_t chunk,
                                 bool position) {
  Chunk k{0, 0, {0, 0, 0}, 0, int32_t(dst.w)};
  const bool nchw = dst.layout == int32_t(Layout::NCHW);
  const I c = I(dst.c), h = I(dst.h), w = I(dst.w);
  if (covers_image(r, dst)) {
    const I length = c * h * w;
    if (chunk >= int64_t(length / V + (length % V != 0))) return k;
    const I o = I(chunk) * V;
    k.offset = o;
    k.count = int32_t(length - o < V ? length - o : V);
    if (position && nchw) {
      const I plane = h * w, p = o % plane;
      k.at = {int64_t(o / plane), int64_t(p / w), int64_t(p % w)};
    } else if (position) {
      const I p = o / c;
      k.at = {int64_t(o % c), int64_t(p / w), int64_t(p % w)};
    }
    return k;
  }
  int64_t segments, length;
  segments_of(r, dst, segments, length);
  const I per_segment = I((length + V - 1) / V);
  if (chunk >= segments * int64_t(per_segment)) return k;
  k.x_lo = r.x0, k.x_hi = r.x1;
  const I segment = I(chunk) / per_segment, o = (I(chunk) % per_segment) * V;
  k.count = int32_t(I(length) - o < V ? I(length) - o : V);
  if (nchw) {
    const I bh = I(r.y1 - r.y0);  // segments are (channel, row)
    k.at = {int64_t(segment / bh), r.y0 + int64_t(segment % bh), r.x0 + int64_t(o)};
  } else {
    k.at = {int64_t(o % c), r.y0 + int64_t(segment), r.x0 + int64_t(o / c)};
  }
  k.offset = offset_of(dst, k.at.c, k.at.y, k.at.x);
  return k;
}

template <int V>
MIXCUT_HD inline Chunk locate(const DevRegion& r, const View& dst, int64_t chunk, bool position) {
  const bool small = dst.c * dst.h * dst.w < (int64_t(1) << 31);
  return small ? locate_as<V, uint32_t>(r, dst, chunk, position)
               : locate_as<V, uint64_t>(r, dst, chunk, position);
}

// The next element in the destination's order, within columns [x_lo, x_hi).
MIXCUT_HD inline void advance(Cursor& p, const View& dst, int32_t x_lo, int32_t x_hi) {
  if (dst.layout == int32_t(Layout::NCHW)) {
    if (++p.x == x_hi) {
      p.x = x_lo;
      if (++p.y == dst.h) p.y = 0, ++p.c;
    }
  } else if (++p.c == dst.c) {
    p.c = 0;
    if (++p.x == x_hi) p.x = x_lo, ++p.y;
  }
}

// ---------------------------------------------------------------------------
// Loads and stores of a chunk. Bit m of a mask is element m. A full chunk at a
// 16-byte aligned address moves as one vector.

// The first n bits set (n <= 32).
MIXCUT_HD constexpr uint32_t low_bits(int n) {
  return n >= 32 ? ~uint32_t(0) : (uint32_t(1) << n) - 1;
}

template <class T, int V>
MIXCUT_HD inline bool vector_ok(const T* p, uint32_t mask) {
  return mask == low_bits(V) && (reinterpret_cast<uintptr_t>(p) & 15) == 0;
}

template <class T>
MIXCUT_HD inline void copy16(T* to, const T* from) {
#if defined(__CUDA_ARCH__)
  *reinterpret_cast<uint4*>(to) = *reinterpret_cast<const uint4*>(from);
#else
  std::memcpy(to, from, 16);
#endif
}

// A chunk's elements: where they lie in the destination, and in the source
// (at the same offsets when the layouts agree).
struct Elements {
  Chunk k;
  View src, dst;
  bool contiguous;
  bool runs;  // load_pixel_run may serve layout changes
};

// Calls f(m, (channel, row, column)) for every valid element m of the chunk.
// The trip count is the constant V, so register arrays indexed by m stay in
// registers on the device.
template <int V, class F>
MIXCUT_HD inline void each(const Elements& e, F&& f) {
  Cursor p = e.k.at;
  for (int m = 0; m < V; ++m) {
    if (m < e.k.count) {
      f(m, p);
      advance(p, e.dst, e.k.x_lo, e.k.x_hi);
    }
  }
}

// 16 bytes at `from` (16-byte aligned) as four words, one vector load on the
// device (element by element, so that the words stay in registers).
MIXCUT_HD inline void load_words(const void* from, uint32_t* w) {
#if defined(__CUDA_ARCH__)
  const uint4 a = *static_cast<const uint4*>(from);
  w[0] = a.x, w[1] = a.y, w[2] = a.z, w[3] = a.w;
#else
  std::memcpy(w, from, 16);
#endif
}


// V pixels of channel c from the run of V*C source elements at p (aligned
// to 16 bytes), picked at indices known at compile time so that the run
// stays in registers.
template <int C, class S, int V>
MIXCUT_HD inline void load_run(const S* p, int64_t c, uint32_t mask, S (&v)[V]) {
  constexpr int kVectors = int(V * sizeof(S)) * C / 16;  // the chunk is 16 or 32 bytes
  static_assert(V * sizeof(S) % 16 == 0, "a chunk is whole 16-byte vectors");
  uint32_t words[4 * kVectors];
  const auto* bytes = reinterpret_cast<const unsigned char*>(p);
  for (int q = 0; q < kVectors; ++q, bytes += 16) load_words(bytes, words + 4 * q);
  for (int m = 0; m < V; ++m) {
    for (int q = 0; q < C; ++q) {
      if (q != c || !(mask >> m & 1)) continue;
      const int i = m * C + q;  // element i of the run
      if constexpr (sizeof(S) == 1) {
        v[m] = S(words[i / 4] >> (8 * (i % 4)) & 0xFF);
      } else {
        v[m] = bits_float(words[i]);
      }
    }
  }
}

// An NCHW destination chunk is V pixels of one channel in a row (or, over
// whole rows, consecutive pixels). From an NHWC source of C = 3 channels
// (RGB; other counts take the gathers, each variant costs registers)
// those pixels are 3V consecutive elements: three 16-byte loads instead of V
// gathers 3 elements apart, each of which touches several cache lines
// across a warp. False (nothing loaded) when the chunk is not such a run.
template <class S, int V>
MIXCUT_HD inline bool load_pixel_run(const S* sample, const Elements& e, uint32_t mask, S (&v)[V]) {
  const View& s = e.src;
  const Chunk& k = e.k;
  if (!e.runs || s.layout != int32_t(Layout::NHWC) || e.dst.layout != int32_t(Layout::NCHW) ||
      s.c != 3 || k.count != V) {
    return false;
  }
  const int64_t pixel = k.at.y * s.w + k.at.x;
  const bool one_row = k.at.x + V <= k.x_hi;
  const bool whole_rows = k.x_lo == 0 && k.x_hi == s.w && pixel + V <= s.h * s.w;
  const S* p = sample + pixel * s.c;
  if ((!one_row && !whole_rows) || (reinterpret_cast<uintptr_t>(p) & 15) != 0) return false;
  load_run<3>(p, k.at.c, mask, v);
  return true;
}

template <class S, int V>
MIXCUT_HD inline void load(const S* sample, const Elements& e, uint32_t mask, S (&v)[V]) {
  if (mask == 0) return;
  if (e.contiguous) {
    const S* p = sample + e.k.offset;
    if (vector_ok<S, V>(p, mask)) {
      for (int m = 0; m < V; m += int(16 / sizeof(S))) copy16(v + m, p + m);
      return;
    }
    for (int m = 0; m < V; ++m) {
      if (mask >> m & 1) v[m] = p[m];
    }
    return;
  }
  if (load_pixel_run<S, V>(sample, e, mask, v)) return;
  each<V>(e, [&](int m, const Cursor& at) {
    if (mask >> m & 1) v[m] = sample[offset_of(e.src, at.c, at.y, at.x)];
  });
}

template <class D, int V>
MIXCUT_HD inline void store(D* sample, int64_t offset, uint32_t mask, const D (&v)[V]) {
  if (mask == 0) return;
  constexpr int kPerVector = int(16 / sizeof(D));
  if (mask == low_bits(V) && (reinterpret_cast<uintptr_t>(sample + offset) & 15) == 0) {
    for (int m = 0; m < V; m += kPerVector) copy16(sample + offset + m, v + m);
    return;
  }
  for (int m = 0; m < V; ++m) {
    if (mask >> m & 1) sample[offset + m] = v[m];
  }
}

// Source-typed value -> destination value (the uint8 -> float32 normalise).
MIXCUT_HD inline uint8_t put(uint8_t v, uint8_t*, const float*, int64_t) { return v; }
MIXCUT_HD inline float put(float v, float*, const float*, int64_t) { return v; }
MIXCUT_HD inline float put(uint8_t v, float*, const float* table, int64_t c) {
  return table[c * 256 + v];  // formulas::normalize_u8, tabulated on the host
}

MIXCUT_HD inline uint8_t blend(uint8_t a, uint8_t b, const DevSample& r) {
  return formulas::blend_u8(a, b, r.q);
}
MIXCUT_HD inline float blend(float a, float b, const DevSample& r) {
  return formulas::blend_f32(a, b, r.lam, r.rest);
}

MIXCUT_HD inline Elements elements(const View& src, const View& dst, const Chunk& k, int32_t runs) {
  return Elements{k, src, dst, src.layout == dst.layout, runs != 0};
}

// ---------------------------------------------------------------------------
// Mixup / CutMix: thread `chunk` of component `comp` walks the component's
// steps at its chunk. Singles come first, in an order where every reader of a
// sample runs before the sample is written; a cycle keeps its first source in
// registers. Each source element is read once per cycle (2S bytes).

// Which elements of node r's chunk need x_i (a), x_partner (b), and are written.
template <int V, bool kPlain>
MIXCUT_HD inline void masks(const MixArgs& a, const DevSample& r, const Elements& e, uint32_t valid,
                            uint32_t& need_a, uint32_t& need_b, uint32_t& write) {
  if (r.kind == int32_t(MixKind::Mixup)) {
    need_a = need_b = write = valid;
    return;
  }
  uint32_t box = 0;
  if (!kPlain && r.kind == int32_t(MixKind::CutMix)) {
    each<V>(e, [&](int m, const Cursor& at) {
      const bool in = at.y >= r.y0 && at.y < r.y1 && at.x >= r.x0 && at.x < r.x1;
      box |= uint32_t(in) << m;
    });
  }
  need_b = box;
  need_a = a.in_place ? 0 : valid & ~box;
  write = a.in_place ? box : valid;
}

// Converts v[m] into the destination type: the normalise needs each element's channel.
template <class S, class D, int V>
MIXCUT_HD inline void convert(const float* table, const Elements& e, const S (&v)[V], D (&out)[V]) {
  if constexpr (sizeof(S) == sizeof(D)) {
    for (int m = 0; m < V; ++m) out[m] = v[m];
  } else {
    each<V>(e, [&](int m, const Cursor& at) {
      out[m] = put(v[m], static_cast<D*>(nullptr), table, at.c);
    });
  }
}

template <class S, class D, int V>
MIXCUT_HD inline void mix_out(const MixArgs& a, const DevSample& r, int64_t node, const Elements& e,
                              uint32_t need_b, uint32_t write, const S (&xa)[V], const S (&xb)[V]) {
  if (write == 0) return;
  S v[V];
  for (int m = 0; m < V; ++m) {
    v[m] = r.kind == int32_t(MixKind::Mixup) ? blend(xa[m], xb[m], r)
           : (need_b >> m & 1)               ? xb[m]
                                             : xa[m];
  }
  D out[V];
  convert<S, D, V>(a.table, e, v, out);
  store<D, V>(static_cast<D*>(a.dst.data) + node * a.dst.stride, e.k.offset, write, out);
}

// kPlain: the call needs no element positions (MixArgs::positions == 0: no
// CutMix box, no normalise, one layout), so that code is compiled out and
// the common Mixup kernel keeps few registers.
template <class S, class D, bool kPlain = false>
MIXCUT_HD inline void mix_thread(const MixArgs& a, int64_t comp, int64_t chunk) {
  constexpr int V = kChunk<S>;
  const DevRegion& region = a.regions[comp];
  const Chunk k = locate<V>(region, a.dst, chunk, !kPlain && a.positions != 0);
  if (k.count == 0) return;
  const uint32_t valid = low_bits(k.count);
  Elements e = elements(a.src, a.dst, k, a.runs);
  if constexpr (kPlain) e.contiguous = true;  // folds the gather paths away
  const S* src = static_cast<const S*>(a.src.data);
  auto sample = [&](int64_t i) { return src + i * a.src.stride; };
  for (int32_t s = region.first_step; s < region.first_step + region.num_steps; ++s) {
    const DevStep step = a.steps[s];
    const int32_t* nodes = a.nodes + step.first;
    if (!step.cycle) {
      for (int32_t t = 0; t < step.count; ++t) {
        const int64_t i = nodes[t];
        const DevSample r = a.samples[i];
        uint32_t need_a, need_b, write;
        masks<V, kPlain>(a, r, e, valid, need_a, need_b, write);
        S xa[V] = {}, xb[V] = {};
        load<S, V>(sample(i), e, need_a, xa);
        load<S, V>(sample(r.partner), e, need_b, xb);
        mix_out<S, D, V>(a, r, i, e, need_b, write, xa, xb);
      }
      continue;
    }
    if (step.count == 2) {  // a pair (flip, pair mode): both sources in flight at once
      const int64_t i = nodes[0], j = nodes[1];
      const DevSample ri = a.samples[i], rj = a.samples[j];
      uint32_t ai, bi, wi, aj, bj, wj;
      masks<V, kPlain>(a, ri, e, valid, ai, bi, wi);
      masks<V, kPlain>(a, rj, e, valid, aj, bj, wj);
      S xi[V] = {}, xj[V] = {};
      load<S, V>(sample(i), e, ai | bj, xi);
      load<S, V>(sample(j), e, bi | aj, xj);
      mix_out<S, D, V>(a, ri, i, e, bi, wi, xi, xj);
      mix_out<S, D, V>(a, rj, j, e, bj, wj, xj, xi);
      continue;
    }
    // A cycle n0 -> n1 -> ... -> n0. x_n0 is read first and kept: the last
    // node reads it after n0 has been written.
    const int64_t n0 = nodes[0];
    uint32_t first_a, first_b, first_w, last_a, last_b, last_w;
    const DevSample r0 = a.samples[n0];
    masks<V, kPlain>(a, r0, e, valid, first_a, first_b, first_w);
    masks<V, kPlain>(a, a.samples[nodes[step.count - 1]], e, valid, last_a, last_b, last_w);
    S first[V] = {}, cur[V] = {};
    load<S, V>(sample(n0), e, first_a | last_b, first);
    for (int m = 0; m < V; ++m) cur[m] = first[m];
    DevSample r = r0;
    uint32_t need_b = first_b, write = first_w;
    for (int32_t t = 0; t < step.count; ++t) {
      const int64_t i = nodes[t];
      const bool last = t + 1 == step.count;
      S next[V] = {};
      DevSample rn{};
      uint32_t next_a = 0, next_b = 0, next_w = 0;
      if (last) {
        for (int m = 0; m < V; ++m) next[m] = first[m];
      } else {
        rn = a.samples[nodes[t + 1]];
        masks<V, kPlain>(a, rn, e, valid, next_a, next_b, next_w);
        load<S, V>(sample(nodes[t + 1]), e, need_b | next_a, next);
      }
      mix_out<S, D, V>(a, r, i, e, need_b, write, cur, next);
      for (int m = 0; m < V; ++m) cur[m] = next[m];
      r = rn, need_b = next_b, write = next_w;
    }
  }
}

// ---------------------------------------------------------------------------
// Cutout: thread `chunk` of sample `i` converts its chunk (out of place) and
// fills the parts inside the sample's holes, later holes winning.

MIXCUT_HD inline uint8_t noise_of(uint8_t*, uint64_t key, int64_t e) { return noise_u8(key, e); }
MIXCUT_HD inline float noise_of(float*, uint64_t key, int64_t e) { return noise_f32(key, e); }
MIXCUT_HD inline uint8_t channel_noise_of(uint8_t*, uint64_t key, int64_t c) {
  return channel_noise_u8(key, c);
}
MIXCUT_HD inline float channel_noise_of(float*, uint64_t key, int64_t c) {
  return channel_noise_f32(key, c);
}

// The fill of element (c, y, x) of a hole, in destination units.
template <class D>
MIXCUT_HD inline D fill_value(int32_t kind, uint64_t key, int64_t c, int64_t y, int64_t x,
                              const View& dst, const float* fill_f32, const uint8_t* fill_u8) {
  if (kind == int32_t(FillKind::Noise)) {
    return noise_of(static_cast<D*>(nullptr), key, noise_element_index(c, y, x, dst.h, dst.w));
  }
  if (kind == int32_t(FillKind::ChannelNoise)) {
    return channel_noise_of(static_cast<D*>(nullptr), key, c);
  }
  if constexpr (sizeof(D) == 1) {
    return fill_u8[c];
  } else {
    return fill_f32[c];
  }
}

template <class S, class D>
MIXCUT_HD inline void cutout_thread(const CutoutArgs& a, int64_t i, int64_t chunk) {
  constexpr int V = kChunk<S>;
  const DevRegion& region = a.regions[i];
  const bool position = region.num_steps > 0 || a.src.layout != a.dst.layout ||
                        sizeof(S) != sizeof(D);  // holes, layouts, normalise
  const Chunk k = locate<V>(region, a.dst, chunk, position);
  if (k.count == 0) return;
  const uint32_t valid = low_bits(k.count);
  const Elements e = elements(a.src, a.dst, k, a.runs);
  S x[V] = {};
  if (!a.in_place) load<S, V>(static_cast<const S*>(a.src.data) + i * a.src.stride, e, valid, x);
  D out[V];
  convert<S, D, V>(a.table, e, x, out);
  uint32_t write = a.in_place ? 0 : valid;
  for (int32_t h = region.first_step; h < region.first_step + region.num_steps; ++h) {
    const DevHole hole = a.holes[h];
    each<V>(e, [&](int m, const Cursor& at) {
      if (at.y < hole.y0 || at.y >= hole.y1 || at.x < hole.x0 || at.x >= hole.x1) return;
      write |= uint32_t(1) << m;
      out[m] = fill_value<D>(a.fill_kind, hole.noise_key, at.c, at.y, at.x, a.dst, a.fill_f32,
                             a.fill_u8);
    });
  }
  store<D, V>(static_cast<D*>(a.dst.data) + i * a.dst.stride, k.offset, write, out);
}

// ---------------------------------------------------------------------------
// In place, box rows only ("rows" launches): a thread per element of one
// sample's CutMix box or of one hole, so no thread runs outside the boxes, a
// warp moves consecutive elements of a box row whatever the alignment, and
// no per-element masks are built. The region launches above serve the rest.

// Element e of box [y0, y1) x [x0, x1) of a sample in v's layout (consecutive
// e run along a box row): its position and offset; false past the box.
template <class I>
MIXCUT_HD inline bool box_element_as(const View& v, int32_t y0, int32_t x0, int32_t y1, int32_t x1,
                                     int64_t e, Cursor& at, int64_t& offset) {
  const I bh = I(y1 - y0), bw = I(x1 - x0), c = I(v.c);
  if (y1 <= y0 || x1 <= x0 || e >= int64_t(c) * int64_t(bh) * int64_t(bw)) return false;
  const I i = I(e);
  if (v.layout == int32_t(Layout::NCHW)) {
    const I row = i / bw;  // rows are (channel, y)
    at = {int64_t(row / bh), y0 + int64_t(row % bh), x0 + int64_t(i % bw)};
  } else {
    const I run = bw * c, r = i % run;
    at = {int64_t(r % c), y0 + int64_t(i / run), x0 + int64_t(r / c)};
  }
  offset = offset_of(v, at.c, at.y, at.x);
  return true;
}

MIXCUT_HD inline bool box_element(const View& v, int32_t y0, int32_t x0, int32_t y1, int32_t x1,
                                  int64_t e, Cursor& at, int64_t& offset) {
  return v.c * v.h * v.w < (int64_t(1) << 31)
             ? box_element_as<uint32_t>(v, y0, x0, y1, x1, e, at, offset)
             : box_element_as<uint64_t>(v, y0, x0, y1, x1, e, at, offset);
}

// One sample of an in-place CutMix whose pixel-changing records are all
// CutMix and whose partner edges form chains and cycles (no sample is the
// partner of two). A sample that keeps its pixels has an empty box.
struct RowSample {
  int32_t partner;  // its own index when it keeps its pixels
  int32_t pred;     // the sample whose partner it is, -1 for none
  int32_t y0, x0, y1, x1;
  int32_t first;  // 1 for the first sample of a cycle (see mix_rows_thread)
};

struct RowMixArgs {
  const RowSample* samples;
  View x;               // src == dst
  int64_t num_regions;  // samples (grid y)
};

// Whether a box (a RowSample's or a RowHole's y0, x0, y1, x1) holds p.
template <class Box>
MIXCUT_HD inline bool holds(const Box& b, const Cursor& p) {
  return p.y >= b.y0 && p.y < b.y1 && p.x >= b.x0 && p.x < b.x1;
}

// Element e of sample t's box. At a position p the samples whose boxes hold
// p form runs along the partner edges; out_k = x_partner(k) along a run, so
// the run is shifted from its start (each x read before it is written), by
// the thread of its start. A run without a start is a whole cycle: its first
// sample's thread rotates it, keeping the first value.
template <class T>
MIXCUT_HD inline void mix_rows_thread(const RowMixArgs& a, int64_t t, int64_t e) {
  const RowSample s = a.samples[t];
  Cursor p;
  int64_t offset;
  if (!box_element(a.x, s.y0, s.x0, s.y1, s.x1, e, p, offset)) return;
  T* base = static_cast<T*>(a.x.data) + offset;
  const int64_t stride = a.x.stride;
  if (s.pred >= 0 && holds(a.samples[s.pred], p)) {  // not a run start
    if (!s.first) return;
    for (int32_t k = s.partner; k != t; k = a.samples[k].partner) {
      if (!holds(a.samples[k], p)) return;  // a run with a start: its thread moves it
    }
    const T kept = base[t * stride];
    int64_t k = t;
    for (int32_t j = s.partner; j != t; k = j, j = a.samples[j].partner) {
      base[k * stride] = base[j * stride];
    }
    base[k * stride] = kept;
    return;
  }
  for (int64_t k = t;;) {
    const int32_t j = a.samples[k].partner;
    base[k * stride] = base[j * stride];
    if (!holds(a.samples[j], p)) return;
    k = j;
  }
}

// One hole of an in-place Cutout; holes of a sample are [.., end), later
// ones winning where they overlap.
struct RowHole {
  int32_t y0, x0, y1, x1;
  int32_t sample, end;
  uint64_t noise_key;
};

struct RowCutoutArgs {
  const RowHole* holes;
  const float* fill_f32;
  const uint8_t* fill_u8;
  View x;
  int32_t fill_kind;
  int64_t num_regions;  // holes (grid y)
};

template <class T>
MIXCUT_HD inline void cutout_rows_thread(const RowCutoutArgs& a, int64_t h, int64_t e) {
  const RowHole hole = a.holes[h];
  Cursor p;
  int64_t offset;
  if (!box_element(a.x, hole.y0, hole.x0, hole.y1, hole.x1, e, p, offset)) return;
  for (int32_t g = int32_t(h) + 1; g < hole.end; ++g) {
    if (holds(a.holes[g], p)) return;
  }
  static_cast<T*>(a.x.data)[hole.sample * a.x.stride + offset] =
      fill_value<T>(a.fill_kind, hole.noise_key, p.c, p.y, p.x, a.x, a.fill_f32, a.fill_u8);
}

// ---------------------------------------------------------------------------
// Soft targets from hard labels on the device: thread t writes element t of
// out[n][K], with the CPU's formula (kernels/labels.hpp). partner == i marks a
// row that does not mix. A label outside [0, K) (not checked on the host: it
// lives on the device) makes its row NaN.

struct DevLabel {
  int32_t partner;
  float lam, rest;
};

struct LabelArgs {
  const DevLabel* rows;
  const int64_t* labels;
  float* out;
  int64_t n, k;
  float off, on;
};

MIXCUT_HD inline void labels_thread(const LabelArgs& a, int64_t t) {
  if (t >= a.n * a.k) return;
  const int64_t i = t / a.k, c = t % a.k;
  const DevLabel r = a.rows[i];
  const int64_t yi = a.labels[i], yj = a.labels[r.partner];
  float v;
  if (yi < 0 || yi >= a.k || yj < 0 || yj >= a.k) {
    v = std::numeric_limits<float>::quiet_NaN();
  } else if (r.partner == i || yi == yj) {
    v = c == yi ? a.on : a.off;
  } else {
    const float si = c == yi ? a.on : a.off, sj = c == yj ? a.on : a.off;
    v = formulas::blend_f32(si, sj, r.lam, r.rest);
  }
  a.out[t] = v;
}

}  // namespace mixcut::cuda
