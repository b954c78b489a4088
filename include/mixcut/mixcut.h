/*
 * mixcut — batch Cutout, Mixup and CutMix on raw image buffers.
 *
 * This header is the whole public ABI. It compiles as C99 and as C++.
 *
 * Every call is two steps:
 *   1. plan  (host, O(N)):     policy + seed + step  ->  one record per sample
 *   2. apply (kernels, O(bytes)): records + source    ->  destination pixels/labels
 * A plan is a plain array that callers may inspect, store, or build themselves.
 *
 * Conventions shared by every function below:
 *   - The return value is a mixcut_status; outputs go through pointer arguments.
 *   - On failure nothing is written to any output, and mixcut_last_error()
 *     gives a message naming the offending argument.
 *   - No function prints, aborts, throws, or changes global state
 *     (OpenMP's thread count included: threads are set per call).
 *   - Every pointer must be aligned for its type (float: 4, int64_t and the
 *     record structs: 8); a misaligned one is MIXCUT_ERR_BAD_PARAM.
 *   - Sizes and indices are int64_t. Images are at most INT32_MAX pixels high
 *     and wide; a batch holds at most INT32_MAX samples.
 *   - Enum-typed fields of structs are stored as int32_t so that struct layout
 *     does not depend on the compiler's enum size. Enum values never change.
 *   - Functions are thread-safe, except that one mixcut_ctx must not be used
 *     by two calls at the same time (it owns scratch memory). Use one ctx per
 *     thread, or pass NULL for a temporary default ctx.
 *   - Results are bit-identical for a given plan across ISA levels, thread
 *     counts and runs (a float32 NaN input gives a NaN whose sign and payload
 *     are not specified).
 *   - The library may be used in a process that later forks; in a forked child
 *     it runs single-threaded (an OpenMP pool does not survive fork).
 */
#ifndef MIXCUT_MIXCUT_H
#define MIXCUT_MIXCUT_H

/* The contract comments below are aligned by hand. */
/* clang-format off */

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define MIXCUT_API __declspec(dllimport)
#elif defined(__GNUC__)
#define MIXCUT_API __attribute__((visibility("default")))
#else
#define MIXCUT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define MIXCUT_VERSION_MAJOR 0
#define MIXCUT_VERSION_MINOR 1
#define MIXCUT_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH. The ABI changes only with MAJOR. */
#define MIXCUT_VERSION_NUMBER \
  (MIXCUT_VERSION_MAJOR * 10000 + MIXCUT_VERSION_MINOR * 100 + MIXCUT_VERSION_PATCH)

/* The version of the library actually loaded, as MIXCUT_VERSION_NUMBER. */
MIXCUT_API unsigned mixcut_version(void);
/* "MAJOR.MINOR.PATCH" of the loaded library; static storage, never NULL. */
MIXCUT_API const char* mixcut_version_string(void);

/* ------------------------------------------------------------------------ */
/* Status codes and errors. Values are pinned forever.                       */
/* ------------------------------------------------------------------------ */

typedef enum mixcut_status {
  MIXCUT_OK = 0,
  MIXCUT_ERR_NULL_POINTER = 1,     /* a required pointer argument is NULL */
  MIXCUT_ERR_BAD_SIZE = 2,         /* a size is zero, negative or overflows (h, w, c, K, strides) */
  MIXCUT_ERR_BAD_DTYPE = 3,        /* unknown dtype, or a dtype pair that cannot be converted */
  MIXCUT_ERR_BAD_LAYOUT = 4,       /* unknown layout */
  MIXCUT_ERR_BAD_ENUM = 5,         /* unknown enum value: mode, partner rule, kind, fill, form, option key */
  MIXCUT_ERR_BAD_PARAM = 6,        /* a real parameter out of its domain: NaN/inf/negative alpha,
                                      probability outside [0,1], bad ranges, fill value, reserved != 0,
                                      a thread count above MIXCUT_MAX_THREADS, a misaligned pointer */
  MIXCUT_ERR_BAD_PARTNER = 7,      /* a partner index outside [0, n) (explicit partners or a plan) */
  MIXCUT_ERR_BAD_LABEL = 8,        /* a hard label outside [0, K) */
  MIXCUT_ERR_BAD_LAM = 9,          /* a plan's lam is NaN or outside [0, 1] */
  MIXCUT_ERR_BAD_BOX = 10,         /* a box outside the image (plans), or a hole bigger than the image */
  MIXCUT_ERR_SHAPE_MISMATCH = 11,  /* src, dst and plan disagree on n, c, h or w */
  MIXCUT_ERR_OVERLAP = 12,         /* src and dst overlap without being exactly the same buffer */
  MIXCUT_ERR_UNSUPPORTED = 13,     /* valid request this build or CPU cannot serve (e.g. CUDA backend) */
  MIXCUT_ERR_OUT_OF_MEMORY = 14,   /* scratch allocation failed */
  MIXCUT_ERR_INTERNAL = 15         /* a bug in mixcut; please report it */
} mixcut_status;

