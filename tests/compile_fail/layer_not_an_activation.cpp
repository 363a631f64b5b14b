// Misuse: a dense layer's activation that is no nn::Activation (no
// default_init: the initialiser that suits it).
#include <ctgrad/nn.hpp>
using namespace ctgrad;
struct swish {
#ifndef CTGRAD_SHOULD_FAIL
  using default_init = nn::init::he_uniform;
#endif
  template <Tensor A>
  static constexpr auto apply(A a) noexcept {
    return a * sigmoid(a);
  }
};
using net = nn::sequential<4, nn::dense<8, swish>, nn::dense<2>>;
[[maybe_unused]] void f(nn::model<net, nn::mse, float, 2>& m) { m.initialize(1); }
