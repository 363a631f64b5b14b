// The worked 2-2-2 example reproduces every number of backprop.md §4.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "worked_example.hpp"

using namespace worked_example;

namespace {
// The table gives 9 decimals, so 1e-9 (half a unit in the 9th place would be
// 5e-10; every value below is in fact within 5e-10).
constexpr double table_tolerance = 1e-9;

auto initial_gradient() {
  return ctgrad::gradient(E, w1, w2, w3, w4, w5, w6, w7, w8, b1, b2)(
      w1 = 0.15, w2 = 0.20, w3 = 0.25, w4 = 0.30, w5 = 0.40, w6 = 0.45, w7 = 0.50, w8 = 0.55, i1 = 0.05, i2 = 0.10,
      t1 = 0.01, t2 = 0.99, b1 = 0.35, b2 = 0.60);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(worked_example_2_2_2)

BOOST_AUTO_TEST_CASE(forward_pass) {
  // Each activation is evaluated with exactly the variables it depends on.
  const double h1 = ctgrad::eval(out_h1, w1 = 0.15, w2 = 0.20, i1 = 0.05, i2 = 0.10, b1 = 0.35);
  const double h2 = ctgrad::eval(out_h2, w3 = 0.25, w4 = 0.30, i1 = 0.05, i2 = 0.10, b1 = 0.35);
  const double o1 = ctgrad::eval(out_o1, w1 = 0.15, w2 = 0.20, w3 = 0.25, w4 = 0.30, w5 = 0.40, w6 = 0.45, i1 = 0.05,
                                 i2 = 0.10, b1 = 0.35, b2 = 0.60);
  const double o2 = ctgrad::eval(out_o2, w1 = 0.15, w2 = 0.20, w3 = 0.25, w4 = 0.30, w7 = 0.50, w8 = 0.55, i1 = 0.05,
                                 i2 = 0.10, b1 = 0.35, b2 = 0.60);
  BOOST_TEST(std::fabs(h1 - 0.593269992) < table_tolerance);
  BOOST_TEST(std::fabs(h2 - 0.596884378) < table_tolerance);
  BOOST_TEST(std::fabs(o1 - 0.751365070) < table_tolerance);
  BOOST_TEST(std::fabs(o2 - 0.772928465) < table_tolerance);
}

BOOST_AUTO_TEST_CASE(initial_error_and_partials) {
  const auto r = initial_gradient();
  BOOST_TEST(std::fabs(r.value - 0.298371109) < table_tolerance);
  const double expected[10] = {0.000438568, 0.000877135,  0.000497713,  0.000995425, 0.082167041,
                               0.082667628, -0.022602540, -0.022740242, 0.018725609, 0.100400325};
  for (int k = 0; k != 10; ++k)
    BOOST_TEST(std::fabs(r.partials[k] - expected[k]) < table_tolerance, "partial " << k << ": " << r.partials[k]);
  BOOST_TEST(r[w5] == r.partials[4]);
}

BOOST_AUTO_TEST_CASE(one_sgd_step) {
  double w[8];
  for (int k = 0; k != 8; ++k) w[k] = initial_weights[k];
  const double before = train_step(w);
  BOOST_TEST(std::fabs(before - 0.298371109) < table_tolerance);
  const double expected[8] = {0.149780716, 0.199561432, 0.249751144, 0.299502287,
                              0.358916480, 0.408666186, 0.511301270, 0.561370121};
  for (int k = 0; k != 8; ++k)
    BOOST_TEST(std::fabs(w[k] - expected[k]) < table_tolerance, "w" << k + 1 << " = " << w[k]);
  BOOST_TEST(std::fabs(loss(w) - 0.291027774) < table_tolerance);
}

BOOST_AUTO_TEST_CASE(ten_thousand_steps) {
  double w[8];
  for (int k = 0; k != 8; ++k) w[k] = initial_weights[k];
  for (int step = 0; step != 10000; ++step) train_step(w);
  // The table gives E as 3.5102e-05 (5 significant digits): within 1e-9.
  BOOST_TEST(std::fabs(loss(w) - 3.5102e-05) < 1e-9, "E = " << loss(w));
  // The outputs are given to 6 decimals: within half a unit of the 6th.
  const double o1 = ctgrad::eval(out_o1, w1 = w[0], w2 = w[1], w3 = w[2], w4 = w[3], w5 = w[4], w6 = w[5], i1 = 0.05,
                                 i2 = 0.10, b1 = 0.35, b2 = 0.60);
  const double o2 = ctgrad::eval(out_o2, w1 = w[0], w2 = w[1], w3 = w[2], w4 = w[3], w7 = w[6], w8 = w[7], i1 = 0.05,
                                 i2 = 0.10, b1 = 0.35, b2 = 0.60);
  BOOST_TEST(std::fabs(o1 - 0.015914) < 5e-7, "out_o1 = " << o1);
  BOOST_TEST(std::fabs(o2 - 0.984064) < 5e-7, "out_o2 = " << o2);
}

BOOST_AUTO_TEST_CASE(derivatives_print_as_the_textbook_writes_them) {
  using ctgrad::label;
  constexpr auto show = [](auto e) {
    return ctgrad::to_string(e, label<"out_h1">(out_h1), label<"out_h2">(out_h2), label<"out_o1">(out_o1),
                             label<"out_o2">(out_o2));
  };
  // dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5
  static_assert(show(ctgrad::d(E, w5)) == "out_h1*out_o1*(1 - out_o1)*(out_o1 - t1)");
  // dE/dw1: both output paths summed (the chain rule's sum over paths)
  static_assert(show(ctgrad::d(E, w1)) ==
                "i1*out_h1*(1 - out_h1)*(w5*out_o1*(1 - out_o1)*(out_o1 - t1) + w7*out_o2*(1 - out_o2)*(out_o2 - t2))");
  BOOST_TEST(show(ctgrad::d(E, w8)).view() == "out_h2*out_o2*(1 - out_o2)*(out_o2 - t2)");
}

namespace {
template <class T>
struct factors;
template <class A, class B>
struct factors<ctgrad::nodes::mul<A, B>> {
  using first = A;
  using second = B;
};
}  // namespace

BOOST_AUTO_TEST_CASE(shared_adjoints_are_one_node) {
  // dE/dw1 = i1 * delta_h1 and dE/dw2 = i2 * delta_h1 with delta_h1 = dE/dnet_h1
  // one and the same type: the kernel computes it once for both (backprop).
  using dw1 = factors<decltype(ctgrad::d(E, w1))>;
  using dw2 = factors<decltype(ctgrad::d(E, w2))>;
  static_assert(std::is_same_v<dw1::first, std::remove_cv_t<decltype(i1)>>);
  static_assert(std::is_same_v<dw2::first, std::remove_cv_t<decltype(i2)>>);
  static_assert(std::is_same_v<dw1::second, dw2::second>);
  // ...and that node is in the kernel's graph once.
  static_assert(dE.contains(dw1::second{}));
  static_assert(!dE.contains(i1 * w8));
  BOOST_TEST(dE.workspace_bytes<double> == dE.node_count * sizeof(double));
}

BOOST_AUTO_TEST_SUITE_END()
