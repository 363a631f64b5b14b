// The emitted C (nn::to_c99, c99_emit.cpp) against the C++ kernels it is
// written from, in the same run: W2's training step (SGD and Adam), P1's
// prediction and C1's training step (SGD), on the same data and the same
// initial parameters as W2/ctgrad, P1/ctgrad and C1/ctgrad.  The C computes the C++ model's bits
// (tests/c99/); what differs is how fast the C compiler makes plain loops.
#include <benchmark/benchmark.h>

#include <cstring>
#include <ctgrad/benchmark.hpp>
#include <ctgrad/nn.hpp>

#include "mlp_data.hpp"
#include "workloads.hpp"

extern "C" {
#include "c1.h"
#include "p1.h"
#include "w2.h"
}

namespace {

void w2_c99_sgd(benchmark::State& state) {
  static float parameters[W2_PARAMETER_COUNT];
  static w2_workspace ws;
  std::memcpy(parameters, w2_parameters, sizeof parameters);
  const mlp_batch<1, 16, 4> data;
  const w2_sgd config = {0.01, 0.0};
  for ([[maybe_unused]] auto _ :
       ctgrad::bench::measure<float>(state, ctgrad::nn::train_step_work<w2_model>(ctgrad::nn::sgd{}))) {
    float loss = 0;
    w2_train_step_sgd(parameters, data.x.data(), data.t.data(), config, &ws, &loss);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(w2_c99_sgd)->Name("W2/c99");

void w2_c99_adam(benchmark::State& state) {
  static float parameters[W2_PARAMETER_COUNT];
  static w2_workspace ws;
  static w2_adam_state adam;
  std::memcpy(parameters, w2_parameters, sizeof parameters);
  std::memset(&adam, 0, sizeof adam);
  const mlp_batch<1, 16, 4> data;
  const w2_adam config = {0.01, 0.9, 0.999, 1e-8, 0.0};
  for ([[maybe_unused]] auto _ :
       ctgrad::bench::measure<float>(state, ctgrad::nn::train_step_work<w2_model>(ctgrad::nn::adam{}))) {
    float loss = 0;
    w2_train_step_adam(parameters, data.x.data(), data.t.data(), config, &adam, &ws, &loss);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(w2_c99_adam)->Name("W2/c99_adam");

void p1_c99(benchmark::State& state) {
  static p1_workspace ws;
  mlp_batch<1, 16, 8> data;
  float y[P1_OUTPUTS];
  for ([[maybe_unused]] auto _ : ctgrad::bench::measure(state, ctgrad::nn::predict_work<p1_model>())) {
    p1_predict(p1_parameters, data.x.data(), y, &ws);
    benchmark::DoNotOptimize(y);
    data.x[0] = y[0] * 1e-3f;  // the next input depends on this output (as P1/ctgrad)
    benchmark::ClobberMemory();
  }
}
BENCHMARK(p1_c99)->Name("P1/c99");

void c1_c99_sgd(benchmark::State& state) {
  static float parameters[C1_PARAMETER_COUNT];
  static c1_workspace ws;
  std::memcpy(parameters, c1_parameters, sizeof parameters);
  static const mlp_batch<c1_model::batch, c1_model::inputs, c1_model::outputs> data;
  const c1_sgd config = {0.01, 0.0};
  for ([[maybe_unused]] auto _ :
       ctgrad::bench::measure<float>(state, ctgrad::nn::train_step_work<c1_model>(ctgrad::nn::sgd{}))) {
    float loss = 0;
    c1_train_step_sgd(parameters, data.x.data(), data.t.data(), config, &ws, &loss);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(c1_c99_sgd)->Name("C1/c99");

}  // namespace
