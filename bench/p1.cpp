// P1: forward only (predict), MLP 16-64-64-8, tanh, float, batch 1.
// (P1/hand: hand.cpp.)
#include <benchmark/benchmark.h>

#include <ctgrad/benchmark.hpp>
#include <ctgrad/nn.hpp>
#include <memory>

#include "mlp_data.hpp"
#include "workloads.hpp"

static void p1_ctgrad(benchmark::State& state) {
  auto m = std::make_unique<p1_model>();
  m->initialize(1);
  mlp_batch<1, 16, 8> data;
  for (auto _ : ctgrad::bench::measure(state, ctgrad::nn::predict_work<p1_model>())) {
    const auto y = m->predict(data.x);
    benchmark::DoNotOptimize(y.data());
    data.x[0] = y[0] * 1e-3f;  // the next input depends on this output
    benchmark::ClobberMemory();
  }
}
BENCHMARK(p1_ctgrad)->Name("P1/ctgrad");
