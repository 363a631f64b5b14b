// Every tensor operation, loss and activation against central finite
// differences in long double, at random points and several shapes: the
// gradient a compiled kernel returns for every leaf, element by element.
#include <boost/test/unit_test.hpp>

#include "gradient_check.hpp"

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {

using test::check_gradients;
using test::real;

constexpr param<"A", shape<3, 4>> A;
constexpr param<"B", shape<3, 4>> B;
constexpr param<"v", shape<4>> v;
constexpr param<"s", shape<>> s;
constexpr input<"r", shape<3, 4>> r;  // random weights: loss = sum(f(...) * r)

}  // namespace

BOOST_AUTO_TEST_SUITE(tensor_gradients)

BOOST_AUTO_TEST_CASE(elementwise_arithmetic_with_broadcasting) {
  BOOST_TEST(check_gradients(sum((A + B) * r), -1, 1, A, B, r) == 36);
  BOOST_TEST(check_gradients(sum((A - v) * r), -1, 1, A, v, r) == 28);
  BOOST_TEST(check_gradients(sum(A * B * r), -1, 1, A, B, r) == 36);
  BOOST_TEST(check_gradients(sum(A / (B * B + 1_c) * r), -1, 1, A, B, r) == 36);
  BOOST_TEST(check_gradients(sum((s * A + v / 2_c - 3_c) * r), -1, 1, s, A, v, r) == 29);
  BOOST_TEST(check_gradients(sum(-A * r), -1, 1, A, r) == 24);
  BOOST_TEST(check_gradients(sum(pow(A, 3_c) * r), -1, 1, A, r) == 24);
}

BOOST_AUTO_TEST_CASE(every_elementwise_function) {
  BOOST_TEST(check_gradients(sum(exp(A) * r), -2, 2, A, r) > 0);
  BOOST_TEST(check_gradients(sum(log(A) * r), 0.1L, 3, A, r) > 0);
  BOOST_TEST(check_gradients(sum(sqrt(A) * r), 0.1L, 3, A, r) > 0);
  BOOST_TEST(check_gradients(sum(sin(A) * r), -3, 3, A, r) > 0);
  BOOST_TEST(check_gradients(sum(cos(A) * r), -3, 3, A, r) > 0);
  BOOST_TEST(check_gradients(sum(tanh(A) * r), -3, 3, A, r) > 0);
  BOOST_TEST(check_gradients(sum(sigmoid(A) * r), -5, 5, A, r) > 0);
  BOOST_TEST(check_gradients(sum(softplus(A) * r), -5, 5, A, r) > 0);
  BOOST_TEST(check_gradients(sum(relu(A) * r), -1, 1, A, r) > 0);
  BOOST_TEST(check_gradients(sum(abs(A) * r), -1, 1, A, r) > 0);
  BOOST_TEST(check_gradients(sum(leaky_relu(A) * r), -1, 1, A, r) > 0);
  BOOST_TEST(check_gradients(sum(leaky_relu(A, c<1, 5>) * r), -1, 1, A, r) > 0);
  BOOST_TEST(check_gradients(sum(elu(A) * r), -2, 2, A, r) > 0);
  BOOST_TEST(check_gradients(sum(gelu(A) * r), -3, 3, A, r) > 0);
}

BOOST_AUTO_TEST_CASE(user_defined_formula) {
  using namespace ctgrad::placeholders;
  // swish(x) = x * sigmoid(x), and a two-argument formula.
  BOOST_TEST(check_gradients(sum(map(_0 * sigmoid(_0), A) * r), -3, 3, A, r) > 0);
  BOOST_TEST(check_gradients(sum(map(_0 * _0 * _1 + sin(_1), A, B) * r), -2, 2, A, B, r) > 0);
}

BOOST_AUTO_TEST_CASE(products) {
  constexpr param<"M", shape<4, 5>> M;
  constexpr param<"x", shape<4>> x;
  constexpr param<"y", shape<5>> y;
  constexpr input<"q", shape<3, 5>> q;
  BOOST_TEST(check_gradients(sum(matmul(A, M) * q), -1, 1, A, M, q) == 47);
  BOOST_TEST(check_gradients(dot(matmul(x, M), y), -1, 1, x, M, y) == 29);          // vector x matrix
  BOOST_TEST(check_gradients(dot(matmul(A, x), matmul(A, x)), -1, 1, A, x) == 16);  // matrix x vector
  BOOST_TEST(check_gradients(sum(matmul(transpose(M), transpose(A)) * transpose(q)), -1, 1, A, M, q) == 47);
  BOOST_TEST(check_gradients(sum(matmul(A, transpose(B)) * matmul(B, transpose(A))), -1, 1, A, B) == 24);
  BOOST_TEST(check_gradients(dot(x, x * x), -1, 1, x) == 4);
}

