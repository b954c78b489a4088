// Helpers shared by the C++ tests: goodness-of-fit statistics, and canary
// bytes that show whether a call wrote where it must not. Header-only and
// std-only, so tests of the shared library (capi_*) can use it too.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <vector>

namespace mixcut::test {

// Standard normal CDF.
inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Kolmogorov-Smirnov statistic of samples against a continuous CDF.
inline double ks_statistic(std::vector<double> samples, const std::function<double(double)>& cdf) {
  std::sort(samples.begin(), samples.end());
  const double n = double(samples.size());
  double d = 0.0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const double f = cdf(samples[i]);
    d = std::max(d, std::max(double(i + 1) / n - f, f - double(i) / n));
  }
  return d;
}

// What a failed call must leave in an output it was given.
constexpr unsigned char kCanary = 0xAB;

inline bool all_bytes_are(const void* data, size_t bytes, unsigned char value) {
  const auto* p = static_cast<const unsigned char*>(data);
  return std::all_of(p, p + bytes, [value](unsigned char b) { return b == value; });
}

// Bytes prefilled with the canary; intact() says whether any was written.
class CanaryBuffer {
 public:
  explicit CanaryBuffer(size_t bytes) : bytes_(bytes, kCanary) {}
  void* data() { return bytes_.data(); }
  template <class T>
  T* as() {
    return reinterpret_cast<T*>(bytes_.data());
  }
  bool intact() const { return all_bytes_are(bytes_.data(), bytes_.size(), kCanary); }

 private:
  std::vector<unsigned char> bytes_;
};

}  // namespace mixcut::test
