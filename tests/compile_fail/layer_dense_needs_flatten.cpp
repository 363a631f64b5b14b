// Misuse: a dense layer straight after a pooling layer (no nn::flatten).
#include <ctgrad/nn.hpp>
using namespace ctgrad;
#ifdef CTGRAD_SHOULD_FAIL
using net = nn::sequential<nn::input_shape<1, 8, 8>, nn::conv2d<4, 3, nn::relu>, nn::max_pool2d<2>, nn::dense<3>>;
#else
using net =
    nn::sequential<nn::input_shape<1, 8, 8>, nn::conv2d<4, 3, nn::relu>, nn::max_pool2d<2>, nn::flatten, nn::dense<3>>;
#endif
[[maybe_unused]] void f(nn::model<net, nn::mse, float, 2>& m) { m.initialize(1); }
