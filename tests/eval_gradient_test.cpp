// eval and gradient kernels: agreement with d(), scalar types, IEEE
// behaviour on bad input.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "support.hpp"

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {
constexpr var<"x"> x;
constexpr var<"y"> y;
constexpr var<"z"> z;

/// The kernel's value and partials equal eval(e) and eval(d(e, v)) for
/// every variable, at random points.
template <Expression E>
void check_kernel_matches_d(E e) {
  const auto kernel = gradient(e, x, y, z);
  const auto xs = test::random_points(0.1L, 2, 64, 7);
  const auto ys = test::random_points(0.1L, 2, 64, 8);
  const auto zs = test::random_points(0.1L, 2, 64, 9);
  for (std::size_t i = 0; i != xs.size(); ++i) {
    const double px = static_cast<double>(xs[i]), py = static_cast<double>(ys[i]), pz = static_cast<double>(zs[i]);
    const auto r = kernel(x = px, y = py, z = pz);
    // Same nodes, same operations, same order: the same bits.
    BOOST_TEST(r.value == eval(e, x = px, y = py, z = pz));
    const auto at = point(x = px, y = py, z = pz);
    BOOST_TEST(r[x] == eval(d(e, x), at));
    BOOST_TEST(r[y] == eval(d(e, y), at));
    BOOST_TEST(r[z] == eval(d(e, z), at));
  }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(eval_and_gradient)

BOOST_AUTO_TEST_CASE(kernel_agrees_with_d_on_composed_expressions) {
  check_kernel_matches_d(x * y * z);
  check_kernel_matches_d(sigmoid(x * y + z) * tanh(x - z));
  check_kernel_matches_d(log(x + y * z) / sqrt(x * z) + exp(-(y * y)));
  check_kernel_matches_d(pow(sin(x) + cos(y), 3_c) - softplus(x * y * z) + abs(x - y) + relu(z - y));
  check_kernel_matches_d(c<1, 2> * pow(z - sigmoid(x * y), 2_c));
}

BOOST_AUTO_TEST_CASE(value_and_partials_by_name_and_position) {
  const auto r = gradient(x * x * y, x, y)(x = 3.0, y = 2.0);
  BOOST_TEST(r.value == 18.0);
  BOOST_TEST(r[x] == 12.0);
  BOOST_TEST(r[y] == 9.0);
  BOOST_TEST(r.partials[0] == 12.0);
  BOOST_TEST(r.partials[1] == 9.0);
  const auto [value, partials] = r;
  BOOST_TEST(value == 18.0);
  BOOST_TEST(partials[1] == 9.0);
}

BOOST_AUTO_TEST_CASE(a_variable_not_in_the_expression_has_partial_zero) {
  const auto r = gradient(x * x, x, y)(x = 3.0);
  BOOST_TEST(r[y] == 0.0);
}

BOOST_AUTO_TEST_CASE(a_point_may_bind_unused_variables) {
  const auto at = point(x = 3.0, y = 2.0, z = 1.0);
  BOOST_TEST(eval(d(x + y, x), at) == 1.0);  // d(x + y, x) = 1 uses no variable
  BOOST_TEST(eval(x * y, at) == 6.0);
  BOOST_TEST(gradient(x * x, x)(at)[x] == 6.0);
}

BOOST_AUTO_TEST_CASE(scalar_types) {
  static_assert(std::is_same_v<decltype(eval(x, x = 1.0f)), float>);
  static_assert(std::is_same_v<decltype(eval(x, x = 1.0)), double>);
  static_assert(std::is_same_v<decltype(eval(x, x = 1.0L)), long double>);
  static_assert(std::is_same_v<decltype(eval(x, x = 1)), double>);                  // integers bind as double
  static_assert(std::is_same_v<decltype(eval(x * y, x = 1.0f, y = 2.0)), double>);  // common type
  static_assert(std::is_same_v<decltype(eval<float>(x * y, x = 1.0, y = 2.0)), float>);
  static_assert(std::is_same_v<decltype(gradient(x * y, x)(x = 1.0f, y = 2.0f).value), float>);
  BOOST_TEST(eval(sigmoid(x), x = 0.5f) == 1.0f / (1.0f + std::exp(-0.5f)));
  BOOST_TEST(eval(1_c / 3_c) == 1.0 / 3.0);
}

BOOST_AUTO_TEST_CASE(non_finite_input_follows_ieee) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  BOOST_TEST(std::isnan(eval(x * y, x = nan, y = 1.0)));
  BOOST_TEST(std::isnan(eval(log(x), x = -1.0)));  // domain error: NaN, no trap
  BOOST_TEST(std::isnan(eval(sqrt(x), x = -1.0)));
  BOOST_TEST(eval(log(x), x = 0.0) == -inf);
  BOOST_TEST(eval(1_c / x, x = 0.0) == inf);
  // Piecewise functions do not turn NaN into a number.
  BOOST_TEST(std::isnan(eval(relu(x), x = nan)));
  BOOST_TEST(std::isnan(eval(abs(x), x = nan)));
  BOOST_TEST(std::isnan(eval(step(x), x = nan)));
  BOOST_TEST(std::isnan(eval(sign(x), x = nan)));
  BOOST_TEST(std::isnan(gradient(relu(x), x)(x = nan)[x]));
  BOOST_TEST(std::isnan(gradient(sigmoid(x), x)(x = nan)[x]));
}

BOOST_AUTO_TEST_CASE(stable_forms_for_large_arguments) {
  BOOST_TEST(eval(sigmoid(x), x = 1000.0) == 1.0);
  BOOST_TEST(eval(sigmoid(x), x = -1000.0) == 0.0);
  BOOST_TEST(eval(sigmoid(x), x = -700.0) > 0.0);  // e^x/(1 + e^x): tiny, not flushed to 0
  BOOST_TEST(eval(softplus(x), x = 1000.0) == 1000.0);
  BOOST_TEST(eval(softplus(x), x = -1000.0) == 0.0);
  BOOST_TEST(eval(softplus(x), x = -30.0) == std::log1p(std::exp(-30.0)), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(eval(tanh(x), x = 1000.0) == 1.0);
  BOOST_TEST(gradient(sigmoid(x), x)(x = 1000.0)[x] == 0.0);
  BOOST_TEST(!std::isnan(gradient(softplus(x), x)(x = -1000.0)[x]));
}

BOOST_AUTO_TEST_CASE(float_kernel_is_accurate_to_float) {
  const auto e = sigmoid(x * y + z) * tanh(x - z);
  for (long double p : test::random_points(-2, 2, 64, 11)) {
    const float f = static_cast<float>(p);
    const auto rf = gradient(e, x, y, z)(x = f, y = 0.5f * f, z = 0.25f);
    const auto rl = gradient(e, x, y, z)(x = static_cast<long double>(f), y = 0.5L * f, z = 0.25L);
    BOOST_TEST(test::close(rf.value, rl.value, 1e-6L));
    BOOST_TEST(test::close(rf[x], rl[x], 1e-6L));
  }
}

BOOST_AUTO_TEST_SUITE_END()
