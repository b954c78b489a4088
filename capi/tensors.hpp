// C tensor arguments -> validated core views: pointers, sizes, strides,
// byte extents, src/dst agreement and overlap, normalisation. Every function
// either returns a value the core may trust or throws mixcut::Error with the
// status and a message naming the argument (see status.hpp); none writes to
// caller memory. Policies, plans and fills: convert.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/types.hpp"
#include "mixcut/mixcut.h"

namespace mixcut::capi {

// Documented caps of the C API.
constexpr int64_t kMaxImageSide = INT32_MAX;  // h, w
constexpr int64_t kMaxBatch = INT32_MAX;      // n
// A tensor's byte extent: 2^56 bytes is more than any x86-64 or AArch64
// address space holds, and leaves the kernels' int64 index arithmetic headroom.
constexpr int64_t kMaxTensorBytes = int64_t(1) << 56;

// Throws NULL_POINTER "<name> is NULL" when p is NULL.
void require_pointer(const void* p, const char* name);
// Throws BAD_PARAM when p is not a multiple of `alignment` (reading a
// misaligned float or int64_t is undefined behaviour).
void require_aligned(const void* p, size_t alignment, const char* name);
// Typed pointers must also be aligned for their type.
template <class T>
void require_pointer(const T* p, const char* name) {
  require_pointer(static_cast<const void*>(p), name);
  require_aligned(p, alignof(T), name);
}

// 0 <= n <= kMaxBatch, else BAD_SIZE.
void check_batch(int64_t n, const char* name);
// 1 <= side <= kMaxImageSide, else BAD_SIZE.
void check_side(int64_t side, const char* name);

// A tensor view checked on its own: pointer, dtype, layout, sizes, stride,
// byte extent; stride 0 resolved to c*h*w.
Tensor to_tensor(const mixcut_tensor* tensor, const char* name);

// A gather source: n separate packed samples samples[0..n-1], each described
// by src's dtype, layout, c, h, w (src->data must be NULL and
// src->sample_stride 0). Checks every pointer (NULL, alignment, extent).
Tensor to_gather_tensor(const void* const* samples, const mixcut_tensor* src);

// src/dst agreement: shape, dtype pair, overlap (exact in place allowed; a
// gather source must not overlap dst at all, sample by sample).
void check_src_dst(const Tensor& src, const Tensor& dst);

// Optional u8 -> f32 normalisation. Returns nullptr for none, else `storage`
// filled with c means and stds.
const Normalize* to_normalize(const mixcut_normalize* norm, const Tensor& src, const Tensor& dst,
                              Normalize& storage);

// Half-open address range of memory a call reads or writes; empty when
// count == 0. Used for overlap checks.
struct ByteRange {
  uintptr_t begin = 0, end = 0;
  bool empty() const { return begin == end; }
  bool intersects(const ByteRange& other) const {
    return !empty() && !other.empty() && begin < other.end && other.begin < end;
  }
};
ByteRange tensor_bytes(const Tensor& tensor);
ByteRange array_bytes(const void* data, int64_t count, size_t elem_bytes);

}  // namespace mixcut::capi
