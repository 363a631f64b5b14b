// ctgrad/numeric/math.hpp — scalar math that works both at run time and in
// constant expressions.
//
// At run time every function calls <cmath> (exact mode: the platform's libm).
// In a constant expression <cmath> is not usable on clang, so the `cx::`
// implementations below take over.  They compute in long double with range
// reduction and series, and are accurate to <= 2 ulp in double on finite
// arguments (sin and cos for |x| < 2^30; tests/math_test.cpp checks them
// against <cmath>).
#pragma once

#include <cmath>
#include <concepts>
#include <limits>
#include <type_traits>

#include "../config.hpp"

CTGRAD_DETAIL_NO_CONTRACTION_BEGIN

namespace ctgrad::detail::cx {

using ld = long double;

inline constexpr ld ln2 = 0.693147180559945309417232121458176568L;
inline constexpr ld pi = 3.141592653589793238462643383279502884L;

template <class T>
constexpr bool isnan(T x) noexcept {
  return x != x;
}

template <class T>
constexpr bool isinf(T x) noexcept {
  return x == std::numeric_limits<T>::infinity() || x == -std::numeric_limits<T>::infinity();
}

// 2^k exactly, by binary powering (k may be large and negative).
constexpr ld pow2(long k) noexcept {
  ld base = k < 0 ? 0.5L : 2.0L;
  unsigned long n = k < 0 ? static_cast<unsigned long>(-k) : static_cast<unsigned long>(k);
  ld r = 1.0L;
  while (n != 0) {
    if (n & 1U) r *= base;
    base *= base;
    n >>= 1U;
  }
  return r;
}

// Round to nearest integer (half away from zero), for range reduction only.
constexpr long nearest(ld x) noexcept { return static_cast<long>(x < 0 ? x - 0.5L : x + 0.5L); }

constexpr ld exp(ld x) noexcept {
  if (isnan(x)) return x;
  if (x > 11357.0L) return std::numeric_limits<ld>::infinity();
  if (x < -11400.0L) return 0.0L;
  const long k = nearest(x / ln2);
  const ld r = x - static_cast<ld>(k) * ln2;  // |r| <= ln2/2
  ld term = 1.0L, sum = 1.0L;
  for (int i = 1; i < 28; ++i) {
    term *= r / i;
    sum += term;
  }
  return sum * pow2(k);
}

constexpr ld expm1(ld x) noexcept {
  if (x > -0.5L && x < 0.5L) {
    ld term = x, sum = x;
    for (int i = 2; i < 30; ++i) {
      term *= x / i;
      sum += term;
    }
    return sum;
  }
  return exp(x) - 1.0L;
}

constexpr ld log(ld x) noexcept {
  if (isnan(x) || x < 0) return std::numeric_limits<ld>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<ld>::infinity();
  if (isinf(x)) return x;
  // x = m * 2^k with m in [sqrt(1/2), sqrt(2)).
  long k = 0;
  while (x >= 0x1p64L) {
    x *= 0x1p-64L;
    k += 64;
  }
  while (x < 0x1p-64L) {
    x *= 0x1p64L;
    k -= 64;
  }
  while (x >= 1.41421356237309504880L) {
    x *= 0.5L;
    ++k;
  }
  while (x < 0.70710678118654752440L) {
    x *= 2.0L;
    --k;
  }
  // log(m) = 2 atanh(u), u = (m - 1)/(m + 1), |u| < 0.172.
  const ld u = (x - 1.0L) / (x + 1.0L);
  const ld u2 = u * u;
  ld power = u, sum = 0.0L;
  for (int i = 1; i < 60; i += 2) {
    sum += power / i;
    power *= u2;
  }
  return 2.0L * sum + static_cast<ld>(k) * ln2;
}

constexpr ld log1p(ld x) noexcept {
  // Goldberg's trick: exact enough for tiny x without a separate series.
  const ld u = 1.0L + x;
  if (u == 1.0L) return x;
  return log(u) * x / (u - 1.0L);
}

constexpr ld sqrt(ld x) noexcept {
  if (isnan(x) || x < 0) return std::numeric_limits<ld>::quiet_NaN();
  if (x == 0 || isinf(x)) return x;
  // Scale into [1, 4) by powers of 4, Newton from a linear first guess.
  long k = 0;
  while (x >= 4.0L) {
    x *= 0.25L;
    ++k;
  }
  while (x < 1.0L) {
    x *= 4.0L;
    --k;
  }
  ld y = 0.5L + 0.5L * x;
  for (int i = 0; i < 8; ++i) y = 0.5L * (y + x / y);
  return y * pow2(k);
}

constexpr ld sin_reduced(ld r) noexcept {  // |r| <= pi/4
  ld term = r, sum = r;
  const ld r2 = r * r;
  for (int i = 1; i < 14; ++i) {
    term *= -r2 / ((2 * i) * (2 * i + 1));
    sum += term;
  }
  return sum;
}

constexpr ld cos_reduced(ld r) noexcept {  // |r| <= pi/4
  ld term = 1.0L, sum = 1.0L;
  const ld r2 = r * r;
  for (int i = 1; i < 14; ++i) {
    term *= -r2 / ((2 * i - 1) * (2 * i));
    sum += term;
  }
  return sum;
}

// x = k*pi/2 + r, |r| <= pi/4 (Cody-Waite): pi/2 in three 33-bit pieces, so
// each k*piece is exact in long double for |k| < 2^31 and r keeps its
// relative accuracy near the zeros of sin and cos.
struct quadrant_reduction {
  long quadrant;  // k mod 4
  ld r;
};
constexpr quadrant_reduction reduce_half_pi(ld x) noexcept {
  constexpr ld p1 = 1.57079632673412561417e+00L;
  constexpr ld p2 = 6.07710050630396597660e-11L;
  constexpr ld p3 = 2.02226624871116645580e-21L;
  constexpr ld p3_tail = 8.47842766036889956997e-32L;
  const long k = nearest(x / (pi / 2));
  const ld kk = static_cast<ld>(k);
  const ld r = (((x - kk * p1) - kk * p2) - kk * p3) - kk * p3_tail;
  return {((k % 4) + 4) % 4, r};
}

constexpr ld sin(ld x) noexcept {
  if (isnan(x) || isinf(x)) return std::numeric_limits<ld>::quiet_NaN();
  const auto [q, r] = reduce_half_pi(x);
  switch (q) {
    case 0:
      return sin_reduced(r);
    case 1:
      return cos_reduced(r);
    case 2:
      return -sin_reduced(r);
    default:
      return -cos_reduced(r);
  }
}

constexpr ld cos(ld x) noexcept {
  if (isnan(x) || isinf(x)) return std::numeric_limits<ld>::quiet_NaN();
  const auto [q, r] = reduce_half_pi(x);
  switch (q) {
    case 0:
      return cos_reduced(r);
    case 1:
      return -sin_reduced(r);
    case 2:
      return -cos_reduced(r);
    default:
      return sin_reduced(r);
  }
}

constexpr ld tanh(ld x) noexcept {
  if (isnan(x)) return x;
  if (x > 24.0L) return 1.0L;
  if (x < -24.0L) return -1.0L;
  const ld e = expm1(2.0L * x);
  return e / (e + 2.0L);
}

constexpr ld pow(ld x, ld y) noexcept { return exp(y * log(x)); }

}  // namespace ctgrad::detail::cx

