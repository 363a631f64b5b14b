// Misuse: differentiating by a parameter the loss does not use.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"w", ctgrad::shape<3>> w;
[[maybe_unused]] constexpr ctgrad::param<"v", ctgrad::shape<3>> v;
[[maybe_unused]] constexpr ctgrad::input<"x", ctgrad::shape<3>> x;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] auto k() { return ctgrad::compile(ctgrad::dot(w, x), ctgrad::wrt(w, v)); }
#else
[[maybe_unused]] auto k() { return ctgrad::compile(ctgrad::dot(w, x), ctgrad::wrt(w)); }
#endif
