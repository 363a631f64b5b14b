// Misuse: a 3-channel input convolved with a kernel that expects 2 channels.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::input<"x", ctgrad::shape<4, 3, 8, 8>> x;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] constexpr ctgrad::param<"W", ctgrad::shape<5, 2, 3, 3>> W;
#else
[[maybe_unused]] constexpr ctgrad::param<"W", ctgrad::shape<5, 3, 3, 3>> W;
#endif
[[maybe_unused]] auto y() { return ctgrad::conv2d(x, W); }
