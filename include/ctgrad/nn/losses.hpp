// ctgrad/nn/losses.hpp — losses for a model: (network output, target) ->
// scalar, each a tensor expression from expr/tensor_ops.hpp's ctgrad::loss
// (so its gradient is derived like every other; softmax cross-entropy's
// comes out as (softmax(z) - t)/B through the logsumexp rule).
//
// A loss may state a contract on its targets with a static
// `target_problem(span t, row_length)` returning what is wrong ("" if
// nothing); nn::model::check_targets(t) throws it as nn::target_error, and
// builds without NDEBUG check every batch in loss_and_gradient and
// train_step (stopping like assert; define CTGRAD_NO_TARGET_CHECKS to turn
// that off).
#pragma once

#include <cmath>
#include <cstdio>
#include <limits>
#include <span>
#include <string>

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
namespace detail {
template <class T>
std::string value_text(T value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.9g", static_cast<double>(value));
  return text;
}
}  // namespace detail

/// Targets: probabilities in [0, 1].
struct binary_cross_entropy_with_logits {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::binary_cross_entropy_with_logits(p, t);
  }
  template <class T>
  static std::string target_problem(std::span<const T> t, std::size_t) {
    for (std::size_t i = 0; i != t.size(); ++i)
      if (!(t[i] >= T(0) && t[i] <= T(1)))
        return "ctgrad::nn::binary_cross_entropy_with_logits: target " + std::to_string(i) + " is " +
               detail::value_text(t[i]) + " (targets are probabilities, in [0, 1])";
    return {};
  }
};
/// Targets: each row a distribution (entries in [0, 1] summing to 1 within
/// sqrt(epsilon) of the type, e.g. one-hot or label-smoothed).
struct softmax_cross_entropy {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::softmax_cross_entropy(p, t);
  }
  template <class T>
  static std::string target_problem(std::span<const T> t, std::size_t row_length) {
    const char* contract = " (each row of targets is a distribution: entries in [0, 1] summing to 1)";
    for (std::size_t row = 0; row != t.size() / row_length; ++row) {
      T total = 0;
      for (std::size_t k = 0; k != row_length; ++k) {
        const T v = t[row * row_length + k];
        if (!(v >= T(0) && v <= T(1)))
          return "ctgrad::nn::softmax_cross_entropy: target row " + std::to_string(row) + ", entry " +
                 std::to_string(k) + " is " + detail::value_text(v) + contract;
        total += v;
      }
      if (!(std::abs(total - T(1)) <= std::sqrt(std::numeric_limits<T>::epsilon())))
        return "ctgrad::nn::softmax_cross_entropy: target row " + std::to_string(row) + " sums to " +
               detail::value_text(total) + contract;
    }
    return {};
  }
};

}  // namespace ctgrad::nn
