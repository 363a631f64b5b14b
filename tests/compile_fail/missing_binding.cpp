// Misuse: evaluating without a value for y.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
[[maybe_unused]] constexpr ctgrad::var<"y"> y;
#ifdef CTGRAD_SHOULD_FAIL
double f() { return ctgrad::eval(x * y, x = 1.0); }
#else
double f() { return ctgrad::eval(x * y, x = 1.0, y = 2.0); }
#endif
