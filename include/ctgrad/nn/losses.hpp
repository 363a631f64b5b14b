// ctgrad/nn/losses.hpp — losses for a model: (network output, target) ->
// scalar, each a tensor expression from expr/tensor_ops.hpp's ctgrad::loss
// (so its gradient is derived like every other; softmax cross-entropy's
// comes out as (softmax(z) - t)/B through the logsumexp rule).
#pragma once

#include "../tensor.hpp"

namespace ctgrad::nn {

struct mse {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::mse(p, t);
  }
};
struct half_sse {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::half_sse(p, t);
  }
};
struct binary_cross_entropy_with_logits {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::binary_cross_entropy_with_logits(p, t);
  }
};
struct softmax_cross_entropy {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::softmax_cross_entropy(p, t);
  }
};

}  // namespace ctgrad::nn
