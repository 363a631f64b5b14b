// ctgrad/rules/scalar.hpp — the scalar level's derivative rules, and how the
// graph engine sees scalar nodes.
//
// One local partial per operation: d(node)/d(operand k), an expression.
// Elementwise functions carry theirs (fn::F::derivative, functions.hpp:
// sigmoid' = s*(1 - s) written through the forward node s).
#pragma once

#include <cstddef>

#include "../arithmetic.hpp"
#include "../expr/order.hpp"
#include "../functions.hpp"
#include "../graph/adjoint.hpp"

namespace ctgrad::detail {

template <class Node, std::size_t K>
struct local_partial;

template <class A, class B, std::size_t K>
struct local_partial<nodes::add<A, B>, K> {
  using type = nodes::constant<1>;
};
template <class A, class B>
struct local_partial<nodes::mul<A, B>, 0> {
  using type = B;
};
template <class A, class B>
struct local_partial<nodes::mul<A, B>, 1> {
  using type = A;
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

/// The operands of a scalar node (a power's exponent is part of its type,
/// not an operand; literal constants are operands but not nodes).
template <class T>
struct operands {
  using type = mp::mp_list<>;
};
template <class A, class B>
struct operands<nodes::add<A, B>> {
  using type = mp::mp_list<A, B>;
};
template <class A, class B>
struct operands<nodes::mul<A, B>> {
  using type = mp::mp_list<A, B>;
};
template <class A, class B>
struct operands<nodes::div<A, B>> {
  using type = mp::mp_list<A, B>;
};
template <class A, class E>
struct operands<nodes::pow<A, E>> {
  using type = mp::mp_list<A>;
};
template <class F, class A>
struct operands<nodes::unary<F, A>> {
  using type = mp::mp_list<A>;
};
template <class T>
using operands_t = typename operands<T>::type;

/// The scalar level's vocabulary for the graph engine (graph/walk.hpp).
struct scalar_rules {
  template <class T>
  using operands = operands_t<T>;
  template <class T>
  using is_node = std::bool_constant<!is_constant<T>>;
  template <class T>
  using is_leaf = std::bool_constant<is_var<T>>;
  template <class T>
  using hash = structural_hash<T>;
  template <class Root>
  using seed = nodes::constant<1>;
  template <class T>
  using zero = nodes::constant<0>;
  template <class Node, std::size_t K, class Adjoint>
  using vjp = decltype(make_mul(Adjoint{}, typename local_partial<Node, K>::type{}));
  template <class A, class B>
  using add = decltype(make_add(A{}, B{}));
};

/// The graph of the distinct non-constant nodes of scalar expressions.
template <class... Roots>
using scalar_graph = graph::dag_of<scalar_rules, Roots...>;

}  // namespace ctgrad::detail
