// Misuse: a GRU cell whose recurrent weight is [3H, 5] for a state of H = 4.
#include <ctgrad/ctgrad.hpp>
using namespace ctgrad;
constexpr input<"x", shape<2, 3>> x;
constexpr param<"h", shape<2, 4>> h;
constexpr param<"W", shape<12, 3>> W;
#ifdef CTGRAD_SHOULD_FAIL
constexpr param<"U", shape<12, 5>> U;
#else
constexpr param<"U", shape<12, 4>> U;
#endif
constexpr param<"b", shape<12>> b;
[[maybe_unused]] auto f() { return cell::gru(x, h, W, U, b, b); }
