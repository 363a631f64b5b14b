// ctgrad/tensor/adjoint.hpp — reverse accumulation over a tensor DAG.
//
// The adjoint of the (scalar) root is 1; the adjoint of any other node is
// the sum over its users of the user's vector-Jacobian product:
//   ew<F, A_k...>      dA_k += G * dF/d_k    (dF/d_k derived by the scalar
//                                            level, written through the
//                                            forward node where it occurs)
//   broadcast<A, S>    dA   += reduce_sum(G) to A's shape
//   reduce_sum<A, S>   dA   += broadcast(G) to A's shape
//   matmul<A, B>       dA   += G * B^T,   dB += A^T * G
//   transpose<A>       dA   += G^T
//   reshape<A, S>      dA   += reshape(G) to A's shape
//   logsumexp<A>       dA   += broadcast(G) * softmax(A)
//   conv, conv_kernel_grad, conv_input_grad: the partial derivatives of
//                      one trilinear sum T(x, w, y) by each argument, so
//                      each one's VJPs are the other two (conv.hpp)
//   pad <-> crop, max_select <-> max_route, avg_pool <-> avg_unpool:
//                      each the other's adjoint (the arg-max of a window
//                      is piecewise constant: nothing flows into it)
// Adjoints are tensor expressions built by the same constructors as user
// code, so they are inspectable types that share forward nodes.
#pragma once

#include <array>

#include "conv.hpp"
#include "ops.hpp"

