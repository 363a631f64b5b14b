// ctgrad/nn/stream.hpp — a recurrent model run one sample at a time, for
// real-time use (an audio plug-in's process loop, a control loop):
//
//   using model_t = nn::model<nn::sequential<nn::input_shape<32, 1>, nn::gru<16>, nn::dense<1>>, nn::mse>;
//   nn::stream<model_t> s;                    // the recurrent states (zero) and a workspace
//   for (float& sample : block) sample = s(model, std::span<const float, 1>(&sample, 1))[0];
//
// The network is built again for one step of one sample, each recurrent
// layer's initial state an input (h1, h2, ...) that the stream binds to its
// own state, which it then advances to the step's last state.  A stream
// holds no pointer to the model (the parameters are bound at each call): one
// trained model serves any number of streams, each its own object, no heap.
// A stream of a sequence gives the model's predictions of that sequence
// (batch 1) bit for bit (tests/recurrent_layers_test.cpp).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

#include "model.hpp"

namespace ctgrad::nn {

namespace detail {
/// A layer with its initial state an input (recurrent layers), else itself.
template <class Layer>
struct stateful_s : std::type_identity<Layer> {};
template <std::size_t H, class... Options>
struct stateful_s<rnn<H, Options...>> : std::type_identity<rnn<H, Options..., state_input>> {};
template <std::size_t H, class... Options>
struct stateful_s<gru<H, Options...>> : std::type_identity<gru<H, Options..., state_input>> {};
template <std::size_t H, class... Options>
struct stateful_s<lstm<H, Options...>> : std::type_identity<lstm<H, Options..., state_input>> {};
template <class Net>
struct stateful_net;
template <auto In, class... Layers>
struct stateful_net<sequential<In, Layers...>>
    : std::type_identity<sequential<In, typename stateful_s<Layers>::type...>> {};

/// The scans of an expression, in topological order (its recurrent layers).
template <class Nodes>
struct scans_of;
template <class... Nodes>
struct scans_of<ctgrad::detail::mp::mp_list<Nodes...>> {
  template <class N>
  using is_scan = std::bool_constant<ctgrad::detail::is_scan_node<N>>;
  using type = ctgrad::detail::mp::mp_copy_if<ctgrad::detail::mp::mp_list<Nodes...>, is_scan>;
};
template <class Scan>
struct initial_state_of;
template <class X, class H0, class Body, class... Free>
struct initial_state_of<tnodes::scan<X, H0, Body, Free...>> : std::type_identity<H0> {};
}  // namespace detail

namespace error {
template <class Network>
struct stream_needs_a_sequence_model {
  static_assert(ctgrad::detail::always_false<Network>,
                "nn::stream<Model>: the model's input must be a sequence (nn::input_shape<T, features>) and its "
                "network must have a recurrent layer (nn::rnn, nn::gru, nn::lstm)");
};
}  // namespace error
namespace detail {
template <bool Ok, class Network>
struct stream_check {};
template <class Network>
struct stream_check<false, Network> : error::stream_needs_a_sequence_model<Network> {};
}  // namespace detail

/// Model run one sample (one time step of `features` numbers) at a time.
template <class Model>
class stream {
  using T = typename Model::scalar_type;
  using example = typename nn::detail::input_shape_of<typename Model::network>::type;

 public:
  /// Numbers per sample in.
  static constexpr std::size_t features = example::dims[example::rank - 1];
  using x_type = input<"x", shape<1, 1, features>>;
  using network = nn::detail::build<typename nn::detail::stateful_net<typename Model::network>::type, x_type>;
  using output_expression = typename network::output;
  using kernel = decltype(compile_forward(output_expression{}));
  using scans = typename nn::detail::scans_of<typename ctgrad::detail::tensor_graph<output_expression>::nodes>::type;
  static_assert(sizeof(nn::detail::stream_check < example::rank == 2 && ctgrad::detail::mp::mp_size<scans>::value != 0,
                       typename Model::network >) > 0);
  /// Numbers per sample out.
  static constexpr std::size_t outputs = shape_of<output_expression>::size;
  /// Numbers of state: every recurrent layer's h (and an LSTM's c).
  static constexpr std::size_t state_size = [] {
    std::size_t n = 0;
    ctgrad::detail::mp::mp_for_each<ctgrad::detail::mp::mp_transform<std::type_identity, scans>>(
        [&](auto s) { n += shape_of<typename nn::detail::initial_state_of<typename decltype(s)::type>::type>::size; });
    return n;
  }();

  /// One step: the model's output for this sample, the states advanced.
  std::span<const T, outputs> operator()(const Model& m, std::span<const T, features> sample) noexcept {
    const auto out = bind_states([&](const auto&... states) {
      return [&]<class... P>(ctgrad::detail::mp::mp_list<P...>) {
        return kernel{}(ws_, x_type{} = sample, states..., (P{} = m.parameter(P{}))...);
      }(typename Model::parameter_list{});
    });
    // Each layer's state becomes its step's last (here: only) state.
    std::size_t at = 0;
    ctgrad::detail::mp::mp_for_each<ctgrad::detail::mp::mp_transform<std::type_identity, scans>>([&](auto s) {
      using scan = typename decltype(s)::type;
      const auto next = kernel::value_of(ws_, scan{});
      std::copy(next.begin(), next.end(), state_.begin() + static_cast<std::ptrdiff_t>(at));
      at += next.size();
    });
    return out;
  }

  /// Back to silence: every state zero.
  void reset() noexcept { state_.fill(T(0)); }
  /// The states, every layer's one after the other (to save or restore).
  std::span<T, state_size> state() noexcept { return state_; }

 private:
  template <class Scan>
  using state_leaf = typename nn::detail::initial_state_of<Scan>::type;
  /// Calls f with a binding of every layer's initial state to its part of state_.
  template <class F>
  auto bind_states(F f) noexcept {
    return bind_states(f, scans{}, std::make_index_sequence<ctgrad::detail::mp::mp_size<scans>::value>{});
  }
  template <class F, class... S, std::size_t... K>
  auto bind_states(F f, ctgrad::detail::mp::mp_list<S...>, std::index_sequence<K...>) noexcept {
    constexpr std::array<std::size_t, sizeof...(S) + 1> offsets = [] {
      const std::size_t sizes[] = {shape_of<state_leaf<S>>::size..., 0};
      std::array<std::size_t, sizeof...(S) + 1> o{};
      for (std::size_t k = 0; k != sizeof...(S); ++k) o[k + 1] = o[k] + sizes[k];
      return o;
    }();
    return f((state_leaf<S>{} = std::span<const T, shape_of<state_leaf<S>>::size>(state_.data() + offsets[K],
                                                                                  shape_of<state_leaf<S>>::size))...);
  }

  workspace<kernel, T> ws_{};
  std::array<T, state_size> state_{};
};

}  // namespace ctgrad::nn
