// The network of the weights-as-code example (embed_train.cpp writes its
// parameters as a header, embed_predict.cpp compiles them in).
#pragma once

#include <ctgrad/nn.hpp>

#include <array>
#include <cstddef>

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

}  // namespace embed_example
