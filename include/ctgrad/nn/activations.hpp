// ctgrad/nn/activations.hpp — activations for layers: how a layer applies one,
// and the initialiser that suits it.  A user activation is a struct with
// `default_init` and a static `apply(tensor)`: nn::Activation
// (docs/extending.md).
#pragma once

#include <string_view>
#include <type_traits>

#include "../tensor.hpp"
#include "init.hpp"

namespace ctgrad::nn {

struct identity {
  static constexpr std::string_view name = "identity";
  using default_init = init::xavier_uniform;
  template <Tensor A>
  static constexpr auto apply(A a) noexcept {
    return a;
  }
};
// (The return type is spelled out, not deduced: see detail::elementwise.)
#define CTGRAD_DETAIL_ACTIVATION(NAME, INIT)                             \
  struct NAME {                                                          \
    static constexpr std::string_view name = #NAME;                      \
    using default_init = INIT;                                           \
    template <Tensor A>                                                  \
    static constexpr decltype(::ctgrad::NAME(A{})) apply(A a) noexcept { \
      return ::ctgrad::NAME(a);                                          \
    }                                                                    \
  };
CTGRAD_DETAIL_ACTIVATION(tanh, init::xavier_uniform)
CTGRAD_DETAIL_ACTIVATION(sigmoid, init::xavier_uniform)
CTGRAD_DETAIL_ACTIVATION(softplus, init::xavier_uniform)
CTGRAD_DETAIL_ACTIVATION(relu, init::he_uniform)
CTGRAD_DETAIL_ACTIVATION(gelu, init::he_uniform)
CTGRAD_DETAIL_ACTIVATION(elu, init::he_uniform)
CTGRAD_DETAIL_ACTIVATION(leaky_relu, init::he_uniform)
#undef CTGRAD_DETAIL_ACTIVATION

/// softmax over the last axis, as an output layer for prediction.  (Train
/// with the logits and nn::softmax_cross_entropy instead.)
struct softmax {
  static constexpr std::string_view name = "softmax";
  using default_init = init::xavier_uniform;
  template <Tensor A>
  static constexpr auto apply(A a) noexcept {
    return ::ctgrad::softmax(a);
  }
};

/// log(softmax) over the last axis, computed as one stable function: the
/// output layer for nn::nll (together, softmax cross-entropy).
struct log_softmax {
  static constexpr std::string_view name = "log_softmax";
  using default_init = init::xavier_uniform;
  template <Tensor A>
  static constexpr auto apply(A a) noexcept {
    return ::ctgrad::log_softmax(a);
  }
};

namespace detail {
/// What activations are tried on (a [2, 3] tensor).
using activation_probe = input<"activation_probe", shape<2, 3>>;
}  // namespace detail

/// What an activation is (the extension point of docs/extending.md): a
/// struct with the initialiser that suits layers using it (`default_init`)
/// and a static `apply` from a tensor expression to a tensor expression
/// (written with ctgrad's operations, so that its derivative is derived
/// like every other).  The built-in ones also have a `name`.
template <class A>
concept Activation = requires {
  typename A::default_init;
  { A::apply(detail::activation_probe{}) } -> Tensor;
} && Initialiser<typename A::default_init>;

namespace error {
template <class A>
struct not_an_activation {
  static_assert(ctgrad::detail::always_false<A>,
                "ctgrad::nn: a layer's activation must satisfy nn::Activation: a struct with `using default_init "
                "= <an nn::Initialiser>` and `static constexpr auto apply(Tensor auto x)` returning a tensor "
                "expression (docs/extending.md). The struct is in error::not_an_activation<...>");
};
}  // namespace error

namespace detail {
/// A's default initialiser, or (for a struct that is no activation, which
/// the layer reports) Xavier's.
template <class A>
struct default_init_of : std::type_identity<init::xavier_uniform> {};
template <class A>
requires requires { typename A::default_init; }
struct default_init_of<A> : std::type_identity<typename A::default_init> {};

/// A, checked: a layer applies this (after one error for a struct that is
/// no activation, the identity, so that nothing downstream reports more).
template <class A>
struct checked_activation : std::type_identity<A> {};
template <class A>
requires(!Activation<A>) struct checked_activation<A> : std::type_identity<identity> {
  static_assert(sizeof(error::not_an_activation<A>) > 0);
};
/// I, checked likewise (after the error, Xavier's).
template <class I>
struct checked_initialiser : std::type_identity<I> {};
template <class I>
requires(!Initialiser<I>) struct checked_initialiser<I> : std::type_identity<init::xavier_uniform> {
  static_assert(sizeof(error::not_an_initialiser<I>) > 0);
};
}  // namespace detail

}  // namespace ctgrad::nn
