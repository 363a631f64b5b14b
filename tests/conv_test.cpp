// Convolution, padding and pooling: every operation against central finite
// differences (long double, random points) at several shapes, strides,
// paddings and dilations, in 1-D and 2-D, batched and not; second
// derivatives through each node's VJP partners; the worked 4x4 / 2x2
// example of backprop.md section 5 with its numbers.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "conv_worked_example.hpp"
#include "gradient_check.hpp"

using namespace ctgrad;
using test::check_gradients;
using test::real;

namespace {
/// sum(e * r) for a random r of e's shape: every element of e matters, with its own weight.
template <fixed_string Name = "r", Tensor E>
constexpr auto weighted(E) noexcept {
  return input<Name, shape_of<E>>{};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(convolution)

BOOST_AUTO_TEST_CASE(conv2d_gradients_by_input_kernel_and_bias) {
  constexpr input<"x", shape<2, 2, 5, 6>> x;
  constexpr param<"W", shape<3, 2, 3, 2>> W;
  constexpr param<"b", shape<3>> b;
  {  // stride 1, no padding: [2, 3, 3, 5]
    const auto y = conv2d(x, W, b);
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 3, 3, 5>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, x, W, b, r) == 120 + 36 + 3 + 90);
  }
  {  // stride 2, padding 1: [2, 3, 3, 4]
    const auto y = conv2d(x, W, b, stride<2>, padding<1>);
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 3, 3, 4>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, x, W, b, r) == 120 + 36 + 3 + 72);
  }
  {  // dilation 2, padding (2, 1), stride (1, 2): [2, 3, 5, 3]
    const auto y = conv2d(x, W, padding<2, 1>, dilation<2>, stride<1, 2>);
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 3, 5, 3>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, x, W, r) == 120 + 36 + 90);
  }
}

BOOST_AUTO_TEST_CASE(conv2d_unbatched_and_stacked) {
  constexpr param<"x", shape<1, 7, 7>> x;  // [C, H, W]
  constexpr param<"K1", shape<4, 1, 3, 3>> K1;
  constexpr param<"K2", shape<2, 4, 2, 2>> K2;
  const auto h = tanh(conv2d(x, K1, padding<1>));
  const auto y = conv2d(h, K2, stride<2>);
  static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 3, 3>>);
  const auto r = weighted(y);
  BOOST_TEST(check_gradients(sum(y * r), -1, 1, x, K1, K2, r) == 49 + 36 + 32 + 18);
}

BOOST_AUTO_TEST_CASE(conv1d_gradients) {
  constexpr input<"x", shape<2, 3, 11>> x;
  constexpr param<"W", shape<2, 3, 3>> W;
  constexpr param<"b", shape<2>> b;
  {
    const auto y = conv1d(x, W, b, stride<2>, padding<1>, dilation<2>);  // (11 + 2 - 4 - 1)/2 + 1 = 5
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 2, 5>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, x, W, b, r) == 66 + 18 + 2 + 20);
  }
  {
    constexpr param<"u", shape<3, 11>> u;  // unbatched
    const auto y = conv1d(u, W);
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 9>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, u, W, r) == 33 + 18 + 18);
  }
}

BOOST_AUTO_TEST_CASE(max_pooling_routes_the_gradient_to_the_arg_max) {
  constexpr param<"x", shape<2, 3, 7, 6>> x;
  {  // 2x2, the last row dropped (7 = 3 * 2 + 1)
    const auto y = max_pool2d<2>(x);
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 3, 3, 3>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, x, r) == 252 + 54);
  }
  {  // overlapping 3x2 windows, stride (2, 1)
    const auto y = max_pool2d<3, 2>(x, stride<2, 1>);
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 3, 3, 5>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, x, r) == 252 + 90);
  }
  {
    constexpr param<"s", shape<2, 2, 9>> s;
    const auto y = max_pool1d<3>(s, stride<2>);
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 2, 4>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, s, r) == 36 + 16);
  }
}

