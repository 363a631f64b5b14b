// The model API a deployment needs: predict at another batch (1 included)
// on the same parameters, const and re-entrant with caller-owned
// workspaces; gradient<I>() and const parameter<I>(); every parameter and
// every gradient as one flat span, and an update from gradients the caller
// changed (averaged across data-parallel workers); integer class labels for
// softmax cross-entropy.
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

using namespace ctgrad;

namespace {
using net = nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<2>>;
template <class T>
using model = nn::model<net, nn::mse, T, 4>;
using classifier =
    nn::model<nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<4>>, nn::softmax_cross_entropy, float, 3>;

template <class T, std::size_t N>
std::array<T, N> inputs(double offset) {
  std::array<T, N> x{};
  for (std::size_t i = 0; i != N; ++i) x[i] = static_cast<T>(std::sin(static_cast<double>(i) + offset));
  return x;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(model_api)

template <class T>
void check_batches(double tolerance) {
  auto m = std::make_unique<model<T>>();
  m->initialize(5);
  const auto x = inputs<T, 12>(1);
  const auto y = m->predict(x);
  const std::vector<T> expected(y.begin(), y.end());
  const model<T>& shared = *m;
  // The model's own batch, in a caller's workspace: the same kernel, the same bits.
  typename model<T>::template prediction_workspace<> ws4;
  const auto y4 = shared.predict(ws4, x);
  BOOST_TEST(std::vector<T>(y4.begin(), y4.end()) == expected);
  // One row at a time, and two.
  typename model<T>::template prediction_workspace<1> ws1;
  typename model<T>::template prediction_workspace<2> ws2;
  for (std::size_t row = 0; row != 4; ++row) {
    const auto y1 = shared.predict(ws1, std::span<const T, 3>(x.data() + 3 * row, 3));
    for (std::size_t k = 0; k != 2; ++k)
      BOOST_TEST(std::fabs(y1[k] - expected[2 * row + k]) <=
                 tolerance * std::max(T(1), std::fabs(expected[2 * row + k])));
  }
  const auto y2 = shared.predict(ws2, std::span<const T, 6>(x.data() + 6, 6));
  for (std::size_t k = 0; k != 4; ++k)
    BOOST_TEST(std::fabs(y2[k] - expected[4 + k]) <= tolerance * std::max(T(1), std::fabs(expected[4 + k])));
  static_assert(sizeof(ws1) < sizeof(ws4));
}

BOOST_AUTO_TEST_CASE(predict_at_any_batch_on_the_same_parameters) {
  check_batches<double>(1e-15);
  check_batches<float>(1e-6f);
}

BOOST_AUTO_TEST_CASE(threads_share_one_model_with_their_own_workspaces) {
  auto m = std::make_unique<model<float>>();
  m->initialize(6);
  const model<float>& shared = *m;
  constexpr std::size_t threads = 4, rows = 64;
  std::vector<float> serial(rows * 2), parallel(rows * 2);
  model<float>::prediction_workspace<1> ws;
  for (std::size_t r = 0; r != rows; ++r) {
    const auto x = inputs<float, 3>(static_cast<double>(r));
    const auto y = shared.predict(ws, x);
    std::copy(y.begin(), y.end(), serial.begin() + static_cast<std::ptrdiff_t>(2 * r));
  }
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t != threads; ++t)
    pool.emplace_back([&, t] {
      auto own = std::make_unique<model<float>::prediction_workspace<1>>();
      for (std::size_t r = t; r < rows; r += threads) {
        const auto x = inputs<float, 3>(static_cast<double>(r));
        const auto y = shared.predict(*own, x);
        std::copy(y.begin(), y.end(), parallel.begin() + static_cast<std::ptrdiff_t>(2 * r));
      }
    });
  for (auto& t : pool) t.join();
  BOOST_TEST(parallel == serial);
}

BOOST_AUTO_TEST_CASE(gradient_and_parameter_by_index) {
  auto m = std::make_unique<model<double>>();
  m->initialize(7);
  m->loss_and_gradient(inputs<double, 12>(2), inputs<double, 8>(3));
  const auto by_index = m->gradient<2>();
  const auto by_expression = m->gradient(model<double>::parameter_type<2>{});
  BOOST_TEST(by_index.data() == by_expression.data());
  BOOST_TEST(by_index.size() == 16u);
  const model<double>& c = *m;
  BOOST_TEST(c.parameter<1>().data() == m->parameter<1>().data());
}

BOOST_AUTO_TEST_CASE(class_labels_train_as_one_hot_targets) {
  auto a = std::make_unique<classifier>(), b = std::make_unique<classifier>();
  a->initialize(8);
  b->initialize(8);
  auto oa = classifier::make_optimizer(nn::adam{.learning_rate = 0.01});
  auto ob = classifier::make_optimizer(nn::adam{.learning_rate = 0.01});
  const auto x = inputs<float, 9>(4);
  const std::array<int, 3> labels{3, 0, 2};
  const std::array<float, 12> one_hot{0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0};
  for (int step = 0; step != 10; ++step) {
    const auto ra = a->train_step(oa, x, labels);
    const auto rb = b->train_step(ob, x, one_hot);
    BOOST_TEST(ra.loss == rb.loss);
  }
  BOOST_TEST(std::equal(a->storage().begin(), a->storage().end(), b->storage().begin()));
  const std::array<std::size_t, 3> unsigned_labels{3, 0, 2};
  BOOST_TEST(a->loss_and_gradient(x, unsigned_labels) == b->loss_and_gradient(x, one_hot));

  // A label out of range: an error naming it, nothing changed.
  const std::vector<float> before(a->storage().begin(), a->storage().end());
  for (const std::array<long, 3> bad : {std::array<long, 3>{0, 4, 1}, std::array<long, 3>{-1, 0, 0}}) {
    try {
      a->train_step(oa, x, bad);
      BOOST_ERROR("trained on a label out of range");
    } catch (const nn::target_error& e) {
      BOOST_TEST(std::string(e.what()).find("class labels are 0 to 3") != std::string::npos, e.what());
    }
  }
  BOOST_TEST(std::equal(before.begin(), before.end(), a->storage().begin()));
}

BOOST_AUTO_TEST_CASE(nll_of_log_softmax_is_softmax_cross_entropy) {
  using logits_net = nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<4>>;
  using log_probabilities_net = nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<4, nn::log_softmax>>;
  auto ce = std::make_unique<nn::model<logits_net, nn::softmax_cross_entropy, double, 3>>();
  auto nll = std::make_unique<nn::model<log_probabilities_net, nn::nll, double, 3>>();
  ce->initialize(9);
  nll->initialize(9);
  const auto x = inputs<double, 9>(5);
  const std::array<int, 3> labels{1, 3, 0};
  BOOST_TEST(std::fabs(ce->loss_and_gradient(x, labels) - nll->loss_and_gradient(x, labels)) < 1e-15);
  const auto same = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
    const auto a = ce->template gradient<I>();
    const auto b = nll->template gradient<I>();
    for (std::size_t k = 0; k != a.size(); ++k) BOOST_TEST(std::fabs(a[k] - b[k]) < 1e-15);
  };
  [&]<std::size_t... I>(std::index_sequence<I...>) { (same(std::integral_constant<std::size_t, I>{}), ...); }
  (std::make_index_sequence<4>{});
}

