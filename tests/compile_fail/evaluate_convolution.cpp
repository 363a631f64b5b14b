// Misuse: a prediction as a constant expression (nn::model::evaluate) of a
// network with a convolution, which it cannot evaluate yet.
#include <ctgrad/nn.hpp>
using namespace ctgrad;
#ifdef CTGRAD_SHOULD_FAIL
using net = nn::sequential<nn::input_shape<1, 4, 4>, nn::conv2d<2, 3, nn::relu>, nn::flatten, nn::dense<2>>;
#else
using net = nn::sequential<nn::input_shape<1, 4, 4>, nn::flatten, nn::dense<4, nn::relu>, nn::dense<2>>;
#endif
using model_t = nn::model<net, nn::mse, float, 1>;
[[maybe_unused]] float f(std::span<const float, model_t::parameter_count> p, std::span<const float, 16> x) {
  return model_t::evaluate(p, x)[0];
}
