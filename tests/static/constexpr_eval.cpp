// eval and gradient kernels run in constant expressions (both compilers),
// with ctgrad's constexpr math where <cmath> is not constexpr.
#include <ctgrad/ctgrad.hpp>

#include "worked_example.hpp"

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {
constexpr var<"x"> x;
constexpr var<"y"> y;

constexpr bool near(double a, double b, double tol) { return (a - b) < tol && (b - a) < tol; }

static_assert(eval(x * y + 1_c, x = 2.0, y = 3.0) == 7.0);
static_assert(eval(c<1, 4>) == 0.25);
static_assert(eval<float>(x / 4_c, x = 1) == 0.25f);
static_assert(near(eval(exp(x), x = 1.0), 2.718281828459045, 1e-15));
static_assert(near(eval(log(x), x = 10.0), 2.302585092994046, 1e-15));
static_assert(near(eval(sin(x) + cos(x), x = 1.0), 1.3817732906760363, 1e-15));
static_assert(near(eval(sigmoid(x), x = 0.5), 0.6224593312018546, 1e-15));
static_assert(near(eval(tanh(x) + sqrt(x) + softplus(x), x = 2.0),
                   0.9640275800758169 + 1.4142135623730951 + 2.1269280110429727, 1e-14));

constexpr auto g = gradient(x * sin(y), x, y)(x = 2.0, y = 0.0);
static_assert(g.value == 0.0 && g[x] == 0.0 && g[y] == 2.0);

// The worked example's first step, at compile time.
constexpr auto w = [] {
  using namespace worked_example;
  return dE(w1 = 0.15, w2 = 0.20, w3 = 0.25, w4 = 0.30, w5 = 0.40, w6 = 0.45, w7 = 0.50, w8 = 0.55, i1 = 0.05,
            i2 = 0.10, t1 = 0.01, t2 = 0.99, b1 = 0.35, b2 = 0.60);
}();
static_assert(near(w.value, 0.298371109, 1e-9));
static_assert(near(w[worked_example::w5], 0.082167041, 1e-9));
static_assert(near(w[worked_example::w1], 0.000438568, 1e-9));

}  // namespace
