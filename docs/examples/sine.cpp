// 1-D regression: an MLP learns sin(x) on [-pi, pi] from 256 samples.
#include <ctgrad/nn.hpp>

#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>

using namespace ctgrad;

// [sine]
constexpr std::size_t batch = 32;
using net = nn::sequential<1, nn::dense<32, nn::tanh>, nn::dense<32, nn::tanh>, nn::dense<1>>;
using sine_model = nn::model<net, nn::mse, float, batch>;

int main() {
  auto model = std::make_unique<sine_model>();
  model->initialize(7);
  auto adam = model->make_optimizer(nn::adam{.learning_rate = 0.01});
  const nn::cosine_annealing_lr schedule{.initial = 0.01, .period = 6000};  // down to 0 at the end
  nn::random_bits bits(11);

  std::array<float, batch> x{}, t{};
  float loss = 0;
  for (int step = 0; step != 6000; ++step) {
    for (std::size_t i = 0; i != batch; ++i) {  // a fresh random batch each step
      x[i] = static_cast<float>(bits.uniform(-std::numbers::pi, std::numbers::pi));
      t[i] = std::sin(x[i]);
    }
    adam.set_learning_rate(schedule(step));
    loss = model->train_step(adam, x, t).loss;
    if (step % 500 == 0) std::printf("step %4d  mse %.3g\n", step, loss);
  }
  // Error on an even grid the model never saw as such.
  float worst = 0;
  for (std::size_t i = 0; i != batch; ++i) x[i] = static_cast<float>(-3.0 + 6.0 * double(i) / (batch - 1));
  const auto y = model->predict(x);
  for (std::size_t i = 0; i != batch; ++i) worst = std::max(worst, std::fabs(y[i] - std::sin(x[i])));
  for (std::size_t i = 0; i != batch; i += 4)
    std::printf("  x %6.3f  f(x) %7.4f  sin(x) %7.4f\n", x[i], y[i], std::sin(x[i]));
  std::printf("max |f(x) - sin(x)| on a grid of %zu points in [-3, 3]: %.4f\n", batch, worst);
  // [sine]
  return worst < 0.01f ? 0 : 1;
}
