// Misuse: a runtime exponent.
#include <ctgrad/ctgrad.hpp>
using namespace ctgrad::literals;
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr auto e = pow(x, 2);
#else
[[maybe_unused]] constexpr auto e = pow(x, 2_c);
#endif
