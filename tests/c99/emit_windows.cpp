// The convolutional test models and the window kernels as C99, with what
// the C++ code computes (emit.hpp; part of emit_models).
#include "emit.hpp"

namespace c99_test {
namespace {

// Convolutions and pooling.  Float, batch 3: a stride-1 convolution (each
// tap a loop over the plane), 2x2 max pooling (8 windows a row: the C++
// runs it in vector lanes), a padded strided convolution (its input
// materialised with a border; the gradient read back through the crop).
using cnn_net = nn::sequential<nn::input_shape<2, 18, 18>, nn::conv2d<4, 3, nn::tanh>, nn::max_pool2d<2>,
                               nn::conv2d<3, 3, nn::relu, nn::padding<1>, nn::stride<2>>, nn::flatten, nn::dense<2>>;
using cnn_model = nn::model<cnn_net, nn::mse, float, 3>;
// Double, batch 4: a dilated convolution, average pooling, then 3x3
// max-pooling windows that overlap (stride 1: the gradient added, not
// written); softmax cross-entropy.
using pool_net = nn::sequential<nn::input_shape<1, 13, 13>, nn::conv2d<3, 3, nn::sigmoid, nn::dilation<2>>,
                                nn::avg_pool2d<2>, nn::max_pool2d<3, nn::stride<1>>, nn::flatten, nn::dense<3>>;
using pool_model = nn::model<pool_net, nn::softmax_cross_entropy, double, 4>;
// Float, batch 5: 1-D convolutions (padded; strided), both poolings.
using signal_net =
    nn::sequential<nn::input_shape<2, 16>, nn::conv1d<3, 3, nn::gelu, nn::padding<1>>, nn::avg_pool1d<2>,
                   nn::conv1d<2, 2, nn::identity, nn::stride<2>>, nn::max_pool1d<2>, nn::flatten, nn::dense<1>>;
using signal_model = nn::model<signal_net, nn::mse, float, 5>;

/// A kernel of window operations no layer makes: a convolution padded by
/// different rows and columns whose input is differentiated (its gradient
/// read back through the crop), max pooling by 2 x 3 windows that overlap,
/// average pooling with stride 1, and paddings read by an elementwise
/// function (not materialised: element by element through the border).
template <class T>
void emit_window_kernel(const std::string& dir, const std::string& name, std::uint64_t seed) {
  constexpr param<"X", shape<2, 2, 6, 7>> X;
  constexpr param<"K", shape<3, 2, 3, 2>> K;
  constexpr param<"bias", shape<3>> bias;
  constexpr auto y = tanh(conv2d(X, K, bias, ctgrad::padding<1, 2>));  // [2, 3, 6, 10]
  constexpr auto z = max_pool2d<2, 3>(y, ctgrad::stride<2>);           // [2, 3, 3, 4]
  constexpr auto a = avg_pool2d<3>(y, ctgrad::stride<1>);              // [2, 3, 4, 8]
  // Paddings of a leaf and of a computed value (a slot of the workspace).
  constexpr ctgrad::detail::pad_t<std::remove_const_t<decltype(X)>, 1, 1> bordered{};
  constexpr ctgrad::detail::pad_t<std::remove_const_t<decltype(z)>, 2, 1> bordered_z{};
  constexpr auto kernel =
      compile(sum(z * z) + sum(a) / 3_c + sum(sigmoid(bordered)) + sum(tanh(bordered_z)), wrt(X, K, bias));
  emit_tensor_kernel<T>(dir, name, seed, kernel, X, K, bias);
}

}  // namespace

void emit_windows(const std::string& dir) {
  emit<cnn_model>(dir, "cnn", 6, false);
  emit<pool_model>(dir, "pooling", 7, true);
  emit<signal_model>(dir, "signal", 8, false);
  emit_window_kernel<double>(dir, "windows", 9);
  emit_window_kernel<float>(dir, "windows_float", 10);
}

}  // namespace c99_test
