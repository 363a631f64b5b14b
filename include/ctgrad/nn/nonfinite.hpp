// ctgrad/nn/nonfinite.hpp — what a training step does with a loss or a
// gradient that is not finite: the policies train_step takes, the error
// one of them throws, and the vectorised check they share.
#pragma once

#include <bit>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace ctgrad::nn {

/// What train_step does when the loss or a gradient is not finite (a NaN
/// or an infinity in the inputs or targets, an overflow):
///   nn::skip_nonfinite (the default): no update: the parameters and the
///     optimizer state stay exactly as they were, and the result says so
///     (`updated == false`; the model counts them: skipped_steps()).
///   nn::throw_on_nonfinite: the same, then throws nn::nonfinite_error
///     naming the first non-finite gradient.
///   nn::unchecked: no check, the fastest path (with nn::sgd the update is
///     fused into the kernel); a non-finite gradient reaches the parameters.
struct skip_nonfinite_t {};
inline constexpr skip_nonfinite_t skip_nonfinite{};
struct throw_on_nonfinite_t {};
inline constexpr throw_on_nonfinite_t throw_on_nonfinite{};
struct unchecked_t {};
inline constexpr unchecked_t unchecked{};
template <class P>
concept nonfinite_policy =
    std::is_same_v<P, skip_nonfinite_t> || std::is_same_v<P, throw_on_nonfinite_t> || std::is_same_v<P, unchecked_t>;

/// Thrown by train_step(..., nn::throw_on_nonfinite) after a skipped step.
class nonfinite_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// Whether all n values at p are finite: one pass in vectors of Bytes (16,
/// 32 or 64: the instruction set of the copy that calls it), two
/// accumulators.  A value is not finite iff its exponent bits are all
/// ones, iff its magnitude bits plus the exponent's lowest bit carry into
/// the sign bit: an and, an add and an or per vector, no compares, and one
/// test of the OR-ed sign bits at the end.  (A compare per value, OR-ed in
/// blocks of 64, ran W2's 1,732 floats in 111 ns in GCC's AVX-512 copy,
/// 84 ns in its AVX2 copy; docs/performance.md.)
template <std::size_t n, std::size_t Bytes, std::floating_point T>
[[gnu::always_inline]] inline bool all_finite(const T* __restrict p) noexcept {
  if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
    using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    constexpr U magnitude = std::numeric_limits<U>::max() >> 1;
    constexpr U exponent_one = U(1) << (std::numeric_limits<T>::digits - 1);
    constexpr auto carries = [](U bits) { return U((bits & magnitude) + exponent_one); };
    typedef U V __attribute__((vector_size(Bytes)));
    constexpr std::size_t lanes = Bytes / sizeof(U), body = n / (2 * lanes) * (2 * lanes);
    V a = {}, b = {};
    for (std::size_t i = 0; i != body; i += 2 * lanes) {
      V x, y;
      std::memcpy(&x, p + i, Bytes);
      std::memcpy(&y, p + i + lanes, Bytes);
      a |= (x & magnitude) + exponent_one;  // (written out: a lambda taking V would be a call
      b |= (y & magnitude) + exponent_one;  // with vector arguments, -Wpsabi)
    }
    a |= b;
    U sign_bits = 0;
    for (std::size_t l = 0; l != lanes; ++l) sign_bits |= a[l];
    for (std::size_t i = body; i != n; ++i) sign_bits |= carries(std::bit_cast<U>(p[i]));
    return sign_bits >> (8 * sizeof(U) - 1) == 0;
  } else {
    bool finite = true;
    for (std::size_t i = 0; i != n; ++i) finite &= std::isfinite(p[i]);
    return finite;
  }
}

}  // namespace detail

}  // namespace ctgrad::nn