BOOST_AUTO_TEST_CASE(views_and_reductions) {
  constexpr param<"T", shape<2, 3, 2>> T;
  constexpr input<"q", shape<4, 3>> q;
  BOOST_TEST(check_gradients(sum(reshape<shape<4, 3>>(A) * q), -1, 1, A, q) == 24);
  BOOST_TEST(check_gradients(sum(reshape<shape<3, 4>>(T) * r), -1, 1, T, r) == 24);
  BOOST_TEST(check_gradients(sum(transpose(A) * q), -1, 1, A, q) == 24);
  BOOST_TEST(check_gradients(mean(A * A) + sum(A) * s, -1, 1, A, s) == 13);
  BOOST_TEST(check_gradients(sum(exp(logsumexp(A)) * logsumexp(B)), -1, 1, A, B) == 24);
  BOOST_TEST(check_gradients(sum(T * T * T) * sum(tanh(T)), -1, 1, T) == 12);
}

BOOST_AUTO_TEST_CASE(slices_and_concatenation) {
  // The last axis of matrices and of rank-3 tensors; slices that overlap,
  // slices of a concatenation, the gates of one product.
  constexpr param<"T", shape<2, 3, 5>> T;
  constexpr param<"W", shape<4, 6>> W;
  constexpr input<"q", shape<3, 2>> q;
  constexpr input<"p", shape<2, 3, 2>> p;
  BOOST_TEST(check_gradients(sum(slice<1, 2>(A) * q), -1, 1, A, q) == 18);
  BOOST_TEST(check_gradients(sum(tanh(slice<3, 2>(T)) * p + slice<0, 2>(T) * slice<2, 2>(T)), -1, 1, T, p) == 42);
  BOOST_TEST(check_gradients(sum(concat(A, B) * concat(B, tanh(A))), -1, 1, A, B) == 24);
  BOOST_TEST(check_gradients(sum(sigmoid(concat(slice<2, 2>(A), B)) * concat(q, r)), -1, 1, A, B, q, r) == 42);
  const auto z = matmul(A, W);  // [3, 6]: two gates of 3
  BOOST_TEST(check_gradients(sum(tanh(slice<0, 3>(z)) * sigmoid(slice<3, 3>(z))), -1, 1, A, W) == 36);
}

BOOST_AUTO_TEST_CASE(recurrent_cells) {
  // One step of each cell (expr/cells.hpp; PyTorch parity: interop/torch_cells.py).
  constexpr param<"x", shape<2, 3>> x;
  constexpr param<"h", shape<2, 4>> h;
  constexpr param<"s", shape<2, 8>> s;  // LSTM: h and c
  constexpr param<"W1", shape<4, 3>> W1;
  constexpr param<"U1", shape<4, 4>> U1;
  constexpr param<"c1", shape<4>> c1;
  constexpr param<"d1", shape<4>> d1;
  constexpr param<"W3", shape<12, 3>> W3;
  constexpr param<"U3", shape<12, 4>> U3;
  constexpr param<"c3", shape<12>> c3;
  constexpr param<"d3", shape<12>> d3;
  constexpr param<"W4", shape<16, 3>> W4;
  constexpr param<"U4", shape<16, 4>> U4;
  constexpr param<"c4", shape<16>> c4;
  constexpr param<"d4", shape<16>> d4;
  constexpr input<"g", shape<2, 4>> g;
  constexpr input<"g2", shape<2, 8>> g2;
  BOOST_TEST(check_gradients(sum(cell::rnn(x, h, W1, U1, c1, d1) * g), -1, 1, x, h, W1, U1, c1, d1, g) == 58);
  BOOST_TEST(check_gradients(sum(cell::rnn<fn::relu>(x, h, W1, U1, c1, d1) * g), -1, 1, x, h, W1, U1, c1, d1, g) == 58);
  BOOST_TEST(check_gradients(sum(cell::gru(x, h, W3, U3, c3, d3) * g), -1, 1, x, h, W3, U3, c3, d3, g) == 130);
  BOOST_TEST(check_gradients(sum(cell::lstm(x, s, W4, U4, c4, d4) * g2), -1, 1, x, s, W4, U4, c4, d4, g2) == 182);
}

BOOST_AUTO_TEST_CASE(softmax_family) {
  BOOST_TEST(check_gradients(sum(softmax(A) * r), -3, 3, A, r) == 24);
  BOOST_TEST(check_gradients(sum(log_softmax(A) * r), -3, 3, A, r) == 24);
  BOOST_TEST(check_gradients(sum(softmax(v) * sin(v)), -3, 3, v) == 4);  // rank 1
}

