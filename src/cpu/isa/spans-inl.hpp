// CutMix box spans: one output from two sources by byte spans, both outputs
// of a 2-cycle in one walk, and the in-place swap of a 2-cycle.
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "include cpu/isa/spans-inl.hpp through cpu/isa/kernels-inl.hpp from an ISA TU"
#endif

#include <cstdint>
#include <cstring>

#include "cpu/isa/common-inl.hpp"
#include "cpu/isa/copy-inl.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

// Writes one contiguous output run from consecutive pieces. Streamed, every
// vector-aligned block inside the run is written with one non-temporal store:
// pieces that start or end inside a block are gathered in the `block_`
// register first (load_into: one masked load on AVX-512), so
// no cache line is written partly by regular and partly by streaming stores
// (a regular store reads its line first; a partial streamed line is a slow
// write). Only the run's own first and last blocks, if shared, are regular.
template <bool kStream>
class RunWriter {
 public:
  static constexpr int64_t kV = int64_t(U8::size);

  explicit RunWriter(uint8_t* out) : out_(out) {
    if constexpr (kStream) head_ = head_to_align(out, INT64_MAX);
  }
  ~RunWriter() {
    if (have_ > 0) {
      alignas(64) uint8_t bytes[kV];
      block_.store_aligned(bytes);
      std::memcpy(out_ + at_ - have_, bytes, size_t(have_));
    }
  }
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  void put(const uint8_t* src, int64_t n) {
    if constexpr (!kStream) {
      int64_t i = 0;
      for (; i + kV <= n; i += kV) U8::load_unaligned(src + i).store_unaligned(out_ + at_ + i);
      copy_short(out_ + at_ + i, src + i, n - i);
      at_ += n;
      return;
    }
    if (at_ < head_) {  // before the run's first aligned block
      const int64_t take = n < head_ - at_ ? n : head_ - at_;
      std::memcpy(out_ + at_, src, size_t(take));
      at_ += take, src += take, n -= take;
    }
    while (n > 0) {
      if (have_ == 0 && n >= kV) {
        const int64_t done = stream_vectors(out_ + at_, src, n);
        n -= done, src += done, at_ += done;
        continue;
      }
      const int64_t take = n < kV - have_ ? n : kV - have_;
      block_ = load_into(block_, have_, src, take);
      have_ += take, at_ += take, src += take, n -= take;
      if (have_ == kV) {
        stream_store(out_ + at_ - kV, block_);
        have_ = 0;
      }
    }
  }

 private:
  uint8_t* out_;
  int64_t at_ = 0;    // bytes of the run written or gathered
  int64_t head_ = 0;  // bytes before the first aligned block (regular stores)
  int64_t have_ = 0;  // bytes gathered in block_
  U8 block_ = U8(uint8_t(0));
};

// One output, piece by piece (a piece runs up to the next span edge), so
// each source is read only where the output takes it.
template <bool kStream>
void select_spans_impl(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t bytes,
                       const int64_t* spans, int64_t count) {
  RunWriter<kStream> writer(out);
  int64_t at = 0;
  for (int64_t k = 0; k < count; ++k) {
    writer.put(a + at, spans[2 * k] - at);
    writer.put(b + spans[2 * k], spans[2 * k + 1] - spans[2 * k]);
    at = spans[2 * k + 1];
  }
  writer.put(a + at, bytes - at);
}

void select_spans(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t bytes,
                  const int64_t* spans, int64_t count, bool stream) {
  if (stream) {
    select_spans_impl<true>(a, b, out, bytes, spans, count);
  } else {
    select_spans_impl<false>(a, b, out, bytes, spans, count);
  }
}

// Both outputs of a CutMix 2-cycle, a vector at a time: each step loads one
// vector of a and one of b and selects both outputs' bytes from them in
// registers, so a and b are each read once, whole and in order, and every
// output vector is one plain or streaming store: no piece edges to gather,
// and the pair's two boxes (one shape in batch mode, two in elem mode) cost
// the same. Where the boxes differ, some source lines are read that neither
// output needs; skipping them left holes in the read streams, which the
// prefetchers followed worse (piece by piece, elem mode was 5-20 % slower
// than batch).
template <bool kStream>
void select_spans_pair_impl(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                            int64_t bytes, const int64_t* spans_a, int64_t count_a,
                            const int64_t* spans_b, int64_t count_b) {
  constexpr int64_t kV = int64_t(U8::size);
  SpanCursor box_a(spans_a, count_a), box_b(spans_b, count_b);
  int64_t o = 0;
  const auto one_byte = [&](int64_t at) {
    const uint8_t va = a[at], vb = b[at];
    out_a[at] = box_a.inside(at) ? vb : va;
    out_b[at] = box_b.inside(at) ? va : vb;
  };
  if constexpr (kStream) {
    for (const int64_t head = head_to_align(out_a, bytes); o < head; ++o) one_byte(o);
  }
  for (; o + kV <= bytes; o += kV) {
    const U8 va = U8::load_unaligned(a + o), vb = U8::load_unaligned(b + o);
    store<kStream>(out_a + o, box_a.select(o, vb, va));
    store<kStream>(out_b + o, box_b.select(o, va, vb));
  }
  for (; o < bytes; ++o) one_byte(o);
}

