// Misuse: a step function whose result ([B, 8]) is not the state's shape
// ([B, 4]): a layer too wide.
#include <ctgrad/ctgrad.hpp>
using namespace ctgrad;
constexpr input<"x", shape<2, 5, 3>> x;
#ifdef CTGRAD_SHOULD_FAIL
constexpr param<"W", shape<7, 8>> W;
#else
constexpr param<"W", shape<7, 4>> W;
#endif
[[maybe_unused]] auto f() {
  return scan(x, zeros<shape<2, 4>>, [](auto x_t, auto h) { return tanh(matmul(concat(x_t, h), W)); });
}
