// Validation of the C API's pointers, sizes and tensor views (one batch, or
// the separate samples of a gather), their overlap and the normalisation.
#include "tensors.hpp"

#include <cmath>
#include <limits>
#include <ostream>
#include <string>

#include "status.hpp"

namespace mixcut::capi {
namespace {

// An address printed as 0x..., without making a pointer of an integer.
struct Hex {
  uintptr_t value;
};
std::ostream& operator<<(std::ostream& out, Hex h) {
  return out << "0x" << std::hex << h.value << std::dec;
}

const char* dtype_name(DType dtype) { return dtype == DType::U8 ? "uint8" : "float32"; }

bool is_dtype(int32_t v) { return v == MIXCUT_UINT8 || v == MIXCUT_FLOAT32; }
bool is_layout(int32_t v) { return v == MIXCUT_NCHW || v == MIXCUT_NHWC; }

// a * b, or BAD_SIZE naming what overflowed.
int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) {
    failf(MIXCUT_ERR_BAD_SIZE, what, " overflows int64 (", a, " * ", b, ")");
  }
  return product;
}

int64_t checked_add(int64_t a, int64_t b, const char* what) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    failf(MIXCUT_ERR_BAD_SIZE, what, " overflows int64 (", a, " + ", b, ")");
  }
  return sum;
}

}  // namespace

void require_pointer(const void* p, const char* name) {
  if (p == nullptr) failf(MIXCUT_ERR_NULL_POINTER, name, " is NULL");
}

void require_aligned(const void* p, size_t alignment, const char* name) {
  if (reinterpret_cast<uintptr_t>(p) % alignment != 0) {
    failf(MIXCUT_ERR_BAD_PARAM, name, " = ", p, " is not aligned to ", alignment,
          " bytes (its element type)");
  }
}

void check_batch(int64_t n, const char* name) {
  if (n < 0 || n > kMaxBatch) {
    failf(MIXCUT_ERR_BAD_SIZE, name, " = ", n, " is outside [0, ", kMaxBatch, "]");
  }
}

void check_side(int64_t side, const char* name) {
  if (side < 1 || side > kMaxImageSide) {
    failf(MIXCUT_ERR_BAD_SIZE, name, " = ", side, " is outside [1, ", kMaxImageSide, "]");
  }
}

namespace {

// A tensor's sizes, stride and byte extent, its data not yet looked at.
Tensor to_shape(const mixcut_tensor* tensor, const char* name) {
  const std::string prefix = std::string(name) + "->";
  auto field = [&](const char* f) { return prefix + f; };
  if (!is_dtype(tensor->dtype)) {
    failf(MIXCUT_ERR_BAD_DTYPE, field("dtype"), " = ", tensor->dtype,
          " is not a mixcut_dtype (1 uint8, 2 float32)");
  }
  if (!is_layout(tensor->layout)) {
    failf(MIXCUT_ERR_BAD_LAYOUT, field("layout"), " = ", tensor->layout,
          " is not a mixcut_layout (1 NCHW, 2 NHWC)");
  }
  check_batch(tensor->n, field("n").c_str());
  if (tensor->c < 1) failf(MIXCUT_ERR_BAD_SIZE, field("c"), " = ", tensor->c, " must be >= 1");
  check_side(tensor->h, field("h").c_str());
  check_side(tensor->w, field("w").c_str());

  Tensor t;
  t.dtype = static_cast<DType>(tensor->dtype);
  t.layout = static_cast<Layout>(tensor->layout);
  t.n = tensor->n;
  t.c = tensor->c;
  t.h = tensor->h;
  t.w = tensor->w;
  const std::string sample_what = prefix + "c * h * w";
  const int64_t sample_elems =
      checked_mul(checked_mul(t.c, t.h, sample_what.c_str()), t.w, sample_what.c_str());
  if (tensor->sample_stride < 0 ||
      (tensor->sample_stride != 0 && tensor->sample_stride < sample_elems)) {
    failf(MIXCUT_ERR_BAD_SIZE, field("sample_stride"), " = ", tensor->sample_stride,
          " must be 0 (packed) or >= c * h * w = ", sample_elems);
  }
  t.stride = tensor->sample_stride == 0 ? sample_elems : tensor->sample_stride;

  // The whole extent in bytes must be addressable: ((n-1)*stride + chw) * elem.
  int64_t extent_bytes = 0;
  if (t.n > 0) {
    const std::string what = prefix + "byte size";
    const int64_t elems =
        checked_add(checked_mul(t.n - 1, t.stride, what.c_str()), sample_elems, what.c_str());
    extent_bytes = checked_mul(elems, elem_size(t.dtype), what.c_str());
    if (extent_bytes > kMaxTensorBytes) {
      failf(MIXCUT_ERR_BAD_SIZE, prefix, "byte size ", extent_bytes,
            " exceeds 2^56 (no address space holds it)");
    }
    static_assert(sizeof(size_t) >= sizeof(int64_t), "64-bit size_t expected");
  }
  return t;
}

}  // namespace

