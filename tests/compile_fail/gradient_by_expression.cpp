// Misuse: a kernel differentiating by an expression.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
[[maybe_unused]] constexpr ctgrad::var<"y"> y;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr auto g = ctgrad::gradient(x * y, x* y);
#else
[[maybe_unused]] constexpr auto g = ctgrad::gradient(x * y, x, y);
#endif
