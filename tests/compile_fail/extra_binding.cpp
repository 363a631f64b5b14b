// Misuse: binding z, which does not occur in the expression.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
[[maybe_unused]] constexpr ctgrad::var<"z"> z;
#ifdef CTGRAD_SHOULD_FAIL
double f() { return ctgrad::eval(x * x, x = 1.0, z = 2.0); }
#else
double f() { return ctgrad::eval(x * x, x = 1.0); }
#endif
