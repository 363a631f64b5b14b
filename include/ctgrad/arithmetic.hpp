// ctgrad/arithmetic.hpp — `+ - * /`, unary minus, `pow`, and the
// canonicalisation that makes equal maths written two ways the same type.
//
// The rules are the cheap, always-valid ones: constant folding (exact
// rationals), 0 and 1 identities, operands of + and * in a fixed order,
// coefficients in front (`x*2` is `2*x`), like terms collected
// (`x + x` is `2*x`, `x*x` is `x^2`), quotients kept as one fraction
// (`x*(y/z)` is `(x*y)/z`).  No expansion, no factoring.
#pragma once

#include <cstdint>
#include <type_traits>

#include "constant.hpp"
#include "expr/order.hpp"
#include "expression.hpp"
#include "var.hpp"

namespace ctgrad {
namespace detail {

template <class...>
inline constexpr bool always_false = false;

// Split `c * X` into coefficient and term, `X^e` into base and exponent.
template <class T>
struct split_coefficient {
  using coefficient = nodes::constant<1>;
  using term = T;
};
template <std::intmax_t N, std::intmax_t D, class X>
struct split_coefficient<nodes::mul<nodes::constant<N, D>, X>> {
  using coefficient = nodes::constant<N, D>;
  using term = X;
};

template <class T>
struct split_power {
  using base = T;
  using exponent = nodes::constant<1>;
};
template <class A, class E>
struct split_power<nodes::pow<A, E>> {
  using base = A;
  using exponent = E;
};

template <class T>
struct split_unary;
template <class F, class A>
struct split_unary<nodes::unary<F, A>> {
  using function = F;
  using argument = A;
};

template <class T>
struct operands_of;
template <template <class, class> class Node, class A, class B>
struct operands_of<Node<A, B>> {
  using first = A;
  using second = B;
};

// Exact rational arithmetic on literal constants.
template <class A, class B>
consteval auto constant_sum() {
  return make_constant<A::num * B::den + B::num * A::den, A::den * B::den>();
}
template <class A, class B>
consteval auto constant_product() {
  return make_constant<A::num * B::num, A::den * B::den>();
}
template <class A>
consteval auto constant_reciprocal() {
  return make_constant<A::den, A::num>();
}
template <class A, std::intmax_t K>
consteval auto constant_power() {
  static_assert(K >= 0 || A::num != 0, "ctgrad::pow: 0 raised to a negative power");
  constexpr auto raise = [](std::intmax_t b, std::intmax_t k) {
    std::intmax_t r = 1;
    while (k-- > 0) r *= b;
    return r;
  };
  if constexpr (K >= 0)
    return make_constant<raise(A::num, K), raise(A::den, K)>();
  else
    return make_constant<raise(A::den, -K), raise(A::num, -K)>();
}

template <class A, class B>
consteval auto make_add(A, B) noexcept;
template <class A, class B>
consteval auto make_mul(A, B) noexcept;
template <class A, class B>
consteval auto make_div(A, B) noexcept;
template <class A, class E>
consteval auto make_pow(A, E) noexcept;
template <class A>
consteval auto make_neg(A a) noexcept {
  return make_mul(nodes::constant<-1>{}, a);
}

template <class A, class B>
consteval auto make_add(A, B) noexcept {
  using ca = typename split_coefficient<A>::coefficient;
  using cb = typename split_coefficient<B>::coefficient;
  using ta = typename split_coefficient<A>::term;
  using tb = typename split_coefficient<B>::term;
  if constexpr (is_constant<A> && is_constant<B>)
    return constant_sum<A, B>();
  else if constexpr (is_constant_equal_to<A, 0>)
    return B{};
  else if constexpr (is_constant_equal_to<B, 0>)
    return A{};
  else if constexpr (is_constant<B>)
    return make_add(B{}, A{});
  else if constexpr (is_constant<A> && is_add<B>) {
    using b0 = typename operands_of<B>::first;
    if constexpr (is_constant<b0>)
      return make_add(constant_sum<A, b0>(), typename operands_of<B>::second{});
    else
      return nodes::add<A, B>{};
  } else if constexpr (detail::same_as<ta, tb>)
    return make_mul(constant_sum<ca, cb>(), ta{});
  else if constexpr (before<B, A>())
    return nodes::add<B, A>{};
  else
    return nodes::add<A, B>{};
}

template <class A, class B>
consteval auto make_mul(A, B) noexcept {
  if constexpr (is_constant<A> && is_constant<B>)
    return constant_product<A, B>();
  else if constexpr (is_constant_equal_to<A, 0> || is_constant_equal_to<B, 0>)
    return nodes::constant<0>{};
  else if constexpr (is_constant_equal_to<A, 1>)
    return B{};
  else if constexpr (is_constant_equal_to<B, 1>)
    return A{};
  else if constexpr (is_constant<B>)
    return make_mul(B{}, A{});
  else if constexpr (is_constant<A>) {
    if constexpr (!is_constant_equal_to<typename split_coefficient<B>::coefficient, 1>)  // c*(k*x) -> (c*k)*x
      return make_mul(constant_product<A, typename split_coefficient<B>::coefficient>(),
                      typename split_coefficient<B>::term{});
    else if constexpr (is_div<B>)  // c*(x/y) -> (c*x)/y
      return make_div(make_mul(A{}, typename operands_of<B>::first{}), typename operands_of<B>::second{});
    else if constexpr (is_constant_equal_to<A, -1> && is_add<B>)  // -(a + b) -> -a - b
      return make_add(make_neg(typename operands_of<B>::first{}), make_neg(typename operands_of<B>::second{}));
    else
      return nodes::mul<A, B>{};
  } else {
    using ca = typename split_coefficient<A>::coefficient;
    using cb = typename split_coefficient<B>::coefficient;
    using pa = split_power<A>;
    using pb = split_power<B>;
    if constexpr (!is_constant_equal_to<ca, 1>)  // coefficients to the front
      return make_mul(ca{}, make_mul(typename split_coefficient<A>::term{}, B{}));
    else if constexpr (!is_constant_equal_to<cb, 1>)
      return make_mul(cb{}, make_mul(A{}, typename split_coefficient<B>::term{}));
    else if constexpr (is_div<A>)
      return make_div(make_mul(typename operands_of<A>::first{}, B{}), typename operands_of<A>::second{});
    else if constexpr (is_div<B>)
      return make_div(make_mul(A{}, typename operands_of<B>::first{}), typename operands_of<B>::second{});
    else if constexpr (detail::same_as<typename pa::base, typename pb::base>)  // x^a * x^b -> x^(a+b)
      return make_pow(typename pa::base{}, constant_sum<typename pa::exponent, typename pb::exponent>());
    else if constexpr (before<B, A>())
      return nodes::mul<B, A>{};
    else
      return nodes::mul<A, B>{};
  }
}

template <class A, class B>
consteval auto make_div(A, B) noexcept {
  // Division by the literal 0 is a compile error (it cannot be meant).
  static_assert(!is_constant_equal_to<B, 0>, "ctgrad: division by the literal constant 0");
  if constexpr (is_constant_equal_to<B, 0>)
    return A{};
  else if constexpr (is_constant<A> && is_constant<B>)
    return constant_product<A, decltype(constant_reciprocal<B>())>();
  else if constexpr (is_constant_equal_to<A, 0>)
    return nodes::constant<0>{};
  else if constexpr (is_constant_equal_to<B, 1>)
    return A{};
  else if constexpr (is_constant<B>)
    return make_mul(constant_reciprocal<B>(), A{});
  else if constexpr (detail::same_as<A, B>)
    return nodes::constant<1>{};
  else if constexpr (is_div<A>)  // (x/y)/z -> x/(y*z)
    return make_div(typename operands_of<A>::first{}, make_mul(typename operands_of<A>::second{}, B{}));
  else if constexpr (is_div<B>)  // x/(y/z) -> (x*z)/y
    return make_div(make_mul(A{}, typename operands_of<B>::second{}), typename operands_of<B>::first{});
  else if constexpr (!is_constant_equal_to<typename split_coefficient<B>::coefficient, 1>)  // x/(c*y) -> (1/c)*(x/y)
    return make_mul(constant_reciprocal<typename split_coefficient<B>::coefficient>(),
                    make_div(A{}, typename split_coefficient<B>::term{}));
  else
    return nodes::div<A, B>{};
}

template <class A, class E>
consteval auto make_pow(A, E) noexcept {
  constexpr bool integral_exponent = E::den == 1;
  if constexpr (is_constant_equal_to<E, 0>)
    return nodes::constant<1>{};
  else if constexpr (is_constant_equal_to<E, 1>)
    return A{};
  else if constexpr (is_constant_equal_to<A, 1>)
    return A{};
  else if constexpr (is_constant<A> && integral_exponent)
    return constant_power<A, E::num>();
  else if constexpr (is_pow<A> && integral_exponent)  // (x^a)^n -> x^(a*n); only for integer n
    return make_pow(typename split_power<A>::base{}, constant_product<typename split_power<A>::exponent, E>());
  else if constexpr (is_mul<A> && integral_exponent && is_constant<typename split_coefficient<A>::coefficient> &&
                     !is_constant_equal_to<typename split_coefficient<A>::coefficient, 1>)  // (c*x)^n -> c^n * x^n
    return make_mul(constant_power<typename split_coefficient<A>::coefficient, E::num>(),
                    make_pow(typename split_coefficient<A>::term{}, E{}));
  else
    return nodes::pow<A, E>{};
}

template <class T>
concept RuntimeNumber = std::is_arithmetic_v<T>;

}  // namespace detail

template <Expression A, Expression B>
constexpr auto operator+(A a, B b) noexcept {
  return detail::make_add(a, b);
}
template <Expression A, Expression B>
constexpr auto operator-(A a, B b) noexcept {
  return detail::make_add(a, detail::make_neg(b));
}
template <Expression A, Expression B>
constexpr auto operator*(A a, B b) noexcept {
  return detail::make_mul(a, b);
}
template <Expression A, Expression B>
constexpr auto operator/(A a, B b) noexcept {
  return detail::make_div(a, b);
}
template <Expression A>
constexpr auto operator-(A a) noexcept {
  return detail::make_neg(a);
}
template <Expression A>
constexpr auto operator+(A a) noexcept {
  return a;
}

/// Two expressions are equal when they are the same type: the same maths in
/// canonical form.  `static_assert(d(x*x, x) == 2_c*x);`
template <Expression A, Expression B>
constexpr bool operator==(A, B) noexcept {
  return detail::same_as<A, B>;
}

/// A^E for a literal exponent: `pow(x, 2_c)`, `pow(x, c<1, 2>)`.
template <Expression A, std::intmax_t N, std::intmax_t D>
constexpr auto pow(A a, nodes::constant<N, D> e) noexcept {
  return detail::make_pow(a, e);
}

template <Expression A, class E>
constexpr auto pow(A a, E) noexcept {
  static_assert(detail::always_false<E>,
                "ctgrad::pow(x, e): the exponent must be a literal constant such as 2_c or ctgrad::c<1, 2>; "
                "for a variable exponent write exp(e*log(x))");
  return a;
}

// A runtime number has no place in an expression type.  The compiler points
// here when one is mixed in: write a literal (2_c, c<1, 2>) or bind a variable.
#define CTGRAD_DETAIL_REJECT_RUNTIME_NUMBER(OP)                                                         \
  template <Expression A, detail::RuntimeNumber T>                                                      \
  constexpr auto operator OP(A a, T) noexcept {                                                         \
    static_assert(detail::always_false<T>,                                                              \
                  "ctgrad: a runtime number cannot be part of an expression; write a literal constant " \
                  "(2_c, ctgrad::c<1, 2>) or a variable bound at evaluation (x = 2.0)");                \
    return a;                                                                                           \
  }                                                                                                     \
  template <Expression A, detail::RuntimeNumber T>                                                      \
  constexpr auto operator OP(T t, A a) noexcept {                                                       \
    return a OP t;                                                                                      \
  }
CTGRAD_DETAIL_REJECT_RUNTIME_NUMBER(+)
CTGRAD_DETAIL_REJECT_RUNTIME_NUMBER(-)
CTGRAD_DETAIL_REJECT_RUNTIME_NUMBER(*)
CTGRAD_DETAIL_REJECT_RUNTIME_NUMBER(/)
#undef CTGRAD_DETAIL_REJECT_RUNTIME_NUMBER

}  // namespace ctgrad
