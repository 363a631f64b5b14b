// Misuse: a layer's initialiser whose fill has the wrong parameters.
#include <ctgrad/nn.hpp>
using namespace ctgrad;
struct constant_init {
  template <class T>
#ifdef CTGRAD_SHOULD_FAIL
  void fill(std::span<T> values) const noexcept {
#else
  void fill(std::span<T> values, std::size_t, std::size_t, nn::random_bits&) const noexcept {
#endif
    for (T& v : values) v = T(0.1);
  }
};
using net = nn::sequential<4, nn::dense<8, nn::tanh, constant_init>, nn::dense<2>>;
[[maybe_unused]] void f(nn::model<net, nn::mse, float, 2>& m) { m.initialize(1); }
