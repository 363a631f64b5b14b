// Misuse: padding a max-pool (zeros would win over negative inputs).
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::input<"x", ctgrad::shape<2, 3, 8, 8>> x;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] auto y() { return ctgrad::max_pool2d<2>(x, ctgrad::padding<1>); }
#else
[[maybe_unused]] auto y() { return ctgrad::max_pool2d<2>(x, ctgrad::stride<1>); }
#endif
