// ctgrad/nn/activations.hpp — activations for layers: how a layer applies one,
// and the initialiser that suits it.  A user activation is a struct with
// `name`, `default_init` and a static `apply(tensor)` (docs/nn.md).
#pragma once

#include <string_view>

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

}  // namespace ctgrad::nn
