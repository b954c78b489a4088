// Philox4x32-10 against Random123's known-answer vectors, and the library's
// counter convention.
#include "plan/philox.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

#include "plan/plan.hpp"

namespace mixcut {
namespace {

struct KnownAnswer {
  PhiloxCounter ctr;
  PhiloxKey key;
  PhiloxCounter expected;
};

// Random123 tests/kat_vectors, the three "philox4x32 10" lines
// (columns: counter[4], key[2], output[4]).
const KnownAnswer kKnownAnswers[] = {
    {{0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x00000000u, 0x00000000u},
     {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
    {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
     {0xffffffffu, 0xffffffffu},
     {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
    {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
     {0xa4093822u, 0x299f31d0u},
     {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
};

TEST(Philox, MatchesRandom123KnownAnswers) {
  for (const KnownAnswer& kat : kKnownAnswers) {
    const PhiloxCounter out = philox4x32_10(kat.ctr, kat.key);
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(out[k], kat.expected[k]) << "word " << k << " of ctr " << std::hex << kat.ctr[0];
    }
  }
}

TEST(Philox, KeyIsSeedLowWordThenHighWord) {
  const PhiloxKey key = philox_key(0x299f31d0a4093822ull);
  EXPECT_EQ(key[0], 0xa4093822u);
  EXPECT_EQ(key[1], 0x299f31d0u);
  // So the third vector is reachable through the seed convention too.
  EXPECT_EQ(philox4x32_10(kKnownAnswers[2].ctr, key), kKnownAnswers[2].expected);
}

TEST(Philox, CounterLayout) {
  const uint64_t step = 0x00ABCDEF12345678ull;
  const PhiloxCounter c = philox_counter(5, step, 0x11223344u, 0x55667788u);
  EXPECT_EQ(c[0], 0x55667788u);  // draw
  EXPECT_EQ(c[1], 0x11223344u);  // sample key
  EXPECT_EQ(c[2], 0x12345678u);  // step, low word
  EXPECT_EQ(c[3], 0x05ABCDEFu);  // purpose << 24 | step bits 32..55
  const PhiloxCounter top = philox_counter(0xFF, kMaxStep, 0, 0);
  EXPECT_EQ(top[2], 0xFFFFFFFFu);
  EXPECT_EQ(top[3], 0xFFFFFFFFu);
}

TEST(Philox, DistinctCountersGiveDistinctBlocks) {
  // Neighbouring counters along every field: no collisions among the outputs.
  const PhiloxKey key = philox_key(42);
  std::set<PhiloxCounter> outputs;
  int made = 0;
  for (uint32_t purpose = 1; purpose <= 7; ++purpose) {
    for (uint64_t step : {uint64_t(0), uint64_t(1), uint64_t(1) << 32, kMaxStep}) {
      for (uint32_t sample : {0u, 1u, 0xFFFFFFFFu}) {
        for (uint32_t draw = 0; draw < 4; ++draw) {
          outputs.insert(philox4x32_10(philox_counter(purpose, step, sample, draw), key));
          ++made;
        }
      }
    }
  }
  EXPECT_EQ(int(outputs.size()), made);
}

TEST(Philox, OutputBitsAreBalanced) {
  // Over 4096 blocks every one of the 128 output bits is set about half the time.
  const PhiloxKey key = philox_key(7);
  int ones[128] = {};
  const int blocks = 4096;
  for (uint32_t d = 0; d < uint32_t(blocks); ++d) {
    const PhiloxCounter out = philox4x32_10(philox_counter(1, 0, 0, d), key);
    for (int word = 0; word < 4; ++word) {
      for (int bit = 0; bit < 32; ++bit) ones[word * 32 + bit] += (out[word] >> bit) & 1u;
    }
  }
  // sd = 32: a 6 sd bound passes a fair generator, yet catches stuck or biased bits.
  for (int b = 0; b < 128; ++b) {
    EXPECT_NEAR(ones[b], blocks / 2, 6 * 32) << "bit " << b;
  }
}

}  // namespace
}  // namespace mixcut
