// Keyed random variates on top of Philox4x32-10. A Stream is the sequence of
// draws for one (seed, purpose, step, sample key); draw d is the Philox block
// at counter philox_counter(purpose, step, sample_key, d). Every variate
// method consumes whole blocks and advances d, so a draw index names exactly
// one block and any draw can be recomputed from its key alone.
#pragma once

#include <cstdint>

#include "plan/philox.hpp"
#include "plan/plan.hpp"

namespace mixcut {

// Sample key of draws shared by the whole batch (batch mode, permutations).
constexpr uint32_t kBatchSampleKey = 0xFFFFFFFFu;

// 53 random bits -> a double in [0, 1), every value a multiple of 2^-53.
inline double uniform_from_bits(uint64_t bits) { return double(bits >> 11) * 0x1.0p-53; }

// 64 random bits -> an integer in [0, n) by multiply-shift; the bias is at
// most n / 2^64, negligible for every n a plan uses. n >= 1.
inline uint64_t bounded_from_bits(uint64_t bits, uint64_t n) {
  return uint64_t((static_cast<unsigned __int128>(bits) * n) >> 64);
}

// The constants of one Gamma shape (Marsaglia-Tsang's d, c and log d),
// computed once for all the variates of a plan rather than per variate.
struct GammaShape {
  explicit GammaShape(double shape);
  double a;            // the shape
  double d, c, log_d;  // of a, or of a + 1 when a < 1 (see Stream::log_gamma)
};

class Stream {
 public:
  Stream(uint64_t seed, Purpose purpose, uint64_t step, uint32_t sample_key,
         uint32_t first_draw = 0)
      : key_(philox_key(seed)),
        purpose_(static_cast<uint32_t>(purpose)),
        step_(step),
        sample_key_(sample_key),
        draw_(first_draw) {}

  // As above, with blocks 0 .. ahead_count - 1 of this stream already
  // computed at `ahead` (philox4x32_10_many): they are read, not recomputed.
  Stream(uint64_t seed, Purpose purpose, uint64_t step, uint32_t sample_key,
         const PhiloxCounter* ahead, uint32_t ahead_count)
      : Stream(seed, purpose, step, sample_key) {
    ahead_ = ahead;
    ahead_count_ = ahead_count;
  }

  // The counter of draw `draw` of this stream.
  PhiloxCounter counter(uint32_t draw) const {
    return philox_counter(purpose_, step_, sample_key_, draw);
  }

  // Index of the block the next variate starts at.
  uint32_t draw_index() const { return draw_; }
  void seek(uint32_t draw) { draw_ = draw; }

  // The raw block at the current draw index; advances by one.
  PhiloxCounter next_block() {
    if (draw_ < ahead_count_) return ahead_[draw_++];
    return philox4x32_10(counter(draw_++), key_);
  }

  uint32_t next_u32() { return next_block()[0]; }
  uint64_t next_u64() {
    const PhiloxCounter b = next_block();
    return uint64_t(b[0]) | uint64_t(b[1]) << 32;
  }

  // Uniform in [0, 1), 53 bits.
  double uniform() { return uniform_from_bits(next_u64()); }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n >= 1.
  uint64_t below(uint64_t n) { return bounded_from_bits(next_u64(), n); }
  // Uniform integer in [lo, hi], both inclusive, lo <= hi.
  int64_t uniform_int(int64_t lo, int64_t hi) { return lo + int64_t(below(uint64_t(hi - lo) + 1)); }
  // exp(U(log lo, log hi)), 0 < lo <= hi.
  double log_uniform(double lo, double hi);

  // Standard normal (Box-Muller, one block per variate).
  double normal();
  // log of a Gamma(a, 1) variate, a > 0. Log space keeps tiny shapes finite.
  double log_gamma(const GammaShape& a);
  double log_gamma(double a) { return log_gamma(GammaShape(a)); }
  double gamma(double a);
  // Beta(a, b) = X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b), from the logs so
  // that X and Y both underflowing (a <= 0.2) never gives 0/0. a, b > 0.
  double beta(const GammaShape& a, const GammaShape& b);
  double beta(double a, double b) { return beta(GammaShape(a), GammaShape(b)); }

 private:
  PhiloxKey key_;
  uint32_t purpose_;
  uint64_t step_;
  uint32_t sample_key_;
  uint32_t draw_;
  const PhiloxCounter* ahead_ = nullptr;
  uint32_t ahead_count_ = 0;
};

}  // namespace mixcut
