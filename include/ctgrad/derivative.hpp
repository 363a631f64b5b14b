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
  using type = decltype(nodes::constant<1>{});
};
template <class A, class B>
struct local_partial<nodes::mul<A, B>, 0> {
  using type = decltype(B{});
};
template <class A, class B>
struct local_partial<nodes::mul<A, B>, 1> {
  using type = decltype(A{});
};
template <class A, class B>
struct local_partial<nodes::div<A, B>, 0> {  // d(a/b)/da = 1/b
  using type = decltype(nodes::constant<1>{} / B{});
};
template <class A, class B>
struct local_partial<nodes::div<A, B>, 1> {  // d(a/b)/db = -a/b^2
  using type = decltype(-(A{} / pow(B{}, nodes::constant<2>{})));
};
template <class A, class E>
struct local_partial<nodes::pow<A, E>, 0> {  // d(a^e)/da = e*a^(e-1)
  using type = decltype(E{} * pow(A{}, make_add(E{}, nodes::constant<-1>{})));
};
template <class F, class A>
struct local_partial<nodes::unary<F, A>, 0> {
  using type = decltype(F::derivative(A{}, nodes::unary<F, A>{}));
};

// Adjoints are class templates: instantiating them creates no symbol (a
// function per adjoint would be named after the whole graph).
template <class G, std::size_t I>
struct adjoint;

/// What node I receives from one of its users: (user's adjoint) * (local partial).
template <class G, std::size_t Edge>
struct contribution {
  static constexpr std::size_t user = Edge / 2;
  using type = decltype(make_mul(typename adjoint<G, user>::type{},
                                 typename local_partial<typename G::template node<user>, Edge % 2>::type{}));
};

template <class Acc, class T>
using add_t = decltype(make_add(Acc{}, T{}));

template <class G, std::size_t I, class Edges>
struct adjoint_sum;
template <class G, std::size_t I, std::size_t... Js>
struct adjoint_sum<G, I, std::index_sequence<Js...>> {
  using tables = graph_tables<G>;
  // Summed in topological order of the users: one fixed order.
  using type =
      mp::mp_fold<mp::mp_list<typename contribution<G, tables::user_edges[tables::user_offsets[I] + Js]>::type...>,
                  nodes::constant<0>, add_t>;
};

template <class G, std::size_t I>
struct adjoint {
  using tables = graph_tables<G>;
  using type = typename mp::mp_if_c<
      I + 1 == G::size,  // the root is last in topological order
      mp::mp_identity<nodes::constant<1>>,
      adjoint_sum<G, I, std::make_index_sequence<tables::user_offsets[I + 1] - tables::user_offsets[I]>>>::type;
};

template <class E, class X>
consteval auto derivative(E, X) noexcept {
  using G = graph_of<E>;
  if constexpr (!graph_contains<G, X>)
    return nodes::constant<0>{};
  else
    return typename adjoint<G, slot_t<G, X>::value>::type{};
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