// The max-pooling gradient by definition, in float and double (the kernels
// keep the arg-max of each window from the forward pass; long double, used
// by the finite-difference tests, stores it differently): dL/dx is r at
// each window's first maximum and 0 elsewhere.  A NaN in a window is its
// maximum (never silently dropped).  Rows of 2 windows, and of 21 (2x2
// windows a row at a time in vectors of 2-8 lanes, then the rest one by
// one: window_instructions.hpp), with ties and NaNs in both parts.
template <class T, std::size_t W>
void check_max_pool_routing() {
  constexpr std::size_t OW = W / 2, size = 2 * 3 * 6 * W;
  constexpr param<"x", shape<2, 3, 6, W>> x;
  constexpr input<"r", shape<2, 3, 3, OW>> r;
  auto k = compile(sum(max_pool2d<2>(x) * r), wrt(x));
  auto ws = std::make_unique<workspace<decltype(k), T>>();
  std::array<T, size> xs{};
  std::array<T, size / 4> rs{};
  const auto points = test::random_points(-1, 1, size, 17);
  for (std::size_t i = 0; i != size; ++i) xs[i] = static_cast<T>(points[i]);
  xs[2 * W + 1] = xs[2 * W];  // a tie: the first maximum wins
  if constexpr (OW > 8) {
    xs[4 * W + 13] = xs[4 * W + 12] = T(2);  // ties in the vectors' part: a row, a column, a diagonal
    xs[6 * W + 15] = xs[7 * W + 15] = T(2);
    xs[8 * W + 16] = xs[9 * W + 17] = T(2);
  }
  for (std::size_t i = 0; i != size / 4; ++i) rs[i] = static_cast<T>(i + 1);
  k(*ws, x = xs, r = rs);
  std::array<T, size> expected{};
  for (std::size_t n = 0; n != 6; ++n)
    for (std::size_t i = 0; i != 3; ++i)
      for (std::size_t j = 0; j != OW; ++j) {
        std::size_t best = (n * 6 + 2 * i) * W + 2 * j;
        for (std::size_t a = 0; a != 2; ++a)
          for (std::size_t b = 0; b != 2; ++b) {
            const std::size_t at = (n * 6 + 2 * i + a) * W + 2 * j + b;
            if (xs[at] > xs[best]) best = at;
          }
        expected[best] = rs[(n * 3 + i) * OW + j];
      }
  for (std::size_t i = 0; i != size; ++i) BOOST_TEST(ws->gradient(x)[i] == expected[i], "element " << i);

  auto forward = compile_forward(max_pool2d<2>(x));
  auto fws = std::make_unique<workspace<decltype(forward), T>>();
  xs[W + 2] = std::numeric_limits<T>::quiet_NaN();  // row 1, column 2: window (0, 0, 1), not its first element
  if constexpr (OW > 8) xs[W + 19] = std::numeric_limits<T>::quiet_NaN();  // window (0, 0, 9), its last element
  const auto y = forward(*fws, x = xs);
  BOOST_TEST(std::isnan(y[1]));
  BOOST_TEST(!std::isnan(y[0]));
  BOOST_TEST(!std::isnan(y[OW]));
  if constexpr (OW > 8) {
    BOOST_TEST(std::isnan(y[9]));
    BOOST_TEST(!std::isnan(y[8]));
    BOOST_TEST(!std::isnan(y[10]));
  }
  for (std::size_t j = 0; j != OW; ++j)  // the rest: the maxima themselves
    if (j != 1 && !(OW > 8 && j == 9)) {
      const T m = std::max(std::max(xs[2 * j], xs[2 * j + 1]), std::max(xs[W + 2 * j], xs[W + 2 * j + 1]));
      BOOST_TEST(y[j] == m, "window " << j);
    }
}

BOOST_AUTO_TEST_CASE(max_pool_routing_in_float_and_double) {
  check_max_pool_routing<float, 4>();
  check_max_pool_routing<double, 4>();
  check_max_pool_routing<float, 42>();
  check_max_pool_routing<double, 42>();
}

BOOST_AUTO_TEST_CASE(average_pooling) {
  constexpr param<"x", shape<2, 2, 6, 5>> x;
  {
    const auto y = avg_pool2d<2>(x);
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<2, 2, 3, 2>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, x, r) == 120 + 24);
  }
  {
    const auto y = avg_pool2d<3>(x, stride<1>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, x, r) == 120 + 2 * 2 * 4 * 3);
  }
  {
    constexpr param<"s", shape<3, 8>> s;  // unbatched 1-D
    const auto y = avg_pool1d<2>(s);
    static_assert(std::is_same_v<shape_of<decltype(y)>, shape<3, 4>>);
    const auto r = weighted(y);
    BOOST_TEST(check_gradients(sum(y * r), -1, 1, s, r) == 24 + 12);
  }
}

BOOST_AUTO_TEST_CASE(a_small_cnn_end_to_end) {
  constexpr input<"x", shape<3, 1, 6, 6>> x;
  constexpr param<"K", shape<2, 1, 3, 3>> K;
  constexpr param<"c", shape<2>> c;
  constexpr param<"W", shape<18, 3>> W;
  constexpr input<"t", shape<3, 3>> t;
  const auto h = flatten(max_pool2d<2>(relu(conv2d(x, K, c, padding<1>))));
  static_assert(std::is_same_v<shape_of<decltype(h)>, shape<3, 18>>);
  const auto L = loss::softmax_cross_entropy(matmul(h, W), softmax(t));
  BOOST_TEST(check_gradients(L, -1, 1, x, K, c, W, t) == 108 + 18 + 2 + 54 + 9);
}

