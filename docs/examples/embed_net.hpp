// The network of the weights-as-code example (embed_train.cpp writes its
// parameters as a header, embed_predict.cpp compiles them in).
#pragma once

#include <ctgrad/nn.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <numbers>

namespace embed_example {

using net = ctgrad::nn::sequential<1, ctgrad::nn::dense<16, ctgrad::nn::tanh>, ctgrad::nn::dense<16, ctgrad::nn::tanh>,
                                   ctgrad::nn::dense<1>>;
using model_t = ctgrad::nn::model<net, ctgrad::nn::mse, float, 32>;

/// The points both programs predict at: an even grid on [-3, 3].
inline constexpr std::size_t grid_size = 25;
inline constexpr std::array<float, grid_size> grid = [] {
  std::array<float, grid_size> x{};
  for (std::size_t i = 0; i != grid_size; ++i) x[i] = static_cast<float>(-3.0 + 6.0 * double(i) / (grid_size - 1));
  return x;
}();

/// Adam on sin(x), x uniform in [-pi, pi), batches of 32: `steps` steps
/// from the model's parameters as they are, the loss printed every 500.
inline void train_on_sine(model_t& model, int steps) {
  using namespace ctgrad;
  auto adam = model.make_optimizer(nn::adam{.learning_rate = 0.01});
  nn::random_bits bits(11);
  std::array<float, 32> x{}, t{};
  for (int step = 0; step != steps; ++step) {
    for (std::size_t i = 0; i != x.size(); ++i) {
      x[i] = static_cast<float>(bits.uniform(-std::numbers::pi, std::numbers::pi));
      t[i] = std::sin(x[i]);
    }
    const float loss = model.train_step(adam, x, t).loss;
    if (step % 500 == 0) std::printf("step %4d  mse %.5f\n", step, loss);
  }
}

}  // namespace embed_example
