// libFuzzer target: mixcut_mix_apply_gather and mixcut_cutout_apply_gather.
// n separate samples (each its own allocation, or repeated, overlapping one
// another in a pool, misaligned, NULL, inside dst), the pointer array itself
// (NULL, misaligned, inside dst), every dtype/layout pair, dst strides, plans
// and holes from the plan functions, corrupted or made up.
// Oracle: the same call through mixcut_*_apply (scalar ctx) on the samples
// stacked into one batch. A gather succeeds exactly when that call does and
// no gather-only fault is present, and then writes the same bytes; a failure
// returns the stacked call's status or a gather-only fault's, and leaves dst,
// the canary guards around it, every sample and the pointer array as they were.
#include <memory>

#include "fuzz_common.hpp"

namespace {

using fuzz::check;
using mixcut::test::GuardedBuffer;

// Where samples[i] points.
enum class Where { Own, Repeat, Pool, Misaligned, Null, InDst };
// Where the pointer array lives.
enum class Array { Vector, Null, Misaligned, InDst };

// The statuses a call with gather-only faults may return (besides the
// stacked call's own), as a bit set.
struct Faults {
  unsigned bits = 0;
  void add(mixcut_status s) { bits |= 1u << unsigned(s); }
  bool has(mixcut_status s) const { return (bits >> unsigned(s)) & 1u; }
  bool any() const { return bits != 0; }
};

struct Case {
  bool mix = true;
  fuzz::Shape shape;  // the samples' dtype, layout, n, c, h, w (stride: the stacked batch's)
  fuzz::Shape dst;
  size_t dst_misalign = 0;
  int64_t src_stride = 0;  // the gather's src->sample_stride (must be 0)
  bool src_data = false;   // src->data set (must be NULL)
  Array array = Array::Vector;
  size_t array_at = 0;  // byte offset in dst's payload for Array::InDst
  std::vector<Where> where;
  std::vector<size_t> at;  // Pool / Misaligned / InDst offsets (bytes)
  std::vector<size_t> repeat_of;
};

size_t sample_bytes(const fuzz::Shape& s) { return size_t(s.chw()) * s.elem(); }

// Draws every pointer's place; the bytes come later.
void some_places(FuzzedDataProvider& p, Case& k, size_t dst_extent) {
  const int64_t n = k.shape.sane && k.shape.n >= 0 && k.shape.n <= 8 ? k.shape.n : 0;
  const size_t bytes = sample_bytes(k.shape), elem = k.shape.elem();
  for (int64_t i = 0; i < n; ++i) {
    Where w = Where::Own;
    size_t at = 0, of = 0;
    switch (p.ConsumeIntegralInRange(0, 15)) {
      case 15:
        w = Where::Null;
        break;
      case 14:
        w = Where::Misaligned;
        at = p.ConsumeIntegralInRange<size_t>(1, 3);
        break;
      case 13:
        if (dst_extent > 0) {
          w = Where::InDst;  // from a little before dst's payload to its last byte
          const size_t before = std::min<size_t>(bytes - 1, GuardedBuffer::kGuardBytes);
          at = p.ConsumeIntegralInRange<size_t>(0, before + dst_extent - 1);
          if (p.ConsumeBool()) at = at / elem * elem;
        }
        break;
      case 12:
      case 11:
        if (i > 0) {
          w = Where::Repeat;
          of = p.ConsumeIntegralInRange<size_t>(0, size_t(i - 1));
          // Always the first of the repeats, so where[of] says where the bytes are.
          if (k.where[of] == Where::Repeat) of = k.repeat_of[of];
        }
        break;
      case 10:
      case 9:
        w = Where::Pool;  // samples overlapping one another
        at = p.ConsumeIntegralInRange<size_t>(0, size_t(k.shape.chw())) * elem;
        break;
      default:
        break;
    }
    k.where.push_back(w);
    k.at.push_back(at);
    k.repeat_of.push_back(of);
  }
  switch (p.ConsumeIntegralInRange(0, 31)) {
    case 31:
      k.array = Array::Null;
      break;
    case 30:
      k.array = Array::Misaligned;
      break;
    case 29:
      if (dst_extent >= size_t(n) * sizeof(void*) + 8) {
        k.array = Array::InDst;
        k.array_at = p.ConsumeIntegralInRange<size_t>(0, (dst_extent - size_t(n) * sizeof(void*)) / 8) * 8;
      }
      break;
    default:
      break;
  }
}

// The samples' memory: own allocations of exactly their size (ASan sees
// any read past them), a pool for overlapping ones.
struct Memory {
  std::vector<std::unique_ptr<unsigned char[]>> own;
  std::vector<size_t> own_bytes;
  std::unique_ptr<unsigned char[]> pool;
  size_t pool_bytes = 0;

