// C1: conv2d 1 -> 8 channels, 3x3, padding 1, on 28x28, ReLU, 2x2 max-pool,
// dense to 10, softmax cross-entropy; float, batch 8.  One iteration =
// forward + every gradient + SGD update.  (C1/hand: hand.cpp.)
#include "train_loop.hpp"
#include "workloads.hpp"

BENCHMARK(train_benchmark<c1_model>)->Name("C1/ctgrad");  // checked: skips non-finite steps
BENCHMARK(train_benchmark<c1_model, ctgrad::nn::unchecked_t>)->Name("C1/ctgrad_unchecked");
