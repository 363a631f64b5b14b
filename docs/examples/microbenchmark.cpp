// docs/performance.md, "Microbenchmarks of your own nets": a model's train
// step and predict as Google Benchmark benchmarks, with their work known at
// compile time.  Link ctgrad::benchmark and benchmark::benchmark_main.
// (Run by the docs tests with a short --benchmark_min_time.)
// [bench]
#include <ctgrad/benchmark.hpp>

namespace nn = ctgrad::nn;

using net = nn::sequential<16, nn::dense<32, nn::tanh>, nn::dense<32, nn::tanh>, nn::dense<4>>;
using model_t = nn::model<net, nn::softmax_cross_entropy, float, 8>;

// The work of one step, as constants: the forward products (8 rows through
// 16x32, 32x32, 32x4), as many again for the weight gradients, and the two
// hidden layers' deltas (4x32, 32x32).
constexpr ctgrad::work step = nn::train_step_work<model_t>(nn::adam{});
static_assert(step.multiply_adds == 8 * (2 * (16 * 32 + 32 * 32 + 32 * 4) + 4 * 32 + 32 * 32));
static_assert(step.parameter_bytes == model_t::parameter_count * sizeof(float));

BENCHMARK(ctgrad::bench::train_step<model_t, nn::adam>);  // one train_step per iteration
BENCHMARK(ctgrad::bench::predict<model_t, 1>);            // one predict of one row
// [bench]
