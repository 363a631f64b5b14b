// The ctgrad side of a training benchmark: one iteration = model.train_step
// (forward + every gradient + SGD update) on a fixed deterministic batch.
#pragma once

#include <benchmark/benchmark.h>

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
  auto opt = model->make_optimizer(Config{.learning_rate = 0.01});
  const auto data = std::make_unique<mlp_batch<Model::batch, Model::inputs, Model::outputs>>();
  for (auto _ : state) {
    float loss = model->train_step(opt, data->x, data->t, Policy{}).loss;
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
