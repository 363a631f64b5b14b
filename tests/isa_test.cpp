// The instruction sets a kernel runs with (config.hpp), each checked on the
// same training runs: the AVX2 and AVX-512 copies give the same bits as the
// baseline (SSE2) copy -- the same operations in the same order, wider, and
// no contraction into FMA (which AVX-512 has).  A set this CPU lacks is
// reported and skipped.  (Window instructions run their AVX2 code in the
// AVX-512 copy: the CNNs check that the two mix.)
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

using namespace ctgrad;

namespace {

/// Restores the widest set at the end of a test (the setting is global).
struct widest_at_exit {
  ~widest_at_exit() { limit_instruction_set(instruction_set::avx512); }
};

const char* name(instruction_set s) {
  return s == instruction_set::avx512 ? "AVX-512" : s == instruction_set::avx2 ? "AVX2" : "baseline";
}

template <std::size_t N, class T>
std::array<T, N> numbers(double phase) {
  std::array<T, N> v{};
  for (std::size_t i = 0; i != N; ++i) v[i] = static_cast<T>(std::sin(0.37 * double(i) + phase));
  return v;
}

/// What a run produced: the loss of every step, the last gradients, the
/// parameters after the last step, and a prediction.
template <class T>
struct run_result {
  std::vector<T> losses, gradients, parameters, prediction;
};

/// Steps training steps of Model with the optimizer Config, every kernel in
/// instruction set `set` (which must be available).
template <class Model, class Config>
run_result<typename Model::scalar_type> train(instruction_set set, Config config, int steps) {
  using T = typename Model::scalar_type;
  BOOST_TEST_REQUIRE(int(limit_instruction_set(set)) == int(set));
  const auto x = numbers<Model::batch * Model::inputs, T>(0.1);
  std::array<T, Model::output_elements> t{};  // one-hot rows
  for (std::size_t row = 0; row != Model::batch; ++row) t[row * Model::outputs + row % Model::outputs] = 1;
  auto model = std::make_unique<Model>();
  model->initialize(11);
  auto opt = model->make_optimizer(config);
  run_result<T> r;
  for (int s = 0; s != steps; ++s) r.losses.push_back(model->train_step(opt, x, t).loss);
  const auto g = std::as_const(*model).gradients();
  const auto p = std::as_const(*model).parameters();
  const auto y = model->predict(x);
  r.gradients.assign(g.begin(), g.end());
  r.parameters.assign(p.begin(), p.end());
  r.prediction.assign(y.begin(), y.end());
  return r;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

/// Runs Model under every set this CPU has: each gives the baseline's bits.
template <class Model, class Config>
void check_sets(Config config, int steps) {
  widest_at_exit restore;
  const instruction_set widest = limit_instruction_set(instruction_set::avx512);
  const auto base = train<Model>(instruction_set::baseline, config, steps);
  BOOST_TEST(std::isfinite(double(base.losses.back())));
  BOOST_TEST(base.losses.back() < base.losses.front());  // it trains
  for (const instruction_set set : {instruction_set::avx2, instruction_set::avx512}) {
    if (set > widest) {
      BOOST_TEST_MESSAGE(name(set) << ": not run (the CPU lacks it, or CTGRAD_INSTRUCTION_SET rules it out)");
      continue;
    }
    const auto wide = train<Model>(set, config, steps);
    BOOST_TEST_CONTEXT(name(set)) {
      BOOST_TEST(same_bits(wide.losses, base.losses));
      BOOST_TEST(same_bits(wide.gradients, base.gradients));
      BOOST_TEST(same_bits(wide.parameters, base.parameters));
      BOOST_TEST(same_bits(wide.prediction, base.prediction));
    }
  }
}

// A short program (one inlined sequence per set): the W2 shape, with the
// vectorised tanh and sigmoid, Adam.
using mlp = nn::model<nn::sequential<16, nn::dense<32, nn::tanh>, nn::dense<32, nn::sigmoid>, nn::dense<4>>,
                      nn::softmax_cross_entropy, float, 8>;
// A long program (a table of steps through shared copies, relocate.hpp).
using deep = nn::model<nn::sequential<12, nn::repeat<8, nn::dense<12, nn::tanh>>, nn::dense<3>>, nn::mse, float, 4>;
// Convolution, pooling and their gradients.
using cnn = nn::model<nn::sequential<nn::input_shape<2, 9, 9>, nn::conv2d<4, 3, nn::relu, nn::padding<1>>,
                                     nn::max_pool2d<2>, nn::flatten, nn::dense<3>>,
                      nn::softmax_cross_entropy, float, 4>;
static_assert(detail::mp::mp_size<mlp::training_kernel::plan::program>::value <= detail::tk::max_inlined_instructions);
static_assert(detail::mp::mp_size<deep::training_kernel::plan::program>::value > detail::tk::max_inlined_instructions);
// A long program (a table of steps) with window instructions and dense
// layers.
using deep_cnn =
    nn::model<nn::sequential<nn::input_shape<1, 8, 8>, nn::repeat<3, nn::conv2d<3, 3, nn::tanh, nn::padding<1>>>,
                             nn::max_pool2d<2>, nn::flatten, nn::repeat<3, nn::dense<8, nn::tanh>>, nn::dense<2>>,
              nn::softmax_cross_entropy, float, 2>;
static_assert(detail::mp::mp_size<deep_cnn::training_kernel::plan::program>::value >
              detail::tk::max_inlined_instructions);
// Double precision, with momentum.
using mlp_double = nn::model<nn::sequential<10, nn::dense<24, nn::tanh>, nn::dense<2>>, nn::half_sse, double, 6>;

}  // namespace

BOOST_AUTO_TEST_SUITE(instruction_sets)

BOOST_AUTO_TEST_CASE(a_limit_selects_at_most_that_set) {
  widest_at_exit restore;
  const instruction_set widest = limit_instruction_set(instruction_set::avx512);
  BOOST_TEST(int(active_instruction_set()) == int(widest));
  BOOST_TEST(int(limit_instruction_set(instruction_set::baseline)) == int(instruction_set::baseline));
  BOOST_TEST(int(limit_instruction_set(instruction_set::avx2)) == int(std::min(widest, instruction_set::avx2)));
  BOOST_TEST_MESSAGE("widest instruction set available: " << name(widest));
}

// CTGRAD_INSTRUCTION_SET (ctest runs this suite with it set to baseline
// and to avx2) is a ceiling that no limit raises.
BOOST_AUTO_TEST_CASE(the_environment_sets_a_ceiling) {
  widest_at_exit restore;
  const char* ceiling = std::getenv("CTGRAD_INSTRUCTION_SET");
  const instruction_set widest = limit_instruction_set(instruction_set::avx512);
  if (ceiling != nullptr && std::string_view(ceiling) == "baseline")
    BOOST_TEST(int(widest) == int(instruction_set::baseline));
  else if (ceiling != nullptr && std::string_view(ceiling) == "avx2")
    BOOST_TEST(int(widest) <= int(instruction_set::avx2));
  BOOST_TEST_MESSAGE("CTGRAD_INSTRUCTION_SET=" << (ceiling != nullptr ? ceiling : "(unset)") << ": at most "
                                               << name(widest));
}

BOOST_AUTO_TEST_CASE(mlp_adam) { check_sets<mlp>(nn::adam{.learning_rate = 1e-2}, 20); }
BOOST_AUTO_TEST_CASE(deep_mlp_sgd) { check_sets<deep>(nn::sgd{.learning_rate = 5e-2}, 20); }
BOOST_AUTO_TEST_CASE(cnn_adam) { check_sets<cnn>(nn::adam{.learning_rate = 1e-2}, 20); }
BOOST_AUTO_TEST_CASE(deep_cnn_sgd) { check_sets<deep_cnn>(nn::sgd{.learning_rate = 5e-2}, 20); }
BOOST_AUTO_TEST_CASE(mlp_double_momentum) {
  check_sets<mlp_double>(nn::momentum{.learning_rate = 1e-2, .beta = 0.9}, 20);
}

BOOST_AUTO_TEST_SUITE_END()