  unsigned char* allocate(size_t bytes) {
    own.emplace_back(new unsigned char[std::max<size_t>(bytes, 1)]);
    own_bytes.push_back(bytes);
    return own.back().get();
  }
  // Every byte a sample may be read from, for "the sources are untouched".
  std::vector<unsigned char> snapshot() const {
    std::vector<unsigned char> all;
    for (size_t i = 0; i < own.size(); ++i) all.insert(all.end(), own[i].get(), own[i].get() + own_bytes[i]);
    if (pool) all.insert(all.end(), pool.get(), pool.get() + pool_bytes);
    return all;
  }
};

// Statuses each fault of the gather call may produce.
Faults faults_of(const Case& k, const void* const* samples, const std::vector<const void*>& ptrs,
                 const GuardedBuffer& dst) {
  Faults f;
  if (k.src_data || k.src_stride != 0) f.add(MIXCUT_ERR_BAD_PARAM);
  const auto dst_begin = reinterpret_cast<uintptr_t>(dst.data());
  const uintptr_t dst_end = dst_begin + k.dst.extent();
  if (k.shape.n > 0) {
    const auto a = reinterpret_cast<uintptr_t>(samples);
    if (samples == nullptr) f.add(MIXCUT_ERR_NULL_POINTER);
    if (a % alignof(void*) != 0) f.add(MIXCUT_ERR_BAD_PARAM);
    if (k.array == Array::InDst) f.add(MIXCUT_ERR_OVERLAP);
  }
  const size_t elem = k.shape.elem(), bytes = sample_bytes(k.shape);
  for (size_t i = 0; i < k.where.size(); ++i) {
    const auto a = reinterpret_cast<uintptr_t>(ptrs[i]);
    if (ptrs[i] == nullptr) f.add(MIXCUT_ERR_NULL_POINTER);
    else if (a % elem != 0) f.add(MIXCUT_ERR_BAD_PARAM);
    if (ptrs[i] != nullptr && a < dst_end && dst_begin < a + bytes) f.add(MIXCUT_ERR_OVERLAP);
  }
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  Case k;
  k.mix = p.ConsumeBool();
  k.shape = fuzz::some_shape(p);
  const fuzz::Shape& s = k.shape;
  std::vector<mixcut_mix_sample> plan;
  std::vector<mixcut_cutout_hole> holes;
  if (k.mix) plan = fuzz::some_plan(p, s);
  else holes = fuzz::some_holes(p, s);
  mixcut_ctx* ctx = fuzz::some_ctx(p);

  // dst: another format and stride, now and then another shape or misaligned.
  k.dst = s;
  fuzz::some_format(p, k.dst);
  k.dst.stride = p.ConsumeBool() ? 0 : k.dst.chw() + p.ConsumeIntegralInRange<int64_t>(0, 5);
  if (s.sane && fuzz::rare(p, 15)) {
    if (p.ConsumeBool()) k.dst.c += 1; else k.dst.n = k.dst.n > 0 ? k.dst.n - 1 : 1;
    k.dst.stride = 0;
  }
  if (!s.sane) k.dst = s;
  if (fuzz::rare(p, 15)) k.dst_misalign = p.ConsumeIntegralInRange<size_t>(1, 3);
  // The gather's own src fields: data NULL and stride 0, else refused. An
  // invalid stride of the shape goes to the gather too.
  k.src_stride = !s.sane ? s.stride : 0;
  if (fuzz::rare(p, 31)) k.src_stride = s.chw() + p.ConsumeIntegralInRange<int64_t>(0, 2);
  k.src_data = fuzz::rare(p, 31);
  const size_t dst_extent = k.dst.extent();
  some_places(p, k, dst_extent);

  GuardedBuffer dst(dst_extent, k.dst_misalign);
  fuzz::fill_bytes(p, dst.data(), dst.size());

  // The samples, their bytes and the pointer array.
  Memory mem;
  const size_t bytes = sample_bytes(s);
  const size_t elem = s.elem();
  std::vector<const void*> ptrs(k.where.size());
  if (std::find(k.where.begin(), k.where.end(), Where::Pool) != k.where.end()) {
    mem.pool_bytes = 2 * bytes;
    mem.pool.reset(new unsigned char[mem.pool_bytes]);
    fuzz::fill_bytes(p, mem.pool.get(), mem.pool_bytes);
  }
  for (size_t i = 0; i < k.where.size(); ++i) {
    switch (k.where[i]) {
      case Where::Own:
      case Where::Misaligned: {
        unsigned char* b = mem.allocate(k.at[i] + bytes);
        fuzz::fill_bytes(p, b, k.at[i] + bytes);
        ptrs[i] = b + k.at[i];
        break;
      }
      case Where::Repeat:
        ptrs[i] = ptrs[k.repeat_of[i]];
        break;
      case Where::Pool:
        ptrs[i] = mem.pool.get() + k.at[i];
        break;
      case Where::Null:
        ptrs[i] = nullptr;
        break;
      case Where::InDst: {
        const size_t before = std::min<size_t>(bytes - 1, GuardedBuffer::kGuardBytes);
        ptrs[i] = dst.data() - before + k.at[i];
        break;
      }
    }
  }
  // Where the library reads the pointers from.
  std::vector<unsigned char> misaligned_array;
  const void* const* samples = ptrs.data();
  const size_t array_bytes = ptrs.size() * sizeof(void*);
  if (k.array == Array::Null) samples = nullptr;
  if (k.array == Array::Misaligned) {
    misaligned_array.resize(array_bytes + 8);
    fuzz::set_bytes(misaligned_array.data() + 4, 0, array_bytes);
    if (array_bytes > 0) std::memcpy(misaligned_array.data() + 4, ptrs.data(), array_bytes);
    samples = reinterpret_cast<const void* const*>(misaligned_array.data() + 4);
  }
  if (k.array == Array::InDst) {
    if (array_bytes > 0) std::memcpy(dst.data() + k.array_at, ptrs.data(), array_bytes);
    samples = reinterpret_cast<const void* const*>(dst.data() + k.array_at);
  }
  const Faults faults = faults_of(k, samples, ptrs, dst);

  // The stacked batch: what the samples hold now (zeros for NULL and for
  // pointers into dst, which are refused anyway).
  std::vector<unsigned char> stacked(s.extent());
  const int64_t stride = s.stride == 0 ? s.chw() : s.stride;
  for (size_t i = 0; i < ptrs.size(); ++i) {
    const bool readable = ptrs[i] != nullptr && k.where[i] != Where::InDst &&
                          !(k.where[i] == Where::Repeat && k.where[k.repeat_of[i]] == Where::InDst);
    if (readable && bytes > 0) std::memcpy(&stacked[i * size_t(stride) * elem], ptrs[i], bytes);
  }

  std::vector<float> mean, stdev, channel_values;
  mixcut_normalize norm{nullptr, nullptr};
  const bool use_norm = fuzz::some_norm(p, s, k.dst, mean, stdev, norm);
  mixcut_fill fill;
  fuzz::some_fill(p, s, fill, channel_values);
  const bool null_plan = fuzz::rare(p, 31);
  // (More holes than the array holds would be our bug, not the library's.)
  const int64_t num_holes = fuzz::rare(p, 31) ? -1 : int64_t(holes.size());
  const mixcut_normalize* np = use_norm ? &norm : nullptr;

  // The stacked call, on a copy of dst.
  GuardedBuffer want(dst_extent, k.dst_misalign);
  if (dst_extent > 0) std::memcpy(want.data(), dst.data(), dst_extent);
  const mixcut_tensor stacked_src = s.view(stacked.data());
  const mixcut_tensor want_dst = k.dst.view(want.data());
  const mixcut_status st =
      k.mix ? mixcut_mix_apply(fuzz::scalar_ctx(), null_plan ? nullptr : plan.data(), &stacked_src,
                               &want_dst, np)
            : mixcut_cutout_apply(fuzz::scalar_ctx(), holes.empty() ? nullptr : holes.data(),
                                  num_holes, &fill, &stacked_src, &want_dst, np);

  if (std::getenv("MIXCUT_FUZZ_DEBUG") != nullptr) {  // prints the case
    std::fprintf(stderr, "%s n%lld c%lld h%lld w%lld dtypes %d->%d stride %lld array %d faults %x stacked %d\n",
                 k.mix ? "mix" : "cutout", (long long)s.n, (long long)s.c, (long long)s.h,
                 (long long)s.w, s.dtype, k.dst.dtype, (long long)k.dst.stride, int(k.array),
                 faults.bits, st);
    for (size_t i = 0; i < ptrs.size(); ++i)
      std::fprintf(stderr, "  samples[%zu] where %d at %zu -> %p (dst %p)\n", i, int(k.where[i]),
                   k.at[i], ptrs[i], static_cast<void*>(dst.data()));
  }
  // The gather.
  const std::vector<unsigned char> dst_before = dst.payload(), sources_before = mem.snapshot();
  const std::vector<const void*> ptrs_before = ptrs;
  mixcut_tensor src = s.view(nullptr);
  src.sample_stride = k.src_stride;
  if (k.src_data) src.data = stacked.empty() ? static_cast<void*>(&fill) : stacked.data();
  const mixcut_tensor d = k.dst.view(dst.data());
  const mixcut_status sg =
      k.mix ? mixcut_mix_apply_gather(ctx, null_plan ? nullptr : plan.data(), samples, &src, &d, np)
            : mixcut_cutout_apply_gather(ctx, holes.empty() ? nullptr : holes.data(), num_holes,
                                         &fill, samples, &src, &d, np);
  fuzz::count_status(sg);

  check(dst.guards_intact(), "the gather wrote next to dst", sg);
  check(mem.snapshot() == sources_before, "the gather wrote a sample", sg);
  check(ptrs == ptrs_before, "the gather wrote the pointer array", sg);
  if (!faults.any()) {
    check(sg == st, "gather and stacked statuses differ", sg, st);
  } else {
    check(sg != MIXCUT_OK, "a gather with a gather-only fault succeeded", int(faults.bits), st);
    check(sg == st || faults.has(sg), "the gather's status is not one of its faults", sg, st);
  }
  if (sg != MIXCUT_OK) {
    check(dst.payload() == dst_before, "a failed gather wrote dst", sg);
    check(std::strlen(mixcut_last_error()) > 0, "a failed gather left no message", sg);
  } else {
    check(dst.payload() == want.payload(), "gather differs from stack-then-apply", sg);
  }
  mixcut_ctx_destroy(ctx);
  return 0;
}
