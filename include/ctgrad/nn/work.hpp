// ctgrad/nn/work.hpp — the work of a model's train step and predict, as
// compile-time constants (compile/work.hpp has the conventions):
//
//   using model_t = nn::model<net, nn::softmax_cross_entropy, float, 32>;
//   constexpr ctgrad::work step = nn::train_step_work<model_t>(nn::adam{});
//   constexpr ctgrad::work infer = nn::predict_work<model_t, 1>();
//
// ctgrad/benchmark.hpp reports them as FLOP/s and as a fraction of the
// machine's peak beside a Google Benchmark time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../compile/tensor_work.hpp"
#include "model.hpp"
#include "optim.hpp"

namespace ctgrad::nn {

/// Flops per parameter of one optimizer update, as the loops in optim.hpp
/// are written (every multiplication, addition, division and square root
/// once; coefficients computed once per step are free).
constexpr std::uint64_t update_flops(const sgd&) noexcept {
  return 3;  // p = beta * p + alpha * g
}
constexpr std::uint64_t update_flops(const momentum& c) noexcept {
  // nesterov: d = g + wd p; v = beta v + d; p -= lr (d + beta v).  Else
  // v = beta v + g + wd p; p -= lr v.
  return c.nesterov ? 8 : 6;
}
constexpr std::uint64_t update_flops(const adam&) noexcept {
  // m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g;
  // p -= step m / (sqrt(v) c + eps) + decay p.
  return 3 + 4 + 8;
}
constexpr std::uint64_t update_flops(const rmsprop& c) noexcept {
  // d = g + wd p; s = alpha s + (1 - alpha) d d; the denominator
  // (centered: a = alpha a + (1 - alpha) d, sqrt(s - a a) + eps; else
  // sqrt(s) + eps); with momentum b = mu b + d / den, p -= lr b; else
  // p -= lr d / den.
  return 2 + 4 + (c.centered ? 3 + 4 : 2) + (c.momentum > 0 ? 3 + 2 : 3);
}
constexpr std::uint64_t update_flops(const adagrad&) noexcept {
  // d = g + wd p; s += d d; p -= step d / (sqrt(s) + eps).
  return 2 + 2 + 5;
}

/// One train_step of Model with optimizer Config: the training kernel
/// (forward and every gradient) and the update of every parameter.
/// parameter_bytes are the model's parameters; workspace_bytes the
/// training workspace (the optimizer's state is not counted).
template <class Model, class Config = sgd>
constexpr work train_step_work(const Config& config = {}) noexcept {
  work w = work_of<typename Model::scalar_type>(typename Model::training_kernel{});
  w.flops += Model::parameter_count * update_flops(config);
  return w;
}

/// One predict of Model on a batch of B rows.  parameter_bytes are the
/// model's parameters (the prediction kernel reads them all).
template <class Model, std::size_t B = Model::batch>
constexpr work predict_work() noexcept {
  using T = typename Model::scalar_type;
  work w = work_of<T>(typename Model::template prediction_kernel_at<B>{});
  w.parameter_bytes = Model::parameter_count * sizeof(T);
  return w;
}

}  // namespace ctgrad::nn
