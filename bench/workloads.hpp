// The model types of the W2, P1, W3 and C1 workloads, shared by the
// single-core benchmarks (w2.cpp, p1.cpp, w3.cpp, c1.cpp), the emitted-C ones
// (c99.cpp) and the data-parallel ones (parallel.cpp, mpi_scaling.cpp).
#pragma once

#include <ctgrad/nn.hpp>

/// W2: MLP 16-32-32-4, tanh hidden layers, softmax cross-entropy, float, batch 1.
using w2_net = ctgrad::nn::sequential<16, ctgrad::nn::dense<32, ctgrad::nn::tanh>,
                                      ctgrad::nn::dense<32, ctgrad::nn::tanh>, ctgrad::nn::dense<4>>;
using w2_model = ctgrad::nn::model<w2_net, ctgrad::nn::softmax_cross_entropy, float, 1>;

/// P1 (predict only): MLP 16-64-64-8, tanh, float, batch 1.
using p1_net = ctgrad::nn::sequential<16, ctgrad::nn::dense<64, ctgrad::nn::tanh>,
                                      ctgrad::nn::dense<64, ctgrad::nn::tanh>, ctgrad::nn::dense<8>>;
using p1_model = ctgrad::nn::model<p1_net, ctgrad::nn::mse, float, 1>;

/// W3: MLP 784-128-10, ReLU hidden layer, softmax cross-entropy (mean over
/// the batch), float, batch 32.
using w3_net = ctgrad::nn::sequential<784, ctgrad::nn::dense<128, ctgrad::nn::relu>, ctgrad::nn::dense<10>>;
using w3_model = ctgrad::nn::model<w3_net, ctgrad::nn::softmax_cross_entropy, float, 32>;

/// C1: conv2d 1 -> 8 channels, 3x3, padding 1, on 28x28, ReLU, 2x2
/// max-pool, dense to 10, softmax cross-entropy; float, batch 8.
using c1_net = ctgrad::nn::sequential<ctgrad::nn::input_shape<1, 28, 28>,
                                      ctgrad::nn::conv2d<8, 3, ctgrad::nn::relu, ctgrad::nn::padding<1>>,
                                      ctgrad::nn::max_pool2d<2>, ctgrad::nn::flatten, ctgrad::nn::dense<10>>;
using c1_model = ctgrad::nn::model<c1_net, ctgrad::nn::softmax_cross_entropy, float, 8>;
