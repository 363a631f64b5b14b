// D10: a 10-layer, 64-wide tanh MLP (64 -> 64 x 10 -> 10), softmax
// cross-entropy, float, batch 1: the compile-time budget case (about 100
// nodes in the forward + backward kernel).  One iteration = forward + every
// gradient + SGD update.
#include "train_loop.hpp"

using namespace ctgrad;

using d10_net =
    nn::sequential<64, nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>,
                   nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>,
                   nn::dense<64, nn::tanh>, nn::dense<64, nn::tanh>, nn::dense<10>>;
using d10_model = nn::model<d10_net, nn::softmax_cross_entropy, float, 1>;

BENCHMARK(train_benchmark<d10_model>)->Name("D10/ctgrad");  // checked: skips non-finite steps
BENCHMARK(train_benchmark<d10_model, ctgrad::nn::unchecked_t>)->Name("D10/ctgrad_unchecked");
BENCHMARK(train_benchmark<d10_model, ctgrad::nn::skip_nonfinite_t, ctgrad::nn::adam>)->Name("D10/ctgrad_adam");
BENCHMARK(train_benchmark<d10_model, ctgrad::nn::unchecked_t, ctgrad::nn::adam>)->Name("D10/ctgrad_adam_unchecked");