/* A short constant description of a status ("bad partner index", ...);
 * any other int value (callers may pass one) gives "unknown status".
 * Static storage, never NULL. */
MIXCUT_API const char* mixcut_status_string(mixcut_status status);

/* The message of the most recent failed call on the calling thread, or ""
 * if none failed yet. Successful calls do not clear it. The pointer stays
 * valid until the next failing call on the same thread. */
MIXCUT_API const char* mixcut_last_error(void);

/* ------------------------------------------------------------------------ */
/* Context: threads, ISA, backend, reusable scratch.                         */
/* ------------------------------------------------------------------------ */

typedef struct mixcut_ctx mixcut_ctx;

/* The most threads one call starts. MIXCUT_OPT_NUM_THREADS above it is
 * MIXCUT_ERR_BAD_PARAM; OpenMP's default (OMP_NUM_THREADS) is capped to it. */
#define MIXCUT_MAX_THREADS 1024

typedef enum mixcut_isa {
  MIXCUT_ISA_SCALAR = 0,   /* the plain reference kernels */
  MIXCUT_ISA_SSE2 = 1,     /* sse2 up to sse4.1 (required for this level) */
  MIXCUT_ISA_AVX2 = 2,     /* avx2 + fma */
  MIXCUT_ISA_AVX512 = 3    /* avx512f, bw, cd, dq, vl */
} mixcut_isa;

typedef enum mixcut_backend {
  MIXCUT_BACKEND_CPU = 1,
  MIXCUT_BACKEND_CUDA = 2  /* tensors are device pointers; needs a build with MIXCUT_CUDA=ON */
} mixcut_backend;

typedef enum mixcut_option {
  /* Threads per call. A value > 0 is used as given (the cores it finds busy
   * only slow the call down). 0 (default) never loses to one thread: at most
   * OpenMP's default (OMP_NUM_THREADS or the number of cores, read at each
   * call), at most one thread per MiB the call reads and writes, and no more
   * than the cores other work leaves idle at the call (Linux: runnable
   * threads in /proc/loadavg, less this process's own team) — on a machine
   * whose cores are all busy, e.g. inside data loader worker processes, a
   * call runs on one thread. 0 <= value <= MIXCUT_MAX_THREADS, else
   * MIXCUT_ERR_BAD_PARAM. A count the machine cannot start is never passed
   * to OpenMP (which would end the process). Results do not depend on it. */
  MIXCUT_OPT_NUM_THREADS = 1,
  /* Highest ISA the kernels may use (a mixcut_isa). Default: the best the CPU
   * has, capped by the environment variable MIXCUT_FORCE_ISA
   * (scalar|sse2|avx2|avx512) read when the ctx is created. Asking for more
   * than the CPU has is not an error: the effective ISA is the minimum. */
  MIXCUT_OPT_MAX_ISA = 2,
  /* A mixcut_backend. Default CPU. CUDA returns MIXCUT_ERR_UNSUPPORTED when
   * the library was built without it or the machine has no usable CUDA
   * device (the message says which). With CUDA, apply calls take device
   * pointers (of the device current when the ctx is first used), are queued on
   * MIXCUT_OPT_CUDA_STREAM and return without waiting for the device; plans
   * stay in host memory and may be reused as soon as the call returns. After a
   * first call of a given size, calls allocate nothing and never synchronise,
   * so they can be captured in a CUDA graph: make the calls once, let them
   * finish, then capture them (a captured call keeps its staging memory for
   * the ctx's lifetime: the graph replays that plan). */
  MIXCUT_OPT_BACKEND = 3,
  /* The cudaStream_t (cast to int64_t) that CUDA calls are queued on; 0 is the
   * default stream. Ignored by the CPU backend. */
  MIXCUT_OPT_CUDA_STREAM = 4,
  /* CPU: calls whose destination batch has at least this many bytes write
   * with non-temporal (streaming) stores, which skip the caches: all of an
   * out-of-place output, and the box and hole rows of in-place CutMix and
   * Cutout. Faster for batches larger than the caches, slower when the output
   * is read again right away. Default 16 MiB; 0 = always; INT64_MAX = never.
   * Results are the same either way. value >= 0. */
  MIXCUT_OPT_STREAM_THRESHOLD = 5
} mixcut_option;