namespace ctgrad::detail {

// ---------------------------------------------------------------------------
// Distinct nodes in topological order (operands first), by depth-first
// post-order.  Tensor graphs have tens of nodes, so a list is enough.

template <class Seen, class T>
struct tensor_visit;
template <class Seen, class T>
using tensor_visit_t = typename tensor_visit<Seen, T>::type;

template <class Seen, class T>
struct tensor_visit {
  using type = mp::mp_push_back<mp::mp_fold<tensor_operands_t<T>, Seen, tensor_visit_t>, T>;
};
template <class Seen, class T>
requires mp::mp_contains<Seen, T>::value struct tensor_visit<Seen, T> {
  using type = Seen;
};

template <class... Roots>
using tensor_topo_t = mp::mp_fold<mp::mp_list<Roots...>, mp::mp_list<>, tensor_visit_t>;

// ---------------------------------------------------------------------------
// Vector-Jacobian products: what operand K of Node receives, given the
// node's adjoint G.

template <class Node, std::size_t K, class G>
struct vjp;

template <class F, class S, class... A, std::size_t K, class G>
struct vjp<tnodes::ew<F, S, A...>, K, G> {
  static constexpr std::size_t n = sizeof...(A);
  // dF/d_K, with the forward value F written as the placeholder _n.
  using partial = replace_t<decltype(derivative(F{}, ph<K>{})), F, ph<n>>;
  using type = ew_t<decltype(make_mul(ph<n + 1>{}, partial{})), S, A..., tnodes::ew<F, S, A...>, G>;
};
template <class A, class S, class G>
struct vjp<tnodes::broadcast<A, S>, 0, G> : std::type_identity<reduce_to_t<shape_of<A>, G>> {};
template <class A, class S, class G>
struct vjp<tnodes::reduce_sum<A, S>, 0, G> : std::type_identity<broadcast_to_t<shape_of<A>, G>> {};
template <class A, class B, class G>
struct vjp<tnodes::matmul<A, B>, 0, G> : std::type_identity<decltype(matmul(G{}, transpose(B{})))> {};
template <class A, class B, class G>
struct vjp<tnodes::matmul<A, B>, 1, G> : std::type_identity<decltype(matmul(transpose(A{}), G{}))> {};
template <class A, class G>
struct vjp<tnodes::transpose<A>, 0, G> : std::type_identity<transpose_t<G>> {};
template <class A, class S, class G>
struct vjp<tnodes::reshape<A, S>, 0, G> : std::type_identity<reshape_t<G, shape_of<A>>> {};
template <class A, class G>
struct vjp<tnodes::logsumexp<A>, 0, G> : std::type_identity<decltype(softmax(A{}) * broadcast_to_t<shape_of<A>, G>{})> {
};

template <class X, class W, class Geo, class G>
struct vjp<tnodes::conv<X, W, Geo>, 0, G> : std::type_identity<tnodes::conv_input_grad<G, W, shape_of<X>, Geo>> {};
template <class X, class W, class Geo, class G>
struct vjp<tnodes::conv<X, W, Geo>, 1, G> : std::type_identity<tnodes::conv_kernel_grad<X, G, shape_of<W>, Geo>> {};
template <class X, class Y, class S, class Geo, class G>
struct vjp<tnodes::conv_kernel_grad<X, Y, S, Geo>, 0, G>
    : std::type_identity<tnodes::conv_input_grad<Y, G, shape_of<X>, Geo>> {};
template <class X, class Y, class S, class Geo, class G>
struct vjp<tnodes::conv_kernel_grad<X, Y, S, Geo>, 1, G> : std::type_identity<tnodes::conv<X, G, Geo>> {};
template <class Y, class W, class S, class Geo, class G>
struct vjp<tnodes::conv_input_grad<Y, W, S, Geo>, 0, G> : std::type_identity<tnodes::conv<G, W, Geo>> {};
template <class Y, class W, class S, class Geo, class G>
struct vjp<tnodes::conv_input_grad<Y, W, S, Geo>, 1, G>
    : std::type_identity<tnodes::conv_kernel_grad<G, Y, shape_of<W>, Geo>> {};
template <class X, std::size_t PH, std::size_t PW, class G>
struct vjp<tnodes::pad<X, PH, PW>, 0, G> : std::type_identity<crop_t<G, PH, PW>> {};
template <class X, std::size_t PH, std::size_t PW, class G>
struct vjp<tnodes::crop<X, PH, PW>, 0, G> : std::type_identity<pad_t<G, PH, PW>> {};
template <class X, class V, class P, class G>
struct vjp<tnodes::max_select<X, V, P>, 0, G> : std::type_identity<zeros_t<shape_of<X>>> {};
template <class X, class V, class P, class G>
struct vjp<tnodes::max_select<X, V, P>, 1, G> : std::type_identity<tnodes::max_route<X, G, P>> {};
template <class X, class Y, class P, class G>
struct vjp<tnodes::max_route<X, Y, P>, 0, G> : std::type_identity<zeros_t<shape_of<X>>> {};
template <class X, class Y, class P, class G>
struct vjp<tnodes::max_route<X, Y, P>, 1, G> : std::type_identity<tnodes::max_select<X, G, P>> {};
template <class X, class P, class G>
struct vjp<tnodes::avg_pool<X, P>, 0, G> : std::type_identity<tnodes::avg_unpool<G, shape_of<X>, P>> {};
template <class Y, class S, class P, class G>
struct vjp<tnodes::avg_unpool<Y, S, P>, 0, G> : std::type_identity<tnodes::avg_pool<G, P>> {};

// ---------------------------------------------------------------------------
// The graph as integers: for every node, who uses it and at which operand
// position.  One constexpr table per node list, built by one pack
// expansion; looking at a pair (user, node) never instantiates a type
// (an N^2 set of class templates over these deep types costs seconds).

template <class Nodes, class U>
struct operand_indices {
  template <class... Ops>
  static constexpr std::array<std::size_t, sizeof...(Ops)> of(mp::mp_list<Ops...>) {
    return {mp::mp_find<Nodes, Ops>::value...};
  }
  static constexpr auto value = of(tensor_operands_t<U>{});
};

template <class Nodes>
struct tensor_tables;
template <class... U>
struct tensor_tables<mp::mp_list<U...>> {
  using nodes = mp::mp_list<U...>;
  static constexpr std::size_t n = sizeof...(U);
  /// Operand positions are < 4: an edge is user * 4 + position.
  static constexpr std::size_t edge_count = [] {
    const std::size_t counts[] = {0, operand_indices<nodes, U>::value.size()...};
    std::size_t total = 0;
    for (std::size_t c : counts) total += c;
    return total;
  }();
  struct csr {
    std::array<std::size_t, n + 1> offsets{};         // users of node j: edges[offsets[j] .. offsets[j+1])
    std::array<std::size_t, edge_count + 1> edges{};  // user * 4 + position, users in topological order
  };
  static constexpr csr users = [] {
    csr t{};
    std::size_t counts[n + 1]{};
    const auto each_edge = [](auto f) {
      std::size_t user = 0;
      (
          [&](const auto& operands) {
            for (std::size_t k = 0; k != operands.size(); ++k) f(user, k, operands[k]);
            ++user;
          }(operand_indices<nodes, U>::value),
          ...);
    };
    each_edge([&](std::size_t, std::size_t, std::size_t j) { ++counts[j]; });
    for (std::size_t j = 0; j != n; ++j) t.offsets[j + 1] = t.offsets[j] + counts[j];
    std::size_t fill[n + 1]{};
    each_edge(
        [&](std::size_t user, std::size_t k, std::size_t j) { t.edges[t.offsets[j] + fill[j]++] = user * 4 + k; });
    return t;
  }();
  static constexpr std::size_t user_count(std::size_t j) { return users.offsets[j + 1] - users.offsets[j]; }
};

// ---------------------------------------------------------------------------
// Adjoints, memoised as class templates over (nodes, node index).

template <class Nodes, std::size_t J>
struct adjoint_at;

template <class Nodes, std::size_t Edge>
struct tensor_contribution {
  using user = mp::mp_at_c<Nodes, Edge / 4>;
  using type = typename vjp<user, Edge % 4, typename adjoint_at<Nodes, Edge / 4>::type>::type;
};

template <class A, class B>
using tensor_add_t = ew_t<decltype(ph<0>{} + ph<1>{}), shape_of<A>, A, B>;

template <class Nodes, std::size_t J, class Edges>
struct tensor_adjoint_sum;
template <class Nodes, std::size_t J, std::size_t... E>
struct tensor_adjoint_sum<Nodes, J, std::index_sequence<E...>> {
  using tables = tensor_tables<Nodes>;
  using terms =
      mp::mp_list<typename tensor_contribution<Nodes, tables::users.edges[tables::users.offsets[J] + E]>::type...>;
  using type = mp::mp_fold<mp::mp_pop_front<terms>, mp::mp_front<terms>, tensor_add_t>;
};

template <class Nodes, std::size_t J>
struct adjoint_at : tensor_adjoint_sum<Nodes, J, std::make_index_sequence<tensor_tables<Nodes>::user_count(J)>> {};
/// The root: seeded with 1.
template <class Nodes, std::size_t J>
requires(J + 1 == mp::mp_size<Nodes>::value) struct adjoint_at<Nodes, J>
    : std::type_identity<tnodes::fill<nodes::constant<1>, shape_of<mp::mp_back<Nodes>>>> {
};

template <class Nodes, class X>
struct tensor_adjoint : adjoint_at<Nodes, mp::mp_find<Nodes, X>::value> {};

}  // namespace ctgrad::detail

