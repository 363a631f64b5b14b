// ctgrad/hana.hpp — expressions as Boost.Hana compile-time values, and
// kernel results keyed by variable.  Opt-in (Hana's headers cost compile
// time): not included by <ctgrad/ctgrad.hpp>.
//
//   constexpr auto ds = ctgrad::derivatives(kernel);   // hana::map: variable -> d(e, variable)
//   static_assert(ds[x] == ctgrad::d(e, x));
//   hana::for_each(ds, [](auto p) { ... to_string(hana::second(p)) ... });
//   auto values = ctgrad::partials(kernel(x = 1.0, y = 2.0));  // hana::map: variable -> value
//   double dx = values[x];
#pragma once

#include <type_traits>

#include <boost/hana/at_key.hpp>
#include <boost/hana/bool.hpp>
#include <boost/hana/equal.hpp>
#include <boost/hana/hash.hpp>
#include <boost/hana/map.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/type.hpp>

#include "gradient.hpp"

namespace boost::hana {

// Two expressions are equal when they are the same type (a compile-time
// answer), and an expression hashes as its type: so expressions can be keys
// of a hana::map and members of a hana::set.
template <>
struct hash_impl<ctgrad::expression_hana_tag> {
  template <class X>
  static constexpr auto apply(const X&) noexcept {
    return hana::type_c<X>;
  }
};

template <>
struct equal_impl<ctgrad::expression_hana_tag, ctgrad::expression_hana_tag> {
  template <class X, class Y>
  static constexpr auto apply(const X&, const Y&) noexcept {
    return hana::bool_c<std::is_same<X, Y>::value>;
  }
};

}  // namespace boost::hana

namespace ctgrad {

/// The derivatives a kernel computes, as a hana::map from each variable to
/// d(e, variable).
template <Expression E, class... Vars>
constexpr auto derivatives(gradient_kernel<E, Vars...>) noexcept {
  return boost::hana::make_map(boost::hana::make_pair(Vars{}, d(E{}, Vars{}))...);
}

/// A kernel's partials as a hana::map from each variable to its value.
template <class Scalar, class... Vars>
constexpr auto partials(const gradient_result<Scalar, Vars...>& result) noexcept {
  return boost::hana::make_map(boost::hana::make_pair(Vars{}, result[Vars{}])...);
}

}  // namespace ctgrad
