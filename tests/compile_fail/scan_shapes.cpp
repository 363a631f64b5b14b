// Misuse: a scan over a sequence given as a matrix [B, T * I], not [B, T, I].
#include <ctgrad/ctgrad.hpp>
using namespace ctgrad;
#ifdef CTGRAD_SHOULD_FAIL
constexpr input<"x", shape<2, 15>> x;
#else
constexpr input<"x", shape<2, 5, 3>> x;
#endif
constexpr param<"W", shape<4, 3>> W;
constexpr param<"U", shape<4, 4>> U;
constexpr param<"b", shape<4>> b;
[[maybe_unused]] auto f() {
  return scan(x, zeros<shape<2, 4>>, [](auto x_t, auto h) { return cell::rnn(x_t, h, W, U, b, b); });
}
