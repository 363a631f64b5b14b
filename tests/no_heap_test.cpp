// Kernels never allocate: global operator new is replaced by a counter.
#define BOOST_TEST_MODULE ctgrad_no_heap
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <new>

#include <ctgrad/nn.hpp>

#include "worked_example.hpp"

namespace {
std::size_t allocations = 0;
}

void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

BOOST_AUTO_TEST_CASE(kernels_do_not_allocate) {
  using namespace worked_example;
  double w[8];
  for (int k = 0; k != 8; ++k) w[k] = initial_weights[k];
  const std::size_t before = allocations;
  double sink = 0;
  for (int step = 0; step != 100; ++step) sink += train_step(w);
  sink += loss(w);
  sink += ctgrad::eval(ctgrad::d(E, w1), w1 = w[0], w2 = w[1], w3 = w[2], w4 = w[3], w5 = w[4], w6 = w[5], w7 = w[6],
                       w8 = w[7], i1 = 0.05, i2 = 0.10, t1 = 0.01, t2 = 0.99, b1 = 0.35, b2 = 0.60);
  const std::size_t during = allocations - before;
  BOOST_TEST(during == 0u);
  BOOST_TEST(sink > 0.0);
  // The counter works (a direct call: compilers may elide new-expressions).
  const std::size_t probe = allocations;
  void* p = ::operator new(16);
  ::operator delete(p);
  BOOST_TEST(allocations == probe + 1);
}

BOOST_AUTO_TEST_CASE(tensor_kernels_do_not_allocate) {
  using namespace ctgrad;
  constexpr input<"x", shape<4, 3>> x;
  constexpr input<"t", shape<4, 2>> t;
  constexpr param<"W1", shape<3, 8>> W1;
  constexpr param<"b1", shape<8>> b1;
  constexpr param<"W2", shape<8, 2>> W2;
  constexpr param<"b2", shape<2>> b2;
  constexpr auto z = matmul(tanh(matmul(x, W1) + b1), W2) + b2;
  constexpr auto kernel = compile(loss::softmax_cross_entropy(z, t), wrt(W1, b1, W2, b2));
  static workspace<decltype(kernel), float> ws;  // owned by the caller
  std::array<float, 12> xs{};
  std::array<float, 8> ts{1, 0, 0, 1, 1, 0, 0, 1};
  std::array<float, 24> w1{};
  std::array<float, 8> bias1{};
  std::array<float, 16> w2{};
  std::array<float, 2> bias2{};
  for (std::size_t i = 0; i != w1.size(); ++i) w1[i] = 0.1f * static_cast<float>(i % 5) - 0.2f;
  for (std::size_t i = 0; i != w2.size(); ++i) w2[i] = 0.05f * static_cast<float>(i % 7) - 0.15f;
  for (std::size_t i = 0; i != xs.size(); ++i) xs[i] = static_cast<float>(i) / 12.0f;
  const std::size_t before = allocations;
  float sink = 0;
  for (int step = 0; step != 100; ++step) {
    sink += kernel(ws, x = xs, t = ts, W1 = w1, b1 = bias1, W2 = w2, b2 = bias2);
    const auto g = ws.gradient(W2);
    for (std::size_t i = 0; i != w2.size(); ++i) w2[i] -= 0.1f * g[i];
  }
  BOOST_TEST(allocations - before == 0u);
  BOOST_TEST(sink > 0.0f);
}

BOOST_AUTO_TEST_CASE(model_predict_at_another_batch_class_labels_and_flat_views_do_not_allocate) {
  using namespace ctgrad;
  using classifier =
      nn::model<nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<4>>, nn::softmax_cross_entropy, float, 2>;
  static classifier m;
  static classifier::prediction_workspace<1> ws;
  m.initialize(1);
  auto opt = classifier::make_optimizer(nn::adam{});
  const std::array<float, 6> x{0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
  const std::array<int, 2> labels{1, 3};
  const std::size_t before = allocations;
  float sink = 0;
  for (int step = 0; step != 10; ++step) {
    sink += m.train_step(opt, x, labels).loss;
    sink += static_cast<const classifier&>(m).predict(ws, std::span<const float, 3>(x.data(), 3))[0];
    // The flat views and an update from gradients the caller changed.
    sink += m.loss_and_gradient(x, labels);
    for (float& g : m.gradients()) g *= 0.5f;
    sink += m.apply_gradients(opt) ? m.parameters()[0] : 0.0f;
  }
  BOOST_TEST(allocations - before == 0u);
  BOOST_TEST(std::isfinite(sink));
}

BOOST_AUTO_TEST_CASE(convolution_kernels_do_not_allocate) {
  using namespace ctgrad;
  using net = nn::sequential<nn::input_shape<1, 12, 12>, nn::conv2d<4, 3, nn::relu, nn::padding<1>>, nn::max_pool2d<2>,
                             nn::conv2d<2, 3, nn::tanh>, nn::avg_pool2d<2>, nn::flatten, nn::dense<3>>;
  static nn::model<net, nn::softmax_cross_entropy, float, 2> m;  // not on the heap: that is the caller's choice
  m.initialize(5);
  std::array<float, 288> xs{};  // 2 x 1 x 12 x 12
  std::array<float, 6> ts{1, 0, 0, 0, 0, 1};
  for (std::size_t i = 0; i != xs.size(); ++i) xs[i] = static_cast<float>(i % 13) / 13.0f;
  auto sgd = m.make_optimizer(nn::sgd{.learning_rate = 0.05});
  auto adam = m.make_optimizer(nn::adam{});
  const std::size_t before = allocations;
  float sink = 0;
  for (int step = 0; step != 20; ++step) {
    sink += m.train_step(sgd, xs, ts).loss;
    sink += m.train_step(adam, xs, ts).loss;
    sink += m.predict(xs)[0];
  }
  BOOST_TEST(allocations - before == 0u);
  BOOST_TEST(sink != 0.0f);
}
