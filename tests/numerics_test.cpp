// Exact derivatives at the kinks and the extremes: every activation at
// exactly +0 and -0 against the documented convention (docs/numerics.md,
// PyTorch's), gelu over the whole floating-point range, softmax
// cross-entropy with masked logits and with one row of huge logits, and the
// targets' contract.
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cfloat>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "gradient_check.hpp"

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {

constexpr param<"x", shape<4>> x;

/// f and df/dx at +0, -0, +tiny, -tiny (smallest normals), through a
/// compiled kernel in T: the same code that trains.
template <class T, class F>
std::array<std::array<T, 4>, 2> at_zero(F f) {
  auto k = compile(sum(f(x)), wrt(x));
  auto fwd = compile_forward(f(x));
  const T tiny = std::numeric_limits<T>::min();
  const std::array<T, 4> xs{T(0), -T(0), tiny, -tiny};
  auto ws = std::make_unique<workspace<decltype(k), T>>();
  auto fws = std::make_unique<workspace<decltype(fwd), T>>();
  k(*ws, x = xs);
  const auto values = fwd(*fws, x = xs);
  std::array<std::array<T, 4>, 2> out{};
  std::copy(values.begin(), values.end(), out[0].begin());
  std::copy(ws->gradient(x).begin(), ws->gradient(x).end(), out[1].begin());
  return out;
}

/// The derivative at +0 and -0 is `slope` (both sides of the kink take
/// the negative side's, as PyTorch), the value is +-0, and just off zero
/// the derivative is each side's.
template <class T, class F>
void check_kink(const char* name, F f, T slope, T right_slope, T left_slope) {
  const auto [value, derivative] = at_zero<T>(f);
  BOOST_TEST_CONTEXT(name << " in " << (sizeof(T) == 4 ? "float" : sizeof(T) == 8 ? "double" : "long double")) {
    BOOST_TEST(value[0] == T(0));
    BOOST_TEST(value[1] == T(0));
    BOOST_TEST(derivative[0] == slope);
    BOOST_TEST(derivative[1] == slope);
    BOOST_TEST(std::abs(derivative[2] - right_slope) <= 1e-6 * std::abs(right_slope) + 1e-30);
    BOOST_TEST(std::abs(derivative[3] - left_slope) <= 1e-6 * std::abs(left_slope) + 1e-30);
  }
}

template <class T>
void check_every_kink() {
  const auto leaky = [](auto a) { return leaky_relu(a); };
  const auto leaky5 = [](auto a) { return leaky_relu(a, c<1, 5>); };
  const auto elu1 = [](auto a) { return elu(a); };
  const auto elu2 = [](auto a) { return elu(a, c<1, 2>); };
  // Before: leaky_relu'(0) and elu'(0) were 0.
  check_kink<T>("relu", [](auto a) { return relu(a); }, T(0), T(1), T(0));
  check_kink<T>("leaky_relu", leaky, T(1) / T(100), T(1), T(1) / T(100));
  check_kink<T>("leaky_relu alpha 1/5", leaky5, T(1) / T(5), T(1), T(1) / T(5));
  check_kink<T>("elu", elu1, T(1), T(1), T(1));  // smooth at 0 for alpha = 1
  check_kink<T>("elu alpha 1/2", elu2, T(1) / T(2), T(1), T(1) / T(2));
  check_kink<T>("gelu", [](auto a) { return gelu(a); }, T(1) / T(2), T(1) / T(2), T(1) / T(2));
  check_kink<T>("abs", [](auto a) { return abs(a); }, T(0), T(1), T(-1));
  check_kink<T>("tanh", [](auto a) { return tanh(a); }, T(1), T(1), T(1));
  check_kink<T>("negative_part", [](auto a) { return negative_part(a); }, T(-1), T(0), T(-1));
  // Smooth ones: the derivative at 0 is the usual number.
  const auto [sv, sd] = at_zero<T>([](auto a) { return sigmoid(a); });
  BOOST_TEST(sv[0] == T(0.5));
  BOOST_TEST(sd[0] == T(0.25));
  BOOST_TEST(sd[1] == T(0.25));
  const auto [pv, pd] = at_zero<T>([](auto a) { return softplus(a); });
  BOOST_TEST(pd[0] == T(0.5));
  BOOST_TEST(pd[1] == T(0.5));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(numerics)

BOOST_AUTO_TEST_CASE(every_activation_at_exactly_plus_and_minus_zero) {
  check_every_kink<float>();
  check_every_kink<double>();
  check_every_kink<long double>();
}

/// f and f' at +inf, -inf, +max, -max: the limits, never NaN.
template <class T, class F>
void check_extremes(const char* name, F f, std::array<long double, 4> slope) {
  constexpr param<"y", shape<4>> y;
  auto k = compile(sum(f(y)), wrt(y));
  auto fwd = compile_forward(f(y));
  auto ws = std::make_unique<workspace<decltype(k), T>>();
  auto fws = std::make_unique<workspace<decltype(fwd), T>>();
  const T inf = std::numeric_limits<T>::infinity(), max = std::numeric_limits<T>::max();
  const std::array<T, 4> xs{inf, -inf, max, -max};
  k(*ws, y = xs);
  const auto values = fwd(*fws, y = xs);
  for (std::size_t i = 0; i != 4; ++i) {
    BOOST_TEST(!std::isnan(values[i]), name << "(" << xs[i] << ") is NaN");
    BOOST_TEST(ws->gradient(y)[i] == static_cast<T>(slope[i]), name << "'(" << xs[i] << ") = " << ws->gradient(y)[i]);
  }
}

template <class T>
void check_every_extreme() {
  check_extremes<T>("relu", [](auto a) { return relu(a); }, {1, 0, 1, 0});
  check_extremes<T>("leaky_relu", [](auto a) { return leaky_relu(a); }, {1, 0.01L, 1, 0.01L});
  check_extremes<T>("elu", [](auto a) { return elu(a); }, {1, 0, 1, 0});
  check_extremes<T>("gelu", [](auto a) { return gelu(a); }, {1, 0, 1, 0});
  check_extremes<T>("softplus", [](auto a) { return softplus(a); }, {1, 0, 1, 0});
  check_extremes<T>("sigmoid", [](auto a) { return sigmoid(a); }, {0, 0, 0, 0});
  check_extremes<T>("tanh", [](auto a) { return tanh(a); }, {0, 0, 0, 0});
  check_extremes<T>("abs", [](auto a) { return abs(a); }, {1, -1, 1, -1});
  check_extremes<T>("negative_part", [](auto a) { return negative_part(a); }, {0, -1, 0, -1});
}

BOOST_AUTO_TEST_CASE(every_activation_at_plus_and_minus_infinity_and_max) {
  check_every_extreme<float>();
  check_every_extreme<double>();
}

BOOST_AUTO_TEST_CASE(the_new_functions_against_finite_differences) {
  constexpr param<"A", shape<3, 4>> A;
  constexpr input<"r", shape<3, 4>> r;
  BOOST_TEST(test::check_gradients(sum(negative_part(A) * r), -1, 1, A, r) > 0);
  BOOST_TEST(test::check_gradients(sum(gelu(A) * r), -12, 12, A, r) > 0);
  BOOST_TEST(test::check_gradients(sum(elu(A, c<1, 2>) * r), -2, 2, A, r) > 0);
  // gelu' and gelu'' at the scalar level, through d().
  constexpr var<"v"> v;
  for (long double at : test::random_points(-12, 12, 64, 3)) {
    const auto fd = [&](auto e) {
      const long double h = test::fd_step(at);
      return (eval(e, v = at + h) - eval(e, v = at - h)) / (2 * h);
    };
    BOOST_TEST(test::close(eval(d(gelu(v), v), v = at), fd(gelu(v)), 1e-8L), "gelu' at " << double(at));
    BOOST_TEST(test::close(eval(d(d(gelu(v), v), v), v = at), fd(d(gelu(v), v)), 1e-8L), "gelu'' at " << double(at));
  }
  static_assert(to_string(d(gelu(v), v)) == "gelu'(v)" && to_string(d(d(gelu(v), v), v)) == "gelu''(v)");
}

/// gelu and gelu' in T (through a kernel: the vectorised code) against the
/// tanh form in long double, over [-lim, lim]; errors bounded relative to the
/// sum of the magnitudes of the terms (so the zero of gelu' is fair).
template <class T>
void check_gelu_accuracy(long double ulps) {
  constexpr param<"g", shape<512>> g;
  auto k = compile(sum(gelu(g)), wrt(g));
  auto fwd = compile_forward(gelu(g));
  auto ws = std::make_unique<workspace<decltype(k), T>>();
  auto fws = std::make_unique<workspace<decltype(fwd), T>>();
  std::array<T, 512> xs{};
  for (std::size_t i = 0; i != xs.size(); ++i) xs[i] = T(-16) + T(32) * T(i) / T(511);
  k(*ws, g = xs);
  const auto values = fwd(*fws, g = xs);
  const long double eps = std::numeric_limits<T>::epsilon();
  for (std::size_t i = 0; i != xs.size(); ++i) {
    const long double z = xs[i], k0 = 0.7978845608028654L, u = k0 * (z + 0.044715L * z * z * z);
    // (1 + tanh(u)) / 2 as 1 / (1 + e^(-2u)): the same number, without the
    // cancellation that would make the reference itself inexact for u << 0.
    const long double s = 1 / (1 + std::exp(-2 * u)), du = k0 * (1 + 3 * 0.044715L * z * z);
    const long double r = 1 / (1 + std::exp(2 * u));  // 1 - s
    const long double value = z * s, slope = s + z * s * r * 2 * du;
    const long double curvature = s * r * (4 * du + 4 * z * du * du * (r - s) + 12 * k0 * 0.044715L * z * z);
    // Relative to the condition: rounding x changes f(x) by about
    // |x f'(x)| eps however f is computed.
    const long double value_tol = ulps * eps * (std::abs(value) + std::abs(z * slope));
    const long double slope_tol = ulps * eps * (std::abs(s) + std::abs(z * s * r * 2 * du) + std::abs(z * curvature));
    // Results below the normal range carry absolute errors of a few
    // denorm_min, scaled by the same amplification (x 2u' for sigmoid(2u)).
    const long double subnormal_floor = ulps * std::numeric_limits<T>::denorm_min() * (1 + std::abs(2 * z * du));
    BOOST_TEST(std::abs(values[i] - value) <= value_tol + subnormal_floor,
               "gelu(" << double(z) << ") = " << double(values[i]) << ", expected " << double(value));
    BOOST_TEST(std::abs(ws->gradient(g)[i] - slope) <= slope_tol + subnormal_floor,
               "gelu'(" << double(z) << ") = " << double(ws->gradient(g)[i]) << ", expected " << double(slope));
  }
}

BOOST_AUTO_TEST_CASE(gelu_is_accurate_and_finite_over_the_whole_range) {
  check_gelu_accuracy<float>(16);
  check_gelu_accuracy<double>(16);
  // Before: gelu'(z) NaN for |z| > ~7e12 in float (z^3 overflows),
  // gelu(+-inf) NaN, gelu(FLT_MAX) inf.
  constexpr param<"e", shape<8>> e;
  auto k = compile(sum(gelu(e)), wrt(e));
  auto fwd = compile_forward(gelu(e));
  auto ws = std::make_unique<workspace<decltype(k), float>>();
  auto fws = std::make_unique<workspace<decltype(fwd), float>>();
  const float inf = std::numeric_limits<float>::infinity();
  const std::array<float, 8> xs{inf, -inf, FLT_MAX, -FLT_MAX, 1e13f, -1e13f, 7e12f, -7e12f};
  const std::array<float, 8> value{inf, 0, FLT_MAX, 0, 1e13f, 0, 7e12f, 0};
  const std::array<float, 8> slope{1, 0, 1, 0, 1, 0, 1, 0};
  k(*ws, e = xs);
  const auto ys = fwd(*fws, e = xs);
  for (std::size_t i = 0; i != xs.size(); ++i) {
    BOOST_TEST(ys[i] == value[i], "gelu(" << xs[i] << ") = " << ys[i]);
    BOOST_TEST(ws->gradient(e)[i] == slope[i], "gelu'(" << xs[i] << ") = " << ws->gradient(e)[i]);
    BOOST_TEST(detail::math::gelu(xs[i]) == value[i]);  // the scalar code too
    BOOST_TEST(detail::math::gelu_derivative(xs[i]) == slope[i]);
    BOOST_TEST(std::isfinite(detail::math::gelu_second_derivative(xs[i])));
  }
}

BOOST_AUTO_TEST_CASE(softmax_cross_entropy_with_masked_logits) {
  // Masked logits (-inf where a class is impossible, target 0 there): the
  // loss is finite and the gradient there is 0.  Before: NaN (0 * -inf).
  constexpr param<"z", shape<2, 3>> z;
  constexpr input<"t", shape<2, 3>> t;
  auto k = compile(loss::softmax_cross_entropy(z, t), wrt(z));
  const float inf = std::numeric_limits<float>::infinity();
  const std::array<float, 6> zs{2, -inf, 0.5f, -inf, -inf, 1};
  const std::array<float, 6> ts{1, 0, 0, 0, 0, 1};
  auto ws = std::make_unique<workspace<decltype(k), float>>();
  const float l = k(*ws, z = zs, t = ts);
  const long double row0 = std::log1p(std::exp(0.5L - 2)), row1 = 0;  // logsumexp - z_target
  BOOST_TEST(std::abs(l - (row0 + row1) / 2) <= 1e-7);
  const long double p = 1 / (1 + std::exp(0.5L - 2));
  const std::array<long double, 6> dz{(p - 1) / 2, 0, (1 - p) / 2, 0, 0, 0};
  for (std::size_t i = 0; i != 6; ++i) BOOST_TEST(std::abs(ws->gradient(z)[i] - dz[i]) <= 1e-7, "dz[" << i << "]");
}

BOOST_AUTO_TEST_CASE(binary_cross_entropy_with_saturated_logits) {
  // z = +-inf with the matching target: loss 0 and gradient 0.  Before:
  // softplus(inf) - 1 * inf and 0 * -inf, both NaN.
  constexpr param<"z", shape<4>> z;
  constexpr input<"t", shape<4>> t;
  auto k = compile(loss::binary_cross_entropy_with_logits(z, t), wrt(z));
  const float inf = std::numeric_limits<float>::infinity();
  auto ws = std::make_unique<workspace<decltype(k), float>>();
  const std::array<float, 4> zs{inf, -inf, 0, 2}, ts{1, 0, 0.5f, 1};
  const float l = k(*ws, z = zs, t = ts);
  const long double expected = (std::log(2.0L) - 0 + std::log1p(std::exp(-2.0L))) / 4;
  BOOST_TEST(std::abs(l - expected) <= 1e-7);
  const std::array<long double, 4> dz{0, 0, 0, (1 / (1 + std::exp(-2.0L)) - 1) / 4};
  for (std::size_t i = 0; i != 4; ++i) BOOST_TEST(std::abs(ws->gradient(z)[i] - dz[i]) <= 1e-7, "dz[" << i << "]");
}

BOOST_AUTO_TEST_CASE(softmax_cross_entropy_is_computed_per_row) {
  // One row with a huge logit must not swamp the others in float.  Before
  // (sum of logsumexp minus sum of t*z over the batch): 0.281 for 0.299.
  constexpr param<"z", shape<4, 3>> z;
  constexpr input<"t", shape<4, 3>> t;
  auto k = compile(loss::softmax_cross_entropy(z, t), wrt(z));
  const std::array<float, 12> zs{1e6f, 0, 0, 0.3f, -0.2f, 0.1f, 1.5f, 0.25f, -1, 0.4f, 0.4f, 0.9f};
  const std::array<float, 12> ts{1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  auto ws = std::make_unique<workspace<decltype(k), float>>();
  const float l = k(*ws, z = zs, t = ts);
  long double expected = 0;
  for (int row = 0; row != 4; ++row) {
    long double m = -INFINITY, sum = 0, target = 0;
    for (int j = 0; j != 3; ++j) m = std::max(m, static_cast<long double>(zs[3 * row + j]));
    for (int j = 0; j != 3; ++j) sum += std::exp(zs[3 * row + j] - m);
    for (int j = 0; j != 3; ++j) target += ts[3 * row + j] * zs[3 * row + j];
    expected += (m + std::log(sum) - target) / 4;
  }
  BOOST_TEST(std::abs(l - expected) <= 1e-6 * expected, "loss " << l << ", expected " << double(expected));
}

namespace {
using classifier = nn::model<nn::sequential<2, nn::dense<3>>, nn::softmax_cross_entropy, float, 2>;
using binary = nn::model<nn::sequential<2, nn::dense<2>>, nn::binary_cross_entropy_with_logits, float, 2>;

template <class Model, std::size_t N>
std::string target_error_text(const std::array<float, N>& t) {
  auto m = std::make_unique<Model>();
  try {
    m->check_targets(t);
  } catch (const nn::target_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_CASE(targets_outside_the_loss_s_contract_are_reported) {
  // Before: accepted, and the loss ran to -3e4 under Adam.
  BOOST_TEST(target_error_text<classifier>(std::array<float, 6>{1, 0, 0, 0, 1, 0}).empty());
  BOOST_TEST(target_error_text<classifier>(std::array<float, 6>{0.9f, 0.05f, 0.05f, 0.1f, 0.1f, 0.8f}).empty());
  BOOST_TEST(target_error_text<classifier>(std::array<float, 6>{1, 0, 0, 0.5f, -0.5f, 1}) ==
             "ctgrad::nn::softmax_cross_entropy: target row 1, entry 1 is -0.5 (each row of targets is a "
             "distribution: entries in [0, 1] summing to 1)");
  BOOST_TEST(target_error_text<classifier>(std::array<float, 6>{1, 0, 0, 0.5f, 0.5f, 0.5f}) ==
             "ctgrad::nn::softmax_cross_entropy: target row 1 sums to 1.5 (each row of targets is a "
             "distribution: entries in [0, 1] summing to 1)");
  BOOST_TEST(target_error_text<classifier>(std::array<float, 6>{1, 0, 0, NAN, 0, 0}).find("entry 0 is nan") !=
             std::string::npos);
  BOOST_TEST(target_error_text<binary>(std::array<float, 4>{0, 1, 0.5f, 0.25f}).empty());
  BOOST_TEST(target_error_text<binary>(std::array<float, 4>{0, 1, 2, 0}) ==
             "ctgrad::nn::binary_cross_entropy_with_logits: target 2 is 2 (targets are probabilities, in [0, 1])");
#ifndef NDEBUG
  // Without NDEBUG every batch is checked, and a bad one stops the program
  // like a failed assert.
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(2);  // the message is checked above
    ::signal(SIGABRT, SIG_DFL);  // not Boost.Test's handler
    auto m = std::make_unique<classifier>();
    const std::array<float, 4> xs{};
    const std::array<float, 6> bad{1, 0, 0, 2, 0, 0};
    (void)m->loss_and_gradient(xs, bad);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT));
#endif
}

BOOST_AUTO_TEST_SUITE_END()
