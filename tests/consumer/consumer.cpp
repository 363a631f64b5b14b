// A user's program: ctgrad found as a package or as a subdirectory.
#include <ctgrad/ctgrad.hpp>

using namespace ctgrad::literals;

int main() {
  constexpr ctgrad::var<"x"> x;
  static_assert(ctgrad::to_string(ctgrad::d(x * x, x)) == "2*x");
  const auto r = ctgrad::gradient(x * x + 3_c * x, x)(x = 2.0);
  return (r.value == 10.0 && r[x] == 7.0) ? 0 : 1;
}
