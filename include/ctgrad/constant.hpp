// ctgrad/constant.hpp — compile-time literal constants: `c<1, 2>`, `2_c`.
#pragma once

#include <cstdint>
#include <numeric>

#include "expression.hpp"

namespace ctgrad {

namespace detail {
template <std::intmax_t N, std::intmax_t D>
consteval auto make_constant() {
  static_assert(D != 0, "ctgrad::c<N, D>: the denominator D must not be 0");
  constexpr std::intmax_t g = std::gcd(N, D) == 0 ? 1 : std::gcd(N, D);
  constexpr std::intmax_t sign = D < 0 ? -1 : 1;
  return nodes::constant<sign * N / g, sign * D / g>{};
}
}  // namespace detail

/// The rational literal N/D as an expression, in lowest terms:
/// `c<2, 4>` is the same type as `c<1, 2>`.
template <std::intmax_t N, std::intmax_t D = 1>
inline constexpr auto c = detail::make_constant<N, D>();

/// Integer literal constants: `using namespace ctgrad::literals; 2_c`.
namespace literals {
template <char... Digits>
consteval auto operator""_c() {
  constexpr std::intmax_t value = [] {
    std::intmax_t v = 0;
    for (char ch : {Digits...}) {
      // `2.5_c` or `0x10_c` land here: only decimal integers are literals.
      if (ch < '0' || ch > '9') throw "ctgrad: _c takes a decimal integer; write c<5, 2> for 5/2";
      v = v * 10 + (ch - '0');
    }
    return v;
  }();
  return nodes::constant<value, 1>{};
}
}  // namespace literals

}  // namespace ctgrad
