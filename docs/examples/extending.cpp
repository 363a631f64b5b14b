// The snippets of docs/extending.md, compiled and run: a user activation, a
// user loss and a user initialiser, each checked against what it should be.
#include <ctgrad/nn.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <utility>

using namespace ctgrad;

// [activation]
/// swish(x) = x * sigmoid(x) (Ramachandran et al. 2017), from its formula:
/// its derivative is derived, as for the built-in activations.
struct swish {
  using default_init = nn::init::he_uniform;  // ReLU-like
  template <Tensor A>
  static constexpr auto apply(A a) noexcept {
    using namespace ctgrad::placeholders;
    return map(_0 * sigmoid(_0), a);  // one elementwise node; or a * sigmoid(a)
  }
};
static_assert(nn::Activation<swish>);
// [activation]

// [loss]
/// log-cosh loss, mean over every element: log(cosh(p - t)), written in a
/// form that does not overflow: x + softplus(-2x) - log 2.
struct log_cosh {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    using namespace ctgrad::placeholders;
    constexpr auto x = _0 - _1;
    return mean(map(x + softplus(c<-2> * x) - log(c<2>), p, t));
  }
};
static_assert(nn::Loss<log_cosh>);

/// Mean absolute error written by hand: the same loss as nn::l1.
struct my_l1 {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return mean(abs(p - t));
  }
};
// [loss]

// [initialiser]
/// LeCun normal (LeCun et al. 1998): N(0, 1 / fan_in).
struct lecun_normal {
  template <class T>
  void fill(std::span<T> values, std::size_t fan_in, std::size_t, nn::random_bits& bits) const noexcept {
    const double stddev = std::sqrt(1.0 / static_cast<double>(fan_in));
    for (T& v : values) v = static_cast<T>(stddev * bits.normal());
  }
};
static_assert(nn::Initialiser<lecun_normal>);
// [initialiser]

namespace {
int failures = 0;
void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  failures += !ok;
}
}  // namespace

int main() {
  // [use]
  using net = nn::sequential<4, nn::dense<16, swish, lecun_normal>, nn::dense<2>>;
  using model_t = nn::model<net, log_cosh, double, 8>;
  // [use]
  static_assert(model_t::parameter_tensors == 4);

  // A batch of regression data: targets (x0 * x1, x2 - x3).
  std::array<double, 8 * 4> x{};
  std::array<double, 8 * 2> t{};
  nn::random_bits bits(7);
  for (std::size_t i = 0; i != 8; ++i) {
    for (std::size_t k = 0; k != 4; ++k) x[i * 4 + k] = bits.uniform(-1, 1);
    t[i * 2] = x[i * 4] * x[i * 4 + 1];
    t[i * 2 + 1] = x[i * 4 + 2] - x[i * 4 + 3];
  }

  // The swish layer computes x * sigmoid(x) of its pre-activation.
  auto model = std::make_unique<model_t>();
  model->initialize(1);
  const auto y = model->predict(x);
  {
    const auto W1 = model->parameter<0>();
    const auto W2 = model->parameter<2>();
    double expected = 0;  // output 0 of example 0, by hand
    for (std::size_t j = 0; j != 16; ++j) {
      double z = 0;
      for (std::size_t k = 0; k != 4; ++k) z += x[k] * W1[k * 16 + j];
      expected += z / (1 + std::exp(-z)) * W2[j * 2];
    }
    check(std::abs(y[0] - expected) < 1e-12, "swish layer = x * sigmoid(x) by hand");
  }
  // LeCun normal: variance 1/fan_in = 1/4 over the 64 weights of layer 1.
  {
    double sum2 = 0;
    for (double w : model->parameter<0>()) sum2 += w * w;
    check(std::abs(sum2 / 64 - 0.25) < 0.1, "lecun_normal: the first layer's variance is about 1/4");
  }
  // log-cosh against its definition.
  {
    const double loss = model->loss_and_gradient(x, t);
    double expected = 0;
    for (std::size_t i = 0; i != 16; ++i) expected += std::log(std::cosh(y[i] - t[i]));
    check(std::abs(loss - expected / 16) < 1e-12, "log_cosh = mean(log(cosh(p - t)))");
  }
  // my_l1 and nn::l1: the same loss and the same gradients.
  {
    using mine = nn::model<net, my_l1, double, 8>;
    using builtin = nn::model<net, nn::l1, double, 8>;
    auto a = std::make_unique<mine>();
    auto b = std::make_unique<builtin>();
    a->initialize(3);
    b->initialize(3);
    const double la = a->loss_and_gradient(x, t), lb = b->loss_and_gradient(x, t);
    double largest = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      const auto compare = [&](auto ga, auto gb) {
        for (std::size_t i = 0; i != ga.size(); ++i) largest = std::max(largest, std::abs(ga[i] - gb[i]));
      };
      (compare(a->gradient<I>(), b->gradient<I>()), ...);
    }(std::make_index_sequence<mine::parameter_tensors>{});
    check(std::abs(la - lb) < 1e-15 && largest < 1e-15, "my_l1 = nn::l1, loss and every gradient");
  }
  // And it trains.
  {
    auto adam = model->make_optimizer(nn::adam{.learning_rate = 1e-2});
    const double before = model->loss_and_gradient(x, t);
    for (int step = 0; step != 300; ++step) model->train_step(adam, x, t);
    const double after = model->loss_and_gradient(x, t);
    std::printf("log-cosh loss %.3g -> %.3g after 300 Adam steps\n", before, after);
    check(after < before / 10, "a swish/log-cosh/lecun-normal net trains");
  }
  return failures == 0 ? 0 : 1;
}
