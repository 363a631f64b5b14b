// Misuse: a 5x5 kernel on a 4x4 input without padding.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::input<"x", ctgrad::shape<2, 1, 4, 4>> x;
[[maybe_unused]] constexpr ctgrad::param<"W", ctgrad::shape<3, 1, 5, 5>> W;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] auto y() { return ctgrad::conv2d(x, W); }
#else
[[maybe_unused]] auto y() { return ctgrad::conv2d(x, W, ctgrad::padding<1>); }
#endif
