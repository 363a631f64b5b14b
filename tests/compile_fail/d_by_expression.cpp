// Misuse: differentiating by an expression instead of a variable.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr auto e = ctgrad::d(sin(x * x), x* x);
#else
[[maybe_unused]] constexpr auto e = ctgrad::d(sin(x * x), x);
#endif
