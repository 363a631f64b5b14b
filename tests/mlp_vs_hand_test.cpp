// W2 and W3: ctgrad's gradients against an independent hand-written
// implementation (bench/hand_mlp.hpp), in float, to 1e-5 relative.
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>

#include <algorithm>
#include <cmath>
#include <memory>

#include "hand_mlp.hpp"
#include "mlp_data.hpp"

using namespace ctgrad;

namespace {

/// ||a - b|| / ||b|| in the 2-norm: the relative difference of two
/// gradients as vectors.  (Element by element, a float gradient's entries
/// near zero are sums with cancellation that carry absolute, not relative,
/// error: two correct implementations differ there by orders of 1e-4.)
template <class A, class B>
double relative_difference(const A& a, const B& b) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i != std::size(b); ++i) {
    diff += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
    norm += double(b[i]) * double(b[i]);
  }
  return std::sqrt(diff / norm);
}

template <class Model, class Layer>
void copy_layer(Model& m, std::span<const float> W, std::span<const float> b, Layer& l) {
  (void)m;
  std::copy(W.begin(), W.end(), l.W.begin());
  std::copy(b.begin(), b.end(), l.b.begin());
}

}  // namespace

BOOST_AUTO_TEST_CASE(w2_gradients_match_hand_written) {
  using net = nn::sequential<16, nn::dense<32, nn::tanh>, nn::dense<32, nn::tanh>, nn::dense<4>>;
  auto m = std::make_unique<nn::model<net, nn::softmax_cross_entropy, float, 1>>();
  m->initialize(3);
  auto h = std::make_unique<hand::mlp2<1, 16, 32, 32, 4, hand::activation::tanh>>();
  copy_layer(*m, m->parameter<0>(), m->parameter<1>(), h->l1);
  copy_layer(*m, m->parameter<2>(), m->parameter<3>(), h->l2);
  copy_layer(*m, m->parameter<4>(), m->parameter<5>(), h->l3);
  const mlp_batch<1, 16, 4> data(9);
  const float loss = m->loss_and_gradient(data.x, data.t);
  const float hand_loss = h->backward(data.x.data(), data.t.data());
  BOOST_TEST(std::fabs(loss - hand_loss) <= 1e-5f * std::fabs(hand_loss));
  hand::dense<16, 32> g1;
  hand::dense<32, 32> g2;
  hand::dense<32, 4> g3;
  hand::gradients<1>(data.x.data(), h->d1.data(), g1);
  hand::gradients<1>(h->h1.data(), h->d2.data(), g2);
  hand::gradients<1>(h->h2.data(), h->dz.data(), g3);
  using P = decltype(m)::element_type::parameter_list;
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 0>{}), g1.W) <= 1e-5);
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 1>{}), g1.b) <= 1e-5);
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 2>{}), g2.W) <= 1e-5);
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 3>{}), g2.b) <= 1e-5);
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 4>{}), g3.W) <= 1e-5);
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 5>{}), g3.b) <= 1e-5);
}

BOOST_AUTO_TEST_CASE(w3_gradients_match_hand_written) {
  using net = nn::sequential<784, nn::dense<128, nn::relu>, nn::dense<10>>;
  auto m = std::make_unique<nn::model<net, nn::softmax_cross_entropy, float, 32>>();
  m->initialize(4);
  auto h = std::make_unique<hand::mlp1<32, 784, 128, 10, hand::activation::relu>>();
  copy_layer(*m, m->parameter<0>(), m->parameter<1>(), h->l1);
  copy_layer(*m, m->parameter<2>(), m->parameter<3>(), h->l2);
  const auto data = std::make_unique<mlp_batch<32, 784, 10>>(5);
  const float loss = m->loss_and_gradient(data->x, data->t);
  const float hand_loss = h->backward(data->x.data(), data->t.data());
  BOOST_TEST(std::fabs(loss - hand_loss) <= 1e-5f * std::fabs(hand_loss));
  auto g1 = std::make_unique<hand::dense<784, 128>>();
  hand::dense<128, 10> g2;
  hand::gradients<32>(data->x.data(), h->d.data(), *g1);
  hand::gradients<32>(h->h.data(), h->dz.data(), g2);
  using P = decltype(m)::element_type::parameter_list;
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 0>{}), g1->W) <= 1e-5);
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 1>{}), g1->b) <= 1e-5);
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 2>{}), g2.W) <= 1e-5);
  BOOST_TEST(relative_difference(m->gradient(detail::mp::mp_at_c<P, 3>{}), g2.b) <= 1e-5);
}
