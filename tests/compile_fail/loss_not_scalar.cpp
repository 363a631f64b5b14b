// Misuse: compiling a kernel for a vector "loss".
#include <ctgrad/ctgrad.hpp>
[[maybe_unused]] constexpr ctgrad::param<"w", ctgrad::shape<3>> w;
#ifdef CTGRAD_SHOULD_FAIL
[[maybe_unused]] auto k() { return ctgrad::compile(w * w, ctgrad::wrt(w)); }
#else
[[maybe_unused]] auto k() { return ctgrad::compile(ctgrad::sum(w * w), ctgrad::wrt(w)); }
#endif