/* Creates a ctx with default options. *out is set only on success.
 * Allocates; release with mixcut_ctx_destroy. */
MIXCUT_API mixcut_status mixcut_ctx_create(mixcut_ctx** out);
/* Frees a ctx and its scratch. NULL is fine. */
MIXCUT_API void mixcut_ctx_destroy(mixcut_ctx* ctx);
/* Sets one option (a mixcut_option) to value. Unknown keys: MIXCUT_ERR_BAD_ENUM;
 * out-of-domain values: MIXCUT_ERR_BAD_PARAM. */
MIXCUT_API mixcut_status mixcut_ctx_set(mixcut_ctx* ctx, int32_t key, int64_t value);
/* Reads one option into *value. ctx must not be NULL. */
MIXCUT_API mixcut_status mixcut_ctx_get(const mixcut_ctx* ctx, int32_t key, int64_t* value);
/* The ISA the kernels of this ctx actually run (a mixcut_isa): the CPU's best,
 * capped by MIXCUT_FORCE_ISA and MIXCUT_OPT_MAX_ISA. ctx may be NULL (defaults). */
MIXCUT_API mixcut_status mixcut_ctx_isa(const mixcut_ctx* ctx, int32_t* isa);
/* "scalar", "sse2", "avx2", "avx512", or "unknown". Static storage. */
MIXCUT_API const char* mixcut_isa_string(int32_t isa);

/* ------------------------------------------------------------------------ */
/* Tensors: a view of a batch, never owned by mixcut.                        */
/* ------------------------------------------------------------------------ */

typedef enum mixcut_dtype {
  MIXCUT_UINT8 = 1,
  MIXCUT_FLOAT32 = 2
} mixcut_dtype;

typedef enum mixcut_layout {
  MIXCUT_NCHW = 1,  /* sample, channel, row, column */
  MIXCUT_NHWC = 2   /* sample, row, column, channel */
} mixcut_layout;

typedef struct mixcut_tensor {
  void* data;             /* first element of sample 0; float32 data must be
                             4-byte aligned, else MIXCUT_ERR_BAD_PARAM (a numpy
                             view at an odd byte offset, say) */
  int32_t dtype;          /* mixcut_dtype */
  int32_t layout;         /* mixcut_layout */
  int64_t n, c, h, w;     /* n >= 0; c, h, w >= 1; the view spans at most
                             2^56 bytes, else MIXCUT_ERR_BAD_SIZE */
  int64_t sample_stride;  /* elements from one sample to the next; 0 means c*h*w
                             (packed). Otherwise >= c*h*w. Lets a call work on a
                             sub-batch of a larger buffer. */
} mixcut_tensor;

/* Per-channel normalisation for a uint8 source written to a float32
 * destination: out = ((float)v / 255.0f - mean[c]) / std[c], in float32,
 * exactly as torchvision's ToTensor followed by Normalize. */
typedef struct mixcut_normalize {
  const float* mean;  /* c values; NULL means 0 */
  const float* std;   /* c values, finite and > 0; NULL means 1 */
} mixcut_normalize;