// parameters() and gradients(): one flat span each, no padding, the same
// layout, and parameter<I>() / gradient<I>() are the parts of them.
BOOST_AUTO_TEST_CASE(flat_parameters_and_gradients) {
  using cnn = nn::model<nn::sequential<nn::input_shape<1, 6, 6>, nn::conv2d<3, 3>, nn::max_pool2d<2>, nn::flatten,
                                       nn::dense<5, nn::tanh>, nn::dense<2>>,
                        nn::mse, double, 2>;
  const auto check = [](auto& m, std::size_t inputs, std::size_t outputs) {
    using model_t = std::remove_cvref_t<decltype(m)>;
    m.initialize(3);
    std::vector<double> x(inputs), t(outputs);
    for (std::size_t i = 0; i != x.size(); ++i) x[i] = std::sin(0.7 * double(i));
    for (std::size_t i = 0; i != t.size(); ++i) t[i] = std::cos(0.3 * double(i));
    m.loss_and_gradient(std::span<const double, model_t::batch * model_t::inputs>(x.data(), x.size()),
                        std::span<const double, model_t::output_elements>(t.data(), t.size()));
    const model_t& c = m;
    static_assert(decltype(m.parameters())::extent == model_t::parameter_count);
    static_assert(decltype(c.gradients())::extent == model_t::parameter_count);
    std::size_t offset = 0;
    const auto part = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      BOOST_TEST(m.template parameter<I>().data() == m.parameters().data() + offset);
      BOOST_TEST(c.template parameter<I>().data() == c.parameters().data() + offset);
      BOOST_TEST(c.template gradient<I>().data() == c.gradients().data() + offset);
      offset += m.template parameter<I>().size();
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) { (part(std::integral_constant<std::size_t, I>{}), ...); }
    (std::make_index_sequence<model_t::parameter_tensors>{});
    BOOST_TEST(offset == model_t::parameter_count);  // no padding
    BOOST_TEST(m.gradients().data() == c.gradients().data());
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(m.parameters().data()) % 64 == 0);
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(c.gradients().data()) % 64 == 0);
  };
  check(*std::make_unique<model<double>>(), 12, 8);
  check(*std::make_unique<cnn>(), 72, 4);  // a conv weight's gradient (copied into place: it keeps scratch)
}

