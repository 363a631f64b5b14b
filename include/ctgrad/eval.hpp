// ctgrad/eval.hpp — `eval(e, x = 1.0, ...)`: the value of an expression.
#pragma once

#include "compile/scalar_kernel.hpp"

namespace ctgrad {
namespace detail {

template <class Scalar, bool AllowUnused, class E, class... Bs>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr auto eval_at(const Bs&... bindings) noexcept {
  using scalar = scalar_of_t<Scalar, Bs...>;
  using key = eval_key<E>;
  if constexpr (!find_binding_problems<typename key::graph, AllowUnused, Bs...>().ok()) {
    report_binding_problem<typename key::graph, AllowUnused, Bs...>();
    return scalar{};
  } else {
    return root_value<key, 0>(run<key, scalar>(point<Bs...>(bindings...)));
  }
}

}  // namespace detail

/// The value of e with every variable bound: `eval(x*y, x = 2.0, y = 3.0)`.
/// Each variable of e needs exactly one binding, and each binding must name
/// a variable of e (pass a `point` to allow unused ones).  The scalar type
/// is the common type of the bound values, or Scalar when given:
/// `eval<float>(e, x = 1)`.  Each distinct subexpression is computed once.
/// constexpr, noexcept, no allocation.  Non-finite inputs and domain errors
/// (log of a negative) follow IEEE: NaN or infinity propagates.
template <class Scalar = void, Expression E, class... Bs>
constexpr auto eval(E, Bs... bindings) noexcept {
  static_assert(detail::all_of<is_binding_v<Bs>...>,
                "ctgrad::eval(e, ...): pass values as bindings, e.g. eval(e, x = 1.0, y = 2.0)");
  if constexpr (detail::all_of<is_binding_v<Bs>...>)
    return detail::eval_at<Scalar, false, E>(bindings...);
  else
    return 0.0;
}

/// The value of e at a point that may bind more variables than e uses:
/// `eval(d(e, x), point(x = 1.0, y = 2.0))`.
template <class Scalar = void, Expression E, class... Bs>
constexpr auto eval(E, const point<Bs...>& at) noexcept {
  return detail::eval_at<Scalar, true, E>(static_cast<const Bs&>(at)...);
}

}  // namespace ctgrad
