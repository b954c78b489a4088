// CPU dispatch: ISA detection and its caps, the thread count, and the fork
// handler that keeps a forked child serial.
#include "cpu/dispatch.hpp"

#include <pthread.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "cpu/threads.hpp"

namespace mixcut::cpu {
namespace {

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
  // The AVX-512 TU is compiled with F, BW, CD, DQ and VL (CMakeLists.txt):
  // every AVX-512 CPU with BW has the other three, but detect what we use.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl")) {
    return Isa::Avx512;
  }
  // The AVX2 level uses FMA too (every AVX2 CPU since Haswell and Zen has it).
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
  if (__builtin_cpu_supports("sse4.1")) return Isa::Sse2;
  return Isa::Scalar;
}

Isa min_isa(Isa a, Isa b) { return static_cast<int32_t>(a) < static_cast<int32_t>(b) ? a : b; }

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

int thread_count(const Context& ctx, int64_t bytes) {
  register_fork_handler_once();
  if (g_in_forked_child.load(std::memory_order_relaxed)) return 1;
  const int threads = ctx.num_threads > 0
                          ? static_cast<int>(std::min<int64_t>(ctx.num_threads, kMaxThreads))
                          : default_threads(std::clamp(omp_get_max_threads(), 1, kMaxThreads), bytes);
  note_team(threads);
  return threads;
}

}  // namespace mixcut::cpu