// apply_gradients after loss_and_gradient is train_step; in between the
// caller may change gradients() (here: scale by a power of two, exactly).
template <class Config>
void check_apply_gradients(Config config) {
  auto a = std::make_unique<model<double>>(), b = std::make_unique<model<double>>();
  a->initialize(11);
  b->initialize(11);
  auto oa = model<double>::make_optimizer(config);
  auto ob = model<double>::make_optimizer(config);
  for (int step = 0; step != 5; ++step) {
    const auto x = inputs<double, 12>(step);
    const auto t = inputs<double, 8>(step + 0.5);
    const auto r = a->train_step(oa, x, t);
    BOOST_TEST(b->loss_and_gradient(x, t) == r.loss);
    BOOST_TEST(b->apply_gradients(ob));
  }
  BOOST_TEST(std::ranges::equal(a->parameters(), b->parameters()));
  a->loss_and_gradient(inputs<double, 12>(7), inputs<double, 8>(8));  // changes no parameter
  BOOST_TEST(std::ranges::equal(a->parameters(), b->parameters()));
}

BOOST_AUTO_TEST_CASE(apply_gradients_is_the_second_half_of_train_step) {
  check_apply_gradients(nn::sgd{.learning_rate = 0.1});
  check_apply_gradients(nn::momentum{.learning_rate = 0.05, .beta = 0.9});
  check_apply_gradients(nn::adam{.learning_rate = 0.01, .weight_decay = 0.001});

  // Halved gradients with SGD are the full ones at half the learning rate, bit for bit.
  auto a = std::make_unique<model<double>>(), b = std::make_unique<model<double>>();
  a->initialize(12);
  b->initialize(12);
  auto oa = model<double>::make_optimizer(nn::sgd{.learning_rate = 0.05});
  auto ob = model<double>::make_optimizer(nn::sgd{.learning_rate = 0.1});
  for (int step = 0; step != 3; ++step) {
    const auto x = inputs<double, 12>(step);
    const auto t = inputs<double, 8>(-step);
    a->train_step(oa, x, t);
    b->loss_and_gradient(x, t);
    for (double& g : b->gradients()) g *= 0.5;
    b->apply_gradients(ob);
  }
  BOOST_TEST(std::ranges::equal(a->parameters(), b->parameters()));
}

