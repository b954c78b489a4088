// The keyed variates of sampling.hpp: log-uniform, normal (Box-Muller), Gamma
// (Marsaglia-Tsang, in log space for small shapes) and Beta from two Gammas.
#include "plan/sampling.hpp"

#include <cmath>

namespace mixcut {

namespace {
constexpr double kTwoPi = 6.283185307179586476925286766559;
}  // namespace

double Stream::log_uniform(double lo, double hi) {
  return std::exp(uniform(std::log(lo), std::log(hi)));
}

double Stream::normal() {
  const PhiloxCounter b = next_block();
  // 1 - U lies in (0, 1], so the log is finite.
  const double u1 = 1.0 - uniform_from_bits(uint64_t(b[0]) | uint64_t(b[1]) << 32);
  const double u2 = uniform_from_bits(uint64_t(b[2]) | uint64_t(b[3]) << 32);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

GammaShape::GammaShape(double shape) : a(shape) {
  const double base = shape < 1.0 ? shape + 1.0 : shape;
  d = base - 1.0 / 3.0;
  c = 1.0 / std::sqrt(9.0 * d);
  log_d = std::log(d);
}

double Stream::log_gamma(const GammaShape& shape) {
  const double a = shape.a, d = shape.d, c = shape.c;
  // Gamma(a) = Gamma(a + 1) * U^(1/a) for a < 1, in logs, since U^(1/a)
  // underflows to 0 for small a (U = 0.5, a = 0.002 gives 2^-500 and
  // worse); shape holds the constants of a + 1 then.
  double log_g = 0.0;
  // Marsaglia & Tsang (2000), shape >= 1.
  for (;;) {
    const double x = normal();
    double v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double u = uniform();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) {
      log_g = shape.log_d + std::log(v);
      break;
    }
    const double log_v = std::log(v);
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + log_v)) {
      log_g = shape.log_d + log_v;
      break;
    }
  }
  if (a >= 1.0) return log_g;
  const double u = 1.0 - uniform();  // (0, 1]
  return log_g + std::log(u) / a;
}

double Stream::gamma(double a) { return std::exp(log_gamma(a)); }

double Stream::beta(const GammaShape& a, const GammaShape& b) {
  const double log_x = log_gamma(a);
  const double log_y = log_gamma(b);
  // X / (X + Y) = 1 / (1 + exp(log Y - log X)); both logs are finite, so
  // the result is in [0, 1] and never NaN (exp may overflow to inf -> 0).
  return 1.0 / (1.0 + std::exp(log_y - log_x));
}

}  // namespace mixcut
