// ctgrad/nn/losses.hpp — losses for a model: (network output, target) ->
// scalar, each a tensor expression from expr/tensor_ops.hpp's ctgrad::loss
// (so its gradient is derived like every other; softmax cross-entropy's
// comes out as (softmax(z) - t)/B through the logsumexp rule).
//
// A user loss is a struct with a static `apply(p, t)`: nn::Loss
// (docs/extending.md).  A loss may state a contract on its targets with a static
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
/// The textbook's E = 1/2 sum (p - t)^2: a sum over the batch, not a mean.
struct half_sse {
  static constexpr bool sums_over_batch = true;  // (nn::data_parallel adds the parts' gradients)
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
namespace detail {
/// "" if every row of t is a distribution (entries in [0, 1] summing to 1
/// within sqrt(epsilon) of T), else what is wrong, in `loss`'s name.
template <class T>
std::string distribution_rows_problem(const char* loss, std::span<const T> t, std::size_t row_length) {
  // (No std::string until something is wrong: this runs every step in
  // builds without NDEBUG, and training allocates nothing.)
  const char* contract = " (each row of targets is a distribution: entries in [0, 1] summing to 1)";
  for (std::size_t row = 0; row != t.size() / row_length; ++row) {
    T total = 0;
    for (std::size_t k = 0; k != row_length; ++k) {
      const T v = t[row * row_length + k];
      if (!(v >= T(0) && v <= T(1)))
        return std::string("ctgrad::nn::") + loss + ": target row " + std::to_string(row) + ", entry " +
               std::to_string(k) + " is " + value_text(v) + contract;
      total += v;
    }
    if (!(std::abs(total - T(1)) <= std::sqrt(std::numeric_limits<T>::epsilon())))
      return std::string("ctgrad::nn::") + loss + ": target row " + std::to_string(row) + " sums to " +
             value_text(total) + contract;
  }
  return {};
}
}  // namespace detail

/// Targets: each row a distribution (entries in [0, 1] summing to 1 within
/// sqrt(epsilon) of the type, e.g. one-hot or label-smoothed), or class
/// labels (model::train_step).
struct softmax_cross_entropy {
  static constexpr bool takes_class_labels = true;
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::softmax_cross_entropy(p, t);
  }
  template <class T>
  static std::string target_problem(std::span<const T> t, std::size_t row_length) {
    return detail::distribution_rows_problem("softmax_cross_entropy", t, row_length);
  }
};
/// Negative log-likelihood of log-probabilities (a network ending in
/// nn::activation<nn::log_softmax>), mean over the batch, as
/// torch.nn.NLLLoss.  Targets as softmax_cross_entropy's.
struct nll {
  static constexpr bool takes_class_labels = true;
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::nll(p, t);
  }
  template <class T>
  static std::string target_problem(std::span<const T> t, std::size_t row_length) {
    return detail::distribution_rows_problem("nll", t, row_length);
  }
};
/// Mean absolute error (torch.nn.L1Loss).
struct l1 {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::l1(p, t);
  }
};
/// Huber loss with threshold Num/Den (torch.nn.HuberLoss(delta)); with the
/// default 1 it is also smooth L1 (torch.nn.SmoothL1Loss(beta=1)).
template <std::intmax_t Num = 1, std::intmax_t Den = 1>
struct huber {
  static_assert(Num > 0 && Den > 0, "ctgrad::nn::huber<Num, Den>: the threshold Num/Den must be positive");
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::huber<nodes::constant<Num, Den>>(p, t);
  }
};

namespace detail {
/// What losses are tried on: a prediction and a target, both [2, 3].
using loss_probe_prediction = input<"loss_probe_p", shape<2, 3>>;
using loss_probe_target = input<"loss_probe_t", shape<2, 3>>;
}  // namespace detail

/// What a loss is (the extension point of docs/extending.md): a struct
/// with a static `apply(prediction, target)` from two tensor expressions of
/// the same shape to a scalar tensor expression, written with ctgrad's
/// operations (so that its gradient is derived).  Optional: `static
/// std::string target_problem(std::span<const T> t, std::size_t
/// row_length)`, a contract on the targets, and `static constexpr bool
/// takes_class_labels`.
template <class L>
concept Loss = requires {
  { L::apply(detail::loss_probe_prediction{}, detail::loss_probe_target{}) } -> Tensor;
} && shape_of<decltype(L::apply(detail::loss_probe_prediction{}, detail::loss_probe_target{}))>::rank == 0;

namespace error {
template <class L>
struct not_a_loss {
  static_assert(ctgrad::detail::always_false<L>,
                "ctgrad::nn::model<Net, Loss>: Loss must satisfy nn::Loss: a struct with `static constexpr auto "
                "apply(Tensor auto prediction, Tensor auto target)` returning a scalar tensor expression, e.g. "
                "ctgrad::sum(...) / n (docs/extending.md). The struct is in error::not_a_loss<...>");
};
}  // namespace error

}  // namespace ctgrad::nn
