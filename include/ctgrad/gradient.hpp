// ctgrad/gradient.hpp — `gradient(e, x, y, ...)`: a compiled kernel that
// returns the value of e and every requested partial in one straight-line
// pass.
//
// The kernel evaluates the DAG of {e, d(e, x), d(e, y), ...}.  The
// derivatives come from reverse accumulation (derivative.hpp) and refer to
// e's own nodes, so the pass is exactly forward + backward propagation:
// each forward value is computed once and reused by the backward part, and
// each shared adjoint is computed once for all the partials that need it.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "derivative.hpp"
#include "compile/scalar_kernel.hpp"

namespace ctgrad {

/// What a gradient kernel returns: the value and one partial per variable,
/// in the order the variables were given; `result[w1]` reads one by name.
template <class Scalar, class... Vars>
struct gradient_result {
  Scalar value;
  std::array<Scalar, sizeof...(Vars)> partials;

  template <fixed_string Name>
  constexpr Scalar operator[](var<Name>) const noexcept {
    constexpr std::size_t i = [] {
      constexpr std::array<std::string_view, sizeof...(Vars)> names{Vars::name.view()...};
      std::size_t k = 0;
      while (k != names.size() && names[k] != Name.view()) ++k;
      return k;
    }();
    static_assert(i < sizeof...(Vars),
                  "ctgrad::gradient_result[x]: x is not one of the variables the kernel differentiates by; "
                  "list it in gradient(e, ..., x)");
    if constexpr (i < sizeof...(Vars))
      return partials[i];
    else
      return Scalar{};
  }
};

/// The kernel made by `gradient(e, xs...)`.  An empty object: call it with
/// bindings for every variable of e.
template <Expression E, class... Vars>
struct gradient_kernel {
  /// The distinct non-constant nodes the kernel evaluates, forward and
  /// backward together, and the bytes of its one workspace.
  using roots = detail::mp::mp_list<E, decltype(detail::derivative(E{}, Vars{}))...>;
  using graph = detail::mp::mp_apply<detail::scalar_graph, roots>;
  static constexpr std::size_t node_count = graph::size;
  template <class Scalar>
  static constexpr std::size_t workspace_bytes = node_count * sizeof(Scalar);

  /// Whether the kernel's pass evaluates subexpression t (once: shared).
  template <Expression T>
  static constexpr bool contains(T) noexcept {
    return ctgrad::graph::contains<graph, T>;
  }

  /// The derivative the kernel computes for x, as an expression (== d(e, x)).
  template <fixed_string Name>
  static constexpr auto derivative(var<Name> x) noexcept {
    return d(E{}, x);
  }

  /// Value and partials with every variable of e bound exactly once.
  template <class Scalar = void, class... Bs>
  CTGRAD_DETAIL_ALWAYS_INLINE constexpr auto operator()(Bs... bindings) const noexcept {
    static_assert(detail::all_of<is_binding_v<Bs>...>,
                  "ctgrad::gradient kernel: pass values as bindings, e.g. kernel(x = 1.0, y = 2.0)");
    if constexpr (detail::all_of<is_binding_v<Bs>...>)
      return run<Scalar, false>(bindings...);
    else
      return gradient_result<double, Vars...>{};
  }

  /// Value and partials at a point that may bind more variables than e uses.
  template <class Scalar = void, class... Bs>
  CTGRAD_DETAIL_ALWAYS_INLINE constexpr auto operator()(const point<Bs...>& at) const noexcept {
    return run<Scalar, true>(static_cast<const Bs&>(at)...);
  }

 private:
  template <class Result, class Scalar, std::size_t N, std::size_t... J>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr Result collect(const std::array<Scalar, N>& v,
                                                              std::index_sequence<J...>) noexcept {
    return Result{detail::root_value<gradient_kernel, 0>(v), {detail::root_value<gradient_kernel, 1 + J>(v)...}};
  }

  template <class Scalar, bool AllowUnused, class... Bs>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr auto run(const Bs&... bindings) noexcept {
    using scalar = detail::scalar_of_t<Scalar, Bs...>;
    using result = gradient_result<scalar, Vars...>;
    if constexpr (!detail::find_binding_problems<graph, AllowUnused, Bs...>().ok()) {
      detail::report_binding_problem<graph, AllowUnused, Bs...>();
      return result{};
    } else {
      const auto v = detail::run<gradient_kernel, scalar>(point<Bs...>(bindings...));
      return collect<result>(v, std::index_sequence_for<Vars...>{});
    }
  }
};

/// A kernel computing e and its partials by xs in one pass:
///   constexpr auto g = gradient(E, w1, w2);
///   auto r = g(w1 = 0.15, w2 = 0.2, ...);   // r.value, r[w1], r[w2]
template <Expression E, class... Xs>
constexpr auto gradient(E, Xs...) noexcept {
  static_assert(detail::all_of<detail::is_var<Xs>...>,
                "ctgrad::gradient(e, x, ...): differentiate with respect to variables (ctgrad::var<\"name\">)");
  if constexpr (detail::all_of<detail::is_var<Xs>...>)
    return gradient_kernel<E, Xs...>{};
  else
    return gradient_kernel<E>{};
}

}  // namespace ctgrad
