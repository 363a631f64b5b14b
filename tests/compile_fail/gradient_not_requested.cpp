// Misuse: reading the gradient of a parameter the kernel was not compiled for.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"w", ctgrad::shape<3>> w;
[[maybe_unused]] constexpr ctgrad::param<"v", ctgrad::shape<3>> v;
float f(const ctgrad::workspace<decltype(ctgrad::compile(ctgrad::dot(w, v), ctgrad::wrt(w))), float>& space) {
#ifdef CTGRAD_SHOULD_FAIL
  return space.gradient(v)[0];
#else
  return space.gradient(w)[0];
#endif
}
