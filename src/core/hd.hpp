// MIXCUT_HD marks a function callable from both host and device code: the
// per-element formulas and the CUDA kernels' per-thread bodies. Empty when a
// plain C++ compiler builds the CPU backend.
#pragma once

#if defined(__CUDACC__)
#define MIXCUT_HD __host__ __device__
#else
#define MIXCUT_HD
#endif
