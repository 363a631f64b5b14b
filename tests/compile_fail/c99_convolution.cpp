// Misuse: a network with a convolution written out as C99 (nn::to_c99),
// which writes out dense programs only.
#include <ctgrad/nn.hpp>
#include <ctgrad/nn/c99.hpp>
using namespace ctgrad;
#ifdef CTGRAD_SHOULD_FAIL
using net = nn::sequential<nn::input_shape<1, 4, 4>, nn::conv2d<2, 3, nn::relu>, nn::flatten, nn::dense<2>>;
#else
using net = nn::sequential<nn::input_shape<1, 4, 4>, nn::flatten, nn::dense<4, nn::relu>, nn::dense<2>>;
#endif
using model_t = nn::model<net, nn::mse, float, 1>;
[[maybe_unused]] c99_code f(const model_t& m) { return nn::to_c99(m, "net"); }
