// ctgrad/rules/window.hpp — the vector-Jacobian products of convolution,
// padding and pooling nodes (expr/conv.hpp), closed over that set:
//   conv, conv_kernel_grad, conv_input_grad: the partial derivatives of
//                      one trilinear sum T(x, w, y) by each argument, so
//                      each one's VJPs are the other two
//   pad <-> crop, max_select <-> max_route, avg_pool <-> avg_unpool:
//                      each the other's adjoint (the arg-max of a window
//                      is piecewise constant: nothing flows into it)
// so derivatives of any order stay inside the set.
#pragma once

#include <cstddef>
#include <type_traits>

#include "../expr/conv.hpp"

namespace ctgrad::detail {

/// What operand K of Node receives, given the node's adjoint G (one
/// specialisation per node kind and operand: here and in rules/tensor.hpp).
template <class Node, std::size_t K, class G>
struct vjp;

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

}  // namespace ctgrad::detail
