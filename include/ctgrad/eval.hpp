// ctgrad/eval.hpp — `eval(e, x = 1.0, ...)`: the value of an expression.
#pragma once

#include "detail/kernel.hpp"

namespace ctgrad {

/// The value of e with every variable bound: `eval(x*y, x = 2.0, y = 3.0)`.
/// The scalar type is the common type of the bound values, or Scalar when
/// given: `eval<float>(e, x = 1)`.  Each distinct subexpression is computed
/// once.  constexpr, noexcept, no allocation.  Non-finite inputs and domain
/// errors (log of a negative) follow IEEE: NaN or infinity propagates.
template <class Scalar = void, Expression E, class... Bs>
constexpr auto eval(E, Bs... bindings) noexcept {
  using scalar = detail::scalar_of_t<Scalar, Bs...>;
  using graph = detail::graph_of<E>;
  if constexpr (!detail::check_bindings<graph, Bs...>()) {
    return scalar{};
  } else {
    const detail::binding_set<Bs...> set{bindings...};
    return detail::value_of<graph, E>(detail::run<graph, scalar>(set));
  }
}

}  // namespace ctgrad
