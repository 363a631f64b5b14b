// W3: MLP 784-128-10, ReLU hidden layer, softmax cross-entropy (mean over
// the batch), float, batch 32.  One iteration = forward + every gradient +
// SGD update.  (W3/hand and W3/eigen: hand.cpp, eigen.cpp.)
#include <benchmark/benchmark.h>

#include <ctgrad/nn.hpp>
#include <memory>

#include "mlp_data.hpp"

using namespace ctgrad;

using w3_net = nn::sequential<784, nn::dense<128, nn::relu>, nn::dense<10>>;
using w3_model = nn::model<w3_net, nn::softmax_cross_entropy, float, 32>;

static void w3_ctgrad(benchmark::State& state) {
  auto m = std::make_unique<w3_model>();
  m->initialize(1);
  auto opt = m->make_optimizer(nn::sgd{.learning_rate = 0.01});
  const auto data = std::make_unique<mlp_batch<32, 784, 10>>();
  for (auto _ : state) {
    float loss = m->train_step(opt, data->x, data->t);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(w3_ctgrad)->Name("W3/ctgrad");
