// Copies: whole vectors streamed, memcpy with streamed whole lines, and
// short copies inline.
#pragma once
#ifndef MIXCUT_CPU_ISA_NS
#error "include cpu/isa/copy-inl.hpp through cpu/isa/kernels-inl.hpp from an ISA TU"
#endif

#include <cstdint>
#include <cstring>

#include "cpu/isa/common-inl.hpp"

namespace mixcut::cpu::MIXCUT_CPU_ISA_NS {
namespace {

// Streams the whole vectors of [0, bytes) from s to d (d vector-aligned);
// returns how many bytes that was.
inline int64_t stream_vectors(uint8_t* d, const uint8_t* s, int64_t bytes) {
  constexpr int64_t kV = int64_t(U8::size);
  int64_t i = 0;
  for (; i + 4 * kV <= bytes; i += 4 * kV) {
    const U8 v0 = U8::load_unaligned(s + i), v1 = U8::load_unaligned(s + i + kV);
    const U8 v2 = U8::load_unaligned(s + i + 2 * kV), v3 = U8::load_unaligned(s + i + 3 * kV);
    stream_store(d + i, v0);
    stream_store(d + i + kV, v1);
    stream_store(d + i + 2 * kV, v2);
    stream_store(d + i + 3 * kV, v3);
  }
  for (; i + kV <= bytes; i += kV) stream_store(d + i, U8::load_unaligned(s + i));
  return i;
}

// Whole 64-byte lines of d are streamed (a multiple of every ISA's vector);
// the partial lines at either end take regular stores, since a partly
// streamed line is a slow partial write. Copies under 128 bytes hold one
// whole line at most and are copied plainly: streaming it gained nothing for
// 56-byte Cutout rows, and the short one-sided pieces of an in-place uint8
// NCHW CutMix in elem mode ran 1-11 % faster without it (alternating A/B,
// several runs; at this machine's noise).
void copy_stream(void* dst, const void* src, int64_t bytes) {
  constexpr uintptr_t kLine = 64;
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (bytes < int64_t(2 * kLine)) {
    std::memcpy(d, s, size_t(bytes));
    return;
  }
  int64_t head = int64_t((kLine - reinterpret_cast<uintptr_t>(d) % kLine) % kLine);
  if (head > bytes) head = bytes;
  const int64_t body = (bytes - head) / int64_t(kLine) * int64_t(kLine);
  if (head > 0) std::memcpy(d, s, size_t(head));
  stream_vectors(d + head, s + head, body);
  const int64_t done = head + body;
  if (done < bytes) std::memcpy(d + done, s + done, size_t(bytes - done));
}

// Copies n bytes with at most two vector loads and stores (n <= 2 vectors),
// inline: box and hole pieces are often a few dozen bytes, where a call to
// memcpy costs more than the copy.
inline void copy_small(uint8_t* d, const uint8_t* s, int64_t n) {
  constexpr int64_t kV = int64_t(U8::size);
  if (n <= kV) {
    copy_short(d, s, n);
  } else if (n <= 2 * kV) {
    const U8 first = U8::load_unaligned(s), last = U8::load_unaligned(s + n - kV);
    first.store_unaligned(d);
    last.store_unaligned(d + n - kV);
  } else {
    std::memcpy(d, s, size_t(n));
  }
}

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