Tensor to_tensor(const mixcut_tensor* tensor, const char* name) {
  require_pointer(tensor, name);
  Tensor t = to_shape(tensor, name);
  const std::string prefix = std::string(name) + "->";
  auto field = [&](const char* f) { return prefix + f; };
  const ByteRange extent = tensor_bytes(t);  // from address 0: t.data is not set yet
  const uint64_t extent_bytes = extent.end - extent.begin;
  if (t.n > 0 && tensor->data == nullptr) {
    failf(MIXCUT_ERR_NULL_POINTER, field("data"), " is NULL with ", field("n"), " = ", t.n);
  }
  if (t.n > 0) require_aligned(tensor->data, size_t(elem_size(t.dtype)), field("data").c_str());
  const uintptr_t begin = reinterpret_cast<uintptr_t>(tensor->data);
  if (begin > std::numeric_limits<uintptr_t>::max() - extent_bytes) {
    failf(MIXCUT_ERR_BAD_SIZE, prefix, "data + ", extent_bytes, " bytes wraps the address space");
  }
  t.data = tensor->data;
  return t;
}

Tensor to_gather_tensor(const void* const* samples, const mixcut_tensor* src) {
  require_pointer(src, "src");
  if (src->data != nullptr) {
    failf(MIXCUT_ERR_BAD_PARAM, "src->data must be NULL in a gather call: the samples are ",
          "samples[0..n-1]");
  }
  if (src->sample_stride != 0) {
    failf(MIXCUT_ERR_BAD_PARAM, "src->sample_stride = ", src->sample_stride,
          " must be 0 in a gather call: each sample is packed");
  }
  // Sizes in the order mixcut_*_apply checks them (the same status for the
  // same bad shape); the pointers below.
  Tensor t = to_shape(src, "src");
  if (src->n > 0) require_pointer(samples, "samples");
  const size_t elem = size_t(elem_size(t.dtype));
  // One sample's bytes: within the extent to_shape bounded (2^56) when n > 0;
  // unused (and possibly overflowing) when n == 0, which mixcut_*_apply accepts.
  const uint64_t bytes = uint64_t(t.sample_elems()) * elem;
  for (int64_t i = 0; i < src->n; ++i) {
    if (samples[i] == nullptr) failf(MIXCUT_ERR_NULL_POINTER, "samples[", i, "] is NULL");
    if (reinterpret_cast<uintptr_t>(samples[i]) % elem != 0) {
      failf(MIXCUT_ERR_BAD_PARAM, "samples[", i, "] = ", samples[i], " is not ", elem,
            "-byte aligned");
    }
    if (reinterpret_cast<uintptr_t>(samples[i]) > std::numeric_limits<uintptr_t>::max() - bytes) {
      failf(MIXCUT_ERR_BAD_SIZE, "samples[", i, "] + ", bytes, " bytes wraps the address space");
    }
  }
  t.samples = const_cast<void* const*>(samples);
  return t;
}

ByteRange tensor_bytes(const Tensor& t) {
  if (t.n == 0 || t.samples != nullptr) return {};
  const auto bytes = uint64_t(((t.n - 1) * t.stride + t.sample_elems()) * elem_size(t.dtype));
  const auto begin = reinterpret_cast<uintptr_t>(t.data);
  return {begin, begin + bytes};
}

ByteRange array_bytes(const void* data, int64_t count, size_t elem_bytes) {
  if (count <= 0 || data == nullptr) return {};
  const auto begin = reinterpret_cast<uintptr_t>(data);
  return {begin, begin + uint64_t(count) * elem_bytes};
}

