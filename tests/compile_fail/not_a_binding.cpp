// Misuse: a bare number instead of a binding.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
#ifdef CTGRAD_SHOULD_FAIL
double f() { return ctgrad::eval(x * x, 1.0); }
#else
double f() { return ctgrad::eval(x * x, x = 1.0); }
#endif
