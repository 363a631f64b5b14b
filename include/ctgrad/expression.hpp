// ctgrad/expression.hpp — what an expression is.
//
// An expression is an empty, trivially copyable object whose *type* is the
// mathematics: `decltype(sigmoid(w*x + b))` is
// `nodes::sigmoid<nodes::add<var<"b">, nodes::mul<var<"w">, var<"x">>>>`.
// Values never live inside an expression; they are bound at evaluation time.
// Node templates live in `ctgrad::nodes`; users normally meet them only
// through `decltype`.
#pragma once

#include <concepts>
#include <cstdint>
#include <numeric>
#include <type_traits>

#include "fixed_string.hpp"

namespace ctgrad {

/// Every node derives from this empty base: it is how `Expression`
/// recognises one, and it makes `ctgrad` an associated namespace of every
/// node, so the operators are found by ADL from any namespace.
struct expression_base {};

/// Anything ctgrad can differentiate, print and evaluate.
template <class T>
concept Expression = std::derived_from<T, expression_base> && std::is_empty_v<T> && std::is_trivially_copyable_v<T>;

namespace nodes {

/// A rational literal N/D in lowest terms with D > 0.  Build it with
/// `ctgrad::c<N, D>` or the `_c` literal, which normalise.
template <std::intmax_t N, std::intmax_t D = 1>
struct constant : expression_base {
  static_assert(D > 0 && std::gcd(N, D) == 1, "ctgrad::nodes::constant: use ctgrad::c<N, D>, which normalises");
  static constexpr std::intmax_t num = N;
  static constexpr std::intmax_t den = D;
  template <class T>
  static constexpr T value() noexcept {
    return static_cast<T>(N) / static_cast<T>(D);
  }
};

template <class A, class B>
struct add : expression_base {};  // A + B
template <class A, class B>
struct mul : expression_base {};  // A * B
template <class A, class B>
struct div : expression_base {};  // A / B
/// A^E, the exponent a literal constant.
template <class A, class E>
struct pow : expression_base {};
/// F(A) for an elementwise function F (see functions.hpp for the Fs).
template <class F, class A>
struct unary : expression_base {};

}  // namespace nodes

/// A named scalar variable.  `constexpr var<"x"> x;` then `x = 1.5` makes a
/// binding to evaluate with.
template <fixed_string Name>
struct var;

namespace detail {

template <class T>
inline constexpr bool is_constant = false;
template <std::intmax_t N, std::intmax_t D>
inline constexpr bool is_constant<nodes::constant<N, D>> = true;

template <class T>
inline constexpr bool is_var = false;
template <fixed_string N>
inline constexpr bool is_var<var<N>> = true;

template <class T>
inline constexpr bool is_add = false;
template <class A, class B>
inline constexpr bool is_add<nodes::add<A, B>> = true;
template <class T>
inline constexpr bool is_mul = false;
template <class A, class B>
inline constexpr bool is_mul<nodes::mul<A, B>> = true;
template <class T>
inline constexpr bool is_div = false;
template <class A, class B>
inline constexpr bool is_div<nodes::div<A, B>> = true;
template <class T>
inline constexpr bool is_pow = false;
template <class A, class E>
inline constexpr bool is_pow<nodes::pow<A, E>> = true;
template <class T>
inline constexpr bool is_unary = false;
template <class F, class A>
inline constexpr bool is_unary<nodes::unary<F, A>> = true;

template <class T, std::intmax_t N, std::intmax_t D = 1>
inline constexpr bool is_constant_equal_to = std::is_same_v<T, nodes::constant<N, D>>;

/// A product `c * X` whose coefficient is a negative literal (or a negative
/// literal itself, or a quotient whose numerator is one): printed with a
/// minus sign, e.g. `a + (-1)*b` prints as `a - b`.
template <class T>
inline constexpr bool is_negative = false;
template <std::intmax_t N, std::intmax_t D>
inline constexpr bool is_negative<nodes::constant<N, D>> = (N < 0);
template <std::intmax_t N, std::intmax_t D, class X>
inline constexpr bool is_negative<nodes::mul<nodes::constant<N, D>, X>> = (N < 0);
template <class A, class B>
inline constexpr bool is_negative<nodes::div<A, B>> = is_negative<A>;

}  // namespace detail
}  // namespace ctgrad
