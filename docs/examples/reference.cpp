// The snippets of docs/reference.md, compiled and run by CI.  Each region
// between `// [name]` markers appears verbatim in the docs; the checks after
// each region make sure what the docs claim is true.
#include <boost/hana/for_each.hpp>
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/hana.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define CHECK(...)                                                              \
  if (!(__VA_ARGS__)) {                                                         \
    std::printf("docs example failed: %s (line %d)\n", #__VA_ARGS__, __LINE__); \
    std::exit(1);                                                               \
  }

// [var]
constexpr ctgrad::var<"x"> x;  // a named scalar variable; the name is part of its type
constexpr ctgrad::var<"y"> y;
// [var]

int main() {
  {
    // [constants]
    using namespace ctgrad::literals;
    constexpr auto half = ctgrad::c<1, 2>;   // exact rational literal
    constexpr auto two = 2_c;                // integer literal
    static_assert(ctgrad::c<2, 4> == half);  // kept in lowest terms
    static_assert(half * two == 1_c);        // folded exactly at compile time
    // [constants]
  }
  {
    using namespace ctgrad::literals;
    // [arithmetic]
    constexpr auto e = 3_c * x * y - pow(x, 2_c) / 2_c + sigmoid(y);
    static_assert(ctgrad::to_string(e) == "sigmoid(y) + 3*x*y - x^2/2");  // canonical order
    static_assert(x * 2_c == 2_c * x && x + x == 2_c * x);                // one canonical type
    // [arithmetic]
    (void)e;
  }
  {
    using namespace ctgrad::literals;
    // [d]
    constexpr auto e = sin(x * y);
    constexpr auto dx = ctgrad::d(e, x);  // an expression: y*cos(x*y)
    static_assert(dx == y * cos(x * y));
    static_assert(ctgrad::to_string(ctgrad::d(ctgrad::d(e, x), y)) == "cos(x*y) - x*y*sin(x*y)");
    // [d]
  }
  {
    using namespace ctgrad::literals;
    // [functions]
    // A new activation, written as a formula: its derivative is derived for you.
    constexpr auto swish = x * sigmoid(x);
    static_assert(ctgrad::to_string(ctgrad::d(swish, x)) == "sigmoid(x) + x*sigmoid(x)*(1 - sigmoid(x))");
    // [functions]
  }
  {
    // [eval]
    const double v = ctgrad::eval(x * y + exp(x), x = 1.0, y = 2.0);  // 2 + e
    constexpr float f = ctgrad::eval<float>(x / y, x = 1, y = 4);     // 0.25f, at compile time
    // [eval]
    CHECK(std::fabs(v - (2.0 + std::exp(1.0))) < 1e-15);
    static_assert(f == 0.25f);
  }
  {
    // [point]
    const auto at = ctgrad::point(x = 2.0, y = 3.0);
    const double slope = ctgrad::eval(ctgrad::d(x + y, x), at);  // d(x + y, x) = 1: uses neither variable
    // [point]
    CHECK(slope == 1.0);
  }
  {
    using namespace ctgrad::literals;
    // [gradient]
    constexpr auto loss = ctgrad::c<1, 2> * pow(sigmoid(x * y) - 1_c, 2_c);
    constexpr auto kernel = ctgrad::gradient(loss, x, y);  // compiled once, at compile time
    const auto r = kernel(x = 0.5, y = -1.0);              // one pass: value and both partials
    std::printf("loss %.6f  dloss/dx %.6f  dloss/dy %.6f\n", r.value, r[x], r[y]);
    std::printf("%zu distinct nodes, %zu bytes of workspace\n", kernel.node_count, kernel.workspace_bytes<double>);
    // [gradient]
    CHECK(r.value == ctgrad::eval(loss, x = 0.5, y = -1.0));
    CHECK(r[x] == ctgrad::eval(ctgrad::d(loss, x), x = 0.5, y = -1.0));
    CHECK(r.partials[1] == r[y]);
  }
  {
    // [listing]
    // The program a kernel runs: one line per distinct node; d/dx reuses t0.
    constexpr auto kernel = ctgrad::gradient(x * y + sin(x), x, y);
    static_assert(ctgrad::listing(kernel) ==
                  "t0 = x\n"
                  "t1 = sin(t0)\n"
                  "t2 = y\n"
                  "t3 = t0*t2\n"
                  "t4 = t1 + t3\n"
                  "t5 = cos(t0)\n"
                  "t6 = t2 + t5\n"
                  "value = t4\n"
                  "d/dx = t6\n"
                  "d/dy = t0\n");
    // [listing]
  }
  {
    using namespace ctgrad::literals;
    // [to_string]
    constexpr auto s = sigmoid(x * y);
    static_assert(ctgrad::to_string(ctgrad::d(s, x)) == "y*sigmoid(x*y)*(1 - sigmoid(x*y))");
    static_assert(ctgrad::to_string(ctgrad::d(s, x), ctgrad::label<"s">(s)) == "y*s*(1 - s)");
    static_assert(ctgrad::to_latex(ctgrad::d(s, x), ctgrad::label<"s">(s)) == "y \\cdot s \\cdot \\left(1 - s\\right)");
    // [to_string]
  }
  {
    using namespace ctgrad::literals;
    namespace hana = boost::hana;
    // [hana]
    constexpr auto kernel = ctgrad::gradient(x * x * y, x, y);
    constexpr auto derivatives = ctgrad::derivatives(kernel);  // hana::map: variable -> d(e, variable)
    static_assert(derivatives[x] == 2_c * x * y);
    hana::for_each(derivatives, [](auto entry) {
      std::printf("d/d%s = %s\n", ctgrad::to_string(hana::first(entry)).c_str(),
                  ctgrad::to_string(hana::second(entry)).c_str());
    });
    const auto values = ctgrad::partials(kernel(x = 3.0, y = 2.0));  // hana::map: variable -> value
    const double dx = values[x];                                     // 12
    // [hana]
    CHECK(dx == 12.0);
  }
  std::printf("all reference examples hold\n");
}