BOOST_AUTO_TEST_CASE(losses) {
  constexpr input<"t", shape<3, 4>> t;
  BOOST_TEST(check_gradients(loss::half_sse(tanh(A), t), -1, 1, A, t) == 24);
  BOOST_TEST(check_gradients(loss::mse(A * B, t), -1, 1, A, B, t) == 36);
  BOOST_TEST(check_gradients(loss::binary_cross_entropy_with_logits(A, t), 0, 1, A, t) == 24);
  // Softmax cross-entropy is logsumexp(z) - sum(t*z) per row, which is
  // -sum(t*log(softmax(z))) when rows of t sum to 1 (checked with such
  // targets in softmax_cross_entropy_values); here, its calculus.
  BOOST_TEST(check_gradients(loss::softmax_cross_entropy(A, t), 0, 1, A, t) == 24);
  BOOST_TEST(check_gradients(loss::l1(A * B, t), -1, 1, A, B, t) == 36);
  BOOST_TEST(check_gradients(loss::huber<nodes::constant<1, 2>>(A * B, t), -1, 1, A, B, t) == 36);  // both sides of 1/2
  BOOST_TEST(check_gradients(loss::huber<nodes::constant<3>>(tanh(A), t), -1, 1, A, t) == 24);
  BOOST_TEST(check_gradients(loss::nll(log_softmax(A), t), 0, 1, A, t) == 24);
}

BOOST_AUTO_TEST_CASE(l1_huber_nll_values_and_kinks) {
  constexpr param<"p", shape<2, 3>> p;
  constexpr input<"t", shape<2, 3>> t;
  constexpr auto l1 = compile(loss::l1(p, t), wrt(p));
  constexpr auto huber = compile(loss::huber<nodes::constant<1>>(p, t), wrt(p));
  static workspace<decltype(l1), double> l1_ws;
  static workspace<decltype(huber), double> huber_ws;
  // x = p - t: 0 (the kink: derivative 0, as PyTorch), +-1 (Huber's joint), 3, -0.5, 2.
  const std::array<double, 6> ps{0.5, 2.0, -1.0, 3.0, -0.5, 2.0}, ts{0.5, 1.0, 0.0, 0.0, 0.0, 0.0};
  BOOST_TEST(l1(l1_ws, p = ps, t = ts) == (0 + 1 + 1 + 3 + 0.5 + 2) / 6.0);
  const std::array<double, 6> sign{0, 1, -1, 1, -1, 1};
  for (std::size_t i = 0; i != 6; ++i) BOOST_TEST(l1_ws.gradient(p)[i] == sign[i] / 6);
  // Huber, delta 1: x^2/2 inside, |x| - 1/2 outside; derivative x inside, sign(x) outside.
  BOOST_TEST(huber(huber_ws, p = ps, t = ts) == (0 + 0.5 + 0.5 + 2.5 + 0.125 + 1.5) / 6.0);
  const std::array<double, 6> slope{0, 1, -1, 1, -0.5, 1};
  for (std::size_t i = 0; i != 6; ++i) BOOST_TEST(huber_ws.gradient(p)[i] == slope[i] / 6);
  // NLL: -mean over rows of the target's log-probability.
  constexpr auto nll = compile(loss::nll(p, t), wrt(p));
  static workspace<decltype(nll), double> nll_ws;
  const std::array<double, 6> logp{-0.1, -2.0, -3.0, -1.5, -0.5, -1.0}, one_hot{1, 0, 0, 0, 0, 1};
  BOOST_TEST(nll(nll_ws, p = logp, t = one_hot) == (0.1 + 1.0) / 2);
  for (std::size_t i = 0; i != 6; ++i) BOOST_TEST(nll_ws.gradient(p)[i] == -one_hot[i] / 2);
}

BOOST_AUTO_TEST_CASE(softmax_cross_entropy_values) {
  // Against a direct long-double computation, with large logits (stability).
  constexpr param<"z", shape<2, 3>> z;
  constexpr input<"t", shape<2, 3>> t;
  auto k = compile(loss::softmax_cross_entropy(z, t), wrt(z));
  workspace<decltype(k), real> ws;
  const std::array<real, 6> zs{1000, 1001, 999, -3, 0.5L, 2};
  const std::array<real, 6> ts{0, 1, 0, 0.25L, 0.25L, 0.5L};
  const real l = k(ws, z = zs, t = ts);
  real expected = 0;
  std::array<real, 6> dz{};
  for (int row = 0; row != 2; ++row) {
    real m = std::max({zs[3 * row], zs[3 * row + 1], zs[3 * row + 2]});
    real sum = 0;
    for (int j = 0; j != 3; ++j) sum += std::exp(zs[3 * row + j] - m);
    for (int j = 0; j != 3; ++j) {
      const real log_p = zs[3 * row + j] - m - std::log(sum);
      expected -= ts[3 * row + j] * log_p / 2;
      dz[3 * row + j] = (std::exp(log_p) - ts[3 * row + j]) / 2;  // (softmax - t) / batch
    }
  }
  BOOST_TEST(test::close(l, expected, 1e-15L));
  for (int i = 0; i != 6; ++i) BOOST_TEST(test::close(ws.gradient(z)[i], dz[i], 1e-15L));
}

