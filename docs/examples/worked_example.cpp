// The main demo: trains the worked 2-2-2 example (backprop.md §4) with a
// kernel ctgrad derived at compile time, and shows the derivatives as maths.
#include "worked_example.hpp"

#include <cstdio>

int main() {
  using namespace worked_example;
  using ctgrad::label;

  std::printf("ctgrad demo: the 2-2-2 sigmoid network of the classic backpropagation walk-through\n\n");
  // [print]
  // Print derivatives with the walk-through's names for the activations.
  constexpr auto show = [](auto expression) {
    return ctgrad::to_string(expression, label<"out_h1">(out_h1), label<"out_h2">(out_h2), label<"out_o1">(out_o1),
                             label<"out_o2">(out_o2));
  };
  std::printf("dE/dw5 = %s\n", show(ctgrad::d(E, w5)).c_str());
  std::printf("dE/dw1 = %s\n", show(ctgrad::d(E, w1)).c_str());
  // [print]
  // The other six, in the walk-through's order.
  std::printf("dE/dw2 = %s\n", show(ctgrad::d(E, w2)).c_str());
  std::printf("dE/dw3 = %s\n", show(ctgrad::d(E, w3)).c_str());
  std::printf("dE/dw4 = %s\n", show(ctgrad::d(E, w4)).c_str());
  std::printf("dE/dw6 = %s\n", show(ctgrad::d(E, w6)).c_str());
  std::printf("dE/dw7 = %s\n", show(ctgrad::d(E, w7)).c_str());
  std::printf("dE/dw8 = %s\n", show(ctgrad::d(E, w8)).c_str());
  std::printf(
      "\nThe kernel computes E and all 8 partials in one pass over %zu distinct nodes "
      "(workspace: %zu bytes for double).\n\n",
      dE.node_count, dE.workspace_bytes<double>);

  // The first step, as the walk-through tabulates it: every partial at the
  // starting weights and every weight after one update (learning rate 0.5).
  double w[8];
  for (int k = 0; k != 8; ++k) w[k] = initial_weights[k];
  const auto first = partials(w);
  std::printf("E at the starting weights = %.9f\n\n", first.value);
  std::printf("%4s  %8s  %14s  %12s\n", "", "w", "dE/dw", "w - 0.5*dE/dw");
  for (int k = 0; k != 8; ++k)
    std::printf("  w%d  %8.2f  %14.10f  %12.8f\n", k + 1, w[k], first.partials[k], w[k] - 0.5 * first.partials[k]);

  std::printf("\n%8s  %s\n", "updates", "E");
  for (int step = 0; step != 10000; ++step) {
    const double e = train_step(w);  // E before this update
    if (step == 0 || step == 1 || step == 10 || step == 100 || step == 1000) std::printf("%8d  %.9f\n", step, e);
  }
  std::printf("%8d  %.9f\n", 10000, loss(w));

  const double o1 = ctgrad::eval(out_o1, w1 = w[0], w2 = w[1], w3 = w[2], w4 = w[3], w5 = w[4], w6 = w[5], i1 = 0.05,
                                 i2 = 0.10, b1 = 0.35, b2 = 0.60);
  const double o2 = ctgrad::eval(out_o2, w1 = w[0], w2 = w[1], w3 = w[2], w4 = w[3], w7 = w[6], w8 = w[7], i1 = 0.05,
                                 i2 = 0.10, b1 = 0.35, b2 = 0.60);
  std::printf("\nafter 10000 updates the outputs are %.6f and %.6f (targets 0.01 and 0.99)\n", o1, o2);
}