// Data parallelism by hand: two workers on the two halves of a batch, their
// gradients averaged, give the gradient of the whole batch (mean losses).
BOOST_AUTO_TEST_CASE(averaged_gradients_of_halves_are_the_whole_batch) {
  using half_model = nn::model<net, nn::mse, double, 2>;
  auto whole = std::make_unique<model<double>>();
  auto first = std::make_unique<half_model>(), second = std::make_unique<half_model>();
  whole->initialize(13);
  std::ranges::copy(whole->parameters(), first->parameters().begin());
  std::ranges::copy(whole->parameters(), second->parameters().begin());
  const auto x = inputs<double, 12>(1);
  const auto t = inputs<double, 8>(2);
  const double loss = whole->loss_and_gradient(x, t);
  const double l1 =
      first->loss_and_gradient(std::span<const double, 6>(x.data(), 6), std::span<const double, 4>(t.data(), 4));
  const double l2 = second->loss_and_gradient(std::span<const double, 6>(x.data() + 6, 6),
                                              std::span<const double, 4>(t.data() + 4, 4));
  BOOST_TEST(std::fabs((l1 + l2) / 2 - loss) <= 1e-15 * loss);
  double largest = 0;
  for (std::size_t i = 0; i != half_model::parameter_count; ++i) {
    const double average = (first->gradients()[i] + second->gradients()[i]) / 2;
    largest = std::max(largest, std::fabs(average - whole->gradients()[i]));
  }
  BOOST_TEST(largest <= 1e-15, "largest difference " << largest);
  // One update from the averaged gradients: the whole batch's step.
  auto opt = model<double>::make_optimizer(nn::adam{.learning_rate = 0.01});
  auto opt_half = half_model::make_optimizer(nn::adam{.learning_rate = 0.01});
  for (std::size_t i = 0; i != half_model::parameter_count; ++i)
    first->gradients()[i] = (first->gradients()[i] + second->gradients()[i]) / 2;
  whole->apply_gradients(opt);
  first->apply_gradients(opt_half);
  for (std::size_t i = 0; i != half_model::parameter_count; ++i)
    BOOST_TEST(std::fabs(first->parameters()[i] - whole->parameters()[i]) <= 1e-12);
}

// A gradient the caller made non-finite: apply_gradients skips (or throws
// naming it), and nothing changes.
BOOST_AUTO_TEST_CASE(apply_gradients_checks_the_gradients) {
  auto m = std::make_unique<model<double>>();
  m->initialize(14);
  auto opt = model<double>::make_optimizer(nn::adam{.learning_rate = 0.01});
  m->loss_and_gradient(inputs<double, 12>(1), inputs<double, 8>(2));
  const std::vector<double> before(m->parameters().begin(), m->parameters().end());
  const std::size_t at = m->parameter<0>().size() + 3;  // b1[3]
  m->gradients()[at] = std::numeric_limits<double>::quiet_NaN();
  BOOST_TEST(!m->apply_gradients(opt));
  BOOST_TEST(m->skipped_steps() == 1u);
  try {
    m->apply_gradients(opt, nn::throw_on_nonfinite);
    BOOST_ERROR("no exception");
  } catch (const nn::nonfinite_error& e) {
    const std::string text = e.what();
    BOOST_TEST(text.find("apply_gradients") != std::string::npos, text);
    BOOST_TEST(text.find("b1[3]") != std::string::npos, text);
  }
  BOOST_TEST(std::ranges::equal(before, m->parameters()));
  m->gradients()[at] = 0;
  BOOST_TEST(m->apply_gradients(opt));
  BOOST_TEST(!std::ranges::equal(before, m->parameters()));
}

BOOST_AUTO_TEST_SUITE_END()
