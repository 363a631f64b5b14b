// W2 and W3 with Eigen fixed-size matrices and hand-written backprop: the
// way an Eigen user would write them.  Column-major, one column per sample.
#include <benchmark/benchmark.h>

#define EIGEN_STACK_ALLOCATION_LIMIT 0  // W3's 128x784 weights are a fixed-size member
#include <Eigen/Dense>
#include <memory>

#include "mlp_data.hpp"

namespace {

template <int Rows, int Cols>
using mat = Eigen::Matrix<float, Rows, Cols>;

template <int Rows, int Cols>
void initialize(mat<Rows, Cols>& W, ctgrad::nn::random_bits& bits) {
  const double a = std::sqrt(6.0 / (Rows + Cols));
  for (int i = 0; i != W.size(); ++i) W.data()[i] = static_cast<float>(bits.uniform(-a, a));
}

/// Softmax over each column; returns the mean cross-entropy, dZ = (P - T) / B.
template <int N, int B>
float softmax_cross_entropy(const mat<N, B>& Z, const mat<N, B>& T, mat<N, B>& dZ) {
  float loss = 0;
  for (int c = 0; c != B; ++c) {
    const float m = Z.col(c).maxCoeff();
    const float lse = m + std::log((Z.col(c).array() - m).exp().sum());
    loss += (T.col(c).array() * (lse - Z.col(c).array())).sum();
    dZ.col(c) = ((Z.col(c).array() - lse).exp() - T.col(c).array()) / float(B);
  }
  return loss / B;
}

struct eigen_w2 {  // 16-32-32-4, tanh, batch 1
  mat<32, 16> W1;
  mat<32, 1> b1;
  mat<32, 32> W2;
  mat<32, 1> b2;
  mat<4, 32> W3;
  mat<4, 1> b3;
  float train_step(const mat<16, 1>& x, const mat<4, 1>& t, float lr) {
    const mat<32, 1> h1 = (W1 * x + b1).array().tanh().matrix();
    const mat<32, 1> h2 = (W2 * h1 + b2).array().tanh().matrix();
    const mat<4, 1> z = W3 * h2 + b3;
    mat<4, 1> dz;
    const float loss = softmax_cross_entropy<4, 1>(z, t, dz);
    const mat<32, 1> d2 = ((W3.transpose() * dz).array() * (1 - h2.array().square())).matrix();
    const mat<32, 1> d1 = ((W2.transpose() * d2).array() * (1 - h1.array().square())).matrix();
    W3.noalias() -= lr * dz * h2.transpose();
    b3 -= lr * dz;
    W2.noalias() -= lr * d2 * h1.transpose();
    b2 -= lr * d2;
    W1.noalias() -= lr * d1 * x.transpose();
    b1 -= lr * d1;
    return loss;
  }
};

struct eigen_w3 {  // 784-128-10, relu, batch 32
  mat<128, 784> W1;
  mat<128, 1> b1;
  mat<10, 128> W2;
  mat<10, 1> b2;
  mat<128, 32> H, D;
  mat<10, 32> Z, dZ;
  float train_step(const mat<784, 32>& X, const mat<10, 32>& T, float lr) {
    H.noalias() = W1 * X;
    H = (H.colwise() + b1).cwiseMax(0.0f);
    Z.noalias() = W2 * H;
    Z.colwise() += b2;
    const float loss = softmax_cross_entropy<10, 32>(Z, T, dZ);
    D.noalias() = W2.transpose() * dZ;
    D = (H.array() > 0).select(D, 0.0f);
    W2.noalias() -= lr * dZ * H.transpose();
    b2 -= lr * dZ.rowwise().sum();
    W1.noalias() -= lr * D * X.transpose();
    b1 -= lr * D.rowwise().sum();
    return loss;
  }
};

template <std::size_t B, std::size_t In, std::size_t Out>
void load(const mlp_batch<B, In, Out>& data, mat<int(In), int(B)>& X, mat<int(Out), int(B)>& T) {
  for (std::size_t r = 0; r != B; ++r) {
    for (std::size_t i = 0; i != In; ++i) X(int(i), int(r)) = data.x[r * In + i];
    for (std::size_t j = 0; j != Out; ++j) T(int(j), int(r)) = data.t[r * Out + j];
  }
}

}  // namespace

static void w2_eigen(benchmark::State& state) {
  auto net = std::make_unique<eigen_w2>();
  ctgrad::nn::random_bits bits(1);
  initialize(net->W1, bits), initialize(net->W2, bits), initialize(net->W3, bits);
  net->b1.setZero(), net->b2.setZero(), net->b3.setZero();
  mat<16, 1> x;
  mat<4, 1> t;
  load(mlp_batch<1, 16, 4>{}, x, t);
  for (auto _ : state) {
    float loss = net->train_step(x, t, 0.01f);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(w2_eigen)->Name("W2/eigen");

static void w3_eigen(benchmark::State& state) {
  auto net = std::make_unique<eigen_w3>();
  ctgrad::nn::random_bits bits(1);
  initialize(net->W1, bits), initialize(net->W2, bits);
  net->b1.setZero(), net->b2.setZero();
  auto X = std::make_unique<mat<784, 32>>();
  mat<10, 32> T;
  load(*std::make_unique<mlp_batch<32, 784, 10>>(), *X, T);
  for (auto _ : state) {
    float loss = net->train_step(*X, T, 0.01f);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(w3_eigen)->Name("W3/eigen");
