// ctgrad/nn/layers.hpp — layers and networks: dense, convolution, pooling,
// flatten, activation, sequential and repeat, and how a network builds its
// tensor expression (layer k's parameters are named Wk and bk, shapes
// inferred from the layer before).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../tensor.hpp"
#include "activations.hpp"
#include "init.hpp"

namespace ctgrad::nn {

/// A fully connected layer: act(h * W + b), W of shape [in, Out] (so the
/// product vectorises along Out), b of shape [Out].  Parameters are named
/// W1, b1, W2, b2, ... in order.
template <std::size_t Out, class Activation = identity,
          class WeightInit = typename detail::default_init_of<Activation>::type>
struct dense {};

/// An activation on its own.
template <class Activation>
struct activation {};

// Convolution and pooling options (types): nn::padding<1>, nn::stride<2>,
// nn::dilation<2>; two numbers are (height, width).
template <std::size_t H, std::size_t W = H>
using stride = ctgrad::stride_t<H, W>;
template <std::size_t H, std::size_t W = H>
using padding = ctgrad::padding_t<H, W>;
template <std::size_t H, std::size_t W = H>
using dilation = ctgrad::dilation_t<H, W>;

/// A 2-D convolution layer: act(conv2d(h, W, b, options...)) with W of
/// shape [Out, in channels, Kernel, Kernel] and b of shape [Out], on
/// [batch, channels, height, width] input.  Options: nn::padding<n>,
/// nn::stride<n>, nn::dilation<n>, and an initialiser (default: the
/// activation's).
template <std::size_t Out, std::size_t Kernel, class Activation = identity, class... Options>
struct conv2d {};
/// A 1-D convolution layer on [batch, channels, length]: W [Out, in channels, Kernel].
template <std::size_t Out, std::size_t Kernel, class Activation = identity, class... Options>
struct conv1d {};
/// Pooling layers: windows of K (K x K in 2-D), stride K unless nn::stride<n> is given.
template <std::size_t K, class... Options>
struct max_pool2d {};
template <std::size_t K, class... Options>
struct avg_pool2d {};
template <std::size_t K, class... Options>
struct max_pool1d {};
template <std::size_t K, class... Options>
struct avg_pool1d {};
/// [batch, ...] to [batch, features], for a dense layer after convolutions.
struct flatten {};

/// The shape of one example, for a network whose input is not a vector:
/// `nn::sequential<nn::input_shape<1, 28, 28>, nn::conv2d<8, 3>, ...>`.
template <std::size_t... Dims>
inline constexpr shape<Dims...> input_shape{};

/// Recurrent layers on sequences [batch, T, features] (the network's
/// input nn::input_shape<T, features>, or a recurrent layer before), with
/// PyTorch's equations and layouts (expr/cells.hpp): parameters Wih{k}
/// [G*Hidden, features], Whh{k} [G*Hidden, Hidden], bih{k} and bhh{k}
/// [G*Hidden] (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 in
/// exchange files), initialised as PyTorch does.  The state starts at 0.
/// Output: the sequence of states [batch, T, Hidden] (an LSTM's h), or with
/// nn::last_step the last one [batch, Hidden].  A dense layer after a
/// sequence applies to every step.
///   nn::rnn<Hidden>  (tanh; nn::rnn<Hidden, nn::relu>),  nn::gru<Hidden>,  nn::lstm<Hidden>
template <std::size_t Hidden, class... Options>
struct rnn {};
template <std::size_t Hidden, class... Options>
struct gru {};
template <std::size_t Hidden, class... Options>
struct lstm {};
/// Option of a recurrent layer: output the last step only.
struct last_step {};

/// A network: its input width (or nn::input_shape<...>), then its layers.
template <auto In, class... Layers>
struct sequential {};

/// Layers repeated N times inside nn::sequential, a deep net in one line:
/// `nn::sequential<64, nn::repeat<40, nn::dense<64, nn::tanh>>, nn::dense<10>>`.
/// Each copy has parameters of its own (numbered on as if written out).
template <std::size_t N, class... Layers>
struct repeat {
  static_assert(sizeof...(Layers) > 0, "nn::repeat<N, Layers...>: give at least one layer to repeat");
};

namespace error {
template <class InputShape>
struct recurrent_needs_a_sequence {
  static_assert(ctgrad::detail::always_false<InputShape>,
                "nn::rnn / nn::gru / nn::lstm: the input must be a sequence [batch, T, features] (the network's "
                "nn::input_shape<T, features>, or a recurrent layer before); its shape is in "
                "error::recurrent_needs_a_sequence<...>");
};
template <class Option>
struct unknown_recurrent_option {
  static_assert(ctgrad::detail::always_false<Option>,
                "nn::rnn / nn::gru / nn::lstm: options are nn::last_step and, for nn::rnn, nn::relu or nn::tanh; "
                "the option given is named above");
};
template <class InputShape>
struct dense_needs_flat_input {
  static_assert(ctgrad::detail::always_false<InputShape>,
                "nn::dense: its input must be [batch, features]; put nn::flatten before it. The input's shape is in "
                "error::dense_needs_flat_input<...>");
};
}  // namespace error

namespace detail {

consteval std::size_t decimal_digits(std::size_t k) {
  std::size_t n = 1;
  while (k >= 10) k /= 10, ++n;
  return n;
}
/// "W3", "b12", ...
template <char Letter, std::size_t K>
consteval auto indexed_name() {
  constexpr std::size_t n = decimal_digits(K);
  char text[n + 2]{};
  text[0] = Letter;
  std::size_t k = K;
  for (std::size_t i = n; i != 0; --i, k /= 10) text[i] = static_cast<char>('0' + k % 10);
  return fixed_string<n + 1>(text);
}

/// How a parameter is initialised: initialiser and fans.
template <class P, class Init, std::size_t FanIn, std::size_t FanOut>
struct initialised {
  using parameter = P;
  using initialiser = Init;
  static constexpr std::size_t fan_in = FanIn, fan_out = FanOut;
};

/// Layer K onwards applied to X: the output expression and the parameters.
template <std::size_t K, class X, class... Layers>
struct chain {
  using output = X;
  using parameters = ctgrad::detail::mp::mp_list<>;
};

/// After a layer reported a shape error: nothing more (one error).
struct failed_chain {
  using output = ctgrad::detail::shape_error_result;
  using parameters = ctgrad::detail::mp::mp_list<>;
};
template <std::size_t K, class X, class... Rest>
struct next_chain_s : std::type_identity<chain<K, X, Rest...>> {};
template <std::size_t K, class... Rest>
struct next_chain_s<K, ctgrad::detail::shape_error_result, Rest...> : std::type_identity<failed_chain> {};
/// The rest of the network after a layer's output X.
template <std::size_t K, class X, class... Rest>
using next_chain = typename next_chain_s<K, X, Rest...>::type;

template <std::size_t K, class X, std::size_t Out, class Act, class Init, class... Rest>
struct chain<K, X, dense<Out, Act, Init>, Rest...> {
  // (No static data member: a variable of a class named after X is a
  // symbol spelling out the network below this layer.)
  using W = param<indexed_name<'W', K>(), shape<shape_of<X>::dims.back(), Out>>;
  using b = param<indexed_name<'b', K>(), shape<Out>>;
  using act = typename checked_activation<Act>::type;
  using next = next_chain<K + 1, decltype(act::apply(matmul(X{}, W{}) + b{})), Rest...>;
  using output = typename next::output;
  using parameters = ctgrad::detail::mp::mp_push_front<
      typename next::parameters,
      initialised<W, typename checked_initialiser<Init>::type, shape_of<X>::dims.back(), Out>,
      initialised<b, init::zeros, shape_of<X>::dims.back(), Out>>;
};

/// Whether X is a sequence a recurrent layer made (it contains a scan).
template <class X, class Nodes = typename ctgrad::detail::tensor_graph<X>::nodes>
inline constexpr bool is_sequence = false;
template <class X, class... Nodes>
inline constexpr bool is_sequence<X, ctgrad::detail::mp::mp_list<Nodes...>> = (ctgrad::detail::is_scan_node<Nodes> ||
                                                                               ...);

/// A sequence: rank 3, made by a recurrent layer.  (A concept: its
/// conjunction stops at the first false, so only a rank-3 input's graph is
/// built; inside `!(...)` it would be built for a convolution's output too.)
template <class X>
concept sequence_input = shape_of<X>::rank == 3 && is_sequence<X>;

/// A dense layer on an unflattened input: one error, then the layer as if
/// nn::flatten came first (so that nothing downstream reports more).
template <std::size_t K, class X, std::size_t Out, class Act, class Init, class... Rest>
requires(shape_of<X>::rank > 2 && !sequence_input<X>) struct chain<K, X, dense<Out, Act, Init>, Rest...>
    : next_chain<K, decltype(ctgrad::flatten(X{})), dense<Out, Act, Init>, Rest...> {
  static_assert(sizeof(error::dense_needs_flat_input<shape_of<X>>) > 0);
};
/// A dense layer on a sequence [batch, T, features]: the same layer at
/// every step (as torch.nn.Linear on [batch, T, features]).
template <std::size_t K, class X, std::size_t Out, class Act, class Init, class... Rest>
requires sequence_input<X>
struct chain<K, X, dense<Out, Act, Init>, Rest...> {
  static constexpr std::size_t B = shape_of<X>::dims[0], T = shape_of<X>::dims[1], F = shape_of<X>::dims[2];
  using W = param<indexed_name<'W', K>(), shape<F, Out>>;
  using b = param<indexed_name<'b', K>(), shape<Out>>;
  using act = typename checked_activation<Act>::type;
  using steps = decltype(ctgrad::reshape<shape<B * T, F>>(X{}));
  using next =
      next_chain<K + 1, decltype(ctgrad::reshape<shape<B, T, Out>>(act::apply(matmul(steps{}, W{}) + b{}))), Rest...>;
  using output = typename next::output;
  using parameters = ctgrad::detail::mp::mp_push_front<typename next::parameters,
                                                       initialised<W, typename checked_initialiser<Init>::type, F, Out>,
                                                       initialised<b, init::zeros, F, Out>>;
};

/// "Wih3", "bhh12", ...: a recurrent layer's parameter names.
template <fixed_string Prefix, std::size_t K>
consteval auto prefixed_name() {
  constexpr auto number = indexed_name<'_', K>();
  constexpr std::size_t p = Prefix.view().size(), n = number.view().size() - 1;
  char text[p + n + 1]{};
  for (std::size_t i = 0; i != p; ++i) text[i] = Prefix.view()[i];
  for (std::size_t i = 0; i != n; ++i) text[p + i] = number.view()[i + 1];
  return fixed_string<p + n>(text);
}

/// One step of a recurrent cell on the layer's parameters, as scan calls it.
template <class Cell, class Wih, class Whh, class Bih, class Bhh>
struct cell_step {
  template <class Xt, class Ht>
  constexpr auto operator()(Xt x, Ht h) const noexcept {
    return Cell::apply(x, h, Wih{}, Whh{}, Bih{}, Bhh{});
  }
};
template <class Activation>
struct elman_cell {
  template <class... A>
  static constexpr auto apply(A... a) noexcept {
    return cell::rnn<Activation>(a...);
  }
};
struct gru_cell {
  template <class... A>
  static constexpr auto apply(A... a) noexcept {
    return cell::gru(a...);
  }
};
struct lstm_cell {
  template <class... A>
  static constexpr auto apply(A... a) noexcept {
    return cell::lstm(a...);
  }
};

/// Internal option (nn::stream): the layer's initial state is an input,
/// h{k}, instead of zeros.
struct state_input {};

/// What a recurrent layer's options say: the last step only, (nn::rnn) its
/// activation, tanh or relu, and whether its initial state is an input.
template <class... Options>
struct recurrent_options {
  static constexpr bool last = (std::is_same_v<Options, last_step> || ...);
  static constexpr bool relu = (std::is_same_v<Options, nn::relu> || ...);
  static constexpr bool stateful = (std::is_same_v<Options, state_input> || ...);
  template <class O>
  static constexpr bool known = std::is_same_v<O, last_step> || std::is_same_v<O, nn::relu> ||
                                std::is_same_v<O, nn::tanh> || std::is_same_v<O, state_input>;
  static constexpr bool valid = (known<Options> && ...);
};

/// Recurrent layer K of Gates gates (a state of StateParts blocks of Hidden)
/// on the sequence X.
template <std::size_t K, class X, class Cell, std::size_t Gates, std::size_t StateParts, std::size_t Hidden, bool Last,
          bool Stateful>
struct recurrent_layer {
  static constexpr std::size_t B = shape_of<X>::dims[0], F = shape_of<X>::dims[2];
  using initial_state = std::conditional_t<Stateful, input<prefixed_name<"h", K>(), shape<B, StateParts * Hidden>>,
                                           ctgrad::detail::zeros_t<shape<B, StateParts * Hidden>>>;
  using Wih = param<prefixed_name<"Wih", K>(), shape<Gates * Hidden, F>>;
  using Whh = param<prefixed_name<"Whh", K>(), shape<Gates * Hidden, Hidden>>;
  using bih = param<prefixed_name<"bih", K>(), shape<Gates * Hidden>>;
  using bhh = param<prefixed_name<"bhh", K>(), shape<Gates * Hidden>>;
  using states = decltype(ctgrad::scan(X{}, initial_state{}, cell_step<Cell, Wih, Whh, bih, bhh>{}));
  using h = decltype(ctgrad::slice<0, Hidden>(states{}));  // an LSTM's h; else the states
  using output = std::conditional_t<Last, decltype(ctgrad::last_step(h{})), h>;
  using parameters = ctgrad::detail::mp::mp_list<initialised<Wih, init::recurrent_uniform, Hidden, Hidden>,
                                                 initialised<Whh, init::recurrent_uniform, Hidden, Hidden>,
                                                 initialised<bih, init::recurrent_uniform, Hidden, Hidden>,
                                                 initialised<bhh, init::recurrent_uniform, Hidden, Hidden>>;
};
template <std::size_t K, class X, class Cell, std::size_t Gates, std::size_t StateParts, std::size_t Hidden,
          class Options, class... Rest>
struct recurrent_chain;
template <std::size_t K, class X, class Cell, std::size_t Gates, std::size_t StateParts, std::size_t Hidden,
          class... Options, class... Rest>
struct recurrent_chain<K, X, Cell, Gates, StateParts, Hidden, ctgrad::detail::mp::mp_list<Options...>, Rest...> {
  using layer = recurrent_layer<K, X, Cell, Gates, StateParts, Hidden, recurrent_options<Options...>::last,
                                recurrent_options<Options...>::stateful>;
  using next = next_chain<K + 1, typename layer::output, Rest...>;
  using output = typename next::output;
  using parameters = ctgrad::detail::mp::mp_append<typename layer::parameters, typename next::parameters>;
};
/// A recurrent layer on something other than a sequence, or with an
/// unknown option: one error (the class below names it), nothing after it.
template <class X, class... Options>
inline constexpr bool recurrent_layer_fits = shape_of<X>::rank == 3 && recurrent_options<Options...>::valid;
template <class X, class... Options>
struct recurrent_error : std::type_identity<void> {};
template <class X, class... Options>
requires(shape_of<X>::rank != 3) struct recurrent_error<X, Options...>
    : std::type_identity<error::recurrent_needs_a_sequence<shape_of<X>>> {
};
template <class X, class... Options>
requires(shape_of<X>::rank == 3 && !recurrent_options<Options...>::valid) struct recurrent_error<X, Options...>
    : std::type_identity<error::unknown_recurrent_option<ctgrad::detail::mp::mp_at_c<
          ctgrad::detail::mp::mp_list<Options...>,
          ctgrad::detail::first_true({!recurrent_options<Options...>::template known<Options>...})>>> {
};
template <bool Fits, class Chain, class Error>
struct checked_chain : failed_chain {
  static_assert(sizeof(typename Error::type) > 0);
};
template <class Chain, class Error>
struct checked_chain<true, Chain, Error> : Chain {};

template <std::size_t K, class X, std::size_t Hidden, class... Options, class... Rest>
struct chain<K, X, rnn<Hidden, Options...>, Rest...>
    : checked_chain<
          recurrent_layer_fits<X, Options...>,
          recurrent_chain<K, X, elman_cell<std::conditional_t<recurrent_options<Options...>::relu, fn::relu, fn::tanh>>,
                          1, 1, Hidden, ctgrad::detail::mp::mp_list<Options...>, Rest...>,
          recurrent_error<X, Options...>> {};
template <std::size_t K, class X, std::size_t Hidden, class... Options, class... Rest>
struct chain<K, X, gru<Hidden, Options...>, Rest...>
    : checked_chain<recurrent_layer_fits<X, Options...>,
                    recurrent_chain<K, X, gru_cell, 3, 1, Hidden, ctgrad::detail::mp::mp_list<Options...>, Rest...>,
                    recurrent_error<X, Options...>> {};
template <std::size_t K, class X, std::size_t Hidden, class... Options, class... Rest>
struct chain<K, X, lstm<Hidden, Options...>, Rest...>
    : checked_chain<recurrent_layer_fits<X, Options...>,
                    recurrent_chain<K, X, lstm_cell, 4, 2, Hidden, ctgrad::detail::mp::mp_list<Options...>, Rest...>,
                    recurrent_error<X, Options...>> {};

/// The initialiser among a layer's options, else the activation's.
template <class Act, class... Options>
struct initialiser_of {
  template <class O>
  using is_init = std::bool_constant<(ctgrad::detail::option_s<O>::kind < 0)>;
  using inits = ctgrad::detail::mp::mp_copy_if<ctgrad::detail::mp::mp_list<Options...>, is_init>;
  using type = typename checked_initialiser<
      ctgrad::detail::mp::mp_eval_if_c<ctgrad::detail::mp::mp_empty<inits>::value, typename default_init_of<Act>::type,
                                       ctgrad::detail::mp::mp_front, inits>>::type;
};
template <class O>
using window_options_only = std::bool_constant<(ctgrad::detail::option_s<O>::kind >= 0)>;

/// conv2d or conv1d layer K: W [Out, C, Kernel(, Kernel)], b [Out].
template <std::size_t K, class X, std::size_t Rank, std::size_t Out, std::size_t Kernel, class Act, class... Options>
struct convolution_layer {
  static constexpr std::size_t channels = shape_of<X>::rank >= 3 ? shape_of<X>::dims[1] : 1;
  using W = param<indexed_name<'W', K>(),
                  std::conditional_t<Rank == 2, shape<Out, channels, Kernel, Kernel>, shape<Out, channels, Kernel>>>;
  using b = param<indexed_name<'b', K>(), shape<Out>>;
  template <class... O>
  static auto apply(ctgrad::detail::mp::mp_list<O...>) {
    if constexpr (Rank == 2)
      return ctgrad::conv2d(X{}, W{}, b{}, O{}...);
    else
      return ctgrad::conv1d(X{}, W{}, b{}, O{}...);
  }
  using h = decltype(checked_activation<Act>::type::apply(
      apply(ctgrad::detail::mp::mp_copy_if<ctgrad::detail::mp::mp_list<Options...>, window_options_only>{})));
  static constexpr std::size_t receptive = Rank == 2 ? Kernel * Kernel : Kernel;
  using initialiser = typename initialiser_of<Act, Options...>::type;
  using weights = initialised<W, initialiser, channels * receptive, Out * receptive>;
  using bias = initialised<b, init::zeros, channels * receptive, Out * receptive>;
};
template <std::size_t K, class X, std::size_t Out, std::size_t Kernel, class Act, class... Options, class... Rest>
struct chain<K, X, conv2d<Out, Kernel, Act, Options...>, Rest...> {
  using layer = convolution_layer<K, X, 2, Out, Kernel, Act, Options...>;
  using next = next_chain<K + 1, typename layer::h, Rest...>;
  using output = typename next::output;
  using parameters =
      ctgrad::detail::mp::mp_push_front<typename next::parameters, typename layer::weights, typename layer::bias>;
};
template <std::size_t K, class X, std::size_t Out, std::size_t Kernel, class Act, class... Options, class... Rest>
struct chain<K, X, conv1d<Out, Kernel, Act, Options...>, Rest...> {
  using layer = convolution_layer<K, X, 1, Out, Kernel, Act, Options...>;
  using next = next_chain<K + 1, typename layer::h, Rest...>;
  using output = typename next::output;
  using parameters =
      ctgrad::detail::mp::mp_push_front<typename next::parameters, typename layer::weights, typename layer::bias>;
};

template <std::size_t K, class X, std::size_t N, class... Layers, class... Rest>
struct chain<K, X, repeat<N, Layers...>, Rest...> : chain<K, X, Layers..., repeat<N - 1, Layers...>, Rest...> {};
template <std::size_t K, class X, class... Layers, class... Rest>
struct chain<K, X, repeat<0, Layers...>, Rest...> : chain<K, X, Rest...> {};

template <std::size_t K, class X, class Act, class... Rest>
struct chain<K, X, activation<Act>, Rest...>
    : next_chain<K, decltype(checked_activation<Act>::type::apply(X{})), Rest...> {};
template <std::size_t K, class X, class... Rest>
struct chain<K, X, flatten, Rest...> : next_chain<K, decltype(ctgrad::flatten(X{})), Rest...> {};
template <std::size_t K, class X, std::size_t W, class... Options, class... Rest>
struct chain<K, X, max_pool2d<W, Options...>, Rest...>
    : next_chain<K, decltype(ctgrad::max_pool2d<W>(X{}, Options{}...)), Rest...> {};
template <std::size_t K, class X, std::size_t W, class... Options, class... Rest>
struct chain<K, X, avg_pool2d<W, Options...>, Rest...>
    : next_chain<K, decltype(ctgrad::avg_pool2d<W>(X{}, Options{}...)), Rest...> {};
template <std::size_t K, class X, std::size_t W, class... Options, class... Rest>
struct chain<K, X, max_pool1d<W, Options...>, Rest...>
    : next_chain<K, decltype(ctgrad::max_pool1d<W>(X{}, Options{}...)), Rest...> {};
template <std::size_t K, class X, std::size_t W, class... Options, class... Rest>
struct chain<K, X, avg_pool1d<W, Options...>, Rest...>
    : next_chain<K, decltype(ctgrad::avg_pool1d<W>(X{}, Options{}...)), Rest...> {};

/// The shape of one example: [In] for a width, else the given shape.
template <auto In>
struct example_shape : std::type_identity<shape<In>> {};
template <auto In>
requires is_shape_v<std::remove_cv_t<decltype(In)>>
struct example_shape<In> : std::type_identity<std::remove_cv_t<decltype(In)>> {
};
template <std::size_t B, class S>
struct batch_of;
template <std::size_t B, std::size_t... D>
struct batch_of<B, shape<D...>> : std::type_identity<shape<B, D...>> {};

template <class Net, class X>
struct build;
template <auto In, class... Layers, class X>
struct build<sequential<In, Layers...>, X> : chain<1, X, Layers...> {};

template <class Net>
struct input_shape_of;
template <auto In, class... Layers>
struct input_shape_of<sequential<In, Layers...>> : example_shape<In> {};

template <class L>
struct parameters_of;
template <class... I>
struct parameters_of<ctgrad::detail::mp::mp_list<I...>> {
  using type = ctgrad::detail::mp::mp_list<typename I::parameter...>;
};

}  // namespace detail

}  // namespace ctgrad::nn
