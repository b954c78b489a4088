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

// Copies n bytes (s and d apart) with vector loads and stores, the last one
// overlapping the one before; under a vector, copy_short. Box and hole rows
// are often a few dozen bytes, and GCC expands a memcpy it knows to be under
// 128 bytes into `rep movsq`, whose start-up costs more than such a row:
// in-place uint8 NCHW Cutout of 128x3x224x224 took 3.6x as long so.
inline void copy_plain(uint8_t* d, const uint8_t* s, int64_t n) {
  constexpr int64_t kV = int64_t(U8::size);
  if (n < kV) {
    if (n > 0) copy_short(d, s, n);
    return;
  }
  for (int64_t i = 0; i + kV < n; i += kV) U8::load_unaligned(s + i).store_unaligned(d + i);
  U8::load_unaligned(s + n - kV).store_unaligned(d + n - kV);
}

// copy_stream copies fewer bytes than this plainly (see there); callers that
// keep short copies inline test the same bound.
constexpr int64_t kStreamMinBytes = 128;

// Whole 64-byte lines of d are streamed (a multiple of every ISA's vector);
// the partial lines at either end take regular stores, since a partly
// streamed line is a slow partial write. Copies under 128 bytes hold one
// whole line at most and are copied plainly: streaming it gained nothing for
// 56-byte Cutout rows, and the short one-sided pieces of an in-place uint8
// NCHW CutMix in elem mode ran 1-11 % faster without it (alternating A/B,
// several runs; at this machine's noise). The partial lines go through
// memcpy: copy_plain's vector stores there made float32 Cutout rows of 224
// bytes 10-25 % slower.
void copy_stream(void* dst, const void* src, int64_t bytes) {
  constexpr uintptr_t kLine = 64;
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  static_assert(kStreamMinBytes >= int64_t(2 * kLine), "the head (under a line) fits in the copy");
  if (bytes < kStreamMinBytes) {
    copy_plain(d, s, bytes);
    return;
  }
  const int64_t head = int64_t((kLine - reinterpret_cast<uintptr_t>(d) % kLine) % kLine);
  const int64_t body = (bytes - head) / int64_t(kLine) * int64_t(kLine);
  if (head > 0) std::memcpy(d, s, size_t(head));
  stream_vectors(d + head, s + head, body);
  const int64_t done = head + body;
  if (done < bytes) std::memcpy(d + done, s + done, size_t(bytes - done));
}

}  // namespace
}  // namespace mixcut::cpu::MIXCUT_CPU_ISA_NS
