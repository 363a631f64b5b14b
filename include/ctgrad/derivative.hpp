// ctgrad/derivative.hpp — `d(e, x)`: the symbolic derivative, by reverse
// accumulation over the DAG of e, done by the compiler.
//
// The adjoint of the root is 1.  The adjoint of any other node is the sum,
// over the nodes that use it, of (user's adjoint) * (local partial of the
// user with respect to it).  Adjoints are expressions, built with the same
// canonicalising constructors as user code, so an adjoint shared by several
// parameters (dE/dnet_h1 for w1 and w2) is one type: one value in a kernel.
// Only ancestors of the requested variable are ever instantiated.
#pragma once

#include <cstddef>
#include <utility>

#include "arithmetic.hpp"
#include "detail/graph.hpp"
#include "functions.hpp"

namespace ctgrad {
namespace detail {

/// d(node)/d(operand k): the local partial, an expression ("one derivative
/// rule per operation"; elementwise functions carry theirs in fn::).
template <class Node, std::size_t K>
struct local_partial;

template <class A, class B, std::size_t K>
struct local_partial<nodes::add<A, B>, K> {
  static constexpr auto value = nodes::constant<1>{};
};
template <class A, class B>
struct local_partial<nodes::mul<A, B>, 0> {
  static constexpr auto value = B{};
};
template <class A, class B>
struct local_partial<nodes::mul<A, B>, 1> {
  static constexpr auto value = A{};
};
template <class A, class B>
struct local_partial<nodes::div<A, B>, 0> {  // d(a/b)/da = 1/b
  static constexpr auto value = nodes::constant<1>{} / B{};
};
template <class A, class B>
struct local_partial<nodes::div<A, B>, 1> {  // d(a/b)/db = -a/b^2
  static constexpr auto value = -(A{} / pow(B{}, nodes::constant<2>{}));
};
template <class A, class E>
struct local_partial<nodes::pow<A, E>, 0> {  // d(a^e)/da = e*a^(e-1)
  static constexpr auto value = E{} * pow(A{}, make_add(E{}, nodes::constant<-1>{}));
};
template <class F, class A>
struct local_partial<nodes::unary<F, A>, 0> {
  static constexpr auto value = F::derivative(A{}, nodes::unary<F, A>{});
};

template <class G, std::size_t I>
consteval auto adjoint() noexcept;

template <class G, std::size_t Edge>
consteval auto contribution() noexcept {
  constexpr std::size_t user = Edge / 2;
  return make_mul(adjoint<G, user>(), local_partial<typename G::template node<user>, Edge % 2>::value);
}

template <class T>
consteval auto add_all(T t) noexcept {
  return t;
}
template <class T, class U, class... Rest>
consteval auto add_all(T t, U u, Rest... rest) noexcept {
  return add_all(make_add(t, u), rest...);
}

template <class G, std::size_t I>
consteval auto adjoint() noexcept {
  if constexpr (I + 1 == G::size) {  // the root is last in topological order
    return nodes::constant<1>{};
  } else {
    using tables = graph_tables<G>;
    constexpr std::size_t first = tables::user_offsets[I];
    constexpr std::size_t count = tables::user_offsets[I + 1] - first;
    if constexpr (count == 0)
      return nodes::constant<0>{};
    else
      return []<std::size_t... Js>(std::index_sequence<Js...>) {
        return add_all(contribution<G, tables::user_edges[first + Js]>()...);
      }
    (std::make_index_sequence<count>{});
  }
}

template <class E, class X>
consteval auto derivative(E, X) noexcept {
  using G = graph_of<E>;
  if constexpr (!graph_contains<G, X>)
    return nodes::constant<0>{};
  else
    return adjoint<G, slot_t<G, X>::value>();
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