// Streamed only when both outputs reach alignment after the same head (as
// samples whose bytes are a multiple of 64 do).
void select_spans_pair(const uint8_t* a, const uint8_t* b, uint8_t* out_a, uint8_t* out_b,
                       int64_t bytes, const int64_t* spans_a, int64_t count_a,
                       const int64_t* spans_b, int64_t count_b, bool stream) {
  if (stream && same_alignment(out_a, out_b)) {
    select_spans_pair_impl<true>(a, b, out_a, out_b, bytes, spans_a, count_a, spans_b, count_b);
  } else {
    select_spans_pair_impl<false>(a, b, out_a, out_b, bytes, spans_a, count_a, spans_b, count_b);
  }
}

// Exchanges n bytes of a and b.
inline void swap_bytes(uint8_t* a, uint8_t* b, int64_t n) {
  constexpr int64_t kV = int64_t(U8::size);
  int64_t i = 0;
  for (; i + kV <= n; i += kV) {
    const U8 va = U8::load_unaligned(a + i), vb = U8::load_unaligned(b + i);
    va.store_unaligned(b + i);
    vb.store_unaligned(a + i);
  }
  if (i < n) {
    // Both tails loaded before either is stored. In registers on AVX-512
    // (through a stack buffer, each tail took a store and a masked reload
    // that did not forward: the hottest spot of a 32 x 32 uint8 CutMix).
    const U8 tail_a = load_into(U8(uint8_t(0)), 0, a + i, n - i);
    const U8 tail_b = load_into(U8(uint8_t(0)), 0, b + i, n - i);
    store_short(a + i, tail_b, n - i);
    store_short(b + i, tail_a, n - i);
  }
}

// Row by row (for_each_box_row_pair): where the boxes overlap in a row, a
// and b swap (their lines are read anyway, so regular stores); the rest of
// each box is copied from the other side, its whole lines streamed when
// asked. Every copy is inline: with two boxes per pair, a small image has
// twice the rows per byte moved, and a merge of span lists or a call per
// row cost more than the row's bytes.
void swap_boxes(uint8_t* a, uint8_t* b, const TileRows& tile, const BoxBytes& box_a,
                const BoxBytes& box_b, bool stream) {
  const auto copy = [stream](uint8_t* d, const uint8_t* s, int64_t n) {
    if (stream && n >= kStreamMinBytes) {
      copy_stream(d, s, n);
    } else {
      copy_plain(d, s, n);
    }
  };
  for_each_box_row_pair(tile, box_a, box_b, [&](int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
#ifdef MIXCUT_CPU_ISA_HAS_MASKED_BYTES
    // Two different parts within one vector (elem mode on 32-pixel uint8
    // planes): one masked load of each side over both parts, then one
    // masked store of each part, so loads precede stores and the overlap
    // swaps. Part by part such a row took two to four short copies, each
    // a load and a store to the same line; in place elem CutMix of
    // 256x3x32x32 uint8 NCHW took 14-18 % less time so. Up to two vectors
    // per row, float32 NCHW and uint8 NHWC gained nothing (alternating
    // A/B); equal parts (batch mode) keep swap_bytes.
    const int64_t u0 = a0 == a1 ? b0 : b0 == b1 ? a0 : (a0 < b0 ? a0 : b0);
    const int64_t u1 = a0 == a1 ? b1 : b0 == b1 ? a1 : (a1 > b1 ? a1 : b1);
    if (u1 - u0 <= int64_t(U8::size) && (a0 != b0 || a1 != b1)) {
      const U8 va = load_into(U8(uint8_t(0)), 0, a + u0, u1 - u0);
      const U8 vb = load_into(U8(uint8_t(0)), 0, b + u0, u1 - u0);
      if (a0 < a1) store_range(a + u0, vb, a0 - u0, a1 - u0);
      if (b0 < b1) store_range(b + u0, va, b0 - u0, b1 - u0);
      return;
    }
#endif
    const int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    if (lo < hi) {
      copy(a + a0, b + a0, lo - a0);
      copy(a + hi, b + hi, a1 - hi);
      copy(b + b0, a + b0, lo - b0);
      copy(b + hi, a + hi, b1 - hi);
      swap_bytes(a + lo, b + lo, hi - lo);
    } else {
      copy(a + a0, b + a0, a1 - a0);
      copy(b + b0, a + b0, b1 - b0);
    }
  });
}

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
