// Builds the byte image and kernel arguments of a CUDA mix or cutout launch.
// A mix walks plan/schedule.hpp's partner-graph schedule: one region of
// threads per component, each thread walking the component's steps.
#include "cuda/launch_plan.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/formulas.hpp"

namespace mixcut::cuda {
namespace {

template <class T>
const T* at(const void* base, size_t offset) {
  return reinterpret_cast<const T*>(static_cast<const unsigned char*>(base) + offset);
}

// Reserves n objects of T at a 16-byte boundary; returns the offset.
template <class T>
size_t reserve(std::vector<unsigned char>& image, size_t n) {
  const size_t at = (image.size() + 15) & ~size_t(15);
  image.resize(at + n * sizeof(T));
  return at;
}

template <class T>
T* slot(std::vector<unsigned char>& image, size_t offset) {
  return reinterpret_cast<T*>(image.data() + offset);
}

// uint8 -> float32: the normalised value of every byte in every channel,
// computed by the shared formula (defaults: mean 0, std 1).
void append_table(std::vector<unsigned char>& image, const Normalize* norm, const Tensor& src,
                  const Tensor& dst, size_t& table) {
  const bool used = src.dtype == DType::U8 && dst.dtype == DType::F32;
  const int64_t c = used ? src.c : 0;
  table = reserve<float>(image, size_t(c) * 256);
  const bool has_mean = norm != nullptr && !norm->mean.empty();
  const bool has_std = norm != nullptr && !norm->std.empty();
  for (int64_t ch = 0; ch < c; ++ch) {
    const float mean = has_mean ? norm->mean[size_t(ch)] : 0.0f;
    const float std = has_std ? norm->std[size_t(ch)] : 1.0f;
    for (int v = 0; v < 256; ++v) {
      slot<float>(image, table)[ch * 256 + v] = formulas::normalize_u8(uint8_t(v), mean, std);
    }
  }
}

}  // namespace

View view_of(const Tensor& t) {
  return View{t.data,  static_cast<int32_t>(t.dtype), static_cast<int32_t>(t.layout), t.c, t.h, t.w,
              t.stride};
}

bool MixLaunch::build_rows(const MixSample* plan, const Tensor& x) {
  const int32_t n = int32_t(x.n);
  image_.clear();
  samples_ = reserve<RowSample>(image_, size_t(n));
  auto* rows = slot<RowSample>(image_, samples_);
  for (int32_t k = 0; k < n; ++k) rows[k] = RowSample{k, -1, 0, 0, 0, 0, 0};
  for (int32_t k = 0; k < n; ++k) {
    const MixSample& s = plan[k];
    if (!s.changes_pixels(k)) continue;
    if (s.kind != MixKind::CutMix) return false;  // a blend reads x_k too
    const int32_t j = int32_t(s.partner);
    if (rows[j].pred >= 0) return false;  // two readers of x_j: the region launch
    rows[j].pred = k;
    rows[k].partner = j;
    rows[k].y0 = s.box.y0, rows[k].x0 = s.box.x0, rows[k].y1 = s.box.y1, rows[k].x1 = s.box.x1;
  }
  // Mark the first (lowest) sample of every cycle: walking back along pred
  // from k returns to k on a cycle; each cycle is walked once.
  std::vector<bool> seen(size_t(n), false);
  for (int32_t k = 0; k < n; ++k) {
    if (seen[size_t(k)] || rows[k].partner == k) continue;
    int32_t j = k;
    while (j >= 0 && !seen[size_t(j)]) seen[size_t(j)] = true, j = rows[j].pred;
    if (j == k) rows[k].first = 1;
  }
  max_chunks_ = 0;
  for (int32_t k = 0; k < n; ++k) {
    const RowSample& r = rows[k];
    max_chunks_ = std::max(max_chunks_, int64_t(r.y1 - r.y0) * (r.x1 - r.x0) * x.c);
  }
  num_regions_ = n;
  rows_view_ = view_of(x);
  return true;
}

RowMixArgs MixLaunch::bind_rows(const void* base) const {
  return RowMixArgs{at<RowSample>(base, samples_), rows_view_, num_regions_};
}

void MixLaunch::build(const MixSample* plan, const Tensor& src, const Tensor& dst,
                      const Normalize* norm, bool lean) {
  const int32_t n = int32_t(src.n);
  const bool in_place = src.data == dst.data;
  rows_ = lean && in_place && build_rows(plan, dst);
  if (rows_) return;
  image_.clear();
  // Records: one that leaves its pixels alone becomes NONE (a blend with
  // itself is not always exact, and the CPU leaves such samples alone).
  samples_ = reserve<DevSample>(image_, size_t(n));
  bool any_box = false;  // a CutMix that mixes: bodies need element positions
  for (int32_t k = 0; k < n; ++k) {
    const MixSample& s = plan[k];
    const bool m = s.changes_pixels(k);
    any_box = any_box || (m && s.kind == MixKind::CutMix);
    slot<DevSample>(image_, samples_)[k] = DevSample{m ? int32_t(s.partner) : k,
                                                     m ? static_cast<int32_t>(s.kind) : 0,
                                                     formulas::lam_weight(s.lam),
                                                     s.lam,
                                                     1.0f - s.lam,
                                                     s.box.y0,
                                                     s.box.x0,
                                                     s.box.y1,
                                                     s.box.x1};
  }
  build_schedule(plan, n, in_place, schedule_);
  const Schedule& sc = schedule_;
  const int64_t num_comps = sc.num_components();
  nodes_ = reserve<int32_t>(image_, sc.nodes.size());
  for (size_t t = 0; t < sc.nodes.size(); ++t)
    slot<int32_t>(image_, nodes_)[t] = int32_t(sc.nodes[t]);
  steps_ = reserve<DevStep>(image_, sc.steps.size());
  for (size_t t = 0; t < sc.steps.size(); ++t) {
    const Step& st = sc.steps[t];
    slot<DevStep>(image_, steps_)[t] =
        DevStep{int32_t(st.first), int32_t(st.count), st.type == StepType::Single ? 0 : 1};
  }
  // A component's region: the whole image, or in place for CutMixes only
  // the bounding box of their boxes.
  regions_ = reserve<DevRegion>(image_, size_t(num_comps));
  const int32_t h = int32_t(dst.h), w = int32_t(dst.w);
  const View d = view_of(dst);
  max_chunks_ = 0;
  for (int64_t c = 0; c < num_comps; ++c) {
    const int64_t first = sc.comp_first_step[size_t(c)], last = sc.comp_first_step[size_t(c) + 1];
    DevRegion r = in_place ? DevRegion{int32_t(first), int32_t(last - first), h, w, 0, 0}
                           : DevRegion{int32_t(first), int32_t(last - first), 0, 0, h, w};
    for (int64_t t = first; in_place && t < last; ++t) {
      const Step& st = sc.steps[size_t(t)];
      for (int64_t m = st.first; m < st.first + st.count; ++m) {
        const DevSample& s = slot<DevSample>(image_, samples_)[sc.nodes[size_t(m)]];
        const bool whole = s.kind == static_cast<int32_t>(MixKind::Mixup);
        r.y0 = std::min(r.y0, whole ? 0 : s.y0), r.x0 = std::min(r.x0, whole ? 0 : s.x0);
        r.y1 = std::max(r.y1, whole ? h : s.y1), r.x1 = std::max(r.x1, whole ? w : s.x1);
      }
    }
    slot<DevRegion>(image_, regions_)[c] = r;
    const int64_t chunks =
        src.dtype == DType::U8 ? chunks_of<kChunk<uint8_t>>(r, d) : chunks_of<kChunk<float>>(r, d);
    max_chunks_ = std::max(max_chunks_, chunks);
  }
  append_table(image_, norm, src, dst, table_);
  num_regions_ = num_comps;
  args_ = MixArgs{};
  args_.src = view_of(src);
  args_.dst = d;
  args_.in_place = in_place;
  args_.positions = src.layout != dst.layout || src.dtype != dst.dtype || any_box;
  args_.runs = lean;
  args_.num_regions = num_comps;
}

MixArgs MixLaunch::bind(const void* base) const {
  MixArgs a = args_;
  a.samples = at<DevSample>(base, samples_);
  a.nodes = at<int32_t>(base, nodes_);
  a.steps = at<DevStep>(base, steps_);
  a.regions = at<DevRegion>(base, regions_);
  a.table = at<float>(base, table_);
  return a;
}

void CutoutLaunch::build(const CutoutHole* holes, int64_t num_holes, const Fill& fill,
                         const Tensor& src, const Tensor& dst, const Normalize* norm, bool lean) {
  const bool in_place = src.data == dst.data;
  const int32_t n = int32_t(src.n), h = int32_t(dst.h), w = int32_t(dst.w);
  image_.clear();
  rows_ = lean && in_place;
  if (rows_) {  // holes are sorted by sample (capi checks)
    holes_ = reserve<RowHole>(image_, size_t(num_holes));
    auto* rows = slot<RowHole>(image_, holes_);
    max_chunks_ = 0;
    for (int64_t k = 0, end = 0; k < num_holes; ++k) {
      while (end < num_holes && holes[end].sample == holes[k].sample) ++end;
      const Box& b = holes[k].box;
      rows[k] = RowHole{
          b.y0, b.x0, b.y1, b.x1, int32_t(holes[k].sample), int32_t(end), holes[k].noise_key};
      if (!b.empty()) max_chunks_ = std::max(max_chunks_, int64_t(b.area()) * dst.c);
    }
    rows_holes_ = num_holes;
  }
  append_fill(fill, dst);
  args_ = CutoutArgs{};
  args_.src = view_of(src);
  args_.dst = view_of(dst);
  args_.in_place = in_place;
  args_.fill_kind = static_cast<int32_t>(fill.kind);
  args_.runs = lean;
  args_.num_regions = n;
  if (rows_) return;
  holes_ = reserve<DevHole>(image_, size_t(num_holes));
  auto* dev_holes = slot<DevHole>(image_, holes_);
  for (int64_t k = 0; k < num_holes; ++k) {
    const Box& b = holes[k].box;
    dev_holes[k] = DevHole{b.y0, b.x0, b.y1, b.x1, holes[k].noise_key};
  }
  regions_ = reserve<DevRegion>(image_, size_t(n));
  auto* regions = slot<DevRegion>(image_, regions_);
  int64_t k = 0;  // holes are sorted by sample (capi checks)
  for (int32_t i = 0; i < n; ++i) {
    // Out of place the whole image; in place the bounding box of the holes.
    DevRegion r =
        in_place ? DevRegion{int32_t(k), 0, h, w, 0, 0} : DevRegion{int32_t(k), 0, 0, 0, h, w};
    for (; k < num_holes && holes[k].sample == i; ++k) {
      ++r.num_steps;
      if (in_place && !holes[k].box.empty()) {
        const Box& b = holes[k].box;
        r.y0 = std::min(r.y0, b.y0), r.x0 = std::min(r.x0, b.x0);
        r.y1 = std::max(r.y1, b.y1), r.x1 = std::max(r.x1, b.x1);
      }
    }
    regions[i] = r;
  }
  append_table(image_, norm, src, dst, table_);
  const View d = view_of(dst);
  regions = slot<DevRegion>(image_, regions_);
  max_chunks_ = 0;
  for (int32_t i = 0; i < n; ++i) {
    const int64_t chunks = src.dtype == DType::U8 ? chunks_of<kChunk<uint8_t>>(regions[i], d)
                                                  : chunks_of<kChunk<float>>(regions[i], d);
    max_chunks_ = std::max(max_chunks_, chunks);
  }
}

void CutoutLaunch::append_fill(const Fill& fill, const Tensor& dst) {
  // Fill values in destination units; uint8 rounds half to even, as the CPU.
  const size_t channels = size_t(dst.c);
  fill_f32_ = reserve<float>(image_, channels);
  fill_u8_ = reserve<uint8_t>(image_, channels);
  for (size_t c = 0; c < channels; ++c) {
    const float v = fill.kind == FillKind::Channel ? fill.channel_values[c] : fill.value;
    slot<float>(image_, fill_f32_)[c] = v;
    slot<uint8_t>(image_, fill_u8_)[c] = dst.dtype == DType::U8 ? formulas::fill_u8(v) : 0;
  }
}

RowCutoutArgs CutoutLaunch::bind_rows(const void* base) const {
  return RowCutoutArgs{at<RowHole>(base, holes_),
                       at<float>(base, fill_f32_),
                       at<uint8_t>(base, fill_u8_),
                       args_.dst,
                       args_.fill_kind,
                       rows_holes_};
}

CutoutArgs CutoutLaunch::bind(const void* base) const {
  CutoutArgs a = args_;
  a.holes = at<DevHole>(base, holes_);
  a.regions = at<DevRegion>(base, regions_);
  a.table = at<float>(base, table_);
  a.fill_f32 = at<float>(base, fill_f32_);
  a.fill_u8 = at<uint8_t>(base, fill_u8_);
  return a;
}

}  // namespace mixcut::cuda
