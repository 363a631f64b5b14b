// Misuse: adding a [4] bias to a [2,3] matrix.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"A", ctgrad::shape<2, 3>> A;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr ctgrad::param<"b", ctgrad::shape<4>> b;
#else
[[maybe_unused]] constexpr ctgrad::param<"b", ctgrad::shape<3>> b;
#endif
[[maybe_unused]] auto z() { return A + b; }
