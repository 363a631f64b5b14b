// Training never loses the user's parameters silently: optimizer settings
// are validated when the optimizer is made, and a step whose loss or
// gradients are not finite changes nothing (skip_nonfinite, the default;
// throw_on_nonfinite) -- checked bit for bit against a copy of the model and
// its optimizer.
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

using namespace ctgrad;

namespace {
using net = nn::sequential<3, nn::dense<4, nn::tanh>, nn::dense<2>>;
using model_t = nn::model<net, nn::mse, float, 2>;

constexpr float qnan = std::numeric_limits<float>::quiet_NaN();
constexpr float inf = std::numeric_limits<float>::infinity();

template <class Config>
void expect_config_error(Config config, const std::string& expected) {
  try {
    (void)model_t::make_optimizer(config);
    BOOST_ERROR("accepted a bad configuration; expected: " << expected);
  } catch (const nn::config_error& e) {
    BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what() << " lacks: " << expected);
  }
}

/// sum(sqrt(p - t)): finite at p = t, its gradient is not.
struct sqrt_loss {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return sum(sqrt(p - t));
  }
};

/// Same bytes (so NaN == NaN and -0 != +0).
template <class A, class B>
bool same_bits(const A& a, const B& b) {
  return sizeof(a) == sizeof(b) && std::memcmp(&a, &b, sizeof(a)) == 0;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(training_guard)

BOOST_AUTO_TEST_CASE(a_learning_rate_set_between_steps_is_validated_and_keeps_the_state) {
  auto opt = model_t::make_optimizer(nn::adam{.learning_rate = 0.01});
  opt.set_learning_rate(0.002);
  BOOST_TEST(opt.learning_rate() == 0.002);
  BOOST_TEST(opt.config().learning_rate == 0.002);
  for (double bad : {-1.0, double(qnan), 1e300}) {
    try {
      opt.set_learning_rate(bad);
      BOOST_ERROR("accepted learning rate " << bad);
    } catch (const nn::config_error& e) {
      BOOST_TEST(std::string(e.what()).find("ctgrad::nn::adam: learning_rate = ") == 0, e.what());
    }
    BOOST_TEST(opt.learning_rate() == 0.002);  // unchanged
  }
  // Adam's moments survive a change of rate: the next step is the one a
  // fresh optimizer with the same history would take (tests/interop/ checks
  // the schedules against PyTorch's).
  auto a = std::make_unique<model_t>(), b = std::make_unique<model_t>();
  a->initialize(3);
  b->initialize(3);
  auto oa = model_t::make_optimizer(nn::adam{.learning_rate = 0.01});
  auto ob = model_t::make_optimizer(nn::adam{.learning_rate = 0.01});
  const std::array<float, 6> x{0.1f, -0.2f, 0.3f, 0.5f, 0.25f, -0.75f};
  const std::array<float, 4> t{0.5f, -0.5f, 0.25f, 0.0f};
  for (int i = 0; i != 3; ++i) a->train_step(oa, x, t), b->train_step(ob, x, t);
  oa.set_learning_rate(0.005);
  ob.set_learning_rate(0.005);
  a->train_step(oa, x, t);
  b->train_step(ob, x, t);
  BOOST_TEST(oa.steps() == 4);
  BOOST_TEST(std::equal(a->storage().begin(), a->storage().end(), b->storage().begin()));
  const auto before = std::make_unique<model_t>(*a);
  auto fresh = model_t::make_optimizer(nn::adam{.learning_rate = 0.005});  // no history: a different step
  a->train_step(fresh, x, t);
  BOOST_TEST(!std::equal(a->storage().begin(), a->storage().end(), b->storage().begin()));
  b->train_step(ob, x, t);
  BOOST_TEST(!std::equal(before->storage().begin(), before->storage().end(), b->storage().begin()));
}

BOOST_AUTO_TEST_CASE(schedules_follow_their_closed_forms) {
  const nn::step_lr step{.initial = 0.1, .step_size = 3, .gamma = 0.5};
  BOOST_TEST(step(0) == 0.1);
  BOOST_TEST(step(2) == 0.1);
  BOOST_TEST(step(3) == 0.05);
  BOOST_TEST(step(7) == 0.025);
  const nn::cosine_annealing_lr cosine{.initial = 0.1, .period = 10, .minimum = 0.01};
  BOOST_TEST(cosine(0) == 0.1);
  BOOST_TEST(std::fabs(cosine(5) - 0.055) < 1e-16);
  BOOST_TEST(std::fabs(cosine(10) - 0.01) < 1e-16);
  const nn::linear_lr warmup{.initial = 0.1, .start_factor = 0.5, .end_factor = 1.0, .total = 4};
  BOOST_TEST(warmup(0) == 0.05);
  BOOST_TEST(std::fabs(warmup(2) - 0.075) < 1e-16);
  BOOST_TEST(warmup(4) == 0.1);
  BOOST_TEST(warmup(100) == 0.1);
  BOOST_TEST(std::fabs(nn::exponential_lr{.initial = 0.1, .gamma = 0.9}(2) - 0.081) < 1e-16);
}

BOOST_AUTO_TEST_CASE(every_optimizer_setting_is_validated_when_the_optimizer_is_made) {
  // Before: each of these was accepted and turned the parameters into NaN
  // at the first step while train_step returned a finite loss.
  expect_config_error(nn::sgd{.learning_rate = qnan}, "ctgrad::nn::sgd: learning_rate = nan is outside its valid range [0, inf)");
  expect_config_error(nn::sgd{.learning_rate = inf}, "learning_rate = inf");
  expect_config_error(nn::sgd{.learning_rate = -0.1}, "learning_rate = -0.1 is outside");
  expect_config_error(nn::sgd{.learning_rate = 1e300}, "(it overflows the model's type)");
  expect_config_error(nn::sgd{.weight_decay = qnan}, "sgd: weight_decay = nan");
  expect_config_error(nn::momentum{.beta = qnan}, "ctgrad::nn::momentum: beta = nan is outside its valid range [0, 1)");
  expect_config_error(nn::momentum{.beta = 1}, "beta = 1 is outside its valid range [0, 1)");
  expect_config_error(nn::momentum{.weight_decay = -1}, "momentum: weight_decay = -1");
  expect_config_error(nn::adam{.beta1 = 1}, "ctgrad::nn::adam: beta1 = 1 is outside its valid range [0, 1)");
  expect_config_error(nn::adam{.beta2 = 1}, "adam: beta2 = 1 is outside its valid range [0, 1)");
  expect_config_error(nn::adam{.beta2 = -0.5}, "beta2 = -0.5");
  expect_config_error(nn::adam{.epsilon = 0}, "adam: epsilon = 0 is outside its valid range (0, inf)");
  expect_config_error(nn::adam{.epsilon = 1e-300}, "epsilon = 1e-300 is outside its valid range (0, inf) (it rounds to 0");
  expect_config_error(nn::adam{.weight_decay = qnan}, "adam: weight_decay = nan");
  expect_config_error(nn::adam{.learning_rate = 1e20, .weight_decay = 1e20}, "learning_rate * weight_decay = 1e+40");
  expect_config_error(nn::rmsprop{.alpha = 1}, "ctgrad::nn::rmsprop: alpha = 1 is outside its valid range [0, 1)");
  expect_config_error(nn::rmsprop{.epsilon = 0}, "rmsprop: epsilon = 0 is outside its valid range (0, inf)");
  expect_config_error(nn::rmsprop{.momentum = qnan}, "rmsprop: momentum = nan");
  expect_config_error(nn::rmsprop{.learning_rate = -1}, "rmsprop: learning_rate = -1");
  expect_config_error(nn::adagrad{.lr_decay = -0.1}, "ctgrad::nn::adagrad: lr_decay = -0.1 is outside its valid range");
  expect_config_error(nn::adagrad{.initial_accumulator_value = inf}, "adagrad: initial_accumulator_value = inf");
  expect_config_error(nn::adagrad{.epsilon = 1e-300}, "adagrad: epsilon = 1e-300 is outside its valid range (0, inf) (it rounds to 0");
  // The edges of the ranges are accepted.
  BOOST_CHECK_NO_THROW((void)model_t::make_optimizer(nn::sgd{.learning_rate = 0}));
  BOOST_CHECK_NO_THROW((void)model_t::make_optimizer(nn::momentum{.beta = 0}));
  BOOST_CHECK_NO_THROW((void)model_t::make_optimizer(nn::adam{.beta1 = 0, .beta2 = 0.999999}));
}

template <class Config>
void check_skipped_steps_change_nothing(Config config) {
  auto m = std::make_unique<model_t>();
  m->initialize(5);
  auto opt = m->make_optimizer(config);
  const std::array<float, 6> x{0.1f, -0.2f, 0.3f, 0.5f, 0.25f, -0.75f};
  const std::array<float, 4> t{0.5f, -0.5f, 0.25f, 0.0f};
  for (int i = 0; i != 3; ++i) BOOST_TEST(m->train_step(opt, x, t).updated);  // some optimizer state

  const auto model_before = std::make_unique<model_t>(*m);
  const auto opt_before = opt;
  for (std::size_t bad = 0; bad != x.size() + t.size(); ++bad)
    for (float value : {qnan, inf, -inf}) {
      auto x_bad = x;
      auto t_bad = t;
      (bad < x.size() ? x_bad[bad] : t_bad[bad - x.size()]) = value;
      const nn::step_result<float> r = m->train_step(opt, x_bad, t_bad);
      BOOST_TEST(!r.updated);
      BOOST_TEST(std::ranges::equal(m->storage(), model_before->storage()));
      BOOST_TEST(same_bits(opt, opt_before));  // moments, step count
      BOOST_CHECK_THROW(m->train_step(opt, x_bad, t_bad, nn::throw_on_nonfinite), nn::nonfinite_error);
      BOOST_TEST(std::ranges::equal(m->storage(), model_before->storage()));
      BOOST_TEST(same_bits(opt, opt_before));
    }
  BOOST_TEST(m->skipped_steps() == 2 * 3 * (x.size() + t.size()));
  // Training goes on from where it was, exactly as if nothing had happened.
  auto reference = std::make_unique<model_t>(*model_before);
  auto reference_opt = opt_before;
  const auto a = m->train_step(opt, x, t), b = reference->train_step(reference_opt, x, t);
  BOOST_TEST(a.updated);
  BOOST_TEST(a.loss == b.loss);
  BOOST_TEST(std::ranges::equal(m->storage(), reference->storage()));
}

BOOST_AUTO_TEST_CASE(a_step_with_non_finite_inputs_or_targets_changes_nothing) {
  // Before: one NaN in an input turned every parameter into NaN for good.
  check_skipped_steps_change_nothing(nn::sgd{.learning_rate = 0.1});
  check_skipped_steps_change_nothing(nn::momentum{.learning_rate = 0.1});
  check_skipped_steps_change_nothing(nn::adam{.learning_rate = 0.01});
  check_skipped_steps_change_nothing(nn::momentum{.learning_rate = 0.1, .nesterov = true});
  check_skipped_steps_change_nothing(nn::rmsprop{.momentum = 0.5, .centered = true});
  check_skipped_steps_change_nothing(nn::adagrad{.lr_decay = 0.01});
}

BOOST_AUTO_TEST_CASE(a_finite_loss_with_a_non_finite_gradient_is_skipped_too) {
  // sqrt at 0: the loss sum(sqrt(x W)) is finite (0), its gradient is not.
  using root_net = nn::sequential<1, nn::dense<1, nn::identity>>;
  auto m = std::make_unique<nn::model<root_net, sqrt_loss, double, 1>>();
  auto opt = m->make_optimizer(nn::sgd{.learning_rate = 0.1});
  std::ranges::fill(m->storage(), 0.0);  // w = b = 0: sqrt(0), derivative +inf
  const std::array<double, 1> x{1.0}, t{0.0};
  const auto r = m->train_step(opt, x, t);
  BOOST_TEST(r.loss == 0.0);
  BOOST_TEST(!r.updated);
  try {
    (void)m->train_step(opt, x, t, nn::throw_on_nonfinite);
    BOOST_ERROR("no nonfinite_error");
  } catch (const nn::nonfinite_error& e) {
    BOOST_TEST(std::string(e.what()).find("d loss/d W1[0] = inf") != std::string::npos, e.what());
  }
  for (double v : m->storage()) BOOST_TEST(v == 0.0);
  // unchecked: the fastest path does what it says.
  const auto u = m->train_step(opt, x, t, nn::unchecked);
  BOOST_TEST(u.updated);
  BOOST_TEST(!std::isfinite(m->parameter<0>()[0]));
}

/// The check train_step runs over the gradients (nn::detail::all_finite:
/// an and, an add and an or per vector, the carry into the sign bit marking
/// an exponent of all ones), at each vector width and length: every finite
/// value passes, including the largest, the subnormals and -0, and one
/// infinity or NaN of either sign anywhere, in the vectors or the tail,
/// fails it.
template <class T, std::size_t n, std::size_t Bytes>
void check_all_finite() {
  constexpr T finite[] = {std::numeric_limits<T>::max(),
                          -std::numeric_limits<T>::max(),
                          std::numeric_limits<T>::denorm_min(),
                          -std::numeric_limits<T>::min(),
                          T(-0.0),
                          T(1.5)};
  constexpr T non_finite[] = {std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity(),
                              std::numeric_limits<T>::quiet_NaN(), -std::numeric_limits<T>::quiet_NaN(),
                              std::numeric_limits<T>::signaling_NaN()};
  std::array<T, n> v{};
  for (std::size_t i = 0; i != n; ++i) v[i] = finite[i % std::size(finite)];
  BOOST_TEST((nn::detail::all_finite<n, Bytes>(v.data())));
  for (std::size_t i = 0; i != n; ++i)
    for (T bad : non_finite) {
      auto w = v;
      w[i] = bad;
      BOOST_TEST(!(nn::detail::all_finite<n, Bytes>(w.data())), "n " << n << ", " << Bytes << " bytes, at " << i);
    }
}

BOOST_AUTO_TEST_CASE(the_finiteness_check_finds_every_infinity_and_nan) {
  check_all_finite<float, 1, 16>();
  check_all_finite<float, 7, 16>();
  check_all_finite<float, 37, 16>();
  check_all_finite<float, 37, 32>();
  check_all_finite<float, 143, 64>();
  check_all_finite<double, 3, 16>();
  check_all_finite<double, 37, 32>();
  check_all_finite<double, 143, 64>();
}

/// Adam's update written out with vectors (16 and 32 bytes: std::sqrt is
/// not vectorised under errno semantics) gives the bits of the one-value-
/// at-a-time loop, for float and double, including a tail shorter than a
/// vector.
template <class T, std::size_t VectorBytes>
void check_adam_width() {
  constexpr std::size_t n = 37;
  std::array<T, n> p0{}, g{};
  for (std::size_t i = 0; i != n; ++i) {
    p0[i] = static_cast<T>(std::sin(0.7 * double(i)) * 3);
    g[i] = static_cast<T>(std::cos(1.3 * double(i)) * (i % 5 == 0 ? 1e-3 : 2));
  }
  const nn::adam config{.learning_rate = 0.01, .weight_decay = 0.02};
  nn::optimizer<nn::adam, T, n> scalar(config), vector(config);
  auto a = p0, b = p0;
  for (int step = 0; step != 4; ++step) {
    scalar.begin_step();
    vector.begin_step();
    scalar.template update<n, 0>(a.data(), g.data(), 0);
    vector.template update<n, VectorBytes>(b.data(), g.data(), 0);
  }
  BOOST_TEST(same_bits(a, b));
  BOOST_TEST(same_bits(scalar, vector));  // moments too
}


BOOST_AUTO_TEST_CASE(adam_written_with_vectors_gives_the_scalar_bits) {
  check_adam_width<float, 16>();
  check_adam_width<double, 16>();
#if CTGRAD_DETAIL_VECTOR_BYTES >= 32
  // A translation unit compiled for AVX2 or wider (ctgrad_avx512_test) runs
  // the 32-byte form by default.
  check_adam_width<float, 32>();
  check_adam_width<double, 32>();
#endif
  // In a portable build the 32-byte form only runs inside AVX2 code:
  // through the model below.
}

BOOST_AUTO_TEST_CASE(a_model_s_adam_step_is_the_documented_update_bit_for_bit) {
  // The model runs the AVX2 copy where the CPU has it: against the update
  // written out one value at a time from the same gradients.
  auto m = std::make_unique<model_t>();
  m->initialize(9);
  auto reference = std::make_unique<model_t>(*m);
  const nn::adam config{.learning_rate = 0.01, .weight_decay = 0.01};
  auto opt = m->make_optimizer(config);
  auto ref_opt = m->make_optimizer(config);
  const std::array<float, 6> x{0.1f, -0.2f, 0.3f, 0.5f, 0.25f, -0.75f};
  const std::array<float, 4> t{0.5f, -0.5f, 0.25f, 0.0f};
  for (int step = 0; step != 3; ++step) {
    BOOST_TEST(m->train_step(opt, x, t).updated);
    (void)reference->loss_and_gradient(x, t);
    ref_opt.begin_step();
    std::size_t offset = 0;
    reference->for_each_parameter([&](auto p, std::span<float> values) {
      const auto g = reference->gradient(p);
      offset = static_cast<std::size_t>(values.data() - reference->storage().data());
      for (std::size_t i = 0; i != values.size(); ++i)
        ref_opt.template update<1, 0>(values.data() + i, g.data() + i, offset + i);
    });
  }
  BOOST_TEST(std::ranges::equal(m->storage(), reference->storage()));
  BOOST_TEST(same_bits(opt, ref_opt));
}

BOOST_AUTO_TEST_SUITE_END()
