// Every derivative rule against central finite differences in long double,
// at 128 random points of the operation's domain; first and second order.
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {

constexpr var<"x"> x;
constexpr var<"y"> y;

// Tolerance, relative to max(1, |value|): the central difference with
// h = cbrt(eps) has truncation error ~h^2 |f'''| ~ 1e-13 and rounding error
// ~eps/h |f| ~ 1e-13 on these domains; 1e-9 leaves room for steep points.
constexpr long double tolerance = 1e-9L;

/// d(e, x) and d(d(e, x), x) against central differences of e and d(e, x),
/// at random points of [lo, hi] with |x| >= gap (kinks at 0 are skipped).
template <Expression E>
void check_unary(E e, long double lo, long double hi, long double gap = 0) {
  int checked = 0;
  for (long double p : test::random_points(lo, hi)) {
    if (std::fabs(p) < gap) continue;
    const auto f = [&](long double v) { return eval(e, x = v); };
    const auto df = [&](long double v) { return eval(d(e, x), point(x = v)); };
    const long double exact = df(p);
    const long double numeric = test::central_difference(f, p);
    BOOST_TEST(test::close(exact, numeric, tolerance), to_string(e).view()
                                                           << " at x = " << static_cast<double>(p) << ": d() gives "
                                                           << static_cast<double>(exact) << ", finite difference "
                                                           << static_cast<double>(numeric));
    const long double exact2 = eval(d(d(e, x), x), point(x = p));
    const long double numeric2 = test::central_difference(df, p);
    BOOST_TEST(test::close(exact2, numeric2, 1e-7L),
               to_string(e).view() << " second derivative at x = " << static_cast<double>(p) << ": "
                                   << static_cast<double>(exact2) << " vs " << static_cast<double>(numeric2));
    ++checked;
  }
  BOOST_TEST(checked >= 100);
}

/// Both partials of a two-variable expression.
template <Expression E>
void check_binary(E e, long double lo, long double hi, long double gap = 0) {
  const auto xs = test::random_points(lo, hi, 128, 2);
  const auto ys = test::random_points(lo, hi, 128, 3);
  int checked = 0;
  for (std::size_t i = 0; i != xs.size(); ++i) {
    const long double px = xs[i], py = ys[i];
    if (std::fabs(px) < gap || std::fabs(py) < gap) continue;
    const long double dx = eval(d(e, x), point(x = px, y = py));
    const long double dy = eval(d(e, y), point(x = px, y = py));
    const long double nx = test::central_difference([&](long double v) { return eval(e, x = v, y = py); }, px);
    const long double ny = test::central_difference([&](long double v) { return eval(e, x = px, y = v); }, py);
    BOOST_TEST(test::close(dx, nx, tolerance), to_string(e).view() << " d/dx at (" << static_cast<double>(px) << ", "
                                                                   << static_cast<double>(py) << ")");
    BOOST_TEST(test::close(dy, ny, tolerance), to_string(e).view() << " d/dy at (" << static_cast<double>(px) << ", "
                                                                   << static_cast<double>(py) << ")");
    ++checked;
  }
  BOOST_TEST(checked >= 100);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(derivatives_against_finite_differences)

BOOST_AUTO_TEST_CASE(arithmetic) {
  check_binary(x + y, -10, 10);
  check_binary(x - y, -10, 10);
  check_binary(x * y, -10, 10);
  check_binary(x / y, -10, 10, 0.1L);
  check_unary(-x, -10, 10);
  check_unary(3_c * x + c<1, 2>, -10, 10);
  check_unary(x / 4_c, -10, 10);
}

BOOST_AUTO_TEST_CASE(powers) {
  check_unary(x * x, -10, 10);
  check_unary(pow(x, 3_c), -10, 10);
  check_unary(pow(x, 7_c), -3, 3);
  check_unary(pow(x, c<-1>), -10, 10, 0.1L);
  check_unary(pow(x, c<-2>), -10, 10, 0.1L);
  check_unary(pow(x, c<1, 2>), 0.01L, 10);
  check_unary(pow(x, c<3, 2>), 0.01L, 10);
  check_unary(pow(x, c<-1, 2>), 0.01L, 10);
  check_unary(pow(x, c<1, 3>), 0.01L, 10);
  check_unary(pow(x, c<5, 3>), 0.01L, 10);
}

BOOST_AUTO_TEST_CASE(elementwise_functions) {
  check_unary(exp(x), -10, 10);
  check_unary(log(x), 0.01L, 100);
  check_unary(sqrt(x), 0.01L, 100);
  check_unary(sin(x), -10, 10);
  check_unary(cos(x), -10, 10);
  check_unary(tanh(x), -10, 10);
  check_unary(sigmoid(x), -30, 30);
  check_unary(softplus(x), -30, 30);
  check_unary(relu(x), -10, 10, 1e-3L);  // kink at 0
  check_unary(abs(x), -10, 10, 1e-3L);   // kink at 0
  check_unary(step(x), -10, 10, 1e-3L);  // jump at 0: derivative 0 elsewhere
  check_unary(sign(x), -10, 10, 1e-3L);
}

BOOST_AUTO_TEST_CASE(compositions_chain_rule) {
  check_unary(sin(x * x), -3, 3);
  check_unary(exp(-(x * x) / 2_c), -5, 5);
  check_unary(sigmoid(3_c * x - 1_c) * tanh(x), -5, 5);
  check_unary(log(1_c + exp(x)), -20, 20);
  check_unary(sqrt(1_c + x * x), -10, 10);
  check_unary(softplus(sin(x)) / (2_c + cos(x)), -10, 10);
  check_binary(sigmoid(x * y + sin(x)), -3, 3);
  check_binary(pow(x - y, 2_c) / 2_c + exp(x * y / 10_c), -3, 3);
  check_binary(tanh(x) * tanh(y) - log(1_c + x * x + y * y), -3, 3);
  check_binary(relu(x - y) + abs(x * y), -3, 3, 1e-3L);
}

BOOST_AUTO_TEST_CASE(mixed_second_partials) {
  constexpr auto e = sin(x * y) + x * x * y;
  for (long double p : test::random_points(-2, 2, 128, 5)) {
    const long double q = p / 2 + 0.3L;
    const long double dxy = eval(d(d(e, x), y), x = p, y = q);
    const long double dyx = eval(d(d(e, y), x), x = p, y = q);
    const long double numeric = test::central_difference([&](long double v) { return eval(d(e, x), x = p, y = v); }, q);
    BOOST_TEST(test::close(dxy, numeric, 1e-8L));
    BOOST_TEST(test::close(dxy, dyx, 1e-15L));  // Schwarz
  }
}

BOOST_AUTO_TEST_SUITE_END()
