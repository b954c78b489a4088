// What every per-ISA kernel shares: the vector types of the TU's Arch, the
// one streaming-store convention (store<kStream>), alignment heads, the
// byte-span cursor, and the byte moves that AVX-512 does with masks.
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "include cpu/isa/common-inl.hpp through cpu/isa/kernels-inl.hpp from an ISA TU"
#endif

#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

using F32 = xsimd::batch<float, Arch>;
using U8 = xsimd::batch<uint8_t, Arch>;
using U16 = xsimd::batch<uint16_t, Arch>;
using I16 = xsimd::batch<int16_t, Arch>;

#ifndef MIXCUT_CPU_ISA_HAS_MASKED_BYTES
// Fewer bytes than a vector, through memory: levels below AVX-512 have no
// byte-masked loads and stores.
inline void copy_short(uint8_t* dst, const uint8_t* src, int64_t n) {
  std::memcpy(dst, src, size_t(n));
}
// block with its bytes [at, at + n) replaced by src[0, n) (at + n <= the
// vector size).
inline U8 load_into(U8 block, int64_t at, const uint8_t* src, int64_t n) {
  alignas(64) uint8_t bytes[U8::size];
  block.store_aligned(bytes);
  std::memcpy(bytes + at, src, size_t(n));
  return U8::load_aligned(bytes);
}
// The first n bytes of v to dst (n < the vector size), through memory.
inline void store_short(uint8_t* dst, U8 v, int64_t n) {
  alignas(64) uint8_t bytes[U8::size];
  v.store_aligned(bytes);
  std::memcpy(dst, bytes, size_t(n));
}
#endif

// Streaming stores, one convention for every kernel: a kernel entry takes
// `bool stream` and runs its template with kStream; stores go through
// store<kStream> (vector-aligned when streamed: a scalar head_to_align first);
// callers fence once per call (KernelTable::stream_fence).
template <bool kStream, class T, class B>
inline void store(T* out, B v) {
  if constexpr (kStream) {
    stream_store(out, v);
  } else {
    v.store_unaligned(out);
  }
}

// Scalar head so that `out` is vector-aligned (needed by streaming stores).
template <class T>
inline int64_t head_to_align(const T* out, int64_t n) {
  constexpr uintptr_t kAlign = Arch::alignment();
  const uintptr_t mis = reinterpret_cast<uintptr_t>(out) % kAlign;
  if (mis == 0 || mis % sizeof(T) != 0) return 0;
  const int64_t head = int64_t((kAlign - mis) / sizeof(T));
  return head < n ? head : n;
}

// Whether both outputs of a streamed pair reach vector alignment after the
// same scalar head (true for samples whose stride is a multiple of 64 bytes).
template <class T>
inline bool same_alignment(const T* out_a, const T* out_b) {
  return reinterpret_cast<uintptr_t>(out_a) % Arch::alignment() ==
         reinterpret_cast<uintptr_t>(out_b) % Arch::alignment();
}

// Which bytes of a run lie inside `count` sorted, disjoint byte spans
// [spans[2k], spans[2k+1]), asked at offsets that only grow, so the cursor
// only moves on.
class SpanCursor {
 public:
  static constexpr int64_t kB = int64_t(U8::size);

  SpanCursor(const int64_t* spans, int64_t count) : spans_(spans), count_(count) {}

  bool inside(int64_t o) {
    seek(o);
    return k_ < count_ && spans_[2 * k_] <= o;
  }
  // No byte of [o, o + kB) inside.
  bool none(int64_t o) {
    seek(o);
    return k_ == count_ || spans_[2 * k_] >= o + kB;
  }
  // Bytes [o, o + kB): vin where inside, vout elsewhere.
  U8 select(int64_t o, U8 vin, U8 vout) {
    if (none(o)) return vout;
    if (spans_[2 * k_] <= o && spans_[2 * k_ + 1] >= o + kB) return vin;
    const U8 lane = U8::load_aligned(kLaneIndex);
    const auto lanes_of = [&](int64_t j) {
      const int64_t lo = spans_[2 * j] > o ? spans_[2 * j] - o : 0;
      const int64_t hi = spans_[2 * j + 1] < o + kB ? spans_[2 * j + 1] - o : kB;
      return (lane >= U8(uint8_t(lo))) & (lane < U8(uint8_t(hi)));
    };
    // Span k_ reaches into the block (none() said so); later ones may too.
    auto in = lanes_of(k_);
    for (int64_t j = k_ + 1; j < count_ && spans_[2 * j] < o + kB; ++j) in = in | lanes_of(j);
    return xsimd::select(in, vin, vout);
  }

 private:
  void seek(int64_t o) {
    while (k_ < count_ && spans_[2 * k_ + 1] <= o) ++k_;
  }
  alignas(64) static constexpr uint8_t kLaneIndex[64] = {
      0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
      44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
  const int64_t* spans_;
  int64_t count_, k_ = 0;
};

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
