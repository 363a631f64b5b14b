// ctgrad/expr/scan.hpp — a recurrence over the time axis as one node, whose
// body is one step written as an ordinary expression:
//
//   constexpr auto hs = scan(x, zeros<shape<B, H>>, [](auto x_t, auto h) {
//     return cell::gru(x_t, h, W_ih, W_hh, b_ih, b_hh);
//   });                                                   // [B, T, H]
//
// x is [B, T, I] (batch first), h0 [B, H]; the step function is called
// once, at compile time, on two placeholder leaves, x[t] [B, I] and
// h[t-1] [B, H], and returns h[t] [B, H]: that expression is the body.
// The result stacks h[1..T] along the time axis.
//
// Nodes (ctgrad::tnodes):
//   scan<X, H0, Body, Free...>   the states h[1..T]; Free... are the
//                                body's other leaves (its weights), the
//                                node's operands beside X and H0
//   scan_grad<Scan, G>           backpropagation through time: the reverse
//                                scan whose body is the body's derived VJP,
//                                given G = dL/dh[1..T]; its value is
//                                [dL/dX, dL/dH0, dL/dFree...] flattened
// The VJP of a scan by each operand is a part of its scan_grad.  Neither
// type contains T copies of anything: a compiled kernel runs the body's
// forward program T times, then its backward program T times backwards
// (compile/scan_instructions.hpp).
#pragma once

#include <concepts>

#include "../rules/tensor.hpp"
#include "slice.hpp"

