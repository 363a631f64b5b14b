// W1/hand: the worked 2-2-2 example written out by hand, as in a textbook
// (see w1.cpp for W1/ctgrad; the same loop and starting weights).
#include <benchmark/benchmark.h>

#include <cmath>

#include "worked_example.hpp"

namespace {

// The hand-written baseline: forward, deltas, gradient, update.
double hand_train_step(double (&w)[8], double learning_rate = 0.5) noexcept {
  const double i1 = 0.05, i2 = 0.10, t1 = 0.01, t2 = 0.99, b1 = 0.35, b2 = 0.60;
  const auto sigmoid = [](double z) { return 1.0 / (1.0 + std::exp(-z)); };
  const double h1 = sigmoid(w[0] * i1 + w[1] * i2 + b1);
  const double h2 = sigmoid(w[2] * i1 + w[3] * i2 + b1);
  const double o1 = sigmoid(w[4] * h1 + w[5] * h2 + b2);
  const double o2 = sigmoid(w[6] * h1 + w[7] * h2 + b2);
  const double e = 0.5 * (t1 - o1) * (t1 - o1) + 0.5 * (t2 - o2) * (t2 - o2);
  const double d1 = (o1 - t1) * o1 * (1 - o1);
  const double d2 = (o2 - t2) * o2 * (1 - o2);
  const double dh1 = (d1 * w[4] + d2 * w[6]) * h1 * (1 - h1);
  const double dh2 = (d1 * w[5] + d2 * w[7]) * h2 * (1 - h2);
  const double g[8] = {dh1 * i1, dh1 * i2, dh2 * i1, dh2 * i2, d1 * h1, d1 * h2, d2 * h1, d2 * h2};
  for (int k = 0; k != 8; ++k) w[k] -= learning_rate * g[k];
  return e;
}

void train_hand(benchmark::State& state) {
  double w[8];
  for (int k = 0; k != 8; ++k) w[k] = worked_example::initial_weights[k];
  for (auto _ : state) {
    double e = hand_train_step(w, 0.5);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
}

}  // namespace

BENCHMARK(train_hand)->Name("W1/hand");