/* Source/destination rules shared by every apply function:
 *   - src and dst have the same n, c, h, w; layouts may differ (the
 *     conversion happens in the same pass).
 *   - dtype pairs: uint8 -> uint8, float32 -> float32, uint8 -> float32
 *     (scaled by 1/255 and normalised, see mixcut_normalize). Others:
 *     MIXCUT_ERR_BAD_DTYPE. norm must be NULL unless the pair is uint8 -> float32.
 *   - In place: dst->data == src->data with identical dtype, layout and
 *     stride; the result equals the out-of-place result. Any other overlap of
 *     the two buffers is MIXCUT_ERR_OVERLAP.
 *   - Arithmetic on uint8 -> float32 first computes the uint8 result, then
 *     converts it (like a uint8 pipeline followed by Normalize). */

/* ------------------------------------------------------------------------ */
/* Mixup and CutMix                                                          */
/* ------------------------------------------------------------------------ */

typedef enum mixcut_mode {
  MIXCUT_MODE_BATCH = 1,  /* one draw for the whole batch */
  MIXCUT_MODE_PAIR = 2,   /* sample i draws with key min(i, partner(i)): a pair shares a draw */
  MIXCUT_MODE_ELEM = 3    /* every sample draws on its own */
} mixcut_mode;

typedef enum mixcut_partner {
  MIXCUT_PARTNER_FLIP = 1,         /* j = n-1-i (timm) */
  MIXCUT_PARTNER_ROLL = 2,         /* j = (i-1) mod n (torchvision v2, batch.roll(1, 0)) */
  MIXCUT_PARTNER_PERMUTATION = 3,  /* j = perm[i], a seeded uniform permutation (the papers' randperm) */
  MIXCUT_PARTNER_EXPLICIT = 4      /* j = partner_index[i], given by the caller */
} mixcut_partner;

typedef enum mixcut_mix_kind {
  MIXCUT_KIND_NONE = 0,    /* unchanged: not drawn for mixing, or partner == self */
  MIXCUT_KIND_MIXUP = 1,   /* out = lam*x_i + (1-lam)*x_j */
  MIXCUT_KIND_CUTMIX = 2   /* out = x_i outside the box, x_j inside */
} mixcut_mix_kind;

/* Every knob of timm's Mixup that decides the draws. Fill it with
 * mixcut_mix_policy_init (timm's defaults), then change what you need.
 * Label smoothing and the class count are arguments of mixcut_mix_labels. */
typedef struct mixcut_mix_policy {
  float mixup_alpha;       /* Beta(a, a) for Mixup; 0 disables Mixup. Default 1. */
  float cutmix_alpha;      /* Beta(a, a) for CutMix; 0 disables CutMix. Default 0. */
  float cutmix_minmax_lo;  /* if lo < hi: CutMix box sides uniform on the integers
                              [floor(lo*H), floor(hi*H)) x [floor(lo*W), floor(hi*W)) (timm 1.0's
                              randint, top excluded; floor(lo*H) alone when that range is empty), */
  float cutmix_minmax_hi;  /* corner uniform so the box lies inside (every position reachable);
                              implies CutMix with lam corrected. Default 0, 0 (off).
                              0 <= lo < hi <= 1; lo == hi != 0 is rejected (BAD_PARAM). */
  float prob;              /* probability that a draw mixes at all. Default 1. */
  float switch_prob;       /* probability of CutMix when both are enabled. Default 0.5. */
  int32_t mode;            /* mixcut_mode. Default MIXCUT_MODE_BATCH. */
  int32_t partner;         /* mixcut_partner. Default MIXCUT_PARTNER_FLIP. */
  int32_t correct_lam;     /* nonzero: CutMix lam = 1 - box_area/(H*W). Default 1. */
  int32_t reserved;        /* must be 0 */
  const int64_t* partner_index; /* MIXCUT_PARTNER_EXPLICIT only: n entries in [0, n) */
} mixcut_mix_policy;

