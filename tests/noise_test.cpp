// The libm-free noise of kernels/noise.hpp: pinned known answers, the
// element -> Philox call layout written out independently, the normal
// transform against Box-Muller in double (libm; every radius, every angle),
// distribution tests (uint8 chi-square, float32 Kolmogorov-Smirnov, moments
// and tails); and the noise blocks of every kernel table level
// (cpu/isa/noise-inl.hpp) against it, bit for bit.
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
constexpr int64_t kFar = (int64_t(3) << 36) + 21;  // counter high word 6 (f32), 3 (u8)

PhiloxCounter words(uint64_t key, uint32_t purpose, uint64_t call) {
  const PhiloxCounter ctr = {uint32_t(call & 0xFFFFFFFFu), uint32_t(call >> 32), 0u, purpose << 24};
  const PhiloxKey k = {uint32_t(key & 0xFFFFFFFFu), uint32_t(key >> 32)};
  return philox4x32_10(ctr, k);
}

// Box-Muller in double (libm) of one word: u from its 20 high bits, the angle
// from its 12 low bits.
struct BoxMuller {
  double cos_out, sin_out;
};
BoxMuller box_muller(uint32_t w) {
  const double u = std::ldexp(double((w >> 12) + 1), -20);
  const double theta = 2.0 * std::acos(-1.0) * std::ldexp(double(w & 0xFFFu), -12);
  const double r = std::sqrt(-2.0 * std::log(u));
  return {r * std::cos(theta), r * std::sin(theta)};
}

TEST(Noise, F32KnownAnswers) {
  const F32Answer key0[] = {
      {0, 0x1.b1b75p-2},    {1, 0x1.105884p+0},    {2, -0x1.2388c6p+0}, {3, -0x1.2233aap-2},
      {4, 0x1.1b0e6cp-1},   {5, -0x1.da6778p+0},   {7, -0x1.c2b7eep-3}, {13, 0x1.7d93a4p-1},
      {16, -0x1.97c2c6p+0}, {31, -0x1.915a1ap+0},  {32, 0x1.2788ccp+0}, {63, 0x1.b52f32p-1},
      {64, 0x1.4d874cp+0},  {kFar, 0x1.dcbdf2p-3},
  };
  const F32Answer key1[] = {
      {0, 0x1.a75914p-1},  {1, 0x1.9fe674p-3},    {2, -0x1.de58a2p-2},  {3, 0x1.5c9c12p-1},
      {4, 0x1.01071ep+0},  {5, 0x1.abb4dap-2},    {7, 0x1.261f76p-2},   {13, -0x1.7dp+0},
      {16, 0x1.bd25bep-1}, {31, -0x1.3dc7fp-5},   {32, -0x1.69b204p-1}, {63, 0x1.955bcap-1},
      {64, 0x1.2c0b0ep+0}, {kFar, 0x1.01edb2p+1},
  };
  const uint64_t keys[] = {0, 0x0123456789ABCDEFull};
  for (int k = 0; k < 2; ++k) {
    for (const F32Answer& a : k == 0 ? key0 : key1) {
      EXPECT_EQ(bits_of(noise_f32(keys[k], a.e)), bits_of(a.z)) << "key " << k << ", e " << a.e;
      // Straight from the definition in the header comment, in double.
      const PhiloxCounter w = words(keys[k], 6, uint64_t(a.e / 8));
      const int output = int(a.e % 8);
      const BoxMuller z = box_muller(w[output / 2]);
      EXPECT_NEAR(a.z, output % 2 ? z.sin_out : z.cos_out, 1e-6) << "key " << k << ", e " << a.e;
    }
  }
  EXPECT_EQ(bits_of(channel_noise_f32(5, 0)), bits_of(0x1.d0397cp-1f));
  EXPECT_EQ(bits_of(channel_noise_f32(5, 2)), bits_of(-0x1.7934cap-1f));
  // u = 0x12346 * 2^-20, theta = 2 pi 0x678 * 2^-12: in double -1.896018869,
  // 1.300815066.
  const NormalPair z = noise_normal_pair(0x12345678u);
  EXPECT_EQ(bits_of(z.cos_out), bits_of(-0x1.e5617cp+0f));
  EXPECT_EQ(bits_of(z.sin_out), bits_of(0x1.4d0238p+0f));
  EXPECT_NEAR(z.cos_out, -1.896018869, 1e-6);
  EXPECT_NEAR(z.sin_out, 1.300815066, 1e-6);
}

