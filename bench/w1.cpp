// W1: the worked 2-2-2 example of backprop.md §4, double.
// One iteration = forward pass + dE/dw1..dE/dw8 + gradient-descent update.
//   W1/ctgrad  the kernel ctgrad derives from the expression of E
//   W1/hand    the same computation written out by hand, as in a textbook
//              (w1_hand.cpp: its own file, so that it can be built with
//              other flags, bench/CMakeLists.txt)
// Both carry the weights from one iteration to the next (training goes on),
// so neither can be folded away; compare them as a ratio in the same run.
#include <benchmark/benchmark.h>

#include <cmath>
#include <ctgrad/benchmark.hpp>

#include "worked_example.hpp"

namespace {

template <double (*Step)(double (&)[8], double) noexcept>
void train(benchmark::State& state) {
  double w[8];
  for (int k = 0; k != 8; ++k) w[k] = worked_example::initial_weights[k];
  // ctgrad's count (compile/work.hpp) of the kernel, and the 8 updates w -= lr g.
  ctgrad::work step = ctgrad::work_of<double>(worked_example::dE);
  step.flops += 8 * 2;
  for (auto _ : ctgrad::bench::measure<double>(state, step)) {
    double e = Step(w, 0.5);
    benchmark::DoNotOptimize(e);
    benchmark::ClobberMemory();
  }
}

}  // namespace

BENCHMARK(train<worked_example::train_step>)->Name("W1/ctgrad");