/* One sample's fate: out_i is computed from x_i and x_partner.
 * lam is the weight of x_i in the pixels and in the labels:
 *   Mixup:  lam on the 2^-14 grid (plans from mixcut_mix_plan always are); the
 *           uint8 kernel uses the weight q = round(lam * 16384) exactly:
 *           out = (q*a + (16384-q)*b + 8192) >> 14; float32 computes
 *           lam*a + (1-lam)*b with two roundings (no FMA).
 *   CutMix: 1 - box area/(H*W) when corrected; the box [y0,y1) x [x0,x1)
 *           satisfies 0 <= y0 <= y1 <= H, 0 <= x0 <= x1 <= W.
 *   None:   lam = 1, partner = i, box empty. */
/* A MIXUP or CUTMIX record whose partner is the sample itself leaves it
 * unchanged (a float blend of x with itself is not always exactly x). */
typedef struct mixcut_mix_sample {
  int64_t partner;  /* j in [0, n) */
  float lam;        /* in [0, 1] */
  int32_t kind;     /* mixcut_mix_kind */
  int32_t y0, x0, y1, x1;
} mixcut_mix_sample;

/* Fills *policy with timm's defaults (see the field comments). */
MIXCUT_API mixcut_status mixcut_mix_policy_init(mixcut_mix_policy* policy);

/* Plans one batch of n samples of h x w pixels into out[0..n-1].
 * A pure function of (policy, seed, step, n, h, w): the same on every
 * machine, thread count and backend. Draws are Philox4x32-10 keyed by seed,
 * with counters (step, sample key, draw index): pass e.g.
 * step = epoch * batches_per_epoch + batch, and fold the worker / rank into
 * seed. step < 2^56. n == 0 is a no-op success. A sample whose partner is
 * itself (odd n with flip, n == 1, permutation fixed points) gets kind NONE.
 * CutMix boxes without minmax follow timm 1.0's rand_bbox: lam ~ Beta(a, a),
 * side h = floor(H * sqrt(1 - lam)) (w likewise), centre cy ~ U{0..H-1},
 * box [cy - h/2, cy + (h+1)/2) clipped to the image (integer halves), so an
 * unclipped box is exactly h x w.
 * Does not allocate beyond O(n) temporaries; writes out only on success. */
MIXCUT_API mixcut_status mixcut_mix_plan(const mixcut_mix_policy* policy, uint64_t seed,
                                         uint64_t step, int64_t n, int64_t h, int64_t w,
                                         mixcut_mix_sample* out);

/* Applies plan[0..src->n-1] to src, writing dst (see the source/destination
 * rules above; in place works for every partner pattern, cycles included).
 * The plan is validated first (partners, lam, kinds, boxes against h, w).
 * ctx may be NULL. norm: see mixcut_normalize; NULL for none. */
MIXCUT_API mixcut_status mixcut_mix_apply(mixcut_ctx* ctx, const mixcut_mix_sample* plan,
                                          const mixcut_tensor* src, const mixcut_tensor* dst,
                                          const mixcut_normalize* norm);

/* As mixcut_mix_apply, with the source as n separate samples: sample i is
 * the packed c x h x w buffer samples[i] (dtype, layout, n, c, h, w from src,
 * whose data must be NULL and sample_stride 0, else MIXCUT_ERR_BAD_PARAM).
 * One pass, the collate of a data loader: gather, mix, convert dtype and
 * layout, normalise; each sample is read once and dst written once, for any
 * partner rule. dst equals mixcut_mix_apply's out-of-place result on the
 * samples stacked into one batch, byte for byte. Never in place: a sample,
 * or the array samples itself, overlapping dst is MIXCUT_ERR_OVERLAP.
 * Samples may repeat or overlap each other (they are only read). samples
 * may be NULL when n == 0; a NULL samples[i] is MIXCUT_ERR_NULL_POINTER, a
 * misaligned one MIXCUT_ERR_BAD_PARAM.
 * Added in 0.1 (an ABI addition). */
MIXCUT_API mixcut_status mixcut_mix_apply_gather(mixcut_ctx* ctx, const mixcut_mix_sample* plan,
                                                 const void* const* samples,
                                                 const mixcut_tensor* src,
                                                 const mixcut_tensor* dst,
                                                 const mixcut_normalize* norm);

