// ctgrad/benchmark.hpp: the counters it adds to a Google Benchmark run are
// the work of one iteration over its time (exactly, for a given time; and
// over the run's own time per iteration as Google Benchmark reports it,
// for a measured loop), the machine it assumes can be set from the
// environment, and the ready-made train_step and predict benchmarks run a
// model and report its work.
#define BOOST_TEST_MODULE ctgrad_benchmark_adapter
#include <boost/test/unit_test.hpp>

#include <ctgrad/benchmark.hpp>
#include <ctgrad/nn.hpp>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

using namespace ctgrad;

namespace {

using small_model =
    nn::model<nn::sequential<6, nn::dense<8, nn::tanh>, nn::dense<3>>, nn::softmax_cross_entropy, float, 4>;

/// Keeps every run a benchmark reports.
class capture final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) this->runs[r.benchmark_name()] = r;
  }
  std::map<std::string, Run> runs;
};

constexpr work known{.multiply_adds = 1000, .flops = 3000, .parameter_bytes = 0, .workspace_bytes = 0};
constexpr bench::machine known_machine{.flops_per_cycle = 16, .cycles_per_second = 2e9};

void known_work(benchmark::State& state) {
  double sink = 1;
  for (auto _ : bench::measure(state, known, known_machine)) {
    sink = sink * 1.0000001 + 1e-9;
    benchmark::DoNotOptimize(sink);
  }
}

/// The run's CPU seconds per iteration (what measure() divides by, give or
/// take the few calls between its clock and the benchmark's).
double seconds_per_iteration(const benchmark::BenchmarkReporter::Run& r) {
  return r.cpu_accumulated_time / static_cast<double>(r.iterations);
}
constexpr double timing = 0.02;  // relative

/// Runs the benchmarks registered so far (once: Google Benchmark keeps them).
const std::map<std::string, capture::Run>& results() {
  static const std::map<std::string, capture::Run> runs = [] {
    benchmark::RegisterBenchmark("known_work", known_work);
    benchmark::RegisterBenchmark("train_step", bench::train_step<small_model, nn::adam>);
    benchmark::RegisterBenchmark("predict", bench::predict<small_model, 1>);
    int argc = 2;
    char program[] = "ctgrad_benchmark_adapter_test", min_time[] = "--benchmark_min_time=0.02";
    char* argv[] = {program, min_time, nullptr};
    benchmark::Initialize(&argc, argv);
    capture reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter, "known_work|train_step|predict");
    return reporter.runs;
  }();
  return runs;
}

}  // namespace

BOOST_AUTO_TEST_CASE(counters_for_a_given_time) {
  // (A benchmark::State comes from a run: report into a real one.)
  benchmark::RegisterBenchmark("given_time", [](benchmark::State& state) {
    for (auto _ : state) benchmark::ClobberMemory();
    bench::report(state, known, 1e-6, known_machine);  // 1 us an iteration
  })->Iterations(10);
  benchmark::RegisterBenchmark("no_multiply_adds", [](benchmark::State& state) {
    for (auto _ : state) benchmark::ClobberMemory();
    bench::report(state, work{.multiply_adds = 0, .flops = 7, .parameter_bytes = 0, .workspace_bytes = 0}, 1e-6,
                  known_machine);
  })->Iterations(10);
  capture reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter, "given_time|no_multiply_adds");
  const auto& r = reporter.runs.at("given_time/iterations:10");
  BOOST_TEST(r.counters.at("FLOP/s").value == 3e9, boost::test_tools::tolerance(1e-12));
  // 1000 multiply-adds in 2000 cycles; 2000 flops of them against 16 x 2000.
  BOOST_TEST(r.counters.at("MAC/cycle").value == 0.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(r.counters.at("%peak").value == 6.25, boost::test_tools::tolerance(1e-12));
  const auto& none = reporter.runs.at("no_multiply_adds/iterations:10");
  BOOST_TEST(none.counters.at("FLOP/s").value == 7e6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(none.counters.count("MAC/cycle") == 0u);
  BOOST_TEST(none.counters.count("%peak") == 0u);
}

BOOST_AUTO_TEST_CASE(a_measured_loop_reports_over_the_runs_time) {
  const auto& r = results().at("known_work");
  BOOST_TEST_REQUIRE(r.iterations > 0);
  const double t = seconds_per_iteration(r);
  BOOST_TEST(r.counters.at("FLOP/s").value == 3000 / t, boost::test_tools::tolerance(timing));
  BOOST_TEST(r.counters.at("MAC/cycle").value == 1000 / (t * 2e9), boost::test_tools::tolerance(timing));
  BOOST_TEST(r.counters.at("%peak").value == 100 * 2000 / (t * 16 * 2e9), boost::test_tools::tolerance(timing));
}

BOOST_AUTO_TEST_CASE(ready_made_benchmarks_report_the_models_work) {
  constexpr work step = nn::train_step_work<small_model>(nn::adam{});
  constexpr work one = nn::predict_work<small_model, 1>();
  const auto& train = results().at("train_step");
  const auto& predict = results().at("predict");
  BOOST_TEST_REQUIRE(train.iterations > 0);
  BOOST_TEST_REQUIRE(predict.iterations > 0);
  BOOST_TEST(train.counters.at("FLOP/s").value == static_cast<double>(step.flops) / seconds_per_iteration(train),
             boost::test_tools::tolerance(timing));
  BOOST_TEST(predict.counters.at("FLOP/s").value == static_cast<double>(one.flops) / seconds_per_iteration(predict),
             boost::test_tools::tolerance(timing));
  BOOST_TEST(predict.counters.count("%peak") == 1u);
}

BOOST_AUTO_TEST_CASE(the_machine_from_the_environment) {
  ::setenv("CTGRAD_PEAK_FLOPS_PER_CYCLE", "10", 1);
  ::setenv("CTGRAD_CPU_GHZ", "2.5", 1);
  BOOST_TEST(bench::this_machine<float>().flops_per_cycle == 10);
  BOOST_TEST(bench::this_machine<double>().flops_per_cycle == 5);
  BOOST_TEST(bench::this_machine<float>().cycles_per_second == 2.5e9);
  // Unreadable or not positive: ignored (the defaults below).
  ::setenv("CTGRAD_PEAK_FLOPS_PER_CYCLE", "fast", 1);
  ::setenv("CTGRAD_CPU_GHZ", "-1", 1);
  const bench::machine m = bench::this_machine<float>();
  ::unsetenv("CTGRAD_PEAK_FLOPS_PER_CYCLE");
  ::unsetenv("CTGRAD_CPU_GHZ");
  // Two FMA pipes of 128 (SSE2) or 256 bits (AVX2, AVX-512): 16 or 32 float flops a cycle.
  BOOST_TEST((m.flops_per_cycle == 16 || m.flops_per_cycle == 32));
  BOOST_TEST(m.cycles_per_second == benchmark::CPUInfo::Get().cycles_per_second);
  BOOST_TEST(bench::this_machine<double>().flops_per_cycle == m.flops_per_cycle / 2);
}
