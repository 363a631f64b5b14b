// Misuse: an activation PyTorch's recurrent layers do not have.
#include <ctgrad/nn.hpp>
using namespace ctgrad;
#ifdef CTGRAD_SHOULD_FAIL
using net = nn::sequential<nn::input_shape<5, 3>, nn::rnn<4, nn::sigmoid>, nn::dense<1>>;
#else
using net = nn::sequential<nn::input_shape<5, 3>, nn::rnn<4, nn::relu>, nn::dense<1>>;
#endif
[[maybe_unused]] nn::model<net, nn::mse, float, 2> m;
