// Rewrites are identities: the canonical form of an expression has the same
// value as the expression written out by hand, at random points.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "support.hpp"

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {
constexpr var<"x"> x;
constexpr var<"y"> y;
}  // namespace

BOOST_AUTO_TEST_SUITE(canonical_forms_keep_values)

BOOST_AUTO_TEST_CASE(rewritten_expressions_evaluate_like_the_original) {
  for (long double p : test::random_points(0.2L, 3, 128, 13)) {
    const long double q = 3.5L - p;
    using std::cos, std::exp, std::pow, std::sin;
    BOOST_TEST(test::close(eval(x * (y / (x + y)), x = p, y = q), p * (q / (p + q)), 1e-17L));
    BOOST_TEST(test::close(eval((x / y) / (x + 1_c), x = p, y = q), (p / q) / (p + 1), 1e-17L));
    BOOST_TEST(test::close(eval(x / (y / sin(x)), x = p, y = q), p / (q / sin(p)), 1e-17L));
    BOOST_TEST(test::close(eval(-(x - 2_c * y) / c<4, 3>, x = p, y = q), -(p - 2 * q) * 3 / 4, 1e-17L));
    BOOST_TEST(test::close(eval(pow(pow(x, c<1, 2>), 4_c), x = p), p * p, 1e-17L));
    BOOST_TEST(test::close(eval(d(x * exp(y) / sin(x), x), x = p, y = q),
                           exp(q) / sin(p) - p * exp(q) * cos(p) / (sin(p) * sin(p)), 1e-17L));
  }
}

BOOST_AUTO_TEST_SUITE_END()
