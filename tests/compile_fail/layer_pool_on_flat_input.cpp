// Misuse: a pooling layer after nn::flatten (its input has no height and width).
#include <ctgrad/nn.hpp>
using namespace ctgrad;
#ifdef CTGRAD_SHOULD_FAIL
using net = nn::sequential<nn::input_shape<2, 6, 6>, nn::flatten, nn::max_pool2d<2>, nn::dense<3>>;
#else
using net = nn::sequential<nn::input_shape<2, 6, 6>, nn::max_pool2d<2>, nn::flatten, nn::dense<3>>;
#endif
[[maybe_unused]] void f(nn::model<net, nn::mse, float, 2>& m) { m.initialize(1); }
