// Misuse: a GRU layer on vectors (nn::sequential<3, ...>) where it needs
// sequences (nn::input_shape<T, features>).
#include <ctgrad/nn.hpp>
using namespace ctgrad;
#ifdef CTGRAD_SHOULD_FAIL
using net = nn::sequential<3, nn::gru<4>, nn::dense<1>>;
#else
using net = nn::sequential<nn::input_shape<5, 3>, nn::gru<4>, nn::dense<1>>;
#endif
[[maybe_unused]] nn::model<net, nn::mse, float, 2> m;
