// Misuse: a convolution layer whose kernel is larger than its input (5x5 on
// 4x4), trained: the cause is the one error (nothing about the targets or
// parameters, whose sizes follow from the broken layer).
#include <ctgrad/nn.hpp>
using namespace ctgrad;
#ifdef CTGRAD_SHOULD_FAIL
using net = nn::sequential<nn::input_shape<1, 4, 4>, nn::conv2d<8, 5, nn::relu>, nn::flatten, nn::dense<2>>;
#else
using net = nn::sequential<nn::input_shape<1, 4, 4>, nn::conv2d<8, 3, nn::relu>, nn::flatten, nn::dense<2>>;
#endif
using model_t = nn::model<net, nn::mse, float, 2>;
[[maybe_unused]] float f(model_t& m, std::span<const float, 32> x, std::span<const float, 4> t) {
  auto sgd = m.make_optimizer(nn::sgd{});
  m.train_step(sgd, x, t, nn::unchecked);  // the fused path
  return m.train_step(sgd, x, t).loss + m.predict(x)[0];
}
