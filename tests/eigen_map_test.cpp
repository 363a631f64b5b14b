// Parameters viewed as Eigen matrices (opt-in <ctgrad/eigen.hpp>): the same
// memory, row-major, and an Eigen product agrees with the model's.
#define BOOST_TEST_MODULE ctgrad_eigen
#include <boost/test/unit_test.hpp>

#include <Eigen/Core>
#include <ctgrad/eigen.hpp>
#include <ctgrad/nn.hpp>
#include <memory>

using namespace ctgrad;

BOOST_AUTO_TEST_CASE(parameters_as_eigen_maps) {
  using net = nn::sequential<3, nn::dense<4>>;  // y = x * W1 + b1, no activation
  auto m = std::make_unique<nn::model<net, nn::mse, double, 1>>();
  m->initialize(8);
  constexpr param<"W1", shape<3, 4>> W1;
  constexpr param<"b1", shape<4>> b1;
  auto W = eigen_map(W1, m->parameter(W1));
  const auto b = eigen_map(b1, std::as_const(*m).parameter(b1));
  static_assert(decltype(W)::RowsAtCompileTime == 3 && decltype(W)::ColsAtCompileTime == 4);
  BOOST_TEST(W.data() == m->parameter(W1).data());  // no copy
  BOOST_TEST(W(1, 2) == m->parameter(W1)[1 * 4 + 2]);
  const std::array<double, 3> x{0.5, -1.0, 2.0};
  Eigen::Matrix<double, 1, 3> xe(x[0], x[1], x[2]);
  const Eigen::Matrix<double, 1, 4> expected = xe * W + b.transpose();
  const auto y = m->predict(x);
  for (int j = 0; j != 4; ++j) BOOST_TEST(std::fabs(y[std::size_t(j)] - expected(j)) <= 1e-15);
  W(0, 0) = 42;  // writes through to the model
  BOOST_TEST(m->parameter(W1)[0] == 42.0);
}
