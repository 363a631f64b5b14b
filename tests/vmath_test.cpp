// The vectorisable math of tensor kernels (numeric/vmath.hpp) against the
// platform's libm in long double, over the whole range, and the matrix
// product (numeric/gemm.hpp) against the plain sum, bit for bit.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <ctgrad/numeric/gemm.hpp>
#include <ctgrad/numeric/vmath.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "support.hpp"

namespace vm = ctgrad::detail::vmath;

namespace {

/// |got - exact| in units of T's last place at the exact value (for results
/// in the subnormal range, in units of the smallest subnormal).
template <class T>
long double ulps(T got, long double exact) {
  if (std::isnan(exact)) return std::isnan(got) ? 0 : 1e30L;
  if (std::isinf(exact)) return got == exact ? 0 : 1e30L;
  const T rounded = static_cast<T>(exact);
  long double ulp = std::nextafter(std::fabs(rounded), std::numeric_limits<T>::infinity()) - std::fabs(rounded);
  if (std::fabs(exact) < std::numeric_limits<T>::min()) ulp = std::numeric_limits<T>::denorm_min();
  return std::fabs(static_cast<long double>(got) - exact) / ulp;
}

template <class T, class F, class G>
long double worst_ulps(T lo, T hi, F f, G exact, int n = 400000) {
  long double worst = 0;
  for (int i = 0; i <= n; ++i) {
    const T x = lo + (hi - lo) * static_cast<T>(i) / static_cast<T>(n);
    worst = std::max(worst, ulps(f(x), exact(static_cast<long double>(x))));
  }
  return worst;
}

const auto exact_exp = [](long double x) { return std::exp(x); };
const auto exact_tanh = [](long double x) { return std::tanh(x); };
const auto exact_sigmoid = [](long double x) { return 1.0L / (1.0L + std::exp(-x)); };

}  // namespace

BOOST_AUTO_TEST_SUITE(vectorisable_math)

BOOST_AUTO_TEST_CASE(exp_within_2_ulp) {
  BOOST_TEST(worst_ulps<float>(
                 -87.3f, 88.7f, [](float x) { return vm::exp(x); }, exact_exp) <= 2.0L);
  BOOST_TEST(worst_ulps<float>(
                 -1, 1, [](float x) { return vm::exp(x); }, exact_exp) <= 2.0L);
  BOOST_TEST(worst_ulps<double>(
                 -708, 709.7, [](double x) { return vm::exp(x); }, exact_exp) <= 2.0L);
  BOOST_TEST(worst_ulps<double>(
                 -1, 1, [](double x) { return vm::exp(x); }, exact_exp) <= 2.0L);
  // Subnormal results: within 2 units of the smallest subnormal.
  BOOST_TEST(worst_ulps<float>(
                 -103.9f, -87.4f, [](float x) { return vm::exp(x); }, exact_exp) <= 2.0L);
}

BOOST_AUTO_TEST_CASE(tanh_within_3_ulp) {
  BOOST_TEST(worst_ulps<float>(
                 -10, 10, [](float x) { return vm::tanh(x); }, exact_tanh) <= 3.0L);
  BOOST_TEST(worst_ulps<float>(
                 -1e-3f, 1e-3f, [](float x) { return vm::tanh(x); }, exact_tanh) <= 3.0L);
  BOOST_TEST(worst_ulps<double>(
                 -20, 20, [](double x) { return vm::tanh(x); }, exact_tanh) <= 3.0L);
  BOOST_TEST(worst_ulps<double>(
                 -1, 1, [](double x) { return vm::tanh(x); }, exact_tanh) <= 3.0L);
}

BOOST_AUTO_TEST_CASE(sigmoid_within_3_ulp) {
  BOOST_TEST(worst_ulps<float>(
                 -100, 100, [](float x) { return vm::sigmoid(x); }, exact_sigmoid) <= 3.0L);
  BOOST_TEST(worst_ulps<double>(
                 -740, 740, [](double x) { return vm::sigmoid(x); }, exact_sigmoid) <= 3.0L);
}

