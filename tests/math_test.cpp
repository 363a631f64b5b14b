// The constexpr math (used where <cmath> is not constexpr) against <cmath>,
// in units in the last place of double.  Documented bound: 2 ulp.
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cmath>
#include <cstdint>

#include "support.hpp"

namespace cx = ctgrad::detail::cx;

namespace {

std::int64_t ordered(double v) {
  const auto bits = std::bit_cast<std::int64_t>(v);
  return bits < 0 ? std::numeric_limits<std::int64_t>::min() - bits : bits;
}

std::int64_t ulp_distance(double a, double b) {
  const std::int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

template <class Cx, class Std>
std::int64_t max_ulp(Cx cx_fn, Std std_fn, long double lo, long double hi) {
  std::int64_t worst = 0;
  for (long double p : test::random_points(lo, hi, 4096, 21)) {
    const double v = static_cast<double>(p);
    worst = std::max(worst, ulp_distance(static_cast<double>(cx_fn(v)), std_fn(v)));
  }
  return worst;
}

constexpr std::int64_t bound = 2;

}  // namespace

BOOST_AUTO_TEST_SUITE(constexpr_math)

BOOST_AUTO_TEST_CASE(within_two_ulp_of_cmath) {
  const auto e = [](long double v) { return cx::exp(v); };
  BOOST_TEST(max_ulp(
                 e, [](double v) { return std::exp(v); }, -700, 700) <= bound);
  BOOST_TEST(max_ulp(
                 e, [](double v) { return std::exp(v); }, -1, 1) <= bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::expm1(v); }, [](double v) { return std::expm1(v); }, -1, 1) <=
             bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::log(v); }, [](double v) { return std::log(v); }, 1e-300, 1e300) <=
             bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::log(v); }, [](double v) { return std::log(v); }, 0.5, 2) <= bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::log1p(v); }, [](double v) { return std::log1p(v); }, -0.5, 1) <=
             bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::log1p(v); }, [](double v) { return std::log1p(v); }, -1e-10,
                     1e-10) <= bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::sqrt(v); }, [](double v) { return std::sqrt(v); }, 0, 1e300) <=
             bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::sin(v); }, [](double v) { return std::sin(v); }, -100, 100) <=
             bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::cos(v); }, [](double v) { return std::cos(v); }, -100, 100) <=
             bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::sin(v); }, [](double v) { return std::sin(v); }, -1e6, 1e6) <=
             bound);
  // Near a zero of sin, where a sloppy reduction loses all relative accuracy.
  BOOST_TEST(max_ulp([](long double v) { return cx::sin(v); }, [](double v) { return std::sin(v); }, 31.41592,
                     31.41593) <= bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::tanh(v); }, [](double v) { return std::tanh(v); }, -20, 20) <=
             bound);
  BOOST_TEST(max_ulp([](long double v) { return cx::tanh(v); }, [](double v) { return std::tanh(v); }, -1e-3, 1e-3) <=
             bound);
}

BOOST_AUTO_TEST_CASE(special_values) {
  const long double inf = std::numeric_limits<long double>::infinity();
  BOOST_TEST(cx::exp(-inf) == 0.0L);
  BOOST_TEST(cx::exp(inf) == inf);
  BOOST_TEST(cx::log(0.0L) == -inf);
  BOOST_TEST(cx::isnan(cx::log(-1.0L)));
  BOOST_TEST(cx::isnan(cx::sqrt(-1.0L)));
  BOOST_TEST(cx::isnan(cx::sin(inf)));
  BOOST_TEST(cx::tanh(100.0L) == 1.0L);
  BOOST_TEST(cx::exp(0.0L) == 1.0L);
  BOOST_TEST(cx::log(1.0L) == 0.0L);
}

BOOST_AUTO_TEST_SUITE_END()
