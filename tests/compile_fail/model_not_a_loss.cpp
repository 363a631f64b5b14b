// Misuse: a loss that returns the elementwise errors, not a scalar (the
// mean is missing).
#include <ctgrad/nn.hpp>
using namespace ctgrad;
struct my_l1 {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
#ifdef CTGRAD_SHOULD_FAIL
    return abs(p - t);
#else
    return mean(abs(p - t));
#endif
  }
};
using net = nn::sequential<4, nn::dense<8, nn::tanh>, nn::dense<2>>;
[[maybe_unused]] float f(nn::model<net, my_l1, float, 2>& m, std::span<const float, 8> x, std::span<const float, 4> t) {
  auto sgd = m.make_optimizer(nn::sgd{});
  return m.train_step(sgd, x, t).loss;
}
