// Static tests of the graph engine at depth: nn::repeat spells a deep net in
// one line, and a kernel of more than 600 distinct tensor nodes builds with
// both compilers and no extra flags (no fold or recursion over all nodes of
// a graph: clang 14 stops fold expressions at 256 operands).
#include <ctgrad/nn.hpp>

#include <type_traits>

using namespace ctgrad;

// nn::repeat is the layers written out: the same loss, the same parameters
// (blocks of several layers repeat in order; zero copies are none).
using repeated = nn::sequential<3, nn::repeat<2, nn::dense<5, nn::tanh>>,
                                nn::repeat<2, nn::dense<5, nn::relu>, nn::dense<5, nn::tanh>>,
                                nn::repeat<0, nn::dense<7>>, nn::dense<5, nn::relu>, nn::dense<2>>;
using written =
    nn::sequential<3, nn::dense<5, nn::tanh>, nn::dense<5, nn::tanh>, nn::dense<5, nn::relu>, nn::dense<5, nn::tanh>,
                   nn::dense<5, nn::relu>, nn::dense<5, nn::tanh>, nn::dense<5, nn::relu>, nn::dense<2>>;
using model_written = nn::model<written, nn::mse, float, 2>;
using model_repeated = nn::model<repeated, nn::mse, float, 2>;
static_assert(std::is_same_v<model_written::loss_expression, model_repeated::loss_expression>);
static_assert(std::is_same_v<model_written::parameter_list, model_repeated::parameter_list>);
static_assert(model_repeated::parameter_tensors == 16);
static_assert(!std::is_same_v<nn::model<nn::sequential<3, nn::repeat<3, nn::dense<5, nn::tanh>>, nn::dense<2>>, nn::mse,
                                        float, 2>::loss_expression,
                              model_repeated::loss_expression>);

// A deep, narrow MLP: its training kernel (loss and every gradient) has more
// than 600 distinct nodes.  Checked with clang++-14, which used to stop at
// 40 layers (fold-expression nesting limit); g++-12 builds it too but takes
// ~35 s and 4.5 GB for the types alone (docs/performance.md), too much for
// every test build.
#if defined(__clang__)
using deep = nn::model<nn::sequential<4, nn::repeat<50, nn::dense<4, nn::tanh>>, nn::dense<2>>,
                       nn::softmax_cross_entropy, float, 1>;
static_assert(deep::training_kernel::node_count >= 600);
static_assert(deep::parameter_tensors == 102);
static_assert(std::is_same_v<deep::parameter_type<100>, param<"W51", shape<4, 2>>>);
// Its listing too: one line per slot, no fold over them.
static_assert(listing(deep::training_kernel{}).view().starts_with("t0 [1, 4] = x*W1\nt1 [1, 4] = tanh("));
static_assert(listing(deep::training_kernel{}).view().ends_with("d/dW51 = t306\nd/db51 = t307\n"));
#endif
