// Weights as code, step 2: a program that has no file to read.  The
// parameters embed_train.cpp wrote are compiled in; the predictions must
// be the trained model's, bit for bit.
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "embed_net.hpp"
#include "sine_expected.hpp"  // written by embed_train, for this check only

// [predict]
#include "sine_parameters.hpp"  // written by nn::save_parameters_header

using embed_example::model_t;
static_assert(sine::parameter_count == model_t::parameter_count, "the header belongs to another network");
// [predict]

// [constexpr]
// A prediction of the compiled-in model as a constant expression, checked
// when this file compiles: the net has learned sin(pi/2) = 1.
constexpr float at_half_pi = model_t::evaluate(sine::parameters, std::array<float, 1>{1.5707964f})[0];
static_assert(at_half_pi > 0.95f && at_half_pi < 1.05f);
// [constexpr]

/// The same at every grid point, evaluated by the compiler.
constexpr std::array<float, embed_example::grid_size> constant_outputs = [] {
  std::array<float, embed_example::grid_size> y{};
  for (std::size_t i = 0; i != y.size(); ++i)
    y[i] = model_t::evaluate(sine::parameters, std::array<float, 1>{embed_example::grid[i]})[0];
  return y;
}();

int main() {
  // [predictor]
  ctgrad::nn::predictor<model_t> predict(sine::parameters);  // reads sine::parameters in place
  // [predictor]
  int mismatches = 0;
  float worst = 0;
  for (std::size_t i = 0; i != embed_example::grid_size; ++i) {
    const float x = embed_example::grid[i];
    const float y = predict(std::span<const float, 1>(&x, 1))[0];
    if (std::bit_cast<std::uint32_t>(y) != std::bit_cast<std::uint32_t>(sine_expected::outputs[i])) ++mismatches;
    worst = std::fmax(worst, std::fabs(y - std::sin(x)));
    if (i % 6 == 0) std::printf("  x %6.3f  f(x) %8.5f  sin(x) %8.5f\n", x, y, std::sin(x));
  }
  std::printf("%d of %zu predictions differ from the trained model's in any bit; max |f(x) - sin(x)| %.4f\n",
              mismatches, embed_example::grid_size, worst);
  // The compiler's values: the functions' constexpr code and another order
  // of sums, so close to the kernel's, not equal.
  float farthest = 0;
  for (std::size_t i = 0; i != embed_example::grid_size; ++i) {
    const float x = embed_example::grid[i];
    farthest = std::fmax(farthest, std::fabs(constant_outputs[i] - predict(std::span<const float, 1>(&x, 1))[0]));
  }
  std::printf("constant-evaluated f(pi/2) = %.6f; largest difference from the kernel on the grid %.2g\n", at_half_pi,
              farthest);
  return mismatches == 0 && worst < 0.1f && farthest <= 1e-5f ? 0 : 1;
}
