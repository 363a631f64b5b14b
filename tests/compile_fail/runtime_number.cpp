// Misuse: a runtime number inside an expression.
#include <ctgrad/ctgrad.hpp>
using namespace ctgrad::literals;
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr auto e = 0.5 * x;
#else
[[maybe_unused]] constexpr auto e = ctgrad::c<1, 2> * x;
#endif
