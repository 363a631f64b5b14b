// ctgrad/benchmark.hpp — microbenchmarks of your own nets with Google
// Benchmark, reporting FLOP/s and the fraction of the machine's peak beside
// the time.  Not part of <ctgrad/ctgrad.hpp>: include it where Google
// Benchmark is (link benchmark::benchmark or benchmark::benchmark_main).
//
// Ready-made, one line per model (one iteration = one train_step, or one
// predict, on a fixed batch of inputs uniform in [-1, 1)):
//
//   #include <ctgrad/benchmark.hpp>
//   using my_model = ctgrad::nn::model<my_net, ctgrad::nn::mse, float, 8>;
//   BENCHMARK(ctgrad::bench::train_step<my_model, ctgrad::nn::adam>);
//   BENCHMARK(ctgrad::bench::predict<my_model, 1>);
//
// Or a loop of your own, measured: `for (auto _ : ctgrad::bench::measure(
// state, work))` with the work of one iteration (ctgrad::work_of(kernel),
// nn::train_step_work<model>(config), nn::predict_work<model>()).
//
// The counters, over the loop's CPU time (this thread's, as Google
// Benchmark's own rates; measured around the benchmark's loop, so a
// PauseTiming section counts here, not there):
//   FLOP/s     work.flops per second (compile/work.hpp counts them)
//   MAC/cycle  multiply-adds per cycle at the nominal clock (its inverse
//              is the cycles per multiply-add)
//   %peak      2 x multiply-adds per second as a percentage of the
//              machine's peak FLOP/s: how close to the FMA roofline (100:
//              every FMA pipe busy every cycle); these two only when there
//              are multiply-adds
// The machine: its clock is the one Google Benchmark reports
// (`benchmark::CPUInfo`: the nominal frequency, not a turbo one: a core
// that boosts can exceed 100%), and its peak is two FMA pipes of at most
// 256 bits (Zen 2-4, most Intel client cores: 32 float or 16 double FLOP
// per cycle with AVX2 or AVX-512, 16 / 8 with SSE2).  Cores with two
// 512-bit FMA units (Intel server parts, Zen 5) have twice that with
// AVX-512: pass a `machine` of your own, or set CTGRAD_PEAK_FLOPS_PER_CYCLE
// (float FLOP per cycle; double is half) and CTGRAD_CPU_GHZ in the
// environment.
#pragma once

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <type_traits>

#include "compile/work.hpp"
#include "config.hpp"
#include "nn/init.hpp"
#include "nn/model.hpp"
#include "nn/optim.hpp"
#include "nn/work.hpp"

namespace ctgrad::bench {

/// What the roofline is measured against.
struct machine {
  double flops_per_cycle = 0;    ///< peak, in the benchmark's element type
  double cycles_per_second = 0;  ///< the clock
};

namespace detail {
inline double environment_number(const char* name) noexcept {
  const char* text = std::getenv(name);
  if (text == nullptr) return 0;
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  return end != text && v > 0 ? v : 0;  // unset, unreadable, or not positive: ignored
}
}  // namespace detail

/// This machine, for element type T (see the top of this file).
template <class T>
machine this_machine() noexcept {
  double float_flops = detail::environment_number("CTGRAD_PEAK_FLOPS_PER_CYCLE");
  if (float_flops == 0) {
    std::size_t bytes = ctgrad::detail::default_vector_bytes;  // what the active kernels use
    if (active_instruction_set() == instruction_set::avx2) bytes = 32;
    if (active_instruction_set() == instruction_set::avx512) bytes = 64;
    const std::size_t fma_bytes = bytes < 32 ? bytes : 32;  // two pipes of at most 256 bits
    float_flops = 2.0 * 2.0 * static_cast<double>(fma_bytes / sizeof(float));
  }
  double flops = 2;  // any other type: a multiplication and an addition per cycle
  if constexpr (std::is_same_v<T, float>) flops = float_flops;
  if constexpr (std::is_same_v<T, double>) flops = float_flops / 2;
  const double ghz = detail::environment_number("CTGRAD_CPU_GHZ");
  return {flops, ghz > 0 ? ghz * 1e9 : benchmark::CPUInfo::Get().cycles_per_second};
}

/// Set FLOP/s, MAC/cycle and %peak for iterations of work `w` that took
/// `seconds` each on machine `m`.
inline void report(benchmark::State& state, const work& w, double seconds, const machine& m) {
  if (!(seconds > 0)) return;
  const auto flops = static_cast<double>(w.flops), macs = static_cast<double>(w.multiply_adds);
  state.counters["FLOP/s"] = flops / seconds;
  if (w.multiply_adds != 0 && m.flops_per_cycle > 0 && m.cycles_per_second > 0) {
    state.counters["MAC/cycle"] = macs / (seconds * m.cycles_per_second);
    state.counters["%peak"] = 100 * 2 * macs / (seconds * m.flops_per_cycle * m.cycles_per_second);
  }
}

/// A benchmark's loop, timed, with `w` the work of one iteration: reports
/// the counters when the loop ends.  `for (auto _ : measure(state, w))`.
class measured_loop {
 public:
  measured_loop(benchmark::State& state, const work& w, const machine& m) noexcept
      : state_(state), work_(w), machine_(m) {}
  measured_loop(const measured_loop&) = delete;
  measured_loop& operator=(const measured_loop&) = delete;
  ~measured_loop() {
    if (!started_ || state_.error_occurred() || state_.iterations() == 0) return;
    report(state_, work_, (cpu_seconds() - start_) / static_cast<double>(state_.iterations()), machine_);
  }
  benchmark::State::StateIterator begin() {
    auto first = state_.begin();  // the benchmark's timer starts here, then ours
    start_ = cpu_seconds();
    started_ = true;
    return first;
  }
  benchmark::State::StateIterator end() { return state_.end(); }

