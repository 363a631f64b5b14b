// ctgrad/listing.hpp — the straight-line program a gradient kernel runs,
// one line per distinct node, as text:
//
//   t0 = x
//   t1 = y
//   t2 = t0*t1
//   t3 = sin(t0)
//   ...
//   value = t4
//   d/dx = t7
//
// constexpr, like to_string: compare it in a static_assert, or print it to
// see exactly what is computed and what is shared.
#pragma once

#include <cstddef>
#include <utility>

#include "gradient.hpp"
#include "to_string.hpp"

namespace ctgrad {
namespace detail {

template <class Ref, class Sink>
constexpr void put_ref(Sink& sink) noexcept {
  if constexpr (is_constant<Ref>) {
    print<text_style<>, Ref>(sink, 5);  // negative or fractional literals in parentheses
  } else {
    sink.put("t");
    put_integer(sink, static_cast<std::intmax_t>(slot_of<Ref>));
  }
}

template <class G, std::size_t I, class Sink>
constexpr int list_node(Sink& sink) noexcept {
  using node = typename G::template node<I>;
  sink.put("t");
  put_integer(sink, static_cast<std::intmax_t>(I));
  sink.put(" = ");
  if constexpr (is_var<node>) {
    sink.put(node::name.view());
  } else {
    using operation = typename op_of<node>::type;
    using a = typename table_ref<G, I, 0>::type;
    using b = typename table_ref<G, I, 1>::type;
    if constexpr (is_unary_op<operation>) {
      sink.put(unary_function_of<operation>::name);
      sink.put("(");
      put_ref<a>(sink);
      sink.put(")");
    } else if constexpr (same_as<operation, op::add> || same_as<operation, op::mul> || same_as<operation, op::div>) {
      put_ref<a>(sink);
      sink.put(same_as<operation, op::add> ? " + " : same_as<operation, op::mul> ? "*" : "/");
      put_ref<b>(sink);
    } else {  // op::pow<N, D>
      put_ref<a>(sink);
      sink.put("^");
      print<text_style<>, nodes::constant<pow_exponent<operation>::num, pow_exponent<operation>::den>>(sink, 5);
    }
  }
  sink.put("\n");
  return 0;
}

template <class G, class Root, class Sink>
constexpr int list_root(Sink& sink, std::string_view name) noexcept {
  sink.put(name);
  sink.put(" = ");
  put_ref<operand_ref_t<G, Root>>(sink);
  sink.put("\n");
  return 0;
}

template <class E, class... Vars, class Sink, std::size_t... I>
constexpr void list_kernel(Sink& sink, std::index_sequence<I...>) noexcept {
  using G = typename gradient_kernel<E, Vars...>::graph;
  // Braced lists, not folds: no nesting limit.
  [[maybe_unused]] const int nodes[] = {0, list_node<G, I>(sink)...};
  list_root<G, E>(sink, "value");
  [[maybe_unused]] const int roots[] = {
      0, (sink.put("d/d"), list_root<G, decltype(detail::derivative(E{}, Vars{}))>(sink, Vars::name.view()))...};
}

}  // namespace detail

/// The program a gradient kernel runs, one line per distinct node.
template <Expression E, class... Vars>
constexpr auto listing(gradient_kernel<E, Vars...>) noexcept {
  using seq = std::make_index_sequence<gradient_kernel<E, Vars...>::node_count>;
  constexpr std::size_t n = [] {
    detail::length_sink s;
    detail::list_kernel<E, Vars...>(s, seq{});
    return s.size;
  }();
  detail::buffer_sink<n> b;
  detail::list_kernel<E, Vars...>(b, seq{});
  return b.out;
}

}  // namespace ctgrad