TEST(Noise, U8KnownAnswers) {
  const U8Answer key0[] = {{0, 9},   {1, 35},  {2, 230},  {3, 132}, {4, 159},  {5, 104},
                           {7, 128}, {13, 72}, {16, 201}, {63, 40}, {64, 145}, {kFar, 58}};
  const U8Answer key1[] = {{0, 157}, {1, 112}, {2, 42},   {3, 178},  {4, 136}, {5, 85},
                           {7, 182}, {13, 85}, {16, 102}, {63, 202}, {64, 32}, {kFar, 169}};
  for (const U8Answer& a : key0) EXPECT_EQ(int(noise_u8(0, a.e)), a.v) << "key 0, e " << a.e;
  for (const U8Answer& a : key1) {
    EXPECT_EQ(int(noise_u8(0x0123456789ABCDEFull, a.e)), a.v) << "e " << a.e;
  }
  EXPECT_EQ(int(channel_noise_u8(5, 0)), 171);
  EXPECT_EQ(int(channel_noise_u8(5, 2)), 144);
}

// ---- The layout, written out again ---------------------------------------------

TEST(Noise, ElementsFollowTheBlockLayout) {
  const uint64_t keys[] = {0, 1, 0xDEADBEEFCAFEF00Dull};
  std::vector<int64_t> elements;
  for (int64_t e = 0; e < 200; ++e) elements.push_back(e);
  for (int64_t e : {int64_t(1) << 32, (int64_t(1) << 36) - 1, kFar, (int64_t(5) << 40) + 77}) {
    elements.push_back(e);
  }
  for (uint64_t key : keys) {
    for (int64_t e : elements) {
      // uint8: call e / 16, its words' bytes in little-endian order.
      const uint64_t call16 = uint64_t(e) / 16, in16 = uint64_t(e) % 16;
      const PhiloxCounter wu = words(key, 6, call16);
      EXPECT_EQ(noise_u8(key, e), uint8_t(wu[int(in16 / 4)] >> (8 * (in16 % 4)))) << e;
      const PhiloxCounter wc = words(key, 7, call16);
      EXPECT_EQ(noise_u8<Purpose::ChannelNoise>(key, e),
                uint8_t(wc[int(in16 / 4)] >> (8 * (in16 % 4))));

      // float32: call e / 8, the cos and sin outputs of its words in turn.
      const PhiloxCounter wf = words(key, 6, uint64_t(e) / 8);
      const int output = int(uint64_t(e) % 8);
      const NormalPair z = noise_normal_pair(wf[output / 2]);
      EXPECT_EQ(bits_of(noise_f32(key, e)), bits_of(output % 2 ? z.sin_out : z.cos_out)) << e;
    }
    // The block helpers give the same values.
    for (uint64_t b : {uint64_t(0), uint64_t(3), uint64_t(1) << 33}) {
      uint8_t u8[16];
      float f32[8];
      noise_u8_block(key, b, u8);
      noise_f32_block(key, b, f32);
      for (int k = 0; k < 16; ++k) ASSERT_EQ(u8[k], noise_u8(key, int64_t(16 * b) + k));
      for (int k = 0; k < 8; ++k) {
        ASSERT_EQ(bits_of(f32[k]), bits_of(noise_f32(key, int64_t(8 * b) + k)));
      }
    }
  }
}

// ---- The normal transform against libm ------------------------------------------

