// The hand-written baselines of W2, W3 and P1 (see hand_mlp.hpp).
#include <benchmark/benchmark.h>

#include <memory>

#include "hand_mlp.hpp"
#include "mlp_data.hpp"

static void w2_hand(benchmark::State& state) {
  auto net = std::make_unique<hand::mlp2<1, 16, 32, 32, 4, hand::activation::tanh>>();
  net->initialize(1);
  const mlp_batch<1, 16, 4> data;
  for (auto _ : state) {
    float loss = net->train_step(data.x.data(), data.t.data(), 0.01f);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(w2_hand)->Name("W2/hand");

static void w3_hand(benchmark::State& state) {
  auto net = std::make_unique<hand::mlp1<32, 784, 128, 10, hand::activation::relu>>();
  net->initialize(1);
  const auto data = std::make_unique<mlp_batch<32, 784, 10>>();
  for (auto _ : state) {
    float loss = net->train_step(data->x.data(), data->t.data(), 0.01f);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(w3_hand)->Name("W3/hand");

static void p1_hand(benchmark::State& state) {
  auto net = std::make_unique<hand::mlp2<1, 16, 64, 64, 8, hand::activation::tanh>>();
  net->initialize(1);
  mlp_batch<1, 16, 8> data;
  for (auto _ : state) {
    const float* y = net->predict(data.x.data());
    benchmark::DoNotOptimize(y);
    data.x[0] = y[0] * 1e-3f;
    benchmark::ClobberMemory();
  }
}
BENCHMARK(p1_hand)->Name("P1/hand");
