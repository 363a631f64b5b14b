// Printing at run time: streams, and the strings for a few larger
// expressions (the constexpr cases are in static/printing.cpp).
#include <boost/test/unit_test.hpp>

#include <sstream>

#include <ctgrad/ctgrad.hpp>

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {
constexpr var<"x"> x;
constexpr var<"y"> y;
}  // namespace

BOOST_AUTO_TEST_SUITE(printing)

BOOST_AUTO_TEST_CASE(streams_and_string_views) {
  std::ostringstream os;
  os << to_string(d(x * x * y, x));
  BOOST_TEST(os.str() == "2*x*y");
  const auto latex = to_latex(x / y);
  const std::string_view v = latex;
  BOOST_TEST(v == "\\frac{x}{y}");
  static_assert(!std::is_convertible_v<decltype(to_latex(x / y))&&, std::string_view>);  // would dangle
  BOOST_TEST(to_string(x).size() == 1u);
}

BOOST_AUTO_TEST_CASE(quotient_rule_reads_like_the_textbook) {
  BOOST_TEST(to_string(d(sin(x) / x, x)).view() == "cos(x)/x - sin(x)/x^2");
  BOOST_TEST(to_string(d(exp(x * y), y)).view() == "x*exp(x*y)");
  BOOST_TEST(to_string(d(log(sigmoid(x)), x)).view() == "sigmoid(x)*(1 - sigmoid(x))/sigmoid(x)");
}

BOOST_AUTO_TEST_SUITE_END()
