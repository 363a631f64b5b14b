// C1's network through the layer API against the hand-written CNN of the
// benchmark (bench/hand_cnn.hpp), written independently: same weights, same
// batch; the loss and every gradient (conv kernel and bias, dense weights
// and bias) must agree.  Float sums in different orders differ by rounding,
// so gradients are compared as vectors (2-norm of the difference relative
// to the 2-norm of the gradient), as in mlp_vs_hand_test.cpp.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <ctgrad/nn.hpp>
#include <memory>

#include "hand_cnn.hpp"
#include "mlp_data.hpp"

using namespace ctgrad;

namespace {
template <class A, class B>
double relative_difference(const A& a, const B& b) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i != a.size(); ++i) {
    diff += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
    norm += double(b[i]) * double(b[i]);
  }
  return std::sqrt(diff / norm);
}
}  // namespace

BOOST_AUTO_TEST_CASE(c1_gradients_match_the_hand_written_cnn) {
  using net = nn::sequential<nn::input_shape<1, 28, 28>, nn::conv2d<8, 3, nn::relu, nn::padding<1>>, nn::max_pool2d<2>,
                             nn::flatten, nn::dense<10>>;
  auto model = std::make_unique<nn::model<net, nn::softmax_cross_entropy, float, 8>>();
  auto hand_net = std::make_unique<hand::cnn<8, 28, 28, 8, 10>>();
  hand_net->initialize(3);
  // Non-zero biases, so that their paths are exercised.
  for (std::size_t o = 0; o != 8; ++o) hand_net->bias[o] = 0.05f * float(o) - 0.2f;
  for (std::size_t j = 0; j != 10; ++j) hand_net->fc.b[j] = 0.01f * float(j);
  std::ranges::copy(hand_net->kernel, model->parameter<0>().begin());
  std::ranges::copy(hand_net->bias, model->parameter<1>().begin());
  std::ranges::copy(hand_net->fc.W, model->parameter<2>().begin());
  std::ranges::copy(hand_net->fc.b, model->parameter<3>().begin());

  const auto data = std::make_unique<mlp_batch<8, 784, 10>>(11);
  auto dfc = std::make_unique<hand::dense<8 * 14 * 14, 10>>();
  const float hand_loss = hand_net->backward(data->x.data(), data->t.data(), *dfc);
  const float loss = model->loss_and_gradient(data->x, data->t);
  BOOST_TEST(std::abs(loss - hand_loss) <= 1e-5f * std::abs(hand_loss));
  using P = decltype(model)::element_type::parameter_list;
  BOOST_TEST(relative_difference(model->gradient(detail::mp::mp_at_c<P, 0>{}), hand_net->dkernel) <= 1e-5);
  BOOST_TEST(relative_difference(model->gradient(detail::mp::mp_at_c<P, 1>{}), hand_net->dbias) <= 1e-5);
  BOOST_TEST(relative_difference(model->gradient(detail::mp::mp_at_c<P, 2>{}), dfc->W) <= 1e-5);
  BOOST_TEST(relative_difference(model->gradient(detail::mp::mp_at_c<P, 3>{}), dfc->b) <= 1e-5);
}
