// Helpers shared by the runtime tests: reproducible random points and
// central finite differences in long double.
#pragma once

#include <ctgrad/ctgrad.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <vector>

namespace test {

/// Points uniformly spread over [lo, hi] from a fixed seed, the same with
/// every standard library (no std::uniform_real_distribution).
inline std::vector<long double> random_points(long double lo, long double hi, int n = 128, std::uint64_t seed = 1) {
  std::vector<long double> points;
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (int i = 0; i != n; ++i) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;  // xorshift64
    points.push_back(lo + (hi - lo) * static_cast<long double>(s >> 11) * 0x1p-53L);
  }
  return points;
}

/// Step for a central difference at x: balances truncation (h^2) against
/// rounding (eps/h).
inline long double fd_step(long double x) { return std::cbrt(LDBL_EPSILON) * std::max(1.0L, std::fabs(x)); }

/// (f(x+h) - f(x-h)) / 2h, with f a callable of long double.
template <class F>
long double central_difference(F f, long double x) {
  const long double h = fd_step(x);
  return (f(x + h) - f(x - h)) / (2 * h);
}

/// |a - b| within tol relative to max(1, |a|, |b|).
inline bool close(long double a, long double b, long double tol) {
  return std::fabs(a - b) <= tol * std::max({1.0L, std::fabs(a), std::fabs(b)});
}

}  // namespace test
