// The layer API: models against hand-computed gradients, optimizers against
// their formulas, initialisers (deterministic, right spread), training.
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>

#include <algorithm>
#include <cmath>
#include <memory>

#include "support.hpp"

using namespace ctgrad;

namespace {
using xor_net = nn::sequential<2, nn::dense<4, nn::tanh>, nn::dense<1, nn::sigmoid>>;
using xor_model = nn::model<xor_net, nn::mse, double, 4>;
const std::array<double, 8> xor_x{0, 0, 0, 1, 1, 0, 1, 1};
const std::array<double, 4> xor_t{0, 1, 1, 0};
}  // namespace

BOOST_AUTO_TEST_SUITE(nn_api)

BOOST_AUTO_TEST_CASE(layers_build_the_expected_expression) {
  constexpr param<"W1", shape<2, 4>> W1;
  constexpr param<"b1", shape<4>> b1;
  constexpr param<"W2", shape<4, 1>> W2;
  constexpr param<"b2", shape<1>> b2;
  constexpr input<"x", shape<4, 2>> x;
  static_assert(xor_model::output_expression{} == sigmoid(matmul(tanh(matmul(x, W1) + b1), W2) + b2));
  static_assert(xor_model::parameter_tensors == 4 && xor_model::parameter_count == 17);
  using list = xor_model::parameter_list;
  static_assert(detail::mp::mp_at_c<list, 0>{} == W1 && detail::mp::mp_at_c<list, 1>{} == b1 &&
                detail::mp::mp_at_c<list, 2>{} == W2 && detail::mp::mp_at_c<list, 3>{} == b2);
}

BOOST_AUTO_TEST_CASE(loss_and_gradient_match_finite_differences) {
  auto m = std::make_unique<xor_model>();
  m->initialize(3);
  const double loss = m->loss_and_gradient(xor_x, xor_t);
  BOOST_TEST(loss > 0.0);
  int checked = 0;
  m->for_each_parameter([&](auto p, std::span<double> values) {
    m->loss_and_gradient(xor_x, xor_t);  // the last difference left a perturbed gradient behind
    const auto g = m->gradient(p);
    std::vector<double> exact(g.begin(), g.end());
    for (std::size_t i = 0; i != values.size(); ++i) {
      const double saved = values[i], h = 1e-6;
      values[i] = saved + h;
      const double up = m->loss_and_gradient(xor_x, xor_t);
      values[i] = saved - h;
      const double down = m->loss_and_gradient(xor_x, xor_t);
      values[i] = saved;
      BOOST_TEST(test::close(exact[i], (up - down) / (2 * h), 1e-8L));
      ++checked;
    }
  });
  BOOST_TEST(checked == 17);
}

BOOST_AUTO_TEST_CASE(initialisers_are_deterministic_and_scaled) {
  nn::random_bits a(42), b(42);
  for (int i = 0; i != 100; ++i) BOOST_TEST(a.next() == b.next());
  // SplitMix64's published first output for seed 0.
  BOOST_TEST(nn::random_bits(0).next() == 0xe220a8397b1dcdafULL);
  auto m1 = std::make_unique<xor_model>(), m2 = std::make_unique<xor_model>();
  m1->initialize(7);
  m2->initialize(7);
  BOOST_TEST(std::equal(m1->storage().begin(), m1->storage().end(), m2->storage().begin()));
  // Xavier uniform for W1 [2, 4]: |w| <= sqrt(6 / 6) = 1; biases zero.
  for (double w : m1->parameter<0>()) BOOST_TEST(std::fabs(w) <= 1.0);
  for (double v : m1->parameter<1>()) BOOST_TEST(v == 0.0);
  // Spread of a large He-normal draw: standard deviation sqrt(2 / fan_in).
  std::vector<double> v(20000);
  nn::random_bits bits(5);
  nn::init::he_normal::fill(std::span<double>(v), 50, 10, bits);
  double mean = 0, var = 0;
  for (double x : v) mean += x / v.size();
  for (double x : v) var += (x - mean) * (x - mean) / v.size();
  BOOST_TEST(std::fabs(mean) < 0.01);
  BOOST_TEST(std::fabs(std::sqrt(var) - 0.2) < 0.005);
}

