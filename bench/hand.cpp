// The hand-written baselines of W2, W3, P1 (hand_mlp.hpp) and C1 (hand_cnn.hpp).
#include <benchmark/benchmark.h>

#include <memory>

#include "hand_cnn.hpp"
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

static void c1_hand(benchmark::State& state) {
  auto net = std::make_unique<hand::cnn<8, 28, 28, 8, 10>>();
  net->initialize(1);
  const auto data = std::make_unique<mlp_batch<8, 784, 10>>();
  for (auto _ : state) {
    float loss = net->train_step(data->x.data(), data->t.data(), 0.01f);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(c1_hand)->Name("C1/hand");
