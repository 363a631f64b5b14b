// tests/gradient_check.hpp — a compiled kernel's gradients against central
// finite differences of its loss, in long double, at random points.
#pragma once

#include <boost/test/unit_test.hpp>

#include <memory>
#include <tuple>

#include "support.hpp"

namespace test {

using ctgrad::shape_of;
using ctgrad::to_string;
using ctgrad::workspace;

using real = long double;

/// Fills every leaf of the loss with random values in [lo, hi], compiles
/// loss with respect to all of them, and compares each gradient element
/// with a central difference of the loss.  Returns how many were checked.
template <ctgrad::Tensor L, ctgrad::Tensor... P>
int check_gradients(L loss, real lo, real hi, P... leaves) {
  auto kernel = ctgrad::compile(loss, ctgrad::wrt(leaves...));
  using kernel_t = decltype(kernel);
  auto ws = std::make_unique<workspace<kernel_t, real>>();
  std::tuple<std::array<real, shape_of<P>::size>...> values;
  std::uint64_t seed = 7;
  std::apply(
      [&](auto&... arrays) {
        (
            [&](auto& a) {
              const auto points = random_points(lo, hi, static_cast<int>(a.size()), ++seed);
              std::copy(points.begin(), points.end(), a.begin());
            }(arrays),
            ...);
      },
      values);
  const auto run = [&] {
    return std::apply([&](auto&... arrays) { return kernel(*ws, (leaves = arrays)...); }, values);
  };
  run();
  std::tuple<std::array<real, shape_of<P>::size>...> gradients;
  std::apply(
      [&](auto&... g) { ((std::copy(ws->gradient(leaves).begin(), ws->gradient(leaves).end(), g.begin())), ...); },
      gradients);
  int checked = 0;
  const auto check_leaf = [&](auto& value, const auto& gradient, std::string_view name) {
    for (std::size_t i = 0; i != value.size(); ++i) {
      const real saved = value[i];
      const real h = fd_step(saved);
      value[i] = saved + h;
      const real up = run();
      value[i] = saved - h;
      const real down = run();
      value[i] = saved;
      const real numeric = (up - down) / (2 * h);
      BOOST_TEST(close(gradient[i], numeric, 1e-8L),
                 to_string(loss).view() << ": d/d" << name << "[" << i << "] = " << static_cast<double>(gradient[i])
                                        << ", finite difference " << static_cast<double>(numeric));
      ++checked;
    }
  };
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (check_leaf(std::get<I>(values), std::get<I>(gradients), P::name.view()), ...);
  }
  (std::index_sequence_for<P...>{});
  return checked;
}

}  // namespace test
