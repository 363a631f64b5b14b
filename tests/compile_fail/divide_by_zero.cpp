// Misuse: dividing by the literal 0.
#include <ctgrad/ctgrad.hpp>
using namespace ctgrad::literals;
[[maybe_unused]] constexpr ctgrad::var<"x"> x;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr auto e = x / 0_c;
#else
[[maybe_unused]] constexpr auto e = x / 2_c;
#endif
