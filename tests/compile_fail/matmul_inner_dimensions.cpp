// Misuse: a [2,3] by [4,5] matrix product.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"A", ctgrad::shape<2, 3>> A;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr ctgrad::param<"B", ctgrad::shape<4, 5>> B;
#else
[[maybe_unused]] constexpr ctgrad::param<"B", ctgrad::shape<3, 5>> B;
#endif
[[maybe_unused]] auto product() { return ctgrad::matmul(A, B); }
