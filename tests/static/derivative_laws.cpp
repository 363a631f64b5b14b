// The laws of differentiation, asserted on the derivative *types*.
#include <ctgrad/ctgrad.hpp>

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {
constexpr var<"x"> x;
constexpr var<"y"> y;
constexpr auto f = sin(x);
constexpr auto g = exp(x);

// d(x)/dx = 1, d(y)/dx = 0, constants vanish.
static_assert(d(x, x) == 1_c);
static_assert(d(y, x) == 0_c);
static_assert(d(7_c, x) == 0_c);
static_assert(d(x * y, x) == y && d(x * y, y) == x);

// Linearity.
static_assert(d(3_c * f + 2_c * g, x) == 3_c * d(f, x) + 2_c * d(g, x));
static_assert(d(f - g, x) == d(f, x) - d(g, x));

// Product, quotient and chain rules.
static_assert(d(f * g, x) == d(f, x) * g + f * d(g, x));
static_assert(d(f / x, x) == d(f, x) / x - f / pow(x, 2_c));
static_assert(d(sin(x * x), x) == cos(x * x) * d(x * x, x));
static_assert(d(exp(sin(x)), x) == exp(sin(x)) * cos(x));

// Powers.
static_assert(d(x * x, x) == 2_c * x);
static_assert(d(pow(x, 3_c), x) == 3_c * pow(x, 2_c));
static_assert(d(pow(x, c<1, 2>), x) == c<1, 2> * pow(x, c<-1, 2>));
static_assert(d(1_c / x, x) == -(1_c / pow(x, 2_c)));

// Elementwise rules, written through the forward node where backprop reuses it.
static_assert(d(exp(x), x) == exp(x));
static_assert(d(log(x), x) == 1_c / x);
static_assert(d(sqrt(x), x) == 1_c / (2_c * sqrt(x)));
static_assert(d(sin(x), x) == cos(x));
static_assert(d(cos(x), x) == -sin(x));
static_assert(d(tanh(x), x) == 1_c - pow(tanh(x), 2_c));
static_assert(d(sigmoid(x), x) == sigmoid(x) * (1_c - sigmoid(x)));
static_assert(d(relu(x), x) == step(x));
static_assert(d(softplus(x), x) == sigmoid(x));
static_assert(d(abs(x), x) == sign(x));
static_assert(d(step(x), x) == 0_c && d(sign(x), x) == 0_c);

// Higher order.
static_assert(d(d(pow(x, 3_c), x), x) == 6_c * x);
static_assert(d(d(x * x * y, x), y) == 2_c * x);
static_assert(d(d(x * y, x), y) == 1_c);

// gradient's derivatives are d()'s.
static_assert(gradient(f * g + y, x, y).derivative(x) == d(f * g + y, x));
static_assert(gradient(f * g + y, x, y).derivative(y) == 1_c);

}  // namespace
