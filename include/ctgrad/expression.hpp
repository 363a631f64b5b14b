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
#include <initializer_list>
#include <numeric>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "fixed_string.hpp"

namespace ctgrad {

/// The Boost.Hana tag of every expression (see <ctgrad/hana.hpp>, which
/// makes expressions Hana compile-time keys).
struct expression_hana_tag {};

/// Every node derives from this empty base: it is how `Expression`
/// recognises one, and it makes `ctgrad` an associated namespace of every
/// node, so the operators are found by ADL from any namespace.
struct expression_base {
  using hana_tag = expression_hana_tag;
};

/// Anything ctgrad can differentiate, print and evaluate.
///
/// Spelled with the compiler's trait built-ins (g++, clang and MSVC all
/// have them): std::derived_from, the `_v` variable templates and even the
/// class traits std::is_empty / std::is_trivially_copyable (through their
/// completeness check) instantiate a symbol named after the expression, and
/// g++ builds every such name: for a deep network's nodes, most of its
/// compile time (see graph/dag.hpp).
template <class T>
concept Expression = __is_base_of(expression_base, T) && __is_empty(T) && __is_trivially_copyable(T);

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

namespace mp = boost::mp11;

// Node predicates are concepts over class templates that inherit their
// answer: neither is a variable, so asking about a node type creates no
// symbol named after it (see graph/dag.hpp on why that matters).
template <class T>
struct is_constant_s : std::false_type {};
template <std::intmax_t N, std::intmax_t D>
struct is_constant_s<nodes::constant<N, D>> : std::true_type {};
template <class T>
concept is_constant = is_constant_s<T>::value;

template <class T>
struct is_var_s : std::false_type {};
template <fixed_string N>
struct is_var_s<var<N>> : std::true_type {};
template <class T>
concept is_var = is_var_s<T>::value;

template <class T>
struct is_add_s : std::false_type {};
template <class A, class B>
struct is_add_s<nodes::add<A, B>> : std::true_type {};
template <class T>
concept is_add = is_add_s<T>::value;

template <class T>
struct is_mul_s : std::false_type {};
template <class A, class B>
struct is_mul_s<nodes::mul<A, B>> : std::true_type {};
template <class T>
concept is_mul = is_mul_s<T>::value;

template <class T>
struct is_div_s : std::false_type {};
template <class A, class B>
struct is_div_s<nodes::div<A, B>> : std::true_type {};
template <class T>
concept is_div = is_div_s<T>::value;

template <class T>
struct is_pow_s : std::false_type {};
template <class A, class E>
struct is_pow_s<nodes::pow<A, E>> : std::true_type {};
template <class T>
concept is_pow = is_pow_s<T>::value;

template <class T>
struct is_unary_s : std::false_type {};
template <class F, class A>
struct is_unary_s<nodes::unary<F, A>> : std::true_type {};
template <class T>
concept is_unary = is_unary_s<T>::value;

template <class T, std::intmax_t N, std::intmax_t D = 1>
concept is_constant_equal_to = std::is_same<T, nodes::constant<N, D>>::value;

/// All of a pack of conditions, without a fold expression: clang 14 stops
/// folds at 256 operands, and a kernel may well have more variables.
template <bool... Bs>
inline constexpr bool all_of = [] {
  for (bool b : std::initializer_list<bool>{true, Bs...})
    if (!b) return false;
  return true;
}();

/// Whether A and B are one type (the std::is_same_v variable would be a
/// symbol per pair of node types).
template <class A, class B>
concept same_as = std::is_same<A, B>::value;

/// A product `c * X` whose coefficient is a negative literal (or a negative
/// literal itself, or a quotient whose numerator is one): printed with a
/// minus sign, e.g. `a + (-1)*b` prints as `a - b`.
template <class T>
struct is_negative_s : std::false_type {};
template <std::intmax_t N, std::intmax_t D>
struct is_negative_s<nodes::constant<N, D>> : std::bool_constant<(N < 0)> {};
template <std::intmax_t N, std::intmax_t D, class X>
struct is_negative_s<nodes::mul<nodes::constant<N, D>, X>> : std::bool_constant<(N < 0)> {};
template <class A, class B>
struct is_negative_s<nodes::div<A, B>> : is_negative_s<A> {};
template <class T>
concept is_negative = is_negative_s<T>::value;

}  // namespace detail
}  // namespace ctgrad
