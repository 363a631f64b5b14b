// Misuse: running a kernel without values for the input x.
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"w", ctgrad::shape<3>> w;
[[maybe_unused]] constexpr ctgrad::input<"x", ctgrad::shape<3>> x;
float f(const std::array<float, 3>& ws, const std::array<float, 3>& xs) {
  constexpr auto k = ctgrad::compile(ctgrad::dot(w, x), ctgrad::wrt(w));
  static ctgrad::workspace<decltype(k), float> space;
#ifdef CTGRAD_SHOULD_FAIL
  (void)xs;
  return k(space, w = ws);
#else
  return k(space, w = ws, x = xs);
#endif
}