BOOST_AUTO_TEST_CASE(mlp_with_batch) {
  constexpr input<"x", shape<5, 3>> x;
  constexpr input<"t", shape<5, 2>> t;
  constexpr param<"W1", shape<3, 4>> W1;
  constexpr param<"b1", shape<4>> b1;
  constexpr param<"W2", shape<4, 2>> W2;
  constexpr param<"b2", shape<2>> b2;
  const auto h = tanh(matmul(x, W1) + b1);
  const auto z = matmul(h, W2) + b2;
  BOOST_TEST(check_gradients(loss::mse(sigmoid(z), t), -1, 1, W1, b1, W2, b2, x, t) == 51);
  BOOST_TEST(check_gradients(loss::softmax_cross_entropy(z, t), -1, 1, W1, b1, W2, b2, x, t) == 51);
}

// A kernel's gradients are one flat span in the order of wrt(...) (a
// tensor asked for twice is there twice); gradient(p) is its part, and the
// numbers are those of a kernel asked for that tensor alone.
BOOST_AUTO_TEST_CASE(gradients_are_one_flat_span_in_wrt_order) {
  constexpr input<"x", shape<5, 3>> x;
  constexpr param<"W1", shape<3, 4>> W1;
  constexpr param<"b1", shape<4>> b1;
  constexpr param<"W2", shape<4, 2>> W2;
  constexpr auto loss = sum(sin(matmul(tanh(matmul(x, W1) + b1), W2)));
  constexpr auto k = compile(loss, wrt(b1, W2, W1, x, b1));
  using K = std::remove_const_t<decltype(k)>;
  static_assert(K::layout::gradient_elements == 4 + 8 + 12 + 15 + 4);
  // The layout answers by tensor_key (what nn::model reads it with).
  static_assert(K::layout::gradient_offset(tensor_key<param<"b1", shape<4>>>::value) == 0);
  static_assert(K::layout::gradient_offset(tensor_key<param<"W2", shape<4, 2>>>::value) == 4);
  static_assert(K::layout::gradient_offset(tensor_key<param<"W1", shape<3, 4>>>::value) == 12);
  static_assert(K::layout::gradient_offset(tensor_key<input<"x", shape<5, 3>>>::value) == 24);
  static_assert(K::layout::gradient_offset(tensor_key<param<"W3", shape<4, 2>>>::value) == graph::none);
  static_assert(tensor_key<param<"W2", shape<2, 4>>>::value !=
                tensor_key<param<"W2", shape<4, 2>>>::value);  // the shape counts
  std::array<double, 12> w1{};
  std::array<double, 4> bias{};
  std::array<double, 8> w2{};
  std::array<double, 15> xs{};
  for (std::size_t i = 0; i != w1.size(); ++i) w1[i] = std::sin(1.0 + double(i));
  for (std::size_t i = 0; i != bias.size(); ++i) bias[i] = std::cos(2.0 * double(i));
  for (std::size_t i = 0; i != w2.size(); ++i) w2[i] = std::sin(3.0 * double(i));
  for (std::size_t i = 0; i != xs.size(); ++i) xs[i] = std::cos(0.5 + double(i));
  auto ws = std::make_unique<workspace<K, double>>();
  k(*ws, x = xs, W1 = w1, b1 = bias, W2 = w2);
  const auto flat = std::as_const(*ws).gradients();
  BOOST_TEST(flat.data() == ws->data());
  BOOST_TEST(ws->gradient(b1).data() == flat.data());
  BOOST_TEST(ws->gradient(W2).data() == flat.data() + 4);
  BOOST_TEST(ws->gradient(W1).data() == flat.data() + 12);
  BOOST_TEST(ws->gradient(x).data() == flat.data() + 24);
  BOOST_TEST(std::equal(flat.begin() + 39, flat.end(), flat.begin()));  // b1 again, copied
  const auto alone = [&](auto p, std::size_t offset) {
    constexpr auto single = compile(loss, wrt(decltype(p){}));
    auto own = std::make_unique<workspace<decltype(single), double>>();
    single(*own, x = xs, W1 = w1, b1 = bias, W2 = w2);
    const auto g = own->gradient(p);
    BOOST_TEST(std::equal(g.begin(), g.end(), flat.begin() + static_cast<std::ptrdiff_t>(offset)));
  };
  alone(b1, 0);
  alone(W2, 4);
  alone(W1, 12);
  alone(x, 24);
}

BOOST_AUTO_TEST_SUITE_END()
