// Data-parallel throughput: nn::data_parallel over OpenMP threads on W3
// (784-128-10, 32 rows per part) and C1 (the small CNN, 8 rows per part),
// in training samples per second (items_per_second), against the same
// model's own train_step on one part (*/model: the one-core baseline of the
// same run).  One iteration = one step on Shards parts: forward + every
// gradient of each part, the combined gradients, one SGD update.
//   build/release/bench/ctgrad_bench_parallel
#include <benchmark/benchmark.h>

#include <ctgrad/nn.hpp>
#include <ctgrad/nn/parallel.hpp>

#include <memory>

#include "mlp_data.hpp"
#include "workloads.hpp"

using namespace ctgrad;

namespace {
template <class Model>
void one_part(benchmark::State& state) {
  auto model = std::make_unique<Model>();
  model->initialize(1);
  auto opt = model->make_optimizer(nn::sgd{.learning_rate = 0.01});
  const auto data = std::make_unique<mlp_batch<Model::batch, Model::inputs, Model::outputs>>();
  for (auto _ : state) {
    float loss = model->train_step(opt, data->x, data->t).loss;
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * Model::batch);
}

template <class Model, std::size_t Shards>
void parts(benchmark::State& state) {
  auto model = std::make_unique<Model>();
  model->initialize(1);
  auto opt = model->make_optimizer(nn::sgd{.learning_rate = 0.01});
  nn::data_parallel<Model, Shards> trainer(*model, static_cast<int>(state.range(0)));
  const auto data = std::make_unique<mlp_batch<Shards * Model::batch, Model::inputs, Model::outputs>>();
  for (auto _ : state) {
    float loss = trainer.train_step(opt, data->x, data->t).loss;
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * Shards * Model::batch);
}
}  // namespace

BENCHMARK(one_part<w3_model>)->Name("W3/model")->UseRealTime();
BENCHMARK(parts<w3_model, 2>)->Name("W3x2/threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(parts<w3_model, 4>)->Name("W3x4/threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(one_part<c1_model>)->Name("C1/model")->UseRealTime();
BENCHMARK(parts<c1_model, 2>)->Name("C1x2/threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(parts<c1_model, 4>)->Name("C1x4/threads")->Arg(1)->Arg(2)->UseRealTime();
