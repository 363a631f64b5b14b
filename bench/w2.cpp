// W2: MLP 16-32-32-4, tanh hidden layers, softmax cross-entropy, float,
// batch 1.  One iteration = forward + every gradient + SGD update.
// (W2/hand and W2/eigen are in hand.cpp and eigen.cpp; compare in one run.)
#include "train_loop.hpp"
#include "workloads.hpp"

BENCHMARK(train_benchmark<w2_model>)->Name("W2/ctgrad");  // checked: skips non-finite steps
BENCHMARK(train_benchmark<w2_model, ctgrad::nn::unchecked_t>)->Name("W2/ctgrad_unchecked");
BENCHMARK(train_benchmark<w2_model, ctgrad::nn::skip_nonfinite_t, ctgrad::nn::adam>)->Name("W2/ctgrad_adam");
BENCHMARK(train_benchmark<w2_model, ctgrad::nn::unchecked_t, ctgrad::nn::adam>)->Name("W2/ctgrad_adam_unchecked");
