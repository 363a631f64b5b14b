// ctgrad/numeric/vmath.hpp — exp, expm1-on-a-small-range, tanh and sigmoid
// for float and double that the compiler can vectorise without
// -ffast-math: straight-line arithmetic, bit casts and selects, no calls,
// no tables, no errno.
//
// Accuracy (tests/vmath_test.cpp checks these against the platform's libm
// in higher precision, over the whole range): exp <= 2 ulp, tanh <= 3 ulp,
// sigmoid <= 3 ulp, for normal results; results in the subnormal range are
// within 2 ulp of the smallest normal; +-inf and NaN propagate as in <cmath>.
//
// Tensor kernels use these for float and double unless CTGRAD_EXACT_MATH is
// defined (then every function is <cmath>'s, as at the scalar level).
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../config.hpp"

CTGRAD_DETAIL_NO_CONTRACTION_BEGIN

namespace ctgrad::detail::vmath {

template <class T>
struct traits;
template <>
struct traits<float> {
  using bits = std::int32_t;
  static constexpr int mantissa = 23, bias = 127;
  static constexpr float round_magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  static constexpr float ln2_hi = 0.693145751953125f, ln2_lo = 1.428606765330187e-06f;
  static constexpr float log2e = 1.44269504088896341f;
  static constexpr float max_arg = 88.7228394f;   // exp overflows above
  static constexpr float min_arg = -103.972084f;  // exp underflows to 0 below
  static constexpr int exp_terms = 8;             // Taylor terms of e^r (to r^7/7!), |r| <= ln2/2
  static constexpr int expm1_terms = 8;           // Taylor terms of e^r - 1 (to r^8/8!), |r| <= ln2/2
};
template <>
struct traits<double> {
  using bits = std::int64_t;
  static constexpr int mantissa = 52, bias = 1023;
  static constexpr double round_magic = 6755399441055744.0;  // 1.5 * 2^52
  static constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  static constexpr double log2e = 1.44269504088896338700;
  static constexpr double max_arg = 709.782712893383973;
  static constexpr double min_arg = -745.133219101941108;
  static constexpr int exp_terms = 14;
  static constexpr int expm1_terms = 14;
};

/// 2^k for an integer-valued k in [-bias + 1, bias], by building the bits.
template <class T>
[[gnu::always_inline]] inline T pow2(typename traits<T>::bits k) noexcept {
  using U = typename traits<T>::bits;
  return std::bit_cast<T>(static_cast<U>((k + traits<T>::bias) << traits<T>::mantissa));
}

/// c ? a : b on the bits, with both sides already computed: GCC keeps a
/// `?:` over floating-point work as a branch (the work might trap), and a
/// branch stops the vectoriser; this compiles to compare, and, or.
template <class T>
[[gnu::always_inline]] inline T select(bool c, T a, T b) noexcept {
  using U = typename traits<T>::bits;
  const U m = -static_cast<U>(c);
  return std::bit_cast<T>((m & std::bit_cast<U>(a)) | (~m & std::bit_cast<U>(b)));
}

template <class T>
[[gnu::always_inline]] inline T abs(T x) noexcept {
  using U = typename traits<T>::bits;
  return std::bit_cast<T>(std::bit_cast<U>(x) & std::numeric_limits<U>::max());
}
/// |x| with the sign of s.
template <class T>
[[gnu::always_inline]] inline T with_sign_of(T x, T s) noexcept {
  using U = typename traits<T>::bits;
  return std::bit_cast<T>(std::bit_cast<U>(x) | (std::bit_cast<U>(s) & std::numeric_limits<U>::min()));
}

/// 1/n!, rounded once to T.
template <class T>
constexpr T inverse_factorial(int n) noexcept {
  long double f = 1.0L;
  for (int k = 2; k <= n; ++k) f /= k;
  return static_cast<T>(f);
}

/// sum of y^i / (First + i)! for i in [0, Count), by Estrin's scheme: the
/// lower half plus y^h times the upper half (h the largest power of two
/// below Count), so the chain of dependent operations is log2(Count) long,
/// not Count as with Horner's rule.  powers[j] = y^(2^j).  Written out by
/// recursion (the vectoriser does not take loops nested in its loop).
template <class T, int First, int Count>
[[gnu::always_inline]] inline T estrin(const T (&powers)[4]) noexcept {
  static_assert(Count >= 1 && Count <= 16);
  if constexpr (Count == 1) {
    constexpr T coefficient = inverse_factorial<T>(First);  // rounded at compile time
    return coefficient;
  } else {
    constexpr int h = std::bit_floor(unsigned(Count - 1));
    return estrin<T, First, h>(powers) +
           powers[std::countr_zero(unsigned(h))] * estrin<T, First + h, Count - h>(powers);
  }
}

/// e^r - 1 to the term r^N/N!, for |r| <= ln2/2: r + r^2 (1/2! + r/3! + ...),
/// the bracket by Estrin's scheme; r is added last, exactly as it is.
template <int N, class T>
[[gnu::always_inline]] inline T expm1_series(T r) noexcept {
  const T r2 = r * r, r4 = r2 * r2;
  const T powers[4] = {r, r2, r4, r4 * r4};
  return r + r2 * estrin<T, 2, N - 1>(powers);
}

/// v rounded to an integer (|v| < 2^22 for float, 2^51 for double),
/// without a rounding instruction SSE2 lacks: add and subtract 1.5 * 2^p.
template <class T>
[[gnu::always_inline]] inline T round_to_integer(T v) noexcept {
  return (v + traits<T>::round_magic) - traits<T>::round_magic;
}
/// The integer-valued k as an integer of T's width (bits of k + magic).
template <class T>
[[gnu::always_inline]] inline typename traits<T>::bits integer_of(T k) noexcept {
  using U = typename traits<T>::bits;
  return std::bit_cast<U>(k + traits<T>::round_magic) - std::bit_cast<U>(traits<T>::round_magic);
}

/// x = k*ln2 + r with k an integer and |r| <= ln2/2 (Cody-Waite: ln2 in two
/// parts, so r is exact enough for a 1-ulp result).
template <class T>
struct ln2_reduction {
  T k, r;
};
template <class T>
[[gnu::always_inline]] inline ln2_reduction<T> reduce_by_ln2(T x) noexcept {
  using tr = traits<T>;
  const T k = round_to_integer(x * tr::log2e);
  return {k, (x - k * tr::ln2_hi) - k * tr::ln2_lo};
}

template <class T>
[[gnu::always_inline]] inline T exp(T x) noexcept {
  using tr = traits<T>;
  // Clamp first so k stays representable; the selects at the end restore
  // overflow and underflow.
  const T xc = select(x < tr::min_arg, tr::min_arg, select(x > tr::max_arg, tr::max_arg, x));
  const auto [k, r] = reduce_by_ln2(xc);
  const T p = T(1) + expm1_series<tr::exp_terms - 1>(r);
  // 2^k as two factors 2^k1 * 2^k2, so that k down to the subnormal range
  // works; the halving is done in floating point (SSE2 has no 64-bit
  // arithmetic shift, which would stop the vectoriser for double).
  const T k1 = round_to_integer(k * T(0.5));
  const T y = p * pow2<T>(integer_of(k1)) * pow2<T>(integer_of(k - k1));
  return select(x > tr::max_arg, std::numeric_limits<T>::infinity(), select(x < tr::min_arg, T(0), y));
}

/// e^y - 1 for y in [-40, 0], without cancellation anywhere:
/// y = k*ln2 + r, |r| <= ln2/2, e^y - 1 = 2^k (e^r - 1) + (2^k - 1), with
/// e^r - 1 = r(1 + r/2(1 + r/3(...))) and 2^k - 1 exact for small k.
template <class T>
[[gnu::always_inline]] inline T expm1_negative(T y) noexcept {
  const auto [k, r] = reduce_by_ln2(select(y < T(-40), T(-40), y));
  const T em = expm1_series<traits<T>::expm1_terms>(r);
  const T scale = pow2<T>(integer_of(k));
  return scale * em + (scale - T(1));
}

template <class T>
[[gnu::always_inline]] inline T tanh(T x) noexcept {
  // tanh|x| = -m / (2 + m) with m = e^(-2|x|) - 1 in (-1, 0], computed
  // without cancellation; the quotient has none either.
  const T m = expm1_negative(T(-2) * vmath::abs(x));
  const T t = -m / (T(2) + m);  // NaN for NaN: every step propagates it
  return with_sign_of(t, x);
}

template <class T>
[[gnu::always_inline]] inline T sigmoid(T x) noexcept {
  // 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) otherwise: never overflows.
  // (One division: the numerator is chosen, not the quotient.)
  const T e = vmath::exp(-vmath::abs(x));
  return select(x < T(0), e, T(1)) / (T(1) + e);
}

}  // namespace ctgrad::detail::vmath

CTGRAD_DETAIL_NO_CONTRACTION_END
