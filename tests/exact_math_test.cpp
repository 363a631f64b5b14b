// CTGRAD_EXACT_MATH: tensor kernels call <cmath> for every function, so a
// kernel's tanh and exp are the platform's, bit for bit.  (Its own binary:
// the macro changes the kernels' definitions.)
#define CTGRAD_EXACT_MATH
#define BOOST_TEST_MODULE ctgrad_exact_math
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <ctgrad/ctgrad.hpp>

using namespace ctgrad;

BOOST_AUTO_TEST_CASE(kernels_use_cmath) {
  constexpr param<"a", shape<64>> a;
  constexpr input<"r", shape<64>> r;
  constexpr auto k = compile(sum(tanh(a) * r) + sum(exp(a) * r) + sum(sigmoid(a) * r), wrt(a));
  auto forward = compile_forward(tanh(a) + exp(a));
  static workspace<decltype(forward), float> ws;
  std::array<float, 64> values{}, ones{};
  for (std::size_t i = 0; i != 64; ++i) values[i] = -4.0f + 0.125f * float(i), ones[i] = 1;
  const auto y = forward(ws, a = values);
  for (std::size_t i = 0; i != 64; ++i) BOOST_TEST(y[i] == std::tanh(values[i]) + std::exp(values[i]));
  static workspace<decltype(k), float> kws;
  BOOST_TEST(std::isfinite(k(kws, a = values, r = ones)));
}
