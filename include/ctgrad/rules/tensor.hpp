// ctgrad/rules/tensor.hpp — the tensor level's derivative rules, its vocabulary for
// the graph engine, and grad(loss, p).
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
//   slice<A, B, C>     dA   += embed(G) at columns [B, B + C)
//   embed<A, B, N>     dA   += slice(G), columns [B, B + A's)
//   convolutions, padding and pooling: rules/window.hpp
// Adjoints are tensor expressions built by the same constructors as user
// code, so they are inspectable types that share forward nodes.
#pragma once

#include <array>

#include "../expr/conv.hpp"
#include "../expr/slice.hpp"
#include "../expr/tensor_ops.hpp"
#include "../graph/adjoint.hpp"
#include "window.hpp"

namespace ctgrad::detail {

// ---------------------------------------------------------------------------
// Vector-Jacobian products: what operand K of Node receives, given the
// node's adjoint G (declared in window.hpp).  Built with the type-level
// constructors (ew_t, transpose_t, elementwise_t, ...), never by calling
// the user-level functions: a function instantiated per node is a symbol
// named after it (graph/dag.hpp).  (A product's operands are matrices, so
// its adjoint products are plain product nodes.)

template <class F, class S, class... A, std::size_t K, class G>
struct vjp<tnodes::ew<F, S, A...>, K, G> {
  // dF/d_K, with the forward value F written as the placeholder _n (n the
  // operand count).
  using partial = replace_t<decltype(derivative(F{}, ph<K>{})), F, ph<sizeof...(A)>>;
  using type = ew_t<decltype(make_mul(ph<sizeof...(A) + 1>{}, partial{})), S, A..., tnodes::ew<F, S, A...>, G>;
};
template <class A, class S, class G>
struct vjp<tnodes::broadcast<A, S>, 0, G> : std::type_identity<reduce_to_t<shape_of<A>, G>> {};
template <class A, class S, class G>
struct vjp<tnodes::reduce_sum<A, S>, 0, G> : std::type_identity<broadcast_to_t<shape_of<A>, G>> {};
template <class A, class B, class G>
struct vjp<tnodes::matmul<A, B>, 0, G> : std::type_identity<tnodes::matmul<G, transpose_t<B>>> {};
template <class A, class B, class G>
struct vjp<tnodes::matmul<A, B>, 1, G> : std::type_identity<tnodes::matmul<transpose_t<A>, G>> {};
template <class A, class G>
struct vjp<tnodes::transpose<A>, 0, G> : std::type_identity<transpose_t<G>> {};
template <class A, class S, class G>
struct vjp<tnodes::reshape<A, S>, 0, G> : std::type_identity<reshape_t<G, shape_of<A>>> {};
template <class A, class G>
struct vjp<tnodes::logsumexp<A>, 0, G>
    : std::type_identity<elementwise_t<decltype(ph<0>{} * ph<1>{}), softmax_t<A>, broadcast_to_t<shape_of<A>, G>>> {};

template <class A, std::size_t Begin, std::size_t Count, class G>
struct vjp<tnodes::slice<A, Begin, Count>, 0, G> : std::type_identity<embed_t<G, Begin, shape_of<A>::dims.back()>> {};
template <class A, std::size_t Begin, std::size_t N, class G>
struct vjp<tnodes::embed<A, Begin, N>, 0, G> : std::type_identity<slice_t<G, Begin, shape_of<A>::dims.back()>> {};

// ---------------------------------------------------------------------------
// The tensor level's vocabulary for the graph engine (graph/walk.hpp).

template <class A, class B>
using tensor_add_t = ew_t<decltype(ph<0>{} + ph<1>{}), shape_of<A>, A, B>;

struct tensor_rules {
  template <class T>
  using operands = tensor_operands_t<T>;
  template <class T>
  using is_node = std::true_type;
  template <class T>
  using is_leaf = is_leaf_s<T>;
  template <class T>
  using hash = tensor_hash<T>;
  template <class Root>
  using seed = tnodes::fill<nodes::constant<1>, shape_of<Root>>;
  template <class T>
  using zero = zeros_t<shape_of<T>>;
  template <class Node, std::size_t K, class Adjoint>
  using vjp = typename detail::vjp<Node, K, Adjoint>::type;
  template <class A, class B>
  using add = tensor_add_t<A, B>;
};

/// The graph of the distinct nodes of tensor expressions.
template <class... Roots>
using tensor_graph = graph::dag_of<tensor_rules, Roots...>;

/// d loss / d X, X a node of the loss.
template <class Loss, class X>
using tensor_adjoint_t = graph::adjoint_of<tensor_graph<Loss>, X>;

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
  if constexpr (shape_of<L>::rank != 0) {
    (void)error::not_a_scalar_loss<L>{};
    return detail::shape_error_result{};
  } else if constexpr (!graph::contains<detail::tensor_graph<L>, P>) {
    if constexpr (detail::is_tensor_leaf<P>)
      (void)error::not_in_the_loss<decltype(detail::spelled_tensor<P::name>())>{};
    else
      (void)error::not_in_the_loss<P>{};
    return detail::shape_error_result{};
  } else {
    return detail::tensor_adjoint_t<L, P>{};
  }
}

}  // namespace ctgrad