BOOST_AUTO_TEST_CASE(special_values) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  BOOST_TEST(vm::exp(inf) == inf);
  BOOST_TEST(vm::exp(-inf) == 0.0f);
  BOOST_TEST(vm::exp(1000.0f) == inf);
  BOOST_TEST(std::isnan(vm::exp(nan)));
  BOOST_TEST(vm::tanh(inf) == 1.0f);
  BOOST_TEST(vm::tanh(-inf) == -1.0f);
  BOOST_TEST(std::isnan(vm::tanh(nan)));
  BOOST_TEST(std::signbit(vm::tanh(-0.0f)));
  BOOST_TEST(vm::sigmoid(-inf) == 0.0f);
  BOOST_TEST(vm::sigmoid(inf) == 1.0f);
  BOOST_TEST(std::isnan(vm::sigmoid(nan)));
  BOOST_TEST(std::isnan(vm::exp(std::numeric_limits<double>::quiet_NaN())));
}

BOOST_AUTO_TEST_SUITE_END()

namespace {
template <std::size_t Bytes, std::size_t M, std::size_t K, std::size_t N, class T>
void check_gemm() {
  std::vector<T> a(M * K), b(K * N), c(M * N, T(-1)), naive(M * N);
  const auto pa = test::random_points(-1, 1, static_cast<int>(a.size()), M * 7 + K);
  const auto pb = test::random_points(-1, 1, static_cast<int>(b.size()), N * 3 + K);
  for (std::size_t i = 0; i != a.size(); ++i) a[i] = static_cast<T>(pa[i]);
  for (std::size_t i = 0; i != b.size(); ++i) b[i] = static_cast<T>(pb[i]);
  // The documented order: K < 16 in order; else four chunks of K / 4 (the
  // last one with the rest), each in order, then (s0 + s1) + (s2 + s3).
  for (std::size_t i = 0; i != M; ++i)
    for (std::size_t j = 0; j != N; ++j) {
      const auto term = [&](std::size_t k) { return a[i * K + k] * b[k * N + j]; };
      if (K < 16) {
        T s = T(0);
        for (std::size_t k = 0; k != K; ++k) s += term(k);
        naive[i * N + j] = s;
      } else {
        T s[4] = {};
        for (std::size_t k = 0; k != K; ++k) s[std::min<std::size_t>(k / (K / 4), 3)] += term(k);
        naive[i * N + j] = (s[0] + s[1]) + (s[2] + s[3]);
      }
    }
  ctgrad::detail::gemm::multiply<Bytes, M, K, N>(c.data(), b.data(),
                                                 [&](std::size_t i, std::size_t k) { return a[i * K + k]; });
  BOOST_TEST(c == naive, "gemm<" << Bytes << "> " << M << "x" << K << "x" << N << " differs from the documented order");
}
}  // namespace

namespace {
/// gemm::dots (A Y^T at batch 1: the dots of a with the rows of y) against
/// dot, the one order, for every path: K = 4's transposes at each width
/// with their remainders, the 4-row shuffles, the scalar rest.
template <std::size_t Bytes, std::size_t K, std::size_t N>
void check_dots() {
  std::vector<float> a(K), y(N * K), c(N, -1.0f), expected(N), folded(N), expected_folded(N);
  const auto pa = test::random_points(-1, 1, static_cast<int>(K), K * 5 + N);
  const auto py = test::random_points(-1, 1, static_cast<int>(N * K), N * 11 + K);
  for (std::size_t k = 0; k != K; ++k) a[k] = static_cast<float>(pa[k]);
  for (std::size_t i = 0; i != N * K; ++i) y[i] = static_cast<float>(py[i]);
  a[0] = -0.0f;  // a first product of -0: the sum starts from +0, as dot's does
  for (std::size_t j = 0; j != N; ++j) expected[j] = ctgrad::detail::gemm::dot<16, K>(a.data(), y.data() + j * K);
  ctgrad::detail::gemm::dots<Bytes, K, N>(c.data(), a.data(), y.data(), ctgrad::detail::gemm::store_result{});
  BOOST_TEST(c == expected, "dots<" << Bytes << ", " << K << ", " << N << "> differs from dot");
  // Through the fused SGD writer: beta * c + alpha * dot.
  for (std::size_t j = 0; j != N; ++j) folded[j] = expected_folded[j] = 0.5f - 0.01f * float(j);
  for (std::size_t j = 0; j != N; ++j) expected_folded[j] = 0.75f * expected_folded[j] + -0.25f * expected[j];
  ctgrad::detail::gemm::dots<Bytes, K, N>(folded.data(), a.data(), y.data(),
                                          ctgrad::detail::gemm::scale_and_add<float>{-0.25f, 0.75f});
  BOOST_TEST(folded == expected_folded, "dots<" << Bytes << ", " << K << ", " << N << "> through scale_and_add");
}

template <std::size_t Bytes>
void check_dots_k_below_8() {  // K = 4's transposes, the others' shuffles; rows left for narrower vectors and scalars
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((check_dots<Bytes, K + 1, 1>(), check_dots<Bytes, K + 1, 5>(), check_dots<Bytes, K + 1, 16>(),
      check_dots<Bytes, K + 1, 31>(), check_dots<Bytes, K + 1, 32>()),
     ...);
  }
  (std::make_index_sequence<7>{});
}
}  // namespace