BOOST_AUTO_TEST_CASE(second_derivatives_through_the_partner_nodes) {
  // d/dx and d/dW of <R, dL/dW>: the VJPs of conv_kernel_grad (conv and
  // conv_input_grad), of conv_input_grad, of max_route and of avg_unpool.
  constexpr param<"x", shape<2, 2, 5, 5>> x;
  constexpr param<"W", shape<2, 2, 3, 3>> W;
  constexpr input<"q", shape<2, 2, 2, 2>> q;
  const auto L = sum(max_pool2d<2>(tanh(conv2d(x, W, padding<1>, stride<2>))) * q);
  const auto R = weighted<"R">(W);
  BOOST_TEST(check_gradients(sum(grad(L, W) * R), -1, 1, x, W, q, R) > 0);
  const auto S = weighted<"S">(x);
  BOOST_TEST(check_gradients(sum(grad(L, x) * S), -1, 1, x, W, q, S) > 0);
  const auto A = sum(avg_pool2d<2>(sin(conv2d(x, W))) * input<"p", shape<2, 2, 1, 1>>{});
  BOOST_TEST(check_gradients(sum(grad(A, x) * S), -1, 1, x, W, input<"p", shape<2, 2, 1, 1>>{}, S) > 0);
}

// backprop.md section 5: one 2x2 kernel over a 4x4 input, stride 1, gives a
// 3x3 output net; E = 1/2 sum (net - t)^2 (the expressions and their printed
// derivatives: docs/examples/conv_worked_example.hpp, whose static_asserts
// check that the kernel gradient prints as the correlation of the input
// with dE/dnet = net - t and the input gradient as the full convolution with
// the flipped kernel).
static_assert(std::is_same_v<shape_of<decltype(conv_worked::net)>, shape<1, 3, 3>>);

BOOST_AUTO_TEST_CASE(worked_example_4x4_input_2x2_kernel) {
  using namespace conv_worked;
  auto k = compile(E, wrt(w, x));
  workspace<decltype(k), double> ws;
  std::array<double, 16> xs{};
  for (std::size_t i = 0; i != 16; ++i) xs[i] = double(i + 1);  // x_ij = 4i + j + 1
  const std::array<double, 4> ws_{1, 2, 3, 4};
  const std::array<double, 9> ts{};
  const double e = k(ws, x = xs, w = ws_, t = ts);

  // By hand: net_ij = x_ij + 2 x_i(j+1) + 3 x_(i+1)j + 4 x_(i+1)(j+1) = 10 x_ij + 34,
  // over the top-left 3x3 block of x (sum 54, sum of squares 426):
  // E = 1/2 sum net^2 = 44862; dE/dw_11 = sum net_ij x_ij = 10*426 + 34*54 = 6096,
  // and dE/dw_ab adds (shift of x) * sum net = 846 * {1, 4, 5}.
  BOOST_TEST(e == 44862.0);
  const std::array<double, 4> by_hand{6096, 6096 + 846, 6096 + 4 * 846, 6096 + 5 * 846};
  for (std::size_t i = 0; i != 4; ++i) BOOST_TEST(ws.gradient(w)[i] == by_hand[i]);
  // The kernel gradient keeps a plane of scratch after its values, so it is
  // computed in a slot of its own and copied into the flat gradients.
  BOOST_TEST(ws.gradient(w).data() == ws.gradients().data());
  BOOST_TEST(ws.gradient(x).data() == ws.gradients().data() + 4);
  static_assert(decltype(ws.gradients())::extent == 4 + 16);

  // The rule itself: dE/dw_ab = sum over i, j of dE/dnet_ij * x_(i+a, j+b),
  // with net computed here by the definition.
  double net_[3][3];
  for (std::size_t i = 0; i != 3; ++i)
    for (std::size_t j = 0; j != 3; ++j) {
      net_[i][j] = 0;
      for (std::size_t a = 0; a != 2; ++a)
        for (std::size_t b = 0; b != 2; ++b) net_[i][j] += ws_[a * 2 + b] * xs[(i + a) * 4 + j + b];
    }
  for (std::size_t a = 0; a != 2; ++a)
    for (std::size_t b = 0; b != 2; ++b) {
      double rule = 0;
      for (std::size_t i = 0; i != 3; ++i)
        for (std::size_t j = 0; j != 3; ++j) rule += (net_[i][j] - ts[i * 3 + j]) * xs[(i + a) * 4 + j + b];
      BOOST_TEST(ws.gradient(w)[a * 2 + b] == rule);
    }
  // dE/dx_pq = sum over (a, b) with 0 <= p-a, q-b < 3 of dE/dnet_(p-a)(q-b) w_ab.
  for (std::size_t p = 0; p != 4; ++p)
    for (std::size_t q = 0; q != 4; ++q) {
      double rule = 0;
      for (std::size_t a = 0; a != 2; ++a)
        for (std::size_t b = 0; b != 2; ++b)
          if (p >= a && q >= b && p - a < 3 && q - b < 3) rule += net_[p - a][q - b] * ws_[a * 2 + b];
      BOOST_TEST(ws.gradient(x)[p * 4 + q] == rule);
    }

  // The update w_ab := w_ab - gamma dE/dw_ab lowers E.
  std::array<double, 4> stepped = ws_;
  for (std::size_t i = 0; i != 4; ++i) stepped[i] -= 1e-6 * ws.gradient(w)[i];
  BOOST_TEST(k(ws, x = xs, w = stepped, t = ts) < e);
}

BOOST_AUTO_TEST_SUITE_END()
