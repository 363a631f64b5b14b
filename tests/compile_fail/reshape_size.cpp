// Misuse: reshaping 6 elements into 8.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"A", ctgrad::shape<2, 3>> A;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] auto v() { return ctgrad::reshape<ctgrad::shape<8>>(A); }
#else
[[maybe_unused]] auto v() { return ctgrad::reshape<ctgrad::shape<6>>(A); }
#endif
