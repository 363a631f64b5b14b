// Printing at run time: streams, and the strings for a few larger
// expressions (the constexpr cases are in static/printing.cpp).
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/print/tree.hpp>

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

// Expressions and tensor expressions on a stream read as to_string, so
// that BOOST_TEST(a == b) on expression types compiles and shows both sides
// as maths when they differ.
BOOST_AUTO_TEST_CASE(expressions_on_streams) {
  constexpr param<"W", shape<3, 2>> W;
  constexpr input<"v", shape<4, 3>> v;
  std::ostringstream os;
  os << d(sigmoid(x), x) << " | " << x << " | " << 2_c << " | " << matmul(v, W) << " | " << W;
  BOOST_TEST(os.str() == "sigmoid(x)*(1 - sigmoid(x)) | x | 2 | v*W | W");
}

BOOST_AUTO_TEST_CASE(boost_test_shows_both_sides_as_maths) {
  BOOST_TEST(d(x * x, x) == 2_c * x);
  constexpr param<"W", shape<3, 2>> W;
  constexpr input<"v", shape<4, 3>> v;
  BOOST_TEST(grad(sum(matmul(v, W)), W) == grad(sum(matmul(v, W)), W));
  // A failing comparison, evaluated the way BOOST_TEST does, without failing
  // this test: its message is both sides as maths.
  const auto failed = (::boost::test_tools::assertion::seed()->*d(x * x * x, x) == 2_c * x).evaluate();
  BOOST_TEST(!failed);
  BOOST_TEST(std::string(failed.message().begin(), failed.message().end()) == " [3*x^2 != 2*x]");
  const auto failed_tensor =
      (::boost::test_tools::assertion::seed()->*grad(sum(matmul(v, W)), W) == matmul(v, W)).evaluate();
  BOOST_TEST(std::string(failed_tensor.message().begin(), failed_tensor.message().end()) == " [v^T*1 != v*W]");
}

// to_tree: one node per line, operands indented under their node; a
// computed node used twice is marked where it first appears and referred to
// after; leaves and constants repeat.
BOOST_AUTO_TEST_CASE(trees_of_both_levels) {
  BOOST_TEST(to_tree(sin(x * y) + 2_c * sin(x * y) / y) ==
             "+\n"
             "  sin  (#1)\n"
             "    *\n"
             "      x\n"
             "      y\n"
             "  /\n"
             "    *\n"
             "      2\n"
             "      sin  (#1, above)\n"
             "    y\n");
  constexpr param<"W", shape<3, 2>> W;
  constexpr input<"a", shape<4, 3>> a;
  constexpr input<"t", shape<4, 2>> t;
  BOOST_TEST(to_tree(grad(loss::softmax_cross_entropy(matmul(a, W), t), W)) ==
             "matmul [3, 2]\n"
             "  transpose [3, 4]\n"
             "    a [4, 3]\n"
             "  _1/4 - _0/4 [4, 2]\n"
             "    t [4, 2]\n"
             "    exp(_1 - _0) [4, 2]\n"
             "      broadcast [4, 2]\n"
             "        logsumexp [4, 1]\n"
             "          matmul [4, 2]  (#1)\n"
             "            a [4, 3]\n"
             "            W [3, 2]\n"
             "      matmul [4, 2]  (#1, above)\n");
  // Window nodes by name: the kernel gradient of a convolution.
  constexpr input<"img", shape<1, 1, 4, 4>> img;
  constexpr param<"K", shape<1, 1, 2, 2>> K;
  const std::string conv_tree = to_tree(grad(sum(conv2d(img, K)), K));
  BOOST_TEST(conv_tree.rfind("conv_kernel_grad [1, 1, 2, 2]\n", 0) == 0u, conv_tree);
}

BOOST_AUTO_TEST_SUITE_END()