namespace ctgrad::detail::math {

// Each function: <cmath> at run time, cx:: in constant expressions.
#define CTGRAD_DETAIL_MATH_FN(NAME)                                       \
  template <std::floating_point T>                                        \
  constexpr T NAME(T x) noexcept {                                        \
    if (std::is_constant_evaluated()) return static_cast<T>(cx::NAME(x)); \
    return std::NAME(x);                                                  \
  }
CTGRAD_DETAIL_MATH_FN(exp)
CTGRAD_DETAIL_MATH_FN(expm1)
CTGRAD_DETAIL_MATH_FN(log)
CTGRAD_DETAIL_MATH_FN(log1p)
CTGRAD_DETAIL_MATH_FN(sqrt)
CTGRAD_DETAIL_MATH_FN(sin)
CTGRAD_DETAIL_MATH_FN(cos)
CTGRAD_DETAIL_MATH_FN(tanh)
#undef CTGRAD_DETAIL_MATH_FN

template <std::floating_point T>
constexpr T pow(T x, T y) noexcept {
  if (std::is_constant_evaluated()) return static_cast<T>(cx::pow(x, y));
  return std::pow(x, y);
}

/// x^n for an integer n, by repeated squaring (exact for small n, and how a
/// person would hand-write x*x).
template <class T>
constexpr T ipow(T x, long n) noexcept {
  if (n < 0) return T(1) / ipow(x, -n);
  T r = T(1);
  while (n != 0) {
    if (n & 1) r *= x;
    x *= x;
    n >>= 1;
  }
  return r;
}

// The activations, in forms that do not overflow for large |x|.
template <std::floating_point T>
constexpr T sigmoid(T x) noexcept {
  if (x >= T(0)) return T(1) / (T(1) + math::exp(-x));
  const T e = math::exp(x);
  return e / (T(1) + e);
}

template <std::floating_point T>
constexpr T softplus(T x) noexcept {
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
  const T ax = x < T(0) ? -x : x;
  return (x > T(0) ? x : T(0)) + math::log1p(math::exp(-ax));
}

// gelu, tanh form (PyTorch's approximate='tanh'):
//   gelu(x) = x/2 (1 + tanh(u)) = x sigmoid(2u),  u = k (x + c x^3),
// k = sqrt(2/pi), c = 0.044715, written through sigmoid(2u) and
// sigmoid(-2u) so that nothing overflows or cancels: x^3 overflowing makes
// u infinite and sigmoid exactly 0 or 1; the terms with s (1 - s) =
// sigmoid(2u) sigmoid(-2u) are taken as 0 once that product underflows
// (where x u' could overflow, |x| > ~11 in float).  gelu(+inf) = +inf,
// gelu(-inf) = -0, gelu'(+-inf) = 1 and 0.  Sigmoid is a parameter: the
// scalar and the vectorised versions share this code.
inline constexpr double gelu_k = 0.7978845608028654;  // sqrt(2/pi)
inline constexpr double gelu_c = 0.044715;

template <std::floating_point T, class Sigmoid>
[[gnu::always_inline]] constexpr T gelu_with(T x, Sigmoid sigmoid) noexcept {
  const T u = T(gelu_k) * (x + T(gelu_c) * (x * x * x));
  const T s = sigmoid(T(2) * u);
  const T y = x * s;
  return s == T(0) ? T(-0.0) : y;  // x = -inf: -inf * 0
}
template <std::floating_point T, class Sigmoid>
[[gnu::always_inline]] constexpr T gelu_derivative_with(T x, Sigmoid sigmoid) noexcept {
  // gelu'(x) = s + x s (1 - s) 2u',  u' = k (1 + 3c x^2)
  const T u = T(gelu_k) * (x + T(gelu_c) * (x * x * x));
  const T s = sigmoid(T(2) * u);
  const T t = s * sigmoid(T(-2) * u);
  const T du = T(gelu_k) * (T(1) + T(3 * gelu_c) * (x * x));
  const T y = s + x * (T(2) * du) * t;
  return t == T(0) ? s : y;
}
template <std::floating_point T, class Sigmoid>
[[gnu::always_inline]] constexpr T gelu_second_derivative_with(T x, Sigmoid sigmoid) noexcept {
  // gelu''(x) = s (1 - s) (4u' + 4x u'^2 (1 - 2s) + 12 k c x^2)
  const T u = T(gelu_k) * (x + T(gelu_c) * (x * x * x));
  const T s = sigmoid(T(2) * u), r = sigmoid(T(-2) * u);  // r = 1 - s
  const T t = s * r;
  const T du = T(gelu_k) * (T(1) + T(3 * gelu_c) * (x * x));
  const T y = t * (T(4) * du + T(4) * x * (du * du) * (r - s) + T(12 * gelu_k * gelu_c) * (x * x));
  return t == T(0) ? T(0) : y;
}

template <std::floating_point T>
constexpr T gelu(T x) noexcept {
  return gelu_with(x, [](T v) { return math::sigmoid(v); });
}
template <std::floating_point T>
constexpr T gelu_derivative(T x) noexcept {
  return gelu_derivative_with(x, [](T v) { return math::sigmoid(v); });
}
template <std::floating_point T>
constexpr T gelu_second_derivative(T x) noexcept {
  return gelu_second_derivative_with(x, [](T v) { return math::sigmoid(v); });
}

// NaN in, NaN out for every piecewise function (never a silent 0).
template <std::floating_point T>
constexpr T relu(T x) noexcept {
  return x < T(0) ? T(0) : x;
}

// max(-x, 0), relu(-x) as one function: its derivative, step(x) - 1, is -1
// at 0, so that leaky_relu' and elu' take the negative side's value at 0.
template <std::floating_point T>
constexpr T negative_part(T x) noexcept {
  const T n = x < T(0) ? -x : T(0);  // +0 at +-0
  return x != x ? x : n;
}

// x, with -inf and +inf replaced by the lowest and the largest finite
// number (so that 0 * x is 0); NaN stays NaN.
template <std::floating_point T>
constexpr T finite(T x) noexcept {
  constexpr T lowest = std::numeric_limits<T>::lowest(), largest = std::numeric_limits<T>::max();
  const T low = x < lowest ? lowest : x;
  return x > largest ? largest : low;
}

// Written as independent selects, not nested conditionals: GCC -O2
// if-converts (and so vectorises) only the flat form.
template <std::floating_point T>
constexpr T step(T x) noexcept {
  const T s = x > T(0) ? T(1) : T(0);
  return x != x ? x : s;
}

template <std::floating_point T>
constexpr T sign(T x) noexcept {
  const T s = (x > T(0) ? T(1) : T(0)) - (x < T(0) ? T(1) : T(0));
  return x != x ? x : s;
}

template <std::floating_point T>
constexpr T abs(T x) noexcept {
  return x < T(0) ? -x : x;
}

}  // namespace ctgrad::detail::math

CTGRAD_DETAIL_NO_CONTRACTION_END
