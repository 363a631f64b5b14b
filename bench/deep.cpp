// D10: a 10-layer, 64-wide tanh MLP (64 -> 64 x 10 -> 10), softmax
// cross-entropy, float, batch 1: the compile-time budget case (about 100
// nodes in the forward + backward kernel).  One iteration = forward + every
// gradient + SGD update.
#include <benchmark/benchmark.h>

#include <ctgrad/nn.hpp>
#include <memory>

#include "mlp_data.hpp"

using namespace ctgrad;

using d10_net =
    nn::sequential<64, nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>,
                   nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>,
                   nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>, nn::dense<10>>;
using d10_model = nn::model<d10_net, nn::softmax_cross_entropy, float, 1>;

static void d10_ctgrad(benchmark::State& state) {
  auto m = std::make_unique<d10_model>();
  m->initialize(1);
  auto opt = m->make_optimizer(nn::sgd{.learning_rate = 0.01});
  const mlp_batch<1, 64, 10> data;
  for (auto _ : state) {
    float loss = m->train_step(opt, data.x, data.t);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(d10_ctgrad)->Name("D10/ctgrad");
