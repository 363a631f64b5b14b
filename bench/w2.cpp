// W2: MLP 16-32-32-4, tanh hidden layers, softmax cross-entropy, float,
// batch 1.  One iteration = forward + every gradient + SGD update.
// (W2/hand and W2/eigen are in hand.cpp and eigen.cpp; compare in one run.)
#include <benchmark/benchmark.h>

#include <ctgrad/nn.hpp>
#include <memory>

#include "mlp_data.hpp"

using namespace ctgrad;

using w2_net = nn::sequential<16, nn::dense<32, nn::tanh>, nn::dense<32, nn::tanh>, nn::dense<4>>;
using w2_model = nn::model<w2_net, nn::softmax_cross_entropy, float, 1>;

static void w2_ctgrad(benchmark::State& state) {
  auto m = std::make_unique<w2_model>();
  m->initialize(1);
  auto opt = m->make_optimizer(nn::sgd{.learning_rate = 0.01});
  const mlp_batch<1, 16, 4> data;
  for (auto _ : state) {
    float loss = m->train_step(opt, data.x, data.t);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(w2_ctgrad)->Name("W2/ctgrad");