 private:
  /// This thread's CPU time (POSIX); elsewhere the wall clock.
  static double cpu_seconds() noexcept {
#if defined(CLOCK_THREAD_CPUTIME_ID)
    timespec t{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0)
      return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
#endif
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  benchmark::State& state_;
  work work_;
  machine machine_;
  double start_ = 0;
  bool started_ = false;
};

/// `for (auto _ : ctgrad::bench::measure(state, w))`: the benchmark's loop,
/// reporting FLOP/s, MAC/cycle and %peak for work `w` per iteration on
/// this machine for element type T (or on machine m).
template <class T = float>
measured_loop measure(benchmark::State& state, const work& w) {
  return {state, w, this_machine<T>()};
}
inline measured_loop measure(benchmark::State& state, const work& w, const machine& m) { return {state, w, m}; }

namespace detail {
/// A fixed batch for Model: inputs uniform in [-1, 1), targets one-hot (or
/// class labels, for a loss that takes them).
template <class Model>
struct batch {
  using T = typename Model::scalar_type;
  alignas(64) std::array<T, Model::batch * Model::inputs> x{};
  using targets =
      std::conditional_t<Model::takes_labels, std::array<int, Model::batch>, std::array<T, Model::output_elements>>;
  alignas(64) targets t{};
  explicit batch(std::uint64_t seed) noexcept {
    nn::random_bits bits(seed);
    for (T& v : x) v = static_cast<T>(bits.uniform(-1, 1));
    for (std::size_t r = 0; r != Model::batch; ++r) {
      const auto k = static_cast<std::size_t>(bits.next() % Model::outputs);
      if constexpr (Model::takes_labels)
        t[r] = static_cast<int>(k);
      else
        t[r * Model::outputs + k] = T(1);
    }
  }
};
}  // namespace detail

/// Benchmark Model's train_step with optimizer Config (default settings)
/// and Policy (nn::skip_nonfinite, train_step's default, or nn::unchecked).
template <class Model, class Config = nn::sgd, class Policy = nn::skip_nonfinite_t>
void train_step(benchmark::State& state) {
  using T = typename Model::scalar_type;
  auto model = std::make_unique<Model>();  // parameters and workspaces: large
  model->initialize(1);
  using optimizer_t = nn::optimizer<Config, T, Model::storage_size>;  // what make_optimizer returns
  const auto optimizer = std::make_unique<optimizer_t>(Config{});     // its state may be large too
  const auto data = std::make_unique<detail::batch<Model>>(2);
  for ([[maybe_unused]] auto _ : measure<T>(state, nn::train_step_work<Model>(Config{}))) {
    T loss = model->train_step(*optimizer, data->x, data->t, Policy{}).loss;
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}

/// Benchmark Model's predict on B rows (in a caller-owned workspace, as
/// from several threads; B = Model::batch by default).
template <class Model, std::size_t B = Model::batch>
void predict(benchmark::State& state) {
  using T = typename Model::scalar_type;
  auto model = std::make_unique<Model>();
  model->initialize(1);
  auto ws = std::make_unique<typename Model::template prediction_workspace<B>>();
  std::array<T, B * Model::inputs> x{};
  nn::random_bits bits(2);
  for (T& v : x) v = static_cast<T>(bits.uniform(-1, 1));
  for ([[maybe_unused]] auto _ : measure<T>(state, nn::predict_work<Model, B>())) {
    const auto y = model->predict(*ws, std::span<const T, B * Model::inputs>(x));
    benchmark::DoNotOptimize(y.data());
    x[0] = y[0] * T(1e-3);  // the next input depends on this output
    benchmark::ClobberMemory();
  }
}

}  // namespace ctgrad::bench
