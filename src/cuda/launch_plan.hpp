// What one CUDA launch reads, built on the host: the plan's records, the
// partner schedule and the per-channel constants, packed into one byte image
// (copied to the device in one transfer) and the kernel arguments pointing
// into it. Plain C++: the host grid tests build the same image in host memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/types.hpp"
#include "cuda/bodies.hpp"
#include "plan/schedule.hpp"

namespace mixcut::cuda {

// Reusable: after a first call of a given size, building allocates nothing.
class MixLaunch {
 public:
  // plan: n validated records; src/dst validated by capi (dst may equal src).
  // lean (the default): a rows launch where it applies (bodies.hpp: in place,
  // every pixel-changing record a CutMix, no sample the partner of two) and
  // pixel-run loads (MixArgs::runs); false: the region launch and gathers of
  // the first H200 run, for benchmarking (MIXCUT_CUDA_BASELINE=1).
  void build(const MixSample* plan, const Tensor& src, const Tensor& dst, const Normalize* norm,
             bool lean = true);
  const std::vector<unsigned char>& image() const { return image_; }
  // Arguments with the image at `base` (host or device copy of image()).
  MixArgs bind(const void* base) const;
  int64_t num_regions() const { return num_regions_; }
  int64_t max_chunks() const { return max_chunks_; }  // threads per region, the largest
  // The rows launch: one region per sample, max_chunks() threads of one element each.
  bool rows() const { return rows_; }
  RowMixArgs bind_rows(const void* base) const;

 private:
  bool build_rows(const MixSample* plan, const Tensor& x);
  std::vector<unsigned char> image_;
  size_t samples_ = 0, nodes_ = 0, steps_ = 0, regions_ = 0, table_ = 0;
  int64_t num_regions_ = 0, max_chunks_ = 0;
  bool rows_ = false;
  MixArgs args_{};
  View rows_view_{};
  Schedule schedule_;
};

class CutoutLaunch {
 public:
  // lean: in place, a rows launch (one region per hole); pixel-run loads.
  void build(const CutoutHole* holes, int64_t num_holes, const Fill& fill, const Tensor& src,
             const Tensor& dst, const Normalize* norm, bool lean = true);
  const std::vector<unsigned char>& image() const { return image_; }
  CutoutArgs bind(const void* base) const;
  int64_t num_regions() const { return rows_ ? rows_holes_ : args_.num_regions; }
  int64_t max_chunks() const { return max_chunks_; }
  bool rows() const { return rows_; }
  RowCutoutArgs bind_rows(const void* base) const;

 private:
  void append_fill(const Fill& fill, const Tensor& dst);
  std::vector<unsigned char> image_;
  size_t holes_ = 0, regions_ = 0, table_ = 0, fill_f32_ = 0, fill_u8_ = 0;
  int64_t max_chunks_ = 0, rows_holes_ = 0;
  bool rows_ = false;
  CutoutArgs args_{};
};

View view_of(const Tensor& t);

// Threads per block of every launch; grids cover max_chunks() in such blocks.
constexpr int kBlock = 256;

// Calls f(S(), D(), plain) for a mix launch: the element types of its dtype
// pair, and std::true_type when the bodies need no element positions
// (MixArgs::positions == 0, which implies S == D).
template <class F>
bool with_mix_variant(DType src, DType dst, bool positions, F&& f) {
  return with_types(src, dst, [&](auto s, auto d) {
    if constexpr (std::is_same_v<decltype(s), decltype(d)>) {
      if (!positions) return f(s, d, std::true_type());
    }
    f(s, d, std::false_type());
  });
}

// Calls f(S(), D()) with the element types of a supported dtype pair.
template <class F>
bool with_types(DType src, DType dst, F&& f) {
  if (src == DType::U8 && dst == DType::U8) return f(uint8_t(), uint8_t()), true;
  if (src == DType::F32 && dst == DType::F32) return f(float(), float()), true;
  if (src == DType::U8 && dst == DType::F32) return f(uint8_t(), float()), true;
  return false;
}

}  // namespace mixcut::cuda
