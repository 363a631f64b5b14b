// ctgrad/derivative.hpp — `d(e, x)`: the symbolic derivative, by reverse
// accumulation over the DAG of e, done by the compiler.
//
// The graph engine (graph/) accumulates adjoints by the scalar rules
// (rules/scalar.hpp): the adjoint of a node is the sum, over its users, of
// (user's adjoint) * (local partial of the user with respect to it).  An
// adjoint shared by several parameters (dE/dnet_h1 for w1 and w2) is one
// type: one value in a kernel.
#pragma once

#include <cstddef>
#include <utility>

#include "rules/scalar.hpp"

namespace ctgrad {
namespace detail {

template <class E, class X>
consteval auto derivative(E, X) noexcept {
  using G = scalar_graph<E>;
  if constexpr (!graph::contains<G, X>)
    return nodes::constant<0>{};
  else
    return graph::adjoint_of<G, X>{};
}

}  // namespace detail

/// The derivative of e with respect to the variable x, as an expression:
/// `d(x*x, x) == 2_c*x`, `d(sigmoid(x), x) == sigmoid(x)*(1_c - sigmoid(x))`.
/// Higher orders compose: `d(d(e, x), y)`.
template <Expression E, fixed_string Name>
constexpr auto d(E e, var<Name> x) noexcept {
  return detail::derivative(e, x);
}

template <class E, class X>
constexpr auto d(E e, X) noexcept {
  static_assert(Expression<E>, "ctgrad::d(e, x): e must be a ctgrad expression");
  static_assert(detail::is_var<X>,
                "ctgrad::d(e, x): x must be a variable (ctgrad::var<\"name\">); "
                "to differentiate by a subexpression, give it a name as a variable");
  return e;
}

}  // namespace ctgrad
