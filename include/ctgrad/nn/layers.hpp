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

/// A dense layer on an unflattened input: one error, then the layer as if
/// nn::flatten came first (so that nothing downstream reports more).
template <std::size_t K, class X, std::size_t Out, class Act, class Init, class... Rest>
requires(shape_of<X>::rank > 2) struct chain<K, X, dense<Out, Act, Init>, Rest...>
    : next_chain<K, decltype(ctgrad::flatten(X{})), dense<Out, Act, Init>, Rest...> {
  static_assert(sizeof(error::dense_needs_flat_input<shape_of<X>>) > 0);
};

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
