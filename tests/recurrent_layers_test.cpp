// Recurrent layers in nn::sequential (nn::rnn, nn::gru, nn::lstm; layers.hpp):
// the expressions and names they build, their gradients through a model
// against central differences, PyTorch's initialisation, SGD fused into the
// kernel, and training.  (PyTorch parity of predictions, gradients and 100
// optimizer steps, through weights files: interop/torch_parity.py.)
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "support.hpp"

using namespace ctgrad;

namespace {
constexpr std::size_t T = 5, I = 2, H = 4;
using gru_net = nn::sequential<nn::input_shape<T, I>, nn::gru<H>, nn::dense<1>>;
using lstm_net = nn::sequential<nn::input_shape<T, I>, nn::lstm<H, nn::last_step>, nn::dense<3, nn::tanh>>;
using stacked_net = nn::sequential<nn::input_shape<T, I>, nn::rnn<H, nn::relu>, nn::gru<3>, nn::dense<2>>;

template <class Model>
std::array<typename Model::scalar_type, Model::batch * Model::inputs> inputs_of(double phase) {
  std::array<typename Model::scalar_type, Model::batch * Model::inputs> x{};
  for (std::size_t i = 0; i != x.size(); ++i)
    x[i] = static_cast<typename Model::scalar_type>(std::sin(0.7 * i + phase));
  return x;
}
template <class Model>
std::array<typename Model::scalar_type, Model::output_elements> targets_of(double phase) {
  std::array<typename Model::scalar_type, Model::output_elements> t{};
  for (std::size_t i = 0; i != t.size(); ++i)
    t[i] = static_cast<typename Model::scalar_type>(0.5 * std::cos(1.3 * i + phase));
  return t;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(recurrent_layers)

BOOST_AUTO_TEST_CASE(layers_build_a_scan_with_pytorchs_names) {
  using model_t = nn::model<gru_net, nn::mse, double, 3>;
  constexpr input<"x", shape<3, T, I>> x;
  constexpr param<"Wih1", shape<3 * H, I>> Wih1;
  constexpr param<"Whh1", shape<3 * H, H>> Whh1;
  constexpr param<"bih1", shape<3 * H>> bih1;
  constexpr param<"bhh1", shape<3 * H>> bhh1;
  constexpr param<"W2", shape<H, 1>> W2;
  constexpr param<"b2", shape<1>> b2;
  constexpr auto states =
      scan(x, zeros<shape<3, H>>, [=](auto x_t, auto h) { return cell::gru(x_t, h, Wih1, Whh1, bih1, bhh1); });
  // A dense layer after a sequence: the same layer at every step.
  constexpr auto expected = reshape<shape<3, T, 1>>(matmul(reshape<shape<3 * T, H>>(states), W2) + b2);
  static_assert(model_t::output_expression{} == expected);
  static_assert(std::is_same_v<shape_of<model_t::target_type>, shape<3, T, 1>>);
  using list = model_t::parameter_list;
  static_assert(detail::mp::mp_at_c<list, 0>{} == Wih1 && detail::mp::mp_at_c<list, 1>{} == Whh1 &&
                detail::mp::mp_at_c<list, 2>{} == bih1 && detail::mp::mp_at_c<list, 3>{} == bhh1 &&
                detail::mp::mp_at_c<list, 4>{} == W2 && detail::mp::mp_at_c<list, 5>{} == b2);
  // nn::last_step: the last state only (an LSTM's h half).
  using lstm_t = nn::model<lstm_net, nn::mse, float, 2>;
  static_assert(std::is_same_v<shape_of<lstm_t::output_expression>, shape<2, 3>>);
  static_assert(lstm_t::parameter_count == 4 * H * I + 4 * H * H + 8 * H + H * 3 + 3);
}

template <class Model>
int check_model_gradients(std::uint64_t seed) {
  auto m = std::make_unique<Model>();
  m->initialize(seed);
  const auto x = inputs_of<Model>(0.3);
  const auto t = targets_of<Model>(0.1);
  int checked = 0;
  m->for_each_parameter([&](auto p, std::span<double> values) {
    m->loss_and_gradient(x, t);
    const auto g = m->gradient(p);
    const std::vector<double> exact(g.begin(), g.end());
    for (std::size_t i = 0; i != values.size(); ++i) {
      const double saved = values[i], h = 1e-6;
      values[i] = saved + h;
      const double up = m->loss_and_gradient(x, t);
      values[i] = saved - h;
      const double down = m->loss_and_gradient(x, t);
      values[i] = saved;
      BOOST_TEST(test::close(exact[i], (up - down) / (2 * h), 1e-7L), p.name.view() << "[" << i << "]");
      ++checked;
    }
  });
  return checked;
}

BOOST_AUTO_TEST_CASE(model_gradients_match_finite_differences) {
  using gru_t = nn::model<gru_net, nn::mse, double, 3>;
  using lstm_t = nn::model<lstm_net, nn::mse, double, 2>;
  using stacked_t = nn::model<stacked_net, nn::mse, double, 2>;
  BOOST_TEST(check_model_gradients<gru_t>(1) == static_cast<int>(gru_t::parameter_count));
  BOOST_TEST(check_model_gradients<lstm_t>(2) == static_cast<int>(lstm_t::parameter_count));
  BOOST_TEST(check_model_gradients<stacked_t>(3) == static_cast<int>(stacked_t::parameter_count));
}

BOOST_AUTO_TEST_CASE(initialised_as_pytorch_does) {
  // Every weight and bias of a recurrent layer U(-1/sqrt(H), 1/sqrt(H)).
  using model_t = nn::model<gru_net, nn::mse, float, 1>;
  auto m = std::make_unique<model_t>();
  m->initialize(7);
  const float bound = 1.0f / std::sqrt(float(H));
  const auto within = [&](auto values) {
    return std::all_of(values.begin(), values.end(), [&](float v) { return std::abs(v) <= bound; }) &&
           std::any_of(values.begin(), values.end(), [&](float v) { return std::abs(v) > bound / 4; });
  };
  BOOST_TEST(within(m->parameter<0>()));  // Wih1
  BOOST_TEST(within(m->parameter<1>()));  // Whh1
  BOOST_TEST(within(m->parameter<2>()));  // bih1: not zeros, as PyTorch's
  BOOST_TEST(within(m->parameter<3>()));  // bhh1
}

BOOST_AUTO_TEST_CASE(fused_sgd_is_the_same_step) {
  // SGD folded into the kernel (the weights' gradients are parts of the
  // reverse scan's result): the parameters of loss_and_gradient and the
  // update, exactly.
  using model_t = nn::model<stacked_net, nn::mse, float, 3>;
  auto fused = std::make_unique<model_t>(), plain = std::make_unique<model_t>();
  fused->initialize(11);
  plain->initialize(11);
  const auto x = inputs_of<model_t>(0.9);
  const auto t = targets_of<model_t>(0.2);
  const nn::sgd config{.learning_rate = 0.1};
  auto opt = fused->make_optimizer(config);
  nn::optimizer<nn::sgd, float, model_t::storage_size> manual(config);
  for (int step = 0; step != 4; ++step) {
    const float a = fused->train_step(opt, x, t, nn::unchecked).loss;
    const float b = plain->loss_and_gradient(x, t);
    BOOST_TEST(a == b);
    plain->for_each_parameter([&](auto p, std::span<float> values) {
      const auto g = plain->gradient(p);
      for (std::size_t i = 0; i != values.size(); ++i) values[i] = manual.beta() * values[i] + manual.alpha() * g[i];
    });
  }
  BOOST_TEST(std::equal(fused->storage().begin(), fused->storage().end(), plain->storage().begin()));
}

BOOST_AUTO_TEST_CASE(a_gru_learns_a_filter_with_memory) {
  // y[t] = 0.5 x[t] + 0.4 y[t-1]: a GRU of 4 and a per-step readout get the
  // loss below a tenth of its start in 300 Adam steps.
  using model_t = nn::model<nn::sequential<nn::input_shape<8, 1>, nn::gru<4>, nn::dense<1>>, nn::mse, float, 4>;
  auto m = std::make_unique<model_t>();
  m->initialize(5);
  std::array<float, 32> x{}, y{};
  for (std::size_t s = 0; s != 4; ++s) {
    float previous = 0;
    for (std::size_t k = 0; k != 8; ++k) {
      x[s * 8 + k] = std::sin(0.9f * float(k) + float(s));
      y[s * 8 + k] = previous = 0.5f * x[s * 8 + k] + 0.4f * previous;
    }
  }
  auto opt = m->make_optimizer(nn::adam{.learning_rate = 0.02});
  const float first = m->train_step(opt, x, y).loss;
  float last = first;
  for (int step = 0; step != 300; ++step) last = m->train_step(opt, x, y).loss;
  BOOST_TEST(last < first / 10, "loss " << first << " -> " << last);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(recurrent_streams)

/// A sequence streamed one sample at a time gives the model's prediction
/// of the whole sequence (batch 1), bit for bit.
template <class Net, std::size_t Features>
void check_stream_equals_prediction(std::uint64_t seed) {
  using model_t = nn::model<Net, nn::mse, float, 1>;
  auto m = std::make_unique<model_t>();
  m->initialize(seed);
  const auto x = inputs_of<model_t>(0.4 * double(seed));
  typename model_t::template prediction_workspace<1> ws;
  const auto predicted = m->predict(ws, x);
  auto s = std::make_unique<nn::stream<model_t>>();
  constexpr std::size_t per_step = model_t::outputs / T;
  for (std::size_t t = 0; t != T; ++t) {
    const auto out = (*s)(*m, std::span<const float, Features>(x.data() + t * Features, Features));
    for (std::size_t j = 0; j != per_step; ++j)
      BOOST_TEST(out[j] == predicted[t * per_step + j], "step " << t << ", output " << j);
  }
  // reset: the same outputs again from silence.
  s->reset();
  const auto again = (*s)(*m, std::span<const float, Features>(x.data(), Features));
  BOOST_TEST(again[0] == predicted[0]);
}

BOOST_AUTO_TEST_CASE(a_stream_equals_the_models_prediction_bit_for_bit) {
  check_stream_equals_prediction<gru_net, I>(1);
  check_stream_equals_prediction<nn::sequential<nn::input_shape<T, I>, nn::lstm<H>, nn::dense<2, nn::tanh>>, I>(2);
  check_stream_equals_prediction<stacked_net, I>(3);
  static_assert(nn::stream<nn::model<stacked_net, nn::mse, float, 1>>::state_size == H + 3);
}

BOOST_AUTO_TEST_SUITE_END()