void check_src_dst(const Tensor& src, const Tensor& dst) {
  const char* dims[] = {"n", "c", "h", "w"};
  const int64_t src_dims[] = {src.n, src.c, src.h, src.w};
  const int64_t dst_dims[] = {dst.n, dst.c, dst.h, dst.w};
  for (int d = 0; d < 4; ++d) {
    if (src_dims[d] != dst_dims[d]) {
      failf(MIXCUT_ERR_SHAPE_MISMATCH, "src->", dims[d], " = ", src_dims[d], " but dst->", dims[d],
            " = ", dst_dims[d]);
    }
  }
  if (src.dtype == DType::F32 && dst.dtype == DType::U8) {
    failf(MIXCUT_ERR_BAD_DTYPE, "src->dtype = float32 with dst->dtype = uint8 is not a supported",
          " pair (uint8 -> uint8, float32 -> float32, uint8 -> float32)");
  }
  if (src.data == dst.data && src.n > 0) {
    if (src.dtype != dst.dtype) {
      failf(MIXCUT_ERR_OVERLAP, "dst->data == src->data but src->dtype = ", dtype_name(src.dtype),
            " and dst->dtype = ", dtype_name(dst.dtype), " differ; in place needs equal dtypes");
    }
    if (src.layout != dst.layout) {
      failf(MIXCUT_ERR_OVERLAP, "dst->data == src->data but src->layout = ", int32_t(src.layout),
            " and dst->layout = ", int32_t(dst.layout), " differ; in place needs equal layouts");
    }
    if (src.stride != dst.stride) {
      failf(MIXCUT_ERR_OVERLAP, "dst->data == src->data but the sample strides differ (src ",
            src.stride, ", dst ", dst.stride, " elements); in place needs equal strides");
    }
    return;  // exact in place
  }
  const ByteRange a = tensor_bytes(src), b = tensor_bytes(dst);
  if (src.samples != nullptr) {
    // The kernels read samples[i] while they write dst (found by fuzz_gather).
    if (array_bytes(src.samples, src.n, sizeof(void*)).intersects(b)) {
      failf(MIXCUT_ERR_OVERLAP, "samples (the array of ", src.n,
            " pointers) overlaps dst; the pointers are read while dst is written");
    }
    const int64_t bytes = src.sample_elems() * elem_size(src.dtype);
    for (int64_t i = 0; i < src.n; ++i) {
      if (array_bytes(src.samples[i], bytes, 1).intersects(b)) {
        failf(MIXCUT_ERR_OVERLAP, "samples[", i, "] (", bytes, " bytes at ", src.samples[i],
              ") overlaps dst; a gather never runs in place");
      }
    }
  }
  if (a.intersects(b)) {
    failf(MIXCUT_ERR_OVERLAP, "src bytes [", Hex{a.begin}, ", ", Hex{a.end}, ") and dst bytes [",
          Hex{b.begin}, ", ", Hex{b.end}, ") overlap without being the same buffer");
  }
}

const Normalize* to_normalize(const mixcut_normalize* norm, const Tensor& src, const Tensor& dst,
                              Normalize& storage) {
  if (norm == nullptr) return nullptr;
  if (!(src.dtype == DType::U8 && dst.dtype == DType::F32)) {
    failf(MIXCUT_ERR_BAD_PARAM, "norm must be NULL for src->dtype = ", dtype_name(src.dtype),
          " and dst->dtype = ", dtype_name(dst.dtype), " (only uint8 -> float32 normalises)");
  }
  const int64_t c = src.c;
  if (norm->mean != nullptr) require_aligned(norm->mean, alignof(float), "norm->mean");
  if (norm->std != nullptr) require_aligned(norm->std, alignof(float), "norm->std");
  if (norm->mean != nullptr) {
    for (int64_t i = 0; i < c; ++i) {
      if (!std::isfinite(norm->mean[i])) {
        failf(MIXCUT_ERR_BAD_PARAM, "norm->mean[", i, "] = ", norm->mean[i], " is not finite");
      }
    }
  }
  if (norm->std != nullptr) {
    for (int64_t i = 0; i < c; ++i) {
      if (!(std::isfinite(norm->std[i]) && norm->std[i] > 0.0f)) {
        failf(MIXCUT_ERR_BAD_PARAM, "norm->std[", i, "] = ", norm->std[i],
              " must be finite and > 0");
      }
    }
  }
  storage.mean.assign(size_t(c), 0.0f);
  storage.std.assign(size_t(c), 1.0f);
  if (norm->mean != nullptr) storage.mean.assign(norm->mean, norm->mean + c);
  if (norm->std != nullptr) storage.std.assign(norm->std, norm->std + c);
  return &storage;
}

}  // namespace mixcut::capi