namespace ctgrad {

namespace scan_leaf {
/// The placeholders a scan's step function is called with, and the one
/// its backward body reads (the adjoint of h[t]).
template <std::size_t B, std::size_t I>
using input = ctgrad::input<"x[t]", shape<B, I>>;
template <std::size_t B, std::size_t H>
using state = ctgrad::input<"h[t-1]", shape<B, H>>;
template <std::size_t B, std::size_t H>
using adjoint = ctgrad::input<"δ[t]", shape<B, H>>;
}  // namespace scan_leaf

namespace tnodes {
template <class X, class H0, class Body, class... Free>
struct scan : tensor_base {
  using shape_type = shape<shape_of<X>::dims[0], shape_of<X>::dims[1], shape_of<H0>::dims[1]>;
};
template <class Scan, class G>
struct scan_grad;
template <class X, class H0, class Body, class... Free, class G>
struct scan_grad<scan<X, H0, Body, Free...>, G> : tensor_base {
  using shape_type = shape<(std::size_t{X::shape_type::size + H0::shape_type::size} + ... + Free::shape_type::size)>;
};
}  // namespace tnodes

/// Zeros of shape S, a literal (the usual initial state of a scan).
template <class S>
inline constexpr detail::zeros_t<S> zeros{};

namespace error {
template <class X, class H0>
struct scan_shapes {
  static_assert(detail::always_false<scan_shapes>,
                "ctgrad::scan(x, h0, step): x must be [B, T, I] (batch first) and h0 [B, H]; "
                "the shapes given are in error::scan_shapes<x, h0>");
};
template <class Returned>
struct scan_step_result {
  static_assert(detail::always_false<Returned>,
                "ctgrad::scan(x, h0, step): step(x_t, h) must return the next state, a tensor expression of h0's "
                "shape [B, H], built from x_t [B, I], h [B, H] and parameters; what it returned is named above");
};
template <class Body>
struct scan_step_unused_argument {
  static_assert(detail::always_false<Body>,
                "ctgrad::scan(x, h0, step): the next state must depend on both x_t and h (the step function's "
                "arguments); for a map over time without a state use matmul and reshape");
};
template <class Shape>
struct not_a_sequence {
  static_assert(detail::always_false<Shape>,
                "ctgrad::time_step<t>(s) / last_step(s): s must be a sequence [B, T, H] (as scan returns); "
                "its shape is in error::not_a_sequence<shape>");
};
template <std::size_t Step, std::size_t Steps>
struct time_step_out_of_range {
  static_assert(detail::always_false<time_step_out_of_range>,
                "ctgrad::time_step<t>(s): t counts from 0 and must be below the sequence's T; "
                "the numbers are in error::time_step_out_of_range<t, T>");
};
template <class Scan>
struct second_derivative_through_scan {
  static_assert(detail::always_false<Scan>,
                "ctgrad::grad: the gradient of a scan's gradient (a second derivative through a recurrence) is "
                "not supported");
};
}  // namespace error

namespace detail {

template <class X, class H0, class Body, class... Free>
struct tensor_operands_s<tnodes::scan<X, H0, Body, Free...>> : std::type_identity<mp::mp_list<X, H0, Free...>> {};
template <class X, class H0, class Body, class... Free, class G>
struct tensor_operands_s<tnodes::scan_grad<tnodes::scan<X, H0, Body, Free...>, G>>
    : std::type_identity<mp::mp_list<tnodes::scan<X, H0, Body, Free...>, G, X, H0, Free...>> {};

template <class X, class H0, class Body, class... Free>
struct tensor_hash<tnodes::scan<X, H0, Body, Free...>>
    : std::integral_constant<std::uint64_t,
                             combine_hashes(node_kind::scan, {tensor_hash<X>::value, tensor_hash<H0>::value,
                                                              tensor_hash<Body>::value})> {};
template <class Scan, class G>
struct tensor_hash<tnodes::scan_grad<Scan, G>>
    : std::integral_constant<std::uint64_t,
                             combine_hashes(node_kind::scan_grad, {tensor_hash<Scan>::value, tensor_hash<G>::value})> {
};

template <class T>
inline constexpr bool is_scan_node = false;
template <class X, class H0, class Body, class... Free>
inline constexpr bool is_scan_node<tnodes::scan<X, H0, Body, Free...>> = true;

/// The placeholders of a scan over X [B, T, I] from H0 [B, H].
template <class X, class H0>
struct scan_leaves {
  static constexpr std::size_t B = shape_of<X>::dims[0], T = shape_of<X>::dims[1], I = shape_of<X>::dims[2],
                               H = shape_of<H0>::dims[1];
  using input = scan_leaf::input<B, I>;
  using state = scan_leaf::state<B, H>;
  using adjoint = scan_leaf::adjoint<B, H>;
};

template <class X, class H0>
inline constexpr bool scan_shapes_fit = [] {
  if constexpr (shape_of<X>::rank != 3 || shape_of<H0>::rank != 2)
    return false;
  else
    return shape_of<X>::dims[0] == shape_of<H0>::dims[0] && shape_of<X>::size != 0 && shape_of<H0>::size != 0;
}();

/// The leaves of Body, in topological order.
template <class Body, class Graph = tensor_graph<Body>,
          class = std::make_index_sequence<graph::tables<Graph>::leaf_count>>
struct leaves_of_s;
template <class Body, class Graph, std::size_t... L>
struct leaves_of_s<Body, Graph, std::index_sequence<L...>>
    : std::type_identity<mp::mp_list<typename Graph::template node<graph::tables<Graph>::leaf_slots[L]>...>> {};

/// The scan node of a body: its operands are X, H0 and the body's leaves
/// other than the placeholders.
template <class X, class H0, class Body, class Leaves = typename leaves_of_s<Body>::type>
struct scan_node_s;
template <class X, class H0, class Body, class... Leaves>
struct scan_node_s<X, H0, Body, mp::mp_list<Leaves...>> {
  using places = scan_leaves<X, H0>;
  template <class L>
  using is_placeholder =
      std::bool_constant<__is_same(L, typename places::input) || __is_same(L, typename places::state)>;
  using free = mp::mp_remove_if<mp::mp_list<Leaves...>, is_placeholder>;
  static constexpr bool uses_both = mp::mp_size<free>::value + 2 == sizeof...(Leaves);
  using type = mp::mp_apply<tnodes::scan, mp::mp_append<mp::mp_list<X, H0, Body>, free>>;
};

/// One step of a scan and its VJP: the gradients of sum(δ[t] ⊙ body) by
/// x[t], h[t-1] and each operand Free (derived by the same rules as any
/// gradient), which its reverse scan runs once per step.
template <class Scan>
struct scan_step;
template <class X, class H0, class Body, class... Free>
struct scan_step<tnodes::scan<X, H0, Body, Free...>> {
  using places = scan_leaves<X, H0>;
  using loss = decltype(sum(typename places::adjoint{} * Body{}));
  using gradients = mp::mp_list<tensor_adjoint_t<loss, typename places::input>,
                                tensor_adjoint_t<loss, typename places::state>, tensor_adjoint_t<loss, Free>...>;
  /// Where the VJP by operand K (X, H0, Free...) starts in the reverse scan's result.
  static constexpr std::array<std::size_t, 3 + sizeof...(Free)> offsets = [] {
    const std::size_t sizes[] = {shape_of<X>::size, shape_of<H0>::size, shape_of<Free>::size...};
    std::array<std::size_t, 3 + sizeof...(Free)> o{};
    for (std::size_t k = 0; k != 2 + sizeof...(Free); ++k) o[k + 1] = o[k] + sizes[k];
    return o;
  }();
  /// The operand whose VJP starts at Offset.
  template <std::size_t Offset>
  static constexpr std::size_t operand_at = [] {
    std::size_t k = 0;
    while (offsets[k] != Offset) ++k;
    return k;
  }();
};

// The VJP of a scan by operand K: its part of the reverse scan's result.
template <class X, class H0, class Body, class... Free, std::size_t K, class G>
struct vjp<tnodes::scan<X, H0, Body, Free...>, K, G> {
  using node = tnodes::scan<X, H0, Body, Free...>;
  static constexpr const auto& offsets = scan_step<node>::offsets;
  using type = reshape_t<slice_t<tnodes::scan_grad<node, G>, offsets[K], offsets[K + 1] - offsets[K]>,
                         shape_of<mp::mp_at_c<mp::mp_list<X, H0, Free...>, K>>>;
};
template <class Scan, class G, std::size_t K, class G2>
struct vjp<tnodes::scan_grad<Scan, G>, K, G2> {
  using type = decltype((void)error::second_derivative_through_scan<Scan>{}, shape_error_result{});
};

}  // namespace detail

/// The states h[1..T] of the recurrence h[t] = step(x[t], h[t-1]) from
/// h[0] = h0, for x [B, T, I] (batch first) and h0 [B, H]: [B, T, H].
/// `step(x_t, h)` is called once, at compile time, on placeholder leaves;
/// what it returns (an expression of them and of parameters) is the body.
/// LSTM's state is h and c side by side (cell::lstm): then H is 2 * hidden.
template <Tensor X, Tensor H0, class Step>
constexpr auto scan(X, H0, Step step) noexcept {
  if constexpr (!detail::scan_shapes_fit<X, H0>) {
    (void)error::scan_shapes<shape_of<X>, shape_of<H0>>{};
    return detail::shape_error_result{};
  } else {
    using places = detail::scan_leaves<X, H0>;
    if constexpr (!std::invocable<Step, typename places::input, typename places::state>) {
      (void)error::scan_step_result<Step>{};
      return detail::shape_error_result{};
    } else {
      using body = std::invoke_result_t<Step, typename places::input, typename places::state>;
      if constexpr (!Tensor<body>) {
        (void)error::scan_step_result<body>{};
        return detail::shape_error_result{};
      } else if constexpr (!std::is_same_v<shape_of<body>, shape_of<H0>>) {
        (void)error::scan_step_result<shape_of<body>>{};
        return detail::shape_error_result{};
      } else if constexpr (!detail::scan_node_s<X, H0, body>::uses_both) {
        (void)error::scan_step_unused_argument<body>{};
        return detail::shape_error_result{};
      } else {
        (void)step;
        return typename detail::scan_node_s<X, H0, body>::type{};
      }
    }
  }
}

/// Step t (from 0) of a sequence [B, T, H]: [B, H] (a view).
template <std::size_t Step, Tensor Sequence>
constexpr auto time_step(Sequence) noexcept {
  using S = shape_of<Sequence>;
  if constexpr (S::rank != 3) {
    (void)error::not_a_sequence<S>{};
    return detail::shape_error_result{};
  } else if constexpr (Step >= S::dims[1]) {
    (void)error::time_step_out_of_range<Step, S::dims[1]>{};
    return detail::shape_error_result{};
  } else {
    constexpr std::size_t B = S::dims[0], T = S::dims[1], H = S::dims[2];
    return detail::slice_t<detail::reshape_t<Sequence, shape<B, T * H>>, Step * H, H>{};
  }
}

/// The last step of a sequence [B, T, H]: [B, H].
template <Tensor Sequence>
constexpr auto last_step(Sequence s) noexcept {
  if constexpr (shape_of<Sequence>::rank != 3) {
    (void)error::not_a_sequence<shape_of<Sequence>>{};
    return detail::shape_error_result{};
  } else {
    return time_step<shape_of<Sequence>::dims[1] - 1>(s);
  }
}

}  // namespace ctgrad
