// Misuse: joining [2, 4] and [3, 4] along the last axis (their rows differ).
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"A", ctgrad::shape<2, 4>> A;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr ctgrad::param<"B", ctgrad::shape<3, 4>> B;
#else
[[maybe_unused]] constexpr ctgrad::param<"B", ctgrad::shape<2, 5>> B;
#endif
[[maybe_unused]] auto v() { return ctgrad::concat(A, B); }
