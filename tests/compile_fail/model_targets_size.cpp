// Misuse: train_step with 3 targets where the model (batch 2, 2 outputs)
// takes 4: one error with the sizes expected and given, not "no matching
// function".
#include <ctgrad/nn.hpp>
using namespace ctgrad;
using net = nn::sequential<4, nn::dense<8, nn::tanh>, nn::dense<2>>;
#ifdef CTGRAD_SHOULD_FAIL
using targets = std::array<float, 3>;
#else
using targets = std::array<float, 4>;
#endif
[[maybe_unused]] float f(nn::model<net, nn::mse, float, 2>& m, std::span<const float, 8> x, const targets& t) {
  auto sgd = m.make_optimizer(nn::sgd{});
  return m.train_step(sgd, x, t).loss;
}
