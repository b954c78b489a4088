// The default thread policy (see threads.hpp and MIXCUT_OPT_NUM_THREADS):
// threads only for work that pays for them and only onto idle cores, so that
// a call never waits on a team thread the scheduler has put aside.
#include "cpu/threads.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

namespace mixcut::cpu {
namespace {

std::atomic<int> g_last_team{1};

// Runnable threads on the machine now (the R of /proc/loadavg's "R/T"
// field, the caller included), or -1 when it cannot be read.
int64_t runnable_threads() {
  const int fd = ::open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  const ssize_t got = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (got <= 0) return -1;
  buf[got] = '\0';
  double l1 = 0, l5 = 0, l15 = 0;
  long long running = 0, total = 0;
  if (std::sscanf(buf, "%lf %lf %lf %lld/%lld", &l1, &l5, &l15, &running, &total) != 5) return -1;
  return running;
}

}  // namespace

int choose_threads(int omp_default, int64_t bytes, int online_cores, int64_t running_elsewhere) {
  int64_t threads = std::max<int64_t>(1, std::min<int64_t>(omp_default, bytes / kBytesPerThread));
  if (threads > 1 && online_cores > 0) {
    const int64_t idle = int64_t(online_cores) - std::max<int64_t>(0, running_elsewhere);
    threads = std::min(threads, std::max<int64_t>(1, idle));
  }
  return int(threads);
}

int default_threads(int omp_default, int64_t bytes) {
  if (std::min<int64_t>(omp_default, bytes / kBytesPerThread) <= 1) return 1;
  // One reading serves the calls of the next kReadEveryNs: contention
  // changes slowly next to a call, and reading /proc costs a few syscalls.
  constexpr int64_t kReadEveryNs = 20'000'000, kUnknown = INT64_MIN;
  static std::atomic<int64_t> read_at{-kReadEveryNs}, elsewhere{kUnknown};
  static const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (now - read_at.load(std::memory_order_relaxed) >= kReadEveryNs) {
    const int64_t running = runnable_threads();
    elsewhere.store(running < 0 ? kUnknown : running - g_last_team.load(std::memory_order_relaxed),
                    std::memory_order_relaxed);
    read_at.store(now, std::memory_order_relaxed);
  }
  const int64_t others = elsewhere.load(std::memory_order_relaxed);
  if (others == kUnknown) return choose_threads(omp_default, bytes, 0, 0);
  return choose_threads(omp_default, bytes, int(std::max(1L, cores)), others);
}

void note_team(int threads) { g_last_team.store(std::max(1, threads), std::memory_order_relaxed); }

}  // namespace mixcut::cpu
