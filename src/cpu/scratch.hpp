// The CPU backend's scratch, owned by the ctx (Context::scratch): one set of
// buffers per OpenMP thread of a call plus the per-call plan state. Buffers
// only grow, so a ctx's steady state does not allocate; they are sized by
// the calls made (tiles, box rows, channels, samples), and released with the
// ctx (a NULL ctx's temporary one at the end of the call).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/context.hpp"
#include "cpu/convert_tile.hpp"
#include "cpu/kernel_table.hpp"
#include "plan/schedule.hpp"

namespace mixcut::cpu {

// One thread's buffers: a cycle's saved tile, a staged tile, box spans, a
// Cutout hole's fill rows (ChannelNoise values, Noise blocks).
struct ThreadScratch {
  std::vector<unsigned char> cycle, stage, fill;
  std::vector<int64_t> spans_a, spans_b;  // box spans in bytes (select_spans)
  std::vector<NoiseRun> noise_runs;       // Cutout noise batches (fill_noise):
  std::vector<int64_t> noise_spans;       // their rows and spans
};

struct CpuScratch final : BackendScratch {
  std::vector<ThreadScratch> threads;
  Schedule schedule;
  ChannelNorm norm;
  // Cutout: fill values and rows in destination bytes (hole_noise: each
  // hole's c ChannelNoise values), holes per sample, the samples visited
  // and their cost.
  std::vector<unsigned char> fill_values, fill_rows, hole_noise;
  std::vector<int64_t> hole_first, samples, cost_prefix;
};

// ctx's CPU scratch with at least `threads` thread sets (created on first
// use, or replacing another backend's).
CpuScratch& cpu_scratch(Context& ctx, int threads);

// `elems` T in `buffer`, 64-byte aligned (the buffer grows when needed).
template <class T>
T* scratch_of(std::vector<unsigned char>& buffer, int64_t elems) {
  const size_t bytes = size_t(elems) * sizeof(T) + 64;
  if (buffer.size() < bytes) buffer.resize(bytes);
  void* first = buffer.data();
  size_t space = buffer.size();
  return static_cast<T*>(std::align(64, bytes - 64, first, space));
}

}  // namespace mixcut::cpu