/* Soft targets out[n][K] (float32, row-major) from hard labels[n] in [0, K):
 *   smooth(y) = one-hot(y) * (1 - eps) + eps/K   (off = eps/K, on = 1 - eps + off)
 *   out_i     = lam_i * smooth(y_i) + (1 - lam_i) * smooth(y_partner)
 * Kind NONE rows are smooth(y_i); if y_i == y_partner the row is exactly
 * smooth(y_i). eps in [0, 1], K >= 1. out must not overlap labels. */
MIXCUT_API mixcut_status mixcut_mix_labels(const mixcut_mix_sample* plan, int64_t n,
                                           const int64_t* labels, int64_t num_classes,
                                           float label_smoothing, float* out);

/* As mixcut_mix_labels, by the ctx's backend. With MIXCUT_BACKEND_CUDA,
 * labels and out are device pointers, the work is queued on the ctx's stream
 * and the call returns without waiting; the plan stays in host memory. The
 * host never reads device labels: a row whose label or partner's label lies
 * outside [0, K) is written as NaN instead of failing. With the CPU backend
 * or ctx NULL it is mixcut_mix_labels. */
MIXCUT_API mixcut_status mixcut_mix_labels_ctx(mixcut_ctx* ctx, const mixcut_mix_sample* plan,
                                               int64_t n, const int64_t* labels,
                                               int64_t num_classes, float label_smoothing,
                                               float* out);

/* As mixcut_mix_labels for soft labels soft[n][K] (each row a distribution;
 * smooth(p) = p * (1 - eps) + eps/K). out may equal soft (in place); any
 * other overlap is MIXCUT_ERR_OVERLAP. Values must be finite. */
MIXCUT_API mixcut_status mixcut_mix_soft_labels(const mixcut_mix_sample* plan, int64_t n,
                                                const float* soft, int64_t num_classes,
                                                float label_smoothing, float* out);

/* timm 1.0's multi_label targets: dense rows targets[n][K] (multi-hot 0/1, or
 * any finite values) smoothed toward 0.5, smooth(y) = y * (1 - eps) + 0.5 * eps
 * (in float32), then mixed as in mixcut_mix_labels. Rows are not normalised.
 * out may equal targets (in place); any other overlap is MIXCUT_ERR_OVERLAP.
 * Added in 0.1 beside the functions above (an ABI addition). */
MIXCUT_API mixcut_status mixcut_mix_multi_labels(const mixcut_mix_sample* plan, int64_t n,
                                                 const float* targets, int64_t num_classes,
                                                 float label_smoothing, float* out);

/* ------------------------------------------------------------------------ */
/* Cutout and RandomErasing                                                  */
/* ------------------------------------------------------------------------ */

typedef enum mixcut_cutout_form {
  /* DeVries & Taylor: squares of side `length`, centre uniform over the
   * image, box [cy - length/2, cy - length/2 + length) clipped at the borders
   * (the paper's code for even lengths; for odd ones it lost a pixel). */
  MIXCUT_CUTOUT_HOLES = 1,
  /* Zhong et al. / timm 1.0 RandomErasing: area fraction s ~ U(scale) divided
   * by the hole count, aspect r ~ logU(ratio), h = round(sqrt(s*H*W*r)),
   * w = round(sqrt(s*H*W/r)) with round half to even (Python's round), a try
   * accepted if h < H and w < W, corner uniform so the box lies inside; up to
   * 10 tries, else no hole. As in timm, a try with a side of 0 is accepted: it
   * erases nothing (an empty box) and ends that hole's tries. */
  MIXCUT_CUTOUT_ERASING = 2
} mixcut_cutout_form;

typedef struct mixcut_cutout_policy {
  int32_t form;       /* mixcut_cutout_form. Default HOLES. */
  float prob;         /* probability that a sample gets any hole. Default 1. */
  int32_t min_count;  /* holes per sample, uniform in [min_count, max_count]. */
  int32_t max_count;  /* Default 1, 1. 0 <= min <= max <= 1024. */
  int32_t length;     /* HOLES: side in pixels, 1 <= length <= min(H, W). Default 16. */
  float scale_lo, scale_hi;  /* ERASING: area fraction range, 0 < lo <= hi <= 1. Default 0.02, 1/3. */
  float ratio_lo, ratio_hi;  /* ERASING: aspect range, 0 < lo <= hi. Default 0.3, 1/0.3. */
  int32_t reserved;          /* must be 0 */
} mixcut_cutout_policy;

