// The ctgrad side of a training benchmark: one iteration = model.train_step
// (forward + every gradient + SGD update) on a fixed deterministic batch,
// the one the hand-written and Eigen baselines train on (so not
// ctgrad::bench::train_step, whose batch is its own); FLOP/s and the
// fraction of peak from <ctgrad/benchmark.hpp>.
#pragma once

#include <benchmark/benchmark.h>

#include <ctgrad/benchmark.hpp>
#include <ctgrad/nn.hpp>
#include <memory>

#include "mlp_data.hpp"

/// Policy: nn::skip_nonfinite_t (the default: loss and gradients checked,
/// the update skipped if one is not finite) or nn::unchecked_t (no check;
/// with SGD the update is fused into the kernel).  Config: the optimizer
/// (SGD unless said; the */adam variants measure the check where there is
/// no fused path to lose).
template <class Model, class Policy = ctgrad::nn::skip_nonfinite_t, class Config = ctgrad::nn::sgd>
void train_benchmark(benchmark::State& state) {
  auto model = std::make_unique<Model>();  // large: parameters and workspaces
  model->initialize(1);
  constexpr Config config{.learning_rate = 0.01};
  auto opt = model->make_optimizer(config);
  const auto data = std::make_unique<mlp_batch<Model::batch, Model::inputs, Model::outputs>>();
  using T = typename Model::scalar_type;
  for ([[maybe_unused]] auto _ : ctgrad::bench::measure<T>(state, ctgrad::nn::train_step_work<Model>(config))) {
    T loss = model->train_step(opt, data->x, data->t, Policy{}).loss;
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
