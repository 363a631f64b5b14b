// The README's first example, compiled and run by CI.
// [taste]
#include <ctgrad/ctgrad.hpp>
using namespace ctgrad::literals;

constexpr ctgrad::var<"x"> x;
constexpr ctgrad::var<"w"> w;

constexpr auto loss = ctgrad::c<1, 2> * pow(sigmoid(w * x) - 1_c, 2_c);
static_assert(ctgrad::to_string(ctgrad::d(sigmoid(x), x)) == "sigmoid(x)*(1 - sigmoid(x))");

constexpr auto kernel = ctgrad::gradient(loss, w);  // derived and laid out at compile time
// [taste]

#include <cmath>

int main() {
  // [call]
  const auto r = kernel(w = 0.5, x = 2.0);  // r.value and r[w], in one pass
  // [call]
  const double s = 1 / (1 + std::exp(-1.0));
  const double expected = (s - 1) * s * (1 - s) * 2.0;
  return std::fabs(r[w] - expected) < 1e-15 && std::fabs(r.value - 0.5 * (s - 1) * (s - 1)) < 1e-15 ? 0 : 1;
}
