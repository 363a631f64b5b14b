// <ctgrad/hana.hpp>: expressions as Hana keys, results keyed by variable.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <boost/hana/contains.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/set.hpp>
#include <boost/hana/size.hpp>
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/hana.hpp>

namespace hana = boost::hana;
using namespace ctgrad;
using namespace ctgrad::literals;

namespace {
constexpr var<"x"> x;
constexpr var<"y"> y;
constexpr auto e = x * x * y + sin(y);
constexpr auto kernel = gradient(e, x, y);
}  // namespace

BOOST_AUTO_TEST_SUITE(hana_integration)

BOOST_AUTO_TEST_CASE(expressions_are_compile_time_keys) {
  static_assert(hana::equal(x * y, y * x));  // a compile-time answer, canonical forms
  static_assert(!hana::equal(x, y));
  constexpr auto s = hana::make_set(x, y, x * y);
  static_assert(hana::contains(s, y * x));
  static_assert(!hana::contains(s, x + y));
}

BOOST_AUTO_TEST_CASE(derivatives_by_variable) {
  constexpr auto ds = derivatives(kernel);
  static_assert(hana::size(ds) == hana::size_c<2>);
  static_assert(ds[x] == d(e, x));
  static_assert(ds[y] == d(e, y));
  std::vector<std::string> printed;
  hana::for_each(ds, [&](auto entry) {
    printed.push_back(std::string(to_string(hana::first(entry)).view()) + " -> " +
                      std::string(to_string(hana::second(entry)).view()));
  });
  BOOST_TEST(printed.size() == 2u);
  BOOST_TEST((printed[0] == "x -> 2*x*y" || printed[1] == "x -> 2*x*y"));
}

BOOST_AUTO_TEST_CASE(partials_by_variable) {
  const auto values = partials(kernel(x = 3.0, y = 0.0));
  BOOST_TEST(values[x] == 0.0);   // 2*x*y at y = 0
  BOOST_TEST(values[y] == 10.0);  // x^2 + cos(0)
}

BOOST_AUTO_TEST_SUITE_END()
