// Misuse: two values for x.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
#ifdef CTGRAD_SHOULD_FAIL
double f() { return ctgrad::gradient(x * x, x)(x = 1.0, x = 2.0).value; }
#else
double f() { return ctgrad::gradient(x * x, x)(x = 1.0).value; }
#endif
