// Misuse: columns 2 to 4 of a last axis of 4 (one past its end).
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"A", ctgrad::shape<2, 4>> A;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] auto v() { return ctgrad::slice<2, 3>(A); }
#else
[[maybe_unused]] auto v() { return ctgrad::slice<2, 2>(A); }
#endif
