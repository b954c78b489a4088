// The libm-free noise of kernels/noise.hpp: pinned known answers, the
// element -> Philox call layout written out independently, the normal
// transform against Box-Muller in double (libm), distribution tests (uint8
// chi-square, float32 Kolmogorov-Smirnov, moments and tails); and the noise
// rows of every kernel table level (cpu/noise-inl.hpp) against it, bit for bit.
#include "kernels/noise.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

#include "core/types.hpp"
#include "cpu/dispatch.hpp"
#include "cpu/kernel_table.hpp"
#include "plan/philox.hpp"
#include "plan/plan.hpp"
#include "test_util.hpp"

namespace mixcut {
namespace {

uint32_t bits_of(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// ---- Statistics helpers (double, libm: tests only) --------------------------

// Kolmogorov-Smirnov distance of the sample from the standard normal CDF.
double ks_distance_from_normal(const std::vector<float>& z) {
  return test::ks_statistic(std::vector<double>(z.begin(), z.end()), test::normal_cdf);
}

struct Moments {
  double mean, var, skew, excess_kurtosis;
};
Moments moments(const std::vector<float>& z) {
  const double n = double(z.size());
  double m = 0.0;
  for (float v : z) m += v;
  m /= n;
  double m2 = 0.0, m3 = 0.0, m4 = 0.0;
  for (float v : z) {
    const double d = double(v) - m, d2 = d * d;
    m2 += d2, m3 += d2 * d, m4 += d2 * d2;
  }
  m2 /= n, m3 /= n, m4 /= n;
  return {m, m2, m3 / std::pow(m2, 1.5), m4 / (m2 * m2) - 3.0};
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = double(a.size());
  double ma = 0, mb = 0;
  for (size_t k = 0; k < a.size(); ++k) ma += a[k], mb += b[k];
  ma /= n, mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    sab += (a[k] - ma) * (b[k] - mb);
    saa += (a[k] - ma) * (a[k] - ma);
    sbb += (b[k] - mb) * (b[k] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

// 255 degrees of freedom: mean 255, sd 22.6; the bounds are about 4.5 sd out.
double chi_square_u8(const std::vector<int64_t>& counts, int64_t total) {
  const double expected = double(total) / 256.0;
  double chi2 = 0.0;
  for (int64_t count : counts) {
    const double deviation = double(count) - expected;
    chi2 += deviation * deviation / expected;
  }
  return chi2;
}
constexpr double kChi2Low = 155.0, kChi2High = 360.0;

// ---- Known answers -----------------------------------------------------------

struct F32Answer {
  int64_t e;
  float z;
};
struct U8Answer {
  int64_t e;
  int v;
};
constexpr int64_t kFar = (int64_t(3) << 36) + 21;  // counter high word 12 (f32), 3 (u8)

TEST(Noise, F32KnownAnswers) {
  const F32Answer key0[] = {
      {0, -0x1.251b5ap+0},  {1, -0x1.9d1fd4p+0}, {2, 0x1.91e0f4p+0},   {3, 0x1.1a5c78p-1},
      {4, -0x1.0cb902p-6},  {5, 0x1.b65bfp+0},   {7, -0x1.0fa34ep-1},  {13, 0x1.12f86p+0},
      {16, -0x1.a9d214p+0}, {63, 0x1.5098f6p-1}, {64, 0x1.a822fap-1},  {kFar, -0x1.52fc46p-3},
  };
  const F32Answer key1[] = {
      {0, -0x1.a5b074p-3},  {1, -0x1.1fe9c8p+1}, {2, -0x1.3e1baap-1}, {3, -0x1.5dfcc6p+0},
      {4, -0x1.a6fd9cp-1},  {5, 0x1.d250cap-2},  {7, 0x1.8db154p-1},  {13, -0x1.a48686p+0},
      {16, -0x1.1ae9a2p-1}, {63, 0x1.134522p-1}, {64, -0x1.208fc4p+0}, {kFar, -0x1.673e4cp-1},
  };
  for (const F32Answer& a : key0) {
    EXPECT_EQ(bits_of(noise_f32(0, a.e)), bits_of(a.z)) << "key 0, e " << a.e;
  }
  for (const F32Answer& a : key1) {
    EXPECT_EQ(bits_of(noise_f32(0x0123456789ABCDEFull, a.e)), bits_of(a.z)) << "e " << a.e;
  }
  EXPECT_EQ(bits_of(channel_noise_f32(5, 0)), bits_of(-0x1.94cb24p-2f));
  EXPECT_EQ(bits_of(channel_noise_f32(5, 2)), bits_of(-0x1.d69fdap-1f));
  // Box-Muller of u = 0x123457 * 2^-24, theta = 2 pi 0x9ABCDE * 2^-24: in double
  // -1.82175379537, -1.40293819620.
  const NormalPair z = noise_normal_pair(0x12345678u, 0x9ABCDEF0u);
  EXPECT_EQ(bits_of(z.cos_out), bits_of(-0x1.d25e74p+0f));
  EXPECT_EQ(bits_of(z.sin_out), bits_of(-0x1.6726f4p+0f));
}

TEST(Noise, U8KnownAnswers) {
  const U8Answer key0[] = {{0, 9},    {1, 35},  {2, 230}, {3, 132},  {4, 201},  {5, 28},
                           {7, 16},   {13, 194}, {16, 159}, {63, 40}, {64, 145}, {kFar, 58}};
  const U8Answer key1[] = {{0, 157}, {1, 112},  {2, 42},  {3, 178},  {4, 102}, {5, 163},
                           {7, 18},  {13, 79},  {16, 136}, {63, 202}, {64, 32}, {kFar, 169}};
  for (const U8Answer& a : key0) EXPECT_EQ(int(noise_u8(0, a.e)), a.v) << "key 0, e " << a.e;
  for (const U8Answer& a : key1) {
    EXPECT_EQ(int(noise_u8(0x0123456789ABCDEFull, a.e)), a.v) << "e " << a.e;
  }
  EXPECT_EQ(int(channel_noise_u8(5, 0)), 171);
  EXPECT_EQ(int(channel_noise_u8(5, 2)), 144);
}

// ---- The layout, written out again ---------------------------------------------

PhiloxCounter words(uint64_t key, uint32_t purpose, uint64_t call) {
  const PhiloxCounter ctr = {uint32_t(call & 0xFFFFFFFFu), uint32_t(call >> 32), 0u,
                             purpose << 24};
  const PhiloxKey k = {uint32_t(key & 0xFFFFFFFFu), uint32_t(key >> 32)};
  return philox4x32_10(ctr, k);
}

TEST(Noise, ElementsFollowTheBlockLayout) {
  const uint64_t keys[] = {0, 1, 0xDEADBEEFCAFEF00Dull};
  std::vector<int64_t> elements;
  for (int64_t e = 0; e < 200; ++e) elements.push_back(e);
  for (int64_t e : {int64_t(1) << 32, (int64_t(1) << 36) - 1, kFar, (int64_t(5) << 40) + 77}) {
    elements.push_back(e);
  }
  for (uint64_t key : keys) {
    for (int64_t e : elements) {
      const uint64_t block64 = uint64_t(e) / 64, in64 = uint64_t(e) % 64;
      const PhiloxCounter wu = words(key, 6, 4 * block64 + (in64 / 4) % 4);
      EXPECT_EQ(noise_u8(key, e), uint8_t(wu[int(in64 / 16)] >> (8 * (in64 % 4)))) << e;
      const PhiloxCounter wc = words(key, 7, 4 * block64 + (in64 / 4) % 4);
      EXPECT_EQ(noise_u8<Purpose::ChannelNoise>(key, e),
                uint8_t(wc[int(in64 / 16)] >> (8 * (in64 % 4))));

      const uint64_t block16 = uint64_t(e) / 16, in16 = uint64_t(e) % 16;
      const PhiloxCounter wf = words(key, 6, 4 * block16 + in16 % 4);
      const int output = int(in16 / 4);
      const NormalPair z = noise_normal_pair(wf[output < 2 ? 0 : 2], wf[output < 2 ? 1 : 3]);
      EXPECT_EQ(bits_of(noise_f32(key, e)), bits_of(output % 2 ? z.sin_out : z.cos_out)) << e;
    }
    // The block helpers give the same values.
    for (uint64_t b : {uint64_t(0), uint64_t(3), uint64_t(1) << 33}) {
      uint8_t u8[64];
      float f32[16];
      noise_u8_block(key, b, u8);
      noise_f32_block(key, b, f32);
      for (int k = 0; k < 64; ++k) ASSERT_EQ(u8[k], noise_u8(key, int64_t(64 * b) + k));
      for (int k = 0; k < 16; ++k) {
        ASSERT_EQ(bits_of(f32[k]), bits_of(noise_f32(key, int64_t(16 * b) + k)));
      }
    }
  }
}

// ---- The normal transform against libm ------------------------------------------

// r cos and r sin in double from the same 24-bit uniforms; the float
// polynomials stay within a few float ulps of max(1, |z|).
TEST(Noise, NormalPairIsBoxMuller) {
  std::mt19937_64 rng(2024);
  std::vector<uint32_t> words_a, words_b;
  // Edges: u = 2^-24 (largest radius), u = 1 (radius 0), the last values
  // below a power of two, and angles on every quadrant boundary.
  for (uint32_t a : {0u, 0xFFu, 0xFFFFFFFFu, 0xFFFFFEFFu, 0x7FFFFF00u, 0x80000000u, 0xB504F300u,
                     0xB504F400u, 0x5A827900u}) {
    for (uint32_t j : {0u, 1u, (1u << 21) - 1, 1u << 21, (1u << 22) - 1, 1u << 22,
                       3u << 21, 5u << 21, 7u << 21, (1u << 24) - 1}) {
      words_a.push_back(a);
      words_b.push_back(j << 8);
    }
  }
  for (int k = 0; k < 2000000; ++k) {
    const uint64_t r = rng();
    words_a.push_back(uint32_t(r));
    words_b.push_back(uint32_t(r >> 32));
  }
  double worst = 0.0;
  for (size_t k = 0; k < words_a.size(); ++k) {
    const NormalPair z = noise_normal_pair(words_a[k], words_b[k]);
    const double u = std::ldexp(double((words_a[k] >> 8) + 1), -24);
    const double theta = 2.0 * std::acos(-1.0) * std::ldexp(double(words_b[k] >> 8), -24);
    const double radius = std::sqrt(-2.0 * std::log(u));
    const double want_cos = radius * std::cos(theta), want_sin = radius * std::sin(theta);
    worst = std::max(worst, std::fabs(z.cos_out - want_cos) / std::max(1.0, std::fabs(want_cos)));
    worst = std::max(worst, std::fabs(z.sin_out - want_sin) / std::max(1.0, std::fabs(want_sin)));
    ASSERT_LE(std::fabs(z.cos_out), 5.7681077f);
  }
  EXPECT_LT(worst, 4e-7);  // about 6.7 float ulps at 1 (2^-23 = 1.2e-7)
  const NormalPair top = noise_normal_pair(0, 0);
  EXPECT_NEAR(top.cos_out, std::sqrt(48.0 * std::log(2.0)), 1e-6);
  EXPECT_EQ(top.sin_out, 0.0f);
  const NormalPair zero = noise_normal_pair(0xFFFFFFFFu, 0x12345678u);
  EXPECT_EQ(zero.cos_out, 0.0f);
  EXPECT_EQ(zero.sin_out, 0.0f);
}

// ---- Distributions ------------------------------------------------------------------

constexpr int64_t kDraws = int64_t(1) << 18;

TEST(Noise, U8IsUniform) {
  for (uint64_t key : {uint64_t(0x1234), uint64_t(0xFEDCBA9876543210ull)}) {
    std::vector<int64_t> all(256, 0);
    std::vector<std::vector<int64_t>> by_word(4, std::vector<int64_t>(256, 0));
    for (int64_t e = 0; e < kDraws; ++e) {
      const uint8_t v = noise_u8(key, e);
      ++all[v];
      ++by_word[size_t((e >> 4) & 3)][v];
    }
    const double chi2 = chi_square_u8(all, kDraws);
    EXPECT_GT(chi2, kChi2Low);
    EXPECT_LT(chi2, kChi2High);
    for (const std::vector<int64_t>& counts : by_word) {
      const double c = chi_square_u8(counts, kDraws / 4);
      EXPECT_GT(c, kChi2Low);
      EXPECT_LT(c, kChi2High);
    }
  }
}

// 2^18 values: the KS bound 1.95/sqrt(n) is the 0.1 % critical value; the
// moment bounds are about 5 standard errors (mean 1/sqrt(n), variance
// sqrt(2/n), skewness sqrt(6/n), excess kurtosis sqrt(24/n)).
void expect_standard_normal(const std::vector<float>& z) {
  const double n = double(z.size());
  EXPECT_LT(ks_distance_from_normal(z), 1.95 / std::sqrt(n));
  const Moments m = moments(z);
  EXPECT_NEAR(m.mean, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(m.var, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(m.skew, 0.0, 5.0 * std::sqrt(6.0 / n));
  EXPECT_NEAR(m.excess_kurtosis, 0.0, 5.0 * std::sqrt(24.0 / n));
  int64_t beyond_1_96 = 0, beyond_3 = 0;
  for (float v : z) {
    beyond_1_96 += std::fabs(v) > 1.959964f;
    beyond_3 += std::fabs(v) > 3.0f;
  }
  // sd sqrt(p(1-p)/n): 0.00043 and 0.0001.
  EXPECT_NEAR(double(beyond_1_96) / n, 0.05, 0.0022);
  EXPECT_NEAR(double(beyond_3) / n, 0.0026998, 0.0005);
}

TEST(Noise, F32IsStandardNormal) {
  for (uint64_t key : {uint64_t(99), uint64_t(0xFEDCBA9876543210ull)}) {
    std::vector<float> z(kDraws);
    for (int64_t e = 0; e < kDraws; ++e) z[size_t(e)] = noise_f32(key, e);
    for (float v : z) ASSERT_TRUE(std::isfinite(v));
    expect_standard_normal(z);
    // Each of the four outputs of a call on its own (cos and sin of two pairs).
    for (int output = 0; output < 4; ++output) {
      std::vector<float> part;
      for (int64_t e = 0; e < kDraws; ++e) {
        if (((e >> 2) & 3) == output) part.push_back(z[size_t(e)]);
      }
      EXPECT_LT(ks_distance_from_normal(part), 1.95 / std::sqrt(double(part.size())))
          << "output " << output;
    }
  }
}

// The cos and sin of one pair, and neighbouring elements, are uncorrelated,
// and so are their squares (a shared radius would show there).
TEST(Noise, F32OutputsAreIndependent) {
  std::vector<double> cos_out, sin_out, cos_sq, sin_sq, left, right;
  for (int64_t b = 0; b < kDraws / 16; ++b) {
    float z[16];
    noise_f32_block(7, uint64_t(b), z);
    for (int c = 0; c < 4; ++c) {
      cos_out.push_back(z[c]), sin_out.push_back(z[4 + c]);
      cos_sq.push_back(double(z[c]) * z[c]), sin_sq.push_back(double(z[4 + c]) * z[4 + c]);
    }
    for (int k = 0; k + 1 < 16; ++k) left.push_back(z[k]), right.push_back(z[k + 1]);
  }
  // sd of a correlation of independent samples: 1/sqrt(n).
  const double bound = 5.0 / std::sqrt(double(cos_out.size()));
  EXPECT_NEAR(correlation(cos_out, sin_out), 0.0, bound);
  EXPECT_NEAR(correlation(cos_sq, sin_sq), 0.0, bound);
  EXPECT_NEAR(correlation(left, right), 0.0, 5.0 / std::sqrt(double(left.size())));
}

TEST(Noise, StreamsAreKeyedAndSeparate) {
  int64_t same_key = 0, same_purpose = 0, same_f32 = 0;
  for (int64_t e = 0; e < 4096; ++e) {
    same_key += noise_u8(1, e) == noise_u8(2, e);
    same_purpose += noise_u8(1, e) == noise_u8<Purpose::ChannelNoise>(1, e);
    same_f32 += noise_f32(1, e) == noise_f32(2, e);
  }
  EXPECT_LT(same_key, 60);  // chance: 16 of 4096
  EXPECT_LT(same_purpose, 60);
  EXPECT_LT(same_f32, 4);
  EXPECT_EQ(static_cast<uint32_t>(Purpose::Noise), 6u);
  EXPECT_EQ(static_cast<uint32_t>(Purpose::ChannelNoise), 7u);
}

// ---- The kernel tables' noise rows ----------------------------------------------

std::vector<Isa> isas_of_this_cpu() {
  std::vector<Isa> isas;
  for (int level = 0; level <= static_cast<int>(cpu::detected_isa()); ++level) {
    isas.push_back(static_cast<Isa>(level));
  }
  return isas;
}

template <class T>
void table_blocks(const cpu::KernelTable& k, T* out, uint64_t key, int64_t b0, int64_t count) {
  if constexpr (std::is_same_v<T, float>) {
    k.noise_f32(out, key, b0, count);
  } else {
    k.noise_u8(out, key, b0, count);
  }
}

template <class T>
uint32_t bits_at(const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    return bits_of(*p);
  } else {
    return *p;
  }
}

// Runs of blocks of every count up to a few chunks of the widest level, at
// odd block offsets (some with a counter high word), into buffers at every
// alignment: each level writes the block helpers' values and nothing past
// the last block.
template <class T>
void check_blocks_against_oracle() {
  constexpr int64_t kBlock = std::is_same_v<T, float> ? 16 : 64;
  const uint64_t keys[] = {0x0123456789ABCDEFull, 0xFFFFFFFFFFFFFFFFull};
  const int64_t starts[] = {0, 1, 3, 5, 17, (int64_t(1) << 30) - 3, kFar / kBlock};
  const T guard = T(0x5A);
  for (Isa isa : isas_of_this_cpu()) {
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    for (uint64_t key : keys) {
      for (int64_t b0 : starts) {
        std::vector<T> want(size_t(40 * kBlock));
        for (int64_t b = 0; b < 40; ++b) {
          if constexpr (std::is_same_v<T, float>) {
            noise_f32_block(key, uint64_t(b0 + b), want.data() + b * kBlock);
          } else {
            noise_u8_block(key, uint64_t(b0 + b), want.data() + b * kBlock);
          }
        }
        for (int64_t count = 0; count <= 40; ++count) {
          for (int64_t offset : {0, 1, 5}) {
            std::vector<T> buf(size_t(offset + (count + 2) * kBlock), guard);
            table_blocks(k, buf.data() + offset, key, b0, count);
            for (int64_t q = 0; q < int64_t(buf.size()); ++q) {
              const int64_t rel = q - offset;
              const bool written = rel >= 0 && rel < count * kBlock;
              ASSERT_EQ(bits_at(&buf[size_t(q)]), written ? bits_at(&want[size_t(rel)])
                                                           : bits_at(&guard))
                  << k.name << " key " << key << " b0 " << b0 << " count " << count
                  << " offset " << offset << " at " << rel;
            }
          }
        }
      }
    }
  }
}

TEST(NoiseKernels, EveryLevelMatchesTheScalarNoiseF32) { check_blocks_against_oracle<float>(); }
TEST(NoiseKernels, EveryLevelMatchesTheScalarNoiseU8) { check_blocks_against_oracle<uint8_t>(); }

// The block helpers are the per-element definition (so the levels are too).
TEST(NoiseKernels, BlocksAreTheElements) {
  for (int64_t e = 0; e < 4096; ++e) {
    float f[16];
    uint8_t u[64];
    noise_f32_block(77, uint64_t(e / 16), f);
    noise_u8_block(77, uint64_t(e / 64), u);
    ASSERT_EQ(bits_of(f[e % 16]), bits_of(noise_f32(77, e)));
    ASSERT_EQ(u[e % 64], noise_u8(77, e));
  }
}

// The distribution tests on what the vector levels write (one long run and
// many short ones, as hole rows are).
TEST(NoiseKernels, EveryLevelWritesStandardNormalAndUniformValues) {
  for (Isa isa : isas_of_this_cpu()) {
    SCOPED_TRACE(cpu::kernels_for(isa).name);
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    std::vector<float> z(kDraws);
    table_blocks(k, z.data(), 0xABCDEF, 5, kDraws / 32);
    for (int64_t at = kDraws / 2, b = 0; at < kDraws; at += 48, b += 1000) {
      table_blocks(k, z.data() + at, 0x777, b, std::min<int64_t>(48, kDraws - at) / 16);
    }
    expect_standard_normal(z);
    std::vector<uint8_t> u(kDraws);
    table_blocks(k, u.data(), 0xABCDEF, 3, kDraws / 64);
    std::vector<int64_t> counts(256, 0);
    for (uint8_t v : u) ++counts[v];
    const double chi2 = chi_square_u8(counts, kDraws);
    EXPECT_GT(chi2, kChi2Low);
    EXPECT_LT(chi2, kChi2High);
  }
}

}  // namespace
}  // namespace mixcut