BOOST_AUTO_TEST_CASE(optimizers_follow_their_formulas) {
  std::array<double, 2> p{1.0, -2.0};
  const std::array<double, 2> g{0.5, 0.25};
  nn::optimizer<nn::sgd, double, 2> sgd(nn::sgd{.learning_rate = 0.1, .weight_decay = 0.01});
  sgd.begin_step();
  sgd.update<2>(p.data(), g.data(), 0);
  BOOST_TEST(p[0] == 1.0 - 0.1 * (0.5 + 0.01 * 1.0));
  BOOST_TEST(p[1] == -2.0 - 0.1 * (0.25 + 0.01 * -2.0));

  std::array<double, 1> q{1.0};
  nn::optimizer<nn::momentum, double, 1> mom(nn::momentum{.learning_rate = 0.1, .beta = 0.9});
  const double gq = 2.0;
  mom.update<1>(q.data(), &gq, 0);  // v = 2, q = 1 - 0.2
  mom.update<1>(q.data(), &gq, 0);  // v = 0.9*2 + 2 = 3.8, q = 0.8 - 0.38
  BOOST_TEST(test::close(q[0], 0.42, 1e-15L));

  std::array<double, 1> r{1.0};
  nn::optimizer<nn::adam, double, 1> adam(nn::adam{.learning_rate = 0.01});
  double m = 0, v = 0, expected = 1.0;
  for (int t = 1; t <= 3; ++t) {
    const double gr = 0.3 * t;
    adam.begin_step();
    adam.update<1>(r.data(), &gr, 0);
    m = 0.9 * m + 0.1 * gr;
    v = 0.999 * v + 0.001 * gr * gr;
    const double mhat = m / (1 - std::pow(0.9, t)), vhat = v / (1 - std::pow(0.999, t));
    expected -= 0.01 * mhat / (std::sqrt(vhat) + 1e-8);
  }
  BOOST_TEST(test::close(r[0], expected, 1e-14L));
}

