// Writes each test model's kernels as C99 (nn::to_c99, with its initial
// parameters embedded) and, beside them, what the C++ model computes from
// those parameters on fixed data: predictions, loss and gradients, and
// the loss and parameters after every step of SGD and of Adam training;
// the same for tensor kernels and scalar kernels (ctgrad::to_c99).
// check_model.c, check_kernel.c and check_scalar.c, compiled as C99 by gcc
// and clang (run.cmake), must reproduce all of it bit for bit.  The
// convolutional models and window kernels are in emit_windows.cpp.
//
//   emit_models <output directory>
#include <cstdio>

#include "emit.hpp"
#include "worked_example.hpp"

namespace c99_test {
namespace {

/// A kernel of every elementwise function to_c99 spells.
template <class T>
void emit_kernel(const std::string& dir, const std::string& name, std::uint64_t seed) {
  constexpr param<"A", shape<4, 5>> A;
  constexpr param<"B", shape<5, 3>> B;
  constexpr input<"x", shape<4, 3>> x;
  constexpr auto z = matmul(A, B) + x;
  constexpr auto mix = tanh(z) * sigmoid(z) + sqrt(abs(z) + 1_c) + log(softplus(z)) + pow(z, 3_c) / 10_c +
                       sin(z) * cos(z) + relu(z) * step(z) + sign(z) * gelu(z) + exp(negative_part(z)) +
                       pow(abs(z) + 1_c, c<3, 2>) + pow(abs(z) + 1_c, c<-5>);
  constexpr auto kernel = compile(sum(mix) + sum(logsumexp(z)), wrt(A, B, x));
  emit_tensor_kernel<T>(dir, name, seed, kernel, A, B, x);
}

/// A GRU-like cell: the gates as slices of one product, the new state and
/// a concatenation in the loss (views read element by element in C).
template <class T>
void emit_gates_kernel(const std::string& dir, const std::string& name, std::uint64_t seed) {
  constexpr param<"W", shape<3, 9>> W;
  constexpr param<"h", shape<4, 3>> h;
  constexpr input<"x", shape<4, 3>> x;
  constexpr auto z = matmul(x, W);
  constexpr auto r = sigmoid(slice<0, 3>(z));
  constexpr auto u = sigmoid(slice<3, 3>(z));
  constexpr auto n = tanh(slice<6, 3>(z) + r * h);
  constexpr auto next = (1_c - u) * n + u * h;
  constexpr auto kernel = compile(sum(next * next) + sum(concat(next, r) * concat(x, h)), wrt(W, h, x));
  emit_tensor_kernel<T>(dir, name, seed, kernel, W, h, x);
}

// Products by the row (dot products: fewer than 8 rows) and by the
// register-blocked path; tanh, sigmoid; mean squared error.
using small_net = nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<4, nn::sigmoid>, nn::dense<2>>;
using small_model = nn::model<small_net, nn::mse, float, 4>;
// Batch 16: transposes packed for the products; relu, gelu; softmax cross
// entropy (logsumexp); double.
using class_net = nn::sequential<5, nn::dense<16, nn::relu>, nn::dense<12, nn::gelu>, nn::dense<3>>;
using class_model = nn::model<class_net, nn::softmax_cross_entropy, double, 16>;
// A wider float net: block reductions of 16 partial sums (a bias gradient
// over 40 rows).
using wide_net = nn::sequential<7, nn::dense<24, nn::tanh>, nn::dense<1>>;
using wide_model = nn::model<wide_net, nn::mse, float, 40>;

}  // namespace
}  // namespace c99_test

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: emit_models <output directory>\n");
    return 2;
  }
  using namespace c99_test;
  try {
    emit<small_model>(argv[1], "small", 1, false);
    emit<class_model>(argv[1], "classifier", 2, true);
    emit<wide_model>(argv[1], "wide", 3, false);
    emit_windows(argv[1]);
    emit_kernel<double>(argv[1], "functions", 4);
    emit_kernel<float>(argv[1], "functions_float", 5);
    emit_gates_kernel<double>(argv[1], "gates", 11);
    emit_gates_kernel<float>(argv[1], "gates_float", 12);
    {
      using namespace worked_example;
      emit_scalar<double>(argv[1], "worked", dE, w1 = 0.15, w2 = 0.20, w3 = 0.25, w4 = 0.30, w5 = 0.40, w6 = 0.45,
                          w7 = 0.50, w8 = 0.55, i1 = 0.05, i2 = 0.10, t1 = 0.01, t2 = 0.99, b1 = 0.35, b2 = 0.60);
    }
    {
      // Every function the scalar level spells in C, each where it is smooth.
      constexpr var<"x"> x;
      constexpr var<"y"> y;
      constexpr auto e = sin(x) * cos(y) + exp(x * y / 4_c) + log(1_c + x * x) + sqrt(abs(y) + 1_c) + tanh(x) +
                         sigmoid(y) + pow(x, 3_c) + pow(abs(y) + 1_c, c<3, 2>) + pow(abs(x) + 2_c, c<1, 3>) +
                         pow(abs(x) + 1_c, c<-2>) + gelu(x) + relu(y) + softplus(x) + step(x) * y + sign(y) * x;
      constexpr auto g = gradient(e, x, y);
      emit_scalar<double>(argv[1], "scalar_functions", g, x = 0.7, y = -1.3);
      emit_scalar<float>(argv[1], "scalar_functions_float", g, x = 0.7, y = -1.3);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