/* One hole. Holes of a plan are ordered by sample; empty boxes are skipped. */
typedef struct mixcut_cutout_hole {
  int64_t sample;        /* in [0, n) */
  int32_t y0, x0, y1, x1; /* [y0,y1) x [x0,x1), inside the image */
  uint64_t noise_key;    /* keys the noise fills of this hole */
} mixcut_cutout_hole;

typedef enum mixcut_fill_kind {
  MIXCUT_FILL_CONSTANT = 1,       /* every channel = value */
  MIXCUT_FILL_CHANNEL = 2,        /* channel c = channel_values[c] (e.g. the dataset mean) */
  MIXCUT_FILL_NOISE = 3,          /* per element noise (timm mode 'pixel') */
  MIXCUT_FILL_CHANNEL_NOISE = 4   /* one noise value per channel per hole (timm mode 'rand') */
} mixcut_fill_kind;

/* Fill values are in the destination's units. uint8 destinations need values
 * that round to [0, 255] (round half to even). Noise is a pure function of
 * (hole.noise_key, channel, row, column): uint8 noise is uniform on 0..255,
 * float32 noise is standard normal (Box-Muller from a 20-bit uniform and a
 * 12-bit angle: |z| <= 5.27); the same for NCHW and NHWC and on every ISA and
 * backend (src/kernels/noise.hpp). */
typedef struct mixcut_fill {
  int32_t kind;                 /* mixcut_fill_kind */
  float value;                  /* CONSTANT */
  const float* channel_values;  /* CHANNEL: c values */
} mixcut_fill;

/* Fills *policy with the defaults above. */
MIXCUT_API mixcut_status mixcut_cutout_policy_init(mixcut_cutout_policy* policy);

/* Plans holes for n samples: out has room for n * policy->max_count records;
 * sample i owns out[i*max_count .. (i+1)*max_count-1], unused ones with an
 * empty box. *count receives n * max_count. Pure function of
 * (policy, seed, step, n, h, w); keyed like mixcut_mix_plan. */
MIXCUT_API mixcut_status mixcut_cutout_plan(const mixcut_cutout_policy* policy, uint64_t seed,
                                            uint64_t step, int64_t n, int64_t h, int64_t w,
                                            mixcut_cutout_hole* out, int64_t* count);

/* Copies/converts src to dst (nothing to copy in place), then fills the holes
 * holes[0..num_holes-1] in order (later holes win where they overlap).
 * Holes are validated first: sample in [0, n) and non-decreasing
 * (MIXCUT_ERR_BAD_PARTNER / MIXCUT_ERR_BAD_PARAM), boxes inside
 * (MIXCUT_ERR_BAD_BOX). ctx may be NULL; norm as for mixcut_mix_apply. */
MIXCUT_API mixcut_status mixcut_cutout_apply(mixcut_ctx* ctx, const mixcut_cutout_hole* holes,
                                             int64_t num_holes, const mixcut_fill* fill,
                                             const mixcut_tensor* src, const mixcut_tensor* dst,
                                             const mixcut_normalize* norm);

/* As mixcut_cutout_apply, with the source as n separate samples (the
 * rules of mixcut_mix_apply_gather): copies/converts samples[i] into sample
 * i of dst and fills the holes, in one pass. Added in 0.1 (an ABI addition). */
MIXCUT_API mixcut_status mixcut_cutout_apply_gather(mixcut_ctx* ctx,
                                                    const mixcut_cutout_hole* holes,
                                                    int64_t num_holes, const mixcut_fill* fill,
                                                    const void* const* samples,
                                                    const mixcut_tensor* src,
                                                    const mixcut_tensor* dst,
                                                    const mixcut_normalize* norm);

#ifdef __cplusplus
} /* extern "C" */
#endif

/* clang-format on */

#endif /* MIXCUT_MIXCUT_H */
