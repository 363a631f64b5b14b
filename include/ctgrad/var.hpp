// ctgrad/var.hpp — named variables and the bindings that give them values.
#pragma once

#include <concepts>
#include <type_traits>

#include "expression.hpp"

namespace ctgrad {

/// `x = 1.5` makes one of these: a value for the variable named Name.
template <fixed_string Name, std::floating_point T>
struct binding {
  static constexpr auto name = Name;
  T value;
};

template <class T>
inline constexpr bool is_binding_v = false;
template <fixed_string N, class T>
inline constexpr bool is_binding_v<binding<N, T>> = true;

/// Values for several variables at once: a point of the space the
/// expressions live in.  Unlike separate bindings, a point may hold values
/// for variables an expression does not use, which is what evaluating
/// derivatives needs (`d(x + y, x)` is 1: no x left in it):
///   const auto p = ctgrad::point(x = 1.0, y = 2.0);
///   eval(e, p); eval(d(e, x), p);
template <class... Bindings>
struct point : Bindings... {
  static_assert(detail::all_of<is_binding_v<Bindings>...>,
                "ctgrad::point(...): pass bindings, e.g. point(x = 1.0, y = 2.0)");
  constexpr explicit point(Bindings... bindings) noexcept : Bindings(bindings)... {}
};
template <class... Bindings>
point(Bindings...) -> point<Bindings...>;

/// A named scalar variable: `constexpr ctgrad::var<"x"> x;`.
template <fixed_string Name>
struct var : expression_base {
  static constexpr auto name = Name;

  /// Bind a value: `eval(e, x = 1.5)`.  Floating-point values keep their
  /// type (float, double, long double); integers become double.
  template <class T>
  requires std::is_arithmetic_v<T> &&(!detail::same_as<T, bool>)constexpr auto operator=(T value) const noexcept {
    using scalar = std::conditional_t<std::is_floating_point_v<T>, T, double>;
    return binding<Name, scalar>{static_cast<scalar>(value)};
  }
};

}  // namespace ctgrad
