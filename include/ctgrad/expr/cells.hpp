// ctgrad/expr/cells.hpp — one step of a recurrent cell as an ordinary
// tensor expression, with PyTorch's equations, gate order and weight
// layouts (torch.nn.RNNCell, GRUCell, LSTMCell), so that weights exchange
// by name and shape and every derivative is derived like any other:
//
//   constexpr auto next = cell::gru(x, h, W_ih, W_hh, b_ih, b_hh);  // [B, H]
//   constexpr auto dW = grad(sum(next * g), W_hh);                   // printable, comparable
//
// x [B, I] (a batch of inputs), h [B, H] (the state), W_ih [G*H, I],
// W_hh [G*H, H], b_ih and b_hh [G*H] for G gates stacked as PyTorch
// stacks them (RNN: 1; GRU: r, z, n; LSTM: i, f, g, o): each gate is a
// slice of one product (expr/slice.hpp).  LSTM's state is h and c side by
// side, [B, 2H] (concat(h, c)); its next state likewise.
#pragma once

#include "slice.hpp"
#include "tensor_ops.hpp"

namespace ctgrad {

namespace error {
template <std::size_t Gates, class X, class H, class WeightIH, class WeightHH, class BiasIH, class BiasHH>
struct cell_shapes {
  static_assert(detail::always_false<cell_shapes>,
                "ctgrad::cell (rnn / gru / lstm)(x, h, W_ih, W_hh, b_ih, b_hh): x must be [B, I], h [B, H] "
                "(LSTM: [B, 2H], h and c), W_ih [G*H, I], W_hh [G*H, H], b_ih and b_hh [G*H] for G gates "
                "(RNN 1, GRU 3, LSTM 4); the gates and shapes given are in error::cell_shapes<G, ...>");
};
}  // namespace error

namespace detail {
/// Whether the shapes fit a cell of Gates gates whose state is StateParts
/// blocks of H (LSTM: 2).
template <std::size_t Gates, std::size_t StateParts, class X, class H, class Wih, class Whh, class Bih, class Bhh>
inline constexpr bool cell_shapes_fit = [] {
  using SX = shape_of<X>;
  using SH = shape_of<H>;
  if constexpr (SX::rank != 2 || SH::rank != 2 || shape_of<Wih>::rank != 2 || shape_of<Whh>::rank != 2 ||
                shape_of<Bih>::rank != 1 || shape_of<Bhh>::rank != 1)
    return false;
  else {
    const std::size_t hidden = SH::dims[1] / StateParts;
    return SX::dims[0] == SH::dims[0] && SH::dims[1] == StateParts * hidden && hidden != 0 &&
           shape_of<Wih>::dims[0] == Gates * hidden && shape_of<Wih>::dims[1] == SX::dims[1] &&
           shape_of<Whh>::dims[0] == Gates * hidden && shape_of<Whh>::dims[1] == hidden &&
           shape_of<Bih>::dims[0] == Gates * hidden && shape_of<Bhh>::dims[0] == Gates * hidden;
  }
}();

/// The one error for shapes that do not fit a cell of Gates gates.
template <std::size_t Gates, class... Operands>
constexpr shape_error_result cell_shape_error() noexcept {
  (void)error::cell_shapes<Gates, shape_of<Operands>...>{};
  return {};
}

/// The input and the recurrent products with their biases, [B, G*H] each.
template <class X, class H, class Wih, class Whh, class Bih, class Bhh>
constexpr auto cell_products(X x, H h, Wih w_ih, Whh w_hh, Bih b_ih, Bhh b_hh) noexcept {
  return std::pair{matmul(x, transpose(w_ih)) + b_ih, matmul(h, transpose(w_hh)) + b_hh};
}
}  // namespace detail

namespace cell {

/// Elman RNN (torch.nn.RNNCell): h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh),
/// act tanh (the default) or relu: `cell::rnn<fn::relu>(...)`.
template <class Activation = fn::tanh, Tensor X, Tensor H, Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh>
constexpr auto rnn(X x, H h, Wih w_ih, Whh w_hh, Bih b_ih, Bhh b_hh) noexcept {
  if constexpr (!detail::cell_shapes_fit<1, 1, X, H, Wih, Whh, Bih, Bhh>) {
    return detail::cell_shape_error<1, X, H, Wih, Whh, Bih, Bhh>();
  } else {
    const auto [gi, gh] = detail::cell_products(x, h, w_ih, w_hh, b_ih, b_hh);
    return map(nodes::unary<Activation, detail::ph<0>>{}, gi + gh);
  }
}

/// GRU (torch.nn.GRUCell), gates r, z, n:
///   r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
///   z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
///   n = tanh(x W_in^T + b_in + r ⊙ (h W_hn^T + b_hn))
///   h' = (1 - z) ⊙ n + z ⊙ h
template <Tensor X, Tensor H, Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh>
constexpr auto gru(X x, H h, Wih w_ih, Whh w_hh, Bih b_ih, Bhh b_hh) noexcept {
  if constexpr (!detail::cell_shapes_fit<3, 1, X, H, Wih, Whh, Bih, Bhh>) {
    return detail::cell_shape_error<3, X, H, Wih, Whh, Bih, Bhh>();
  } else {
    constexpr std::size_t n = shape_of<H>::dims[1];
    const auto [gi, gh] = detail::cell_products(x, h, w_ih, w_hh, b_ih, b_hh);
    const auto r = sigmoid(slice<0, n>(gi) + slice<0, n>(gh));
    const auto z = sigmoid(slice<n, n>(gi) + slice<n, n>(gh));
    const auto candidate = tanh(slice<2 * n, n>(gi) + r * slice<2 * n, n>(gh));
    return (c<1> - z) * candidate + z * h;
  }
}

/// LSTM (torch.nn.LSTMCell), gates i, f, g, o, on the state s = concat(h, c):
///   i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.)   (x W^T + b + h W^T + b per gate)
///   c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c'),   s' = concat(h', c')
template <Tensor X, Tensor S, Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh>
constexpr auto lstm(X x, S s, Wih w_ih, Whh w_hh, Bih b_ih, Bhh b_hh) noexcept {
  if constexpr (!detail::cell_shapes_fit<4, 2, X, S, Wih, Whh, Bih, Bhh>) {
    return detail::cell_shape_error<4, X, S, Wih, Whh, Bih, Bhh>();
  } else {
    constexpr std::size_t n = shape_of<S>::dims[1] / 2;
    const auto h = slice<0, n>(s);
    const auto c_old = slice<n, n>(s);
    const auto [gi, gh] = detail::cell_products(x, h, w_ih, w_hh, b_ih, b_hh);
    const auto gates = gi + gh;
    const auto i = sigmoid(slice<0, n>(gates));
    const auto f = sigmoid(slice<n, n>(gates));
    const auto g = tanh(slice<2 * n, n>(gates));
    const auto o = sigmoid(slice<3 * n, n>(gates));
    const auto c_new = f * c_old + i * g;
    return concat(o * tanh(c_new), c_new);
  }
}

}  // namespace cell
}  // namespace ctgrad
