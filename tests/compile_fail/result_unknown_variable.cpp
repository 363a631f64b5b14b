// Misuse: reading the partial of a variable the kernel was not asked for.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
[[maybe_unused]] constexpr ctgrad::var<"y"> y;
#ifdef CTGRAD_SHOULD_FAIL
double f() { return ctgrad::gradient(x * y, x)(x = 1.0, y = 2.0)[y]; }
#else
double f() { return ctgrad::gradient(x * y, x, y)(x = 1.0, y = 2.0)[y]; }
#endif