BOOST_AUTO_TEST_CASE(products_by_a_transposed_matrix_sum_as_dot_does_bit_for_bit) {
  check_dots<16, 32, 32>();
  check_dots<32, 32, 32>();
  check_dots<64, 37, 10>();
  check_dots_k_below_8<16>();
  check_dots_k_below_8<32>();
  check_dots_k_below_8<64>();
}

BOOST_AUTO_TEST_CASE(matrix_product_sums_in_its_documented_order_bit_for_bit) {
  // Every tiling path: wide and narrow, row and column remainders, K = 1,
  // K with a remainder of chunks, four, two or one chunk side by side.
  check_gemm<16, 1, 16, 32, float>();
  check_gemm<32, 1, 16, 32, float>();
  check_gemm<64, 1, 16, 32, float>();
  check_gemm<16, 1, 35, 4, float>();
  check_gemm<64, 1, 35, 4, float>();
  check_gemm<16, 32, 784, 10, float>();
  check_gemm<32, 32, 784, 10, float>();
  check_gemm<64, 32, 784, 10, float>();
  check_gemm<32, 8, 10, 16, float>();
  check_gemm<16, 3, 17, 48, float>();
  check_gemm<64, 3, 17, 48, float>();
  check_gemm<32, 1, 16, 4, double>();
  check_gemm<64, 32, 43, 64, float>();
  check_gemm<64, 1, 64, 64, float>();
  check_gemm<16, 7, 5, 13, float>();
  check_gemm<32, 7, 5, 13, float>();
  check_gemm<16, 33, 1, 37, float>();
  check_gemm<32, 33, 1, 37, float>();
  check_gemm<16, 5, 9, 6, double>();
  check_gemm<32, 5, 9, 6, double>();
  check_gemm<16, 4, 3, 2, long double>();

  // The dot product's documented order, for both widths.
  std::vector<float> x(37), y(37);
  for (std::size_t i = 0; i != x.size(); ++i) x[i] = 0.1f * float(i) - 1.3f, y[i] = 0.7f - 0.05f * float(i);
  float p[8] = {};
  for (std::size_t k = 0; k != 32; ++k) p[k % 8] += x[k] * y[k];
  float expected = ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]));
  for (std::size_t k = 32; k != 37; ++k) expected += x[k] * y[k];
  BOOST_TEST((ctgrad::detail::gemm::dot<16, 37>(x.data(), y.data())) == expected);

  // dot_lanes16 (convolution kernel gradients): lane l sums its terms in
  // order, on top of what it held, whatever the vector width.
  float lanes[16], expected_lanes[16];
  for (std::size_t l = 0; l != 16; ++l) lanes[l] = expected_lanes[l] = 0.25f * float(l);
  for (std::size_t k = 0; k != 32; ++k) expected_lanes[k % 16] += x[k] * y[k];
  float wide[16];
  std::copy(lanes, lanes + 16, wide);
  ctgrad::detail::gemm::dot_lanes16<16, 37>(lanes, x.data(), y.data());
  ctgrad::detail::gemm::dot_lanes16<32, 37>(wide, x.data(), y.data());
  BOOST_TEST(std::equal(lanes, lanes + 16, expected_lanes));
  BOOST_TEST(std::equal(wide, wide + 16, expected_lanes));
  BOOST_TEST((ctgrad::detail::gemm::dot<32, 37>(x.data(), y.data())) == expected);
}
