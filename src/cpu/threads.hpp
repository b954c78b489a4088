// The default thread count of a CPU call (MIXCUT_OPT_NUM_THREADS = 0): as many
// threads as pay for themselves and find an idle core, never more.
#pragma once

#include <cstdint>

namespace mixcut::cpu {

// A thread per this many bytes moved (source + destination): below it, the
// start and join of a parallel region cost more than the thread saves.
constexpr int64_t kBytesPerThread = int64_t(1) << 20;

// The choice itself, a pure function (tested): at most `omp_default`
// threads, one per kBytesPerThread of `bytes`, and no more than the cores
// that the `running_elsewhere` runnable threads of other work leave idle;
// always >= 1.
int choose_threads(int omp_default, int64_t bytes, int online_cores, int64_t running_elsewhere);

// choose_threads with this machine's figures: online cores, and the runnable
// threads of /proc/loadavg (read when bytes allow more than one thread, at
// most every 20 ms; calls in between reuse the reading) less this call's
// thread and the team of this process's previous call, whose threads may
// still be spinning. Without /proc, no contention is seen.
int default_threads(int omp_default, int64_t bytes);

// Records the team size a call ran with (read by the next default_threads).
void note_team(int threads);

}  // namespace mixcut::cpu