namespace ctgrad {

namespace error {
template <class Loss>
struct not_a_scalar_loss {
  static_assert(detail::always_false<Loss>,
                "ctgrad::grad(loss, p) / ctgrad::compile(loss, wrt(...)): the loss must be a scalar (shape<>); "
                "reduce it with sum(), mean() or a ctgrad::loss function");
};
template <class Parameter>
struct not_in_the_loss {
  static_assert(detail::always_false<Parameter>,
                "ctgrad::grad(loss, p) / ctgrad::compile(loss, wrt(p, ...)): p does not occur in the loss, so its "
                "gradient is zero; remove it");
};
template <class NotALeaf>
struct differentiate_by_leaf {
  static_assert(detail::always_false<NotALeaf>,
                "ctgrad::compile(loss, wrt(p, ...)): p must be a ctgrad::param or ctgrad::input, not an expression "
                "(grad(loss, e) gives the derivative by any subexpression e)");
};
}  // namespace error

/// The gradient of a scalar loss with respect to a parameter, an input, or
/// any subexpression of the loss (dL/dz of a layer's pre-activation): a
/// tensor expression of that shape, the symbolic derivative.
template <Tensor L, Tensor P>
constexpr auto grad(L, P) noexcept {
  using nodes = detail::tensor_topo_t<L>;
  if constexpr (shape_of<L>::rank != 0) {
    (void)error::not_a_scalar_loss<L>{};
    return detail::shape_error_result{};
  } else if constexpr (!detail::mp::mp_contains<nodes, P>::value) {
    if constexpr (detail::is_tensor_leaf<P>)
      (void)error::not_in_the_loss<decltype(detail::spelled_tensor<P::name>())>{};
    else
      (void)error::not_in_the_loss<P>{};
    return detail::shape_error_result{};
  } else {
    return typename detail::tensor_adjoint<nodes, P>::type{};
  }
}

}  // namespace ctgrad
