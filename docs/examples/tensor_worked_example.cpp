// The worked 2-2-2 example of backprop.md §4 at the tensor level: the same
// network as two dense layers, the same published numbers.
#include <ctgrad/ctgrad.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

using namespace ctgrad;

// [tensor_worked_example]
constexpr input<"x", shape<2>> x;   // i1, i2
constexpr input<"t", shape<2>> t;   // t1, t2
constexpr input<"b1", shape<>> b1;  // one bias per layer, shared, fixed
constexpr input<"b2", shape<>> b2;
constexpr param<"W1", shape<2, 2>> W1;  // W1[i][j]: input i -> hidden j
constexpr param<"W2", shape<2, 2>> W2;

constexpr auto h = sigmoid(matmul(x, W1) + b1);
constexpr auto o = sigmoid(matmul(h, W2) + b2);
constexpr auto E = loss::half_sse(o, t);
constexpr auto kernel = compile(E, wrt(W1, W2));
// [tensor_worked_example]

int main() {
  static workspace<decltype(kernel), double> ws;
  // w1..w8 of the walk-through: w1 = i1->h1, w2 = i2->h1, w3 = i1->h2, w4 = i2->h2, ...
  std::array<double, 4> w1{0.15, 0.25, 0.20, 0.30}, w2{0.40, 0.50, 0.45, 0.55};
  const std::array<double, 2> xs{0.05, 0.10}, ts{0.01, 0.99};
  const std::array<double, 1> bias1{0.35}, bias2{0.60};
  std::cout << "dE/dW2 = " << to_string(kernel.gradient(W2), label<"h">(h), label<"o">(o)) << "\n"
            << "dE/dW1 = " << to_string(kernel.gradient(W1), label<"h">(h), label<"o">(o)) << "\n";
  double e = kernel(ws, x = xs, t = ts, b1 = bias1, b2 = bias2, W1 = w1, W2 = w2);
  // Published: E = 0.298371109, dE/dw5 = 0.082167041, dE/dw1 = 0.000438568.
  const double dw5 = ws.gradient(W2)[0], dw1 = ws.gradient(W1)[0];
  std::printf("E = %.9f  dE/dw5 = %.9f  dE/dw1 = %.9f\n", e, dw5, dw1);
  bool ok =
      std::fabs(e - 0.298371109) < 1e-9 && std::fabs(dw5 - 0.082167041) < 1e-9 && std::fabs(dw1 - 0.000438568) < 1e-9;
  for (int step = 0; step != 10000; ++step) {
    e = kernel(ws, x = xs, t = ts, b1 = bias1, b2 = bias2, W1 = w1, W2 = w2);
    for (int k = 0; k != 4; ++k) w1[k] -= 0.5 * ws.gradient(W1)[k], w2[k] -= 0.5 * ws.gradient(W2)[k];
  }
  e = kernel(ws, x = xs, t = ts, b1 = bias1, b2 = bias2, W1 = w1, W2 = w2);
  std::printf("after 10000 steps: E = %.9g (published 3.5102e-05)\n", e);
  ok = ok && std::fabs(e - 3.51019e-05) < 1e-9;
  return ok ? 0 : 1;
}