// Every radius (angle 0: the cos output is r itself, the sin output 0), every
// angle at the largest and a middling radius, and 2^21 random words: within
// 2e-7 of Box-Muller in double, relative to max(1, |z|) (the header says
// 1e-6 absolute; |z| <= 5.27).
TEST(Noise, NormalPairIsBoxMuller) {
  double worst = 0.0, worst_abs = 0.0;
  const auto check = [&](uint32_t w) {
    const NormalPair z = noise_normal_pair(w);
    const BoxMuller want = box_muller(w);
    worst_abs = std::max(
        {worst_abs, std::fabs(z.cos_out - want.cos_out), std::fabs(z.sin_out - want.sin_out)});
    worst = std::max(worst,
                     std::fabs(z.cos_out - want.cos_out) / std::max(1.0, std::fabs(want.cos_out)));
    worst = std::max(worst,
                     std::fabs(z.sin_out - want.sin_out) / std::max(1.0, std::fabs(want.sin_out)));
    ASSERT_LE(std::fabs(z.cos_out), 5.2655377f);
    ASSERT_LE(std::fabs(z.sin_out), 5.2655377f);
  };
  for (uint32_t k = 0; k < (1u << 20); ++k) {
    const NormalPair z = noise_normal_pair(k << 12);
    ASSERT_EQ(z.sin_out, 0.0f);
    check(k << 12);
  }
  for (uint32_t j = 0; j < (1u << 12); ++j) {
    check(j);
    check(0x5A827000u | j);
    check(0xFFFFF000u | j);  // radius 0
  }
  std::mt19937 rng(2024);
  for (int k = 0; k < (1 << 21); ++k) check(uint32_t(rng()));
  EXPECT_LT(worst, 2.5e-7);
  EXPECT_LT(worst_abs, 1e-6);
  const NormalPair top = noise_normal_pair(0);
  EXPECT_NEAR(top.cos_out, std::sqrt(40.0 * std::log(2.0)), 1e-6);
  EXPECT_EQ(top.sin_out, 0.0f);
  const NormalPair zero = noise_normal_pair(0xFFFFF000u | 0x123u);
  EXPECT_EQ(zero.cos_out, 0.0f);
  EXPECT_EQ(zero.sin_out, 0.0f);
  // Quarter turns: theta = pi/2, pi, 3 pi/2 exactly.
  for (uint32_t quarter : {1u, 2u, 3u}) {
    const NormalPair z = noise_normal_pair(quarter << 10);
    const float r = top.cos_out;
    EXPECT_EQ(z.cos_out, quarter == 2 ? -r : 0.0f) << quarter;
    EXPECT_EQ(z.sin_out, quarter == 1 ? r : quarter == 3 ? -r : 0.0f) << quarter;
  }
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
      ++by_word[size_t((e >> 2) & 3)][v];
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
    // Each of the eight outputs of a call on its own (cos and sin of four words).
    for (int output = 0; output < 8; ++output) {
      std::vector<float> part;
      for (int64_t e = 0; e < kDraws; ++e) {
        if ((e & 7) == output) part.push_back(z[size_t(e)]);
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
  for (int64_t b = 0; b < kDraws / 8; ++b) {
    float z[8];
    noise_f32_block(7, uint64_t(b), z);
    for (int word = 0; word < 4; ++word) {
      const float zc = z[2 * word], zs = z[2 * word + 1];
      cos_out.push_back(zc), sin_out.push_back(zs);
      cos_sq.push_back(double(zc) * zc), sin_sq.push_back(double(zs) * zs);
    }
    for (int k = 0; k + 1 < 8; ++k) left.push_back(z[k]), right.push_back(z[k + 1]);
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
void table_runs(const cpu::KernelTable& k, T* out, uint64_t key,
                const std::vector<cpu::NoiseRun>& runs) {
  if constexpr (std::is_same_v<T, float>) {
    k.noise_f32(out, key, runs.data(), int64_t(runs.size()));
  } else {
    k.noise_u8(out, key, runs.data(), int64_t(runs.size()));
  }
}

template <class T>
void oracle_block(uint64_t key, int64_t b, T* out) {
  if constexpr (std::is_same_v<T, float>) {
    noise_f32_block(key, uint64_t(b), out);
  } else {
    noise_u8_block(key, uint64_t(b), out);
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

int64_t blocks_in(const std::vector<cpu::NoiseRun>& runs) {
  int64_t n = 0;
  for (const cpu::NoiseRun& r : runs) n += r.count;
  return n;
}

// Lists of runs as hole rows give them (a few blocks each, at odd block
// offsets, some with a counter high word, some empty), single blocks in any
// order with repeats and far blocks, and long runs (several chunks of the
// widest level in one run); every prefix of each list, into buffers at
// every alignment: each level writes the block helpers' values and nothing
// past the last block.
template <class T>
void check_runs_against_oracle() {
  constexpr int64_t kBlock = std::is_same_v<T, float> ? kNoiseBlockF32 : kNoiseBlockU8;
  const uint64_t keys[] = {0x0123456789ABCDEFull, 0xFFFFFFFFFFFFFFFFull};
  std::vector<std::vector<cpu::NoiseRun>> lists;
  std::mt19937_64 rng(5);
  for (int64_t b0 : {int64_t(0), int64_t(1), int64_t(3), int64_t(5), int64_t(17),
                     (int64_t(1) << 30) - 3, kFar / kBlock}) {
    std::vector<cpu::NoiseRun> rows;
    for (int64_t at = b0, k = 0; k < 24; ++k) {
      const int64_t count = int64_t(rng() % 9);  // 0 .. 8 blocks
      rows.push_back({at, count});
      at += count + int64_t(rng() % 40);
    }
    lists.push_back(rows);
  }
  std::vector<cpu::NoiseRun> scattered;
  for (int k = 0; k < 40; ++k) {
    const uint64_t r = rng();
    scattered.push_back({r % 3 == 0 ? int64_t(r >> 20) : int64_t(r % 50), 1});
  }
  lists.push_back(scattered);
  lists.push_back({{7, 3}, {1000, 150}, {(int64_t(1) << 32) - 40, 77}, {2, 1}});
  const T guard = T(0x5A);
  for (Isa isa : isas_of_this_cpu()) {
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    for (uint64_t key : keys) {
      for (const std::vector<cpu::NoiseRun>& full : lists) {
        std::vector<T> want;
        for (const cpu::NoiseRun& r : full) {
          for (int64_t b = r.first; b < r.first + r.count; ++b) {
            want.resize(want.size() + size_t(kBlock));
            oracle_block(key, b, want.data() + want.size() - size_t(kBlock));
          }
        }
        for (size_t count = 0; count <= full.size(); ++count) {
          const std::vector<cpu::NoiseRun> runs(full.begin(), full.begin() + ptrdiff_t(count));
          const int64_t values = blocks_in(runs) * kBlock;
          for (int64_t offset : {0, 1, 5}) {
            std::vector<T> buf(size_t(offset + values + 2 * kBlock), guard);
            table_runs(k, buf.data() + offset, key, runs);
            for (int64_t q = 0; q < int64_t(buf.size()); ++q) {
              const int64_t rel = q - offset;
              const bool written = rel >= 0 && rel < values;
              ASSERT_EQ(bits_at(&buf[size_t(q)]),
                        written ? bits_at(&want[size_t(rel)]) : bits_at(&guard))
                  << k.name << " key " << key << " first block " << full[0].first << " runs "
                  << count << " offset " << offset << " at " << rel;
            }
          }
        }
      }
    }
  }
}

TEST(NoiseKernels, EveryLevelMatchesTheScalarNoiseF32) { check_runs_against_oracle<float>(); }
TEST(NoiseKernels, EveryLevelMatchesTheScalarNoiseU8) { check_runs_against_oracle<uint8_t>(); }

// The block helpers are the per-element definition (so the levels are too).
TEST(NoiseKernels, BlocksAreTheElements) {
  for (int64_t e = 0; e < 4096; ++e) {
    float f[kNoiseBlockF32];
    uint8_t u[kNoiseBlockU8];
    noise_f32_block(77, uint64_t(e / kNoiseBlockF32), f);
    noise_u8_block(77, uint64_t(e / kNoiseBlockU8), u);
    ASSERT_EQ(bits_of(f[e % kNoiseBlockF32]), bits_of(noise_f32(77, e)));
    ASSERT_EQ(u[e % kNoiseBlockU8], noise_u8(77, e));
  }
}

// The distribution tests on what the vector levels write (one long run and
// many short ones, as hole rows are).
TEST(NoiseKernels, EveryLevelWritesStandardNormalAndUniformValues) {
  for (Isa isa : isas_of_this_cpu()) {
    SCOPED_TRACE(cpu::kernels_for(isa).name);
    const cpu::KernelTable& k = cpu::kernels_for(isa);
    std::vector<float> z(kDraws);
    table_runs(k, z.data(), 0xABCDEF, {{5, kDraws / 2 / kNoiseBlockF32}});
    std::vector<cpu::NoiseRun> rows;  // 64 values each, 1000 blocks apart
    for (int64_t at = kDraws / 2, b = 0; at < kDraws; at += 64, b += 1000) {
      rows.push_back({b, std::min<int64_t>(64, kDraws - at) / kNoiseBlockF32});
    }
    table_runs(k, z.data() + kDraws / 2, 0x777, rows);
    expect_standard_normal(z);
    std::vector<uint8_t> u(kDraws);
    table_runs(k, u.data(), 0xABCDEF, {{3, kDraws / kNoiseBlockU8}});
    std::vector<int64_t> counts(256, 0);
    for (uint8_t v : u) ++counts[v];
    const double chi2 = chi_square_u8(counts, kDraws);
    EXPECT_GT(chi2, kChi2Low);
    EXPECT_LT(chi2, kChi2High);
  }
}

}  // namespace
}  // namespace mixcut
