// Misuse: a loss between a [4,2] prediction and a [4,3] target.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"y", ctgrad::shape<4, 2>> y;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr ctgrad::input<"t", ctgrad::shape<4, 3>> t;
#else
[[maybe_unused]] constexpr ctgrad::input<"t", ctgrad::shape<4, 2>> t;
#endif
[[maybe_unused]] auto L() { return ctgrad::loss::mse(y, t); }
