// The worked 2-2-2 example of backprop.md §4, written at the scalar level.
// Shared by the demo (worked_example.cpp), the tests and the W1 benchmark.
#pragma once

#include <ctgrad/ctgrad.hpp>

namespace worked_example {

using namespace ctgrad::literals;
using ctgrad::c;
using ctgrad::var;

// [network]
// Inputs, targets and the (shared, fixed) biases are variables too:
// everything numeric is bound when the kernel runs.
inline constexpr var<"i1"> i1;
inline constexpr var<"i2"> i2;
inline constexpr var<"t1"> t1;
inline constexpr var<"t2"> t2;
inline constexpr var<"b1"> b1;
inline constexpr var<"b2"> b2;
inline constexpr var<"w1"> w1;
inline constexpr var<"w2"> w2;
inline constexpr var<"w3"> w3;
inline constexpr var<"w4"> w4;
inline constexpr var<"w5"> w5;
inline constexpr var<"w6"> w6;
inline constexpr var<"w7"> w7;
inline constexpr var<"w8"> w8;

inline constexpr auto out_h1 = sigmoid(w1 * i1 + w2 * i2 + b1);
inline constexpr auto out_h2 = sigmoid(w3 * i1 + w4 * i2 + b1);
inline constexpr auto out_o1 = sigmoid(w5 * out_h1 + w6 * out_h2 + b2);
inline constexpr auto out_o2 = sigmoid(w7 * out_h1 + w8 * out_h2 + b2);

// Half squared error, summed over both outputs.
inline constexpr auto E = c<1, 2> * pow(t1 - out_o1, 2_c) + c<1, 2> * pow(t2 - out_o2, 2_c);

// One kernel: E and dE/dw1..dE/dw8 in a single forward + backward pass.
inline constexpr auto dE = ctgrad::gradient(E, w1, w2, w3, w4, w5, w6, w7, w8);
// [network]

/// The classic walk-through's starting weights w1..w8.
inline constexpr double initial_weights[8] = {0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55};

// [step]
/// The walk-through's point: weights w, and its inputs, targets and biases.
inline constexpr auto at(const double (&w)[8]) noexcept {
  return ctgrad::point(w1 = w[0], w2 = w[1], w3 = w[2], w4 = w[3], w5 = w[4], w6 = w[5], w7 = w[6], w8 = w[7],
                       i1 = 0.05, i2 = 0.10, t1 = 0.01, t2 = 0.99, b1 = 0.35, b2 = 0.60);
}

/// One iteration: E and all eight partials in one forward + backward pass,
/// then the gradient-descent update.  Returns E at the weights before it.
inline double train_step(double (&w)[8], double learning_rate = 0.5) noexcept {
  const auto r = dE(at(w));
  for (int k = 0; k != 8; ++k) w[k] -= learning_rate * r.partials[k];
  return r.value;
}
// [step]

/// E at weights w.
inline double loss(const double (&w)[8]) noexcept { return ctgrad::eval(E, at(w)); }

/// E and all eight partials at weights w.
inline auto partials(const double (&w)[8]) noexcept { return dE(at(w)); }

}  // namespace worked_example
