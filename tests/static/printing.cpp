// to_string and to_latex are constexpr: the printed maths is asserted here.
#include <ctgrad/ctgrad.hpp>

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {
constexpr var<"x"> x;
constexpr var<"y"> y;
constexpr var<"w1"> w1;

static_assert(to_string(d(x * x, x)) == "2*x");
static_assert(to_string(d(sigmoid(x), x)) == "sigmoid(x)*(1 - sigmoid(x))");
static_assert(to_string(x - y) == "x - y");
static_assert(to_string(y - x) == "y - x");
static_assert(to_string(-x) == "-x");
static_assert(to_string(-(x + y)) == "-x - y");
static_assert(to_string(x / 2_c) == "x/2");
static_assert(to_string(3_c * x / 2_c) == "3*x/2");
static_assert(to_string(c<1, 2>) == "1/2");
static_assert(to_string(pow(x, 2_c)) == "x^2");
static_assert(to_string(pow(x + y, 2_c)) == "(x + y)^2");
static_assert(to_string(pow(x, c<1, 2>)) == "x^(1/2)");
static_assert(to_string(pow(x, c<-1>)) == "x^(-1)");
static_assert(to_string(2_c * (x + y)) == "2*(x + y)");
static_assert(to_string(x / (x + y)) == "x/(x + y)");
static_assert(to_string(x / (y * sin(x))) == "x/(y*sin(x))");
static_assert(to_string(d(sqrt(x), x)) == "1/(2*sqrt(x))");
static_assert(to_string(d(1_c / x, x)) == "-1/x^2");
static_assert(to_string(d(tanh(x), x)) == "1 - tanh(x)^2");
static_assert(to_string(d(log(x), x)) == "1/x");
static_assert(to_string(d(relu(x * y), x)) == "y*step(x*y)");

// Printed results compare with each other and with text.
static_assert(to_string(x * y) == to_string(y * x));
static_assert(!(to_string(x) == to_string(y)));

// Labels print a name for a subexpression.
static_assert(to_string(d(sigmoid(x * y), x), label<"s">(sigmoid(x* y))) == "y*s*(1 - s)");

static_assert(to_latex(d(sigmoid(x), x)) ==
              "\\sigma\\left(x\\right) \\cdot \\left(1 - \\sigma\\left(x\\right)\\right)");
static_assert(to_latex(w1 * x / 2_c) == "\\frac{w_{1} \\cdot x}{2}");
static_assert(to_latex(sqrt(x) / (x + y)) == "\\frac{\\sqrt{x}}{x + y}");
static_assert(to_latex(exp(-x)) == "e^{-x}");
static_assert(to_latex(pow(x, c<1, 2>)) == "x^{\\frac{1}{2}}");
static_assert(to_latex(x, label<"out_h1">(x)) == "out_{h1}");

}  // namespace