BOOST_AUTO_TEST_CASE(xor_trains) {
  auto m = std::make_unique<xor_model>();
  m->initialize(1);
  auto opt = m->make_optimizer(nn::adam{.learning_rate = 0.05});
  double loss = 0;
  for (int step = 0; step != 1000; ++step) loss = m->train_step(opt, xor_x, xor_t).loss;
  BOOST_TEST(loss < 0.01);
  const auto y = m->predict(xor_x);
  BOOST_TEST(y[0] < 0.5);
  BOOST_TEST(y[1] > 0.5);
  BOOST_TEST(y[2] > 0.5);
  BOOST_TEST(y[3] < 0.5);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(fused_sgd_is_the_same_step) {
  // train_step with nn::sgd folds the update into the kernel; it must give
  // exactly the parameters of loss_and_gradient followed by the update.
  using net = nn::sequential<5, nn::dense<8, nn::tanh>, nn::dense<8, nn::relu>, nn::dense<3>>;
  using model_t = nn::model<net, nn::softmax_cross_entropy, float, 4>;
  static_assert(model_t::training_kernel::sgd_fused[0] && model_t::training_kernel::sgd_fused[2] &&
                model_t::training_kernel::sgd_fused[4]);  // every weight matrix
  auto fused = std::make_unique<model_t>(), plain = std::make_unique<model_t>(), checked = std::make_unique<model_t>();
  fused->initialize(21);
  plain->initialize(21);
  checked->initialize(21);
  std::array<float, 20> x{};
  std::array<float, 12> t{};
  for (std::size_t i = 0; i != x.size(); ++i) x[i] = 0.1f * float(i % 7) - 0.3f;
  for (std::size_t r = 0; r != 4; ++r) t[r * 3 + r % 3] = 1;
  const nn::sgd config{.learning_rate = 0.1, .weight_decay = 0.01};
  auto opt = fused->make_optimizer(config);
  auto checked_opt = checked->make_optimizer(config);
  nn::optimizer<nn::sgd, float, model_t::storage_size> manual(config);
  for (int step = 0; step != 5; ++step) {
    const float a = fused->train_step(opt, x, t, nn::unchecked).loss;  // fused
    const auto c = checked->train_step(checked_opt, x, t);             // checked: gradients, then the update
    const float b = plain->loss_and_gradient(x, t);
    BOOST_TEST(a == b);
    BOOST_TEST(c.loss == b);
    BOOST_TEST(c.updated);
    plain->for_each_parameter([&](auto p, std::span<float> values) {
      const auto g = plain->gradient(p);
      for (std::size_t i = 0; i != values.size(); ++i) values[i] = manual.beta() * values[i] + manual.alpha() * g[i];
    });
  }
  BOOST_TEST(std::equal(fused->storage().begin(), fused->storage().end(), plain->storage().begin()));
  BOOST_TEST(std::equal(checked->storage().begin(), checked->storage().end(), plain->storage().begin()));
}

// After the fused SGD kernel, the model updates the parameters it left out
// size class by size class (one loop per distinct tensor size); every
// tensor must still get exactly its own update.
static_assert([] {
  constexpr auto c = nn::detail::classify_by_size(std::array<std::size_t, 6>{12, 3, 12, 3, 6, 12});
  return c.count == 3 && c.size[0] == 12 && c.size[1] == 3 && c.size[2] == 6 && c.begin[0] == 0 && c.begin[1] == 3 &&
         c.begin[2] == 5 && c.begin[3] == 6 && c.member == std::array<std::size_t, 6>{0, 2, 5, 1, 3, 4};
}());

template <class Config>
void check_update_matches_each_parameter(Config config) {
  using net = nn::sequential<3, nn::repeat<3, nn::dense<4, nn::tanh>>, nn::dense<4, nn::relu>, nn::dense<2>>;
  using model_t = nn::model<net, nn::mse, double, 2>;
  auto stepped = std::make_unique<model_t>(), manual = std::make_unique<model_t>();
  stepped->initialize(5);
  manual->initialize(5);
  auto opt = stepped->make_optimizer(config);
  auto manual_opt = manual->make_optimizer(config);
  const std::array<double, 6> x{0.5, -0.25, 0.75, -1.0, 0.125, 0.3};
  const std::array<double, 4> t{0.2, -0.1, 0.4, 0.05};
  for (int step = 0; step != 3; ++step) {
    const auto r = stepped->train_step(opt, x, t, nn::unchecked);
    BOOST_TEST(r.loss == manual->loss_and_gradient(x, t));
    manual_opt.begin_step();
    manual->for_each_parameter([&](auto p, auto values) {
      const std::size_t offset = static_cast<std::size_t>(values.data() - manual->storage().data());
      manual_opt.template update<values.size()>(values.data(), manual->gradient(p).data(), offset);
    });
  }
  BOOST_TEST(std::equal(stepped->storage().begin(), stepped->storage().end(), manual->storage().begin()));
}

BOOST_AUTO_TEST_CASE(every_parameter_gets_its_own_update) {
  check_update_matches_each_parameter(nn::sgd{.learning_rate = 0.1, .weight_decay = 0.01});
  check_update_matches_each_parameter(nn::momentum{.learning_rate = 0.05, .beta = 0.9, .weight_decay = 0.01});
  check_update_matches_each_parameter(nn::adam{.learning_rate = 0.01, .weight_decay = 0.001});
  check_update_matches_each_parameter(
      nn::momentum{.learning_rate = 0.05, .beta = 0.9, .weight_decay = 0.01, .nesterov = true});
  check_update_matches_each_parameter(nn::rmsprop{.learning_rate = 0.01, .weight_decay = 0.01, .momentum = 0.5});
  check_update_matches_each_parameter(nn::rmsprop{.learning_rate = 0.01, .centered = true});
  check_update_matches_each_parameter(
      nn::adagrad{.learning_rate = 0.05, .lr_decay = 0.01, .weight_decay = 0.01, .initial_accumulator_value = 0.1});
}

BOOST_AUTO_TEST_CASE(convolution_layers_infer_shapes_and_parameters) {
  // 2-D: [1, 12, 12] -> conv 4 (5x5, stride 2, padding 2) -> [4, 6, 6] -> avg-pool 2 -> [4, 3, 3]
  //      -> conv 6 (3x3, dilation 1) -> [6, 1, 1] -> flatten -> dense 2.
  using net2 =
      nn::sequential<nn::input_shape<1, 12, 12>, nn::conv2d<4, 5, nn::tanh, nn::stride<2>, nn::padding<2>>,
                     nn::avg_pool2d<2>, nn::conv2d<6, 3, nn::relu, nn::init::xavier_normal>, nn::flatten, nn::dense<2>>;
  using m2 = nn::model<net2, nn::mse, double, 3>;
  static_assert(m2::inputs == 144 && m2::outputs == 2);
  static_assert(std::is_same_v<shape_of<m2::parameter_type<0>>, shape<4, 1, 5, 5>>);
  static_assert(std::is_same_v<shape_of<m2::parameter_type<1>>, shape<4>>);
  static_assert(std::is_same_v<shape_of<m2::parameter_type<2>>, shape<6, 4, 3, 3>>);
  static_assert(std::is_same_v<shape_of<m2::parameter_type<4>>, shape<6, 2>>);
  static_assert(m2::parameter_type<2>::name.view() == "W2" && m2::parameter_type<4>::name.view() == "W3");
  // 1-D: [2, 16] -> conv 3 (k 3, padding 1) -> [3, 16] -> max-pool 4 -> [3, 4] -> flatten -> dense 1.
  using net1 = nn::sequential<nn::input_shape<2, 16>, nn::conv1d<3, 3, nn::relu, nn::padding<1>>, nn::max_pool1d<4>,
                              nn::flatten, nn::dense<1>>;
  using m1 = nn::model<net1, nn::mse, double, 2>;
  static_assert(std::is_same_v<shape_of<m1::parameter_type<0>>, shape<3, 2, 3>>);
  static_assert(std::is_same_v<shape_of<m1::parameter_type<2>>, shape<12, 1>>);

  // The first layer (tanh: Xavier uniform) uses fan_in = in_channels * kernel area = 25 and
  // fan_out = out_channels * kernel area = 100: bound sqrt(6 / 125).
  auto m = std::make_unique<m2>();
  m->initialize(4);
  const auto w1 = m->parameter<0>();
  const double bound = std::sqrt(6.0 / 125.0);
  BOOST_TEST(std::ranges::all_of(w1, [&](double w) { return std::abs(w) <= bound; }));
  BOOST_TEST(std::ranges::any_of(w1, [&](double w) { return std::abs(w) > 0.8 * bound; }));

  // And it learns: a 1-D model fits a fixed batch.
  auto n = std::make_unique<m1>();
  n->initialize(2);
  std::array<double, 64> x{};
  for (std::size_t i = 0; i != x.size(); ++i) x[i] = std::sin(0.3 * double(i));
  const std::array<double, 2> t{0.5, -0.25};
  auto adam = n->make_optimizer(nn::adam{.learning_rate = 0.01});
  const double first = n->train_step(adam, x, t).loss;
  double last = first;
  for (int step = 0; step != 300; ++step) last = n->train_step(adam, x, t).loss;
  BOOST_TEST(last < 1e-3 * first);
}
