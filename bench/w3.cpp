// W3: MLP 784-128-10, ReLU hidden layer, softmax cross-entropy (mean over
// the batch), float, batch 32.  One iteration = forward + every gradient +
// SGD update.  (W3/hand and W3/eigen: hand.cpp, eigen.cpp.)
#include "train_loop.hpp"
#include "workloads.hpp"

BENCHMARK(train_benchmark<w3_model>)->Name("W3/ctgrad");  // checked: skips non-finite steps
BENCHMARK(train_benchmark<w3_model, ctgrad::nn::unchecked_t>)->Name("W3/ctgrad_unchecked");
BENCHMARK(train_benchmark<w3_model, ctgrad::nn::skip_nonfinite_t, ctgrad::nn::adam>)->Name("W3/ctgrad_adam");
BENCHMARK(train_benchmark<w3_model, ctgrad::nn::unchecked_t, ctgrad::nn::adam>)->Name("W3/ctgrad_adam_unchecked");
