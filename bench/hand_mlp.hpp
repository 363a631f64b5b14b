// Hand-written MLPs: the baselines of W2, W3 and P1, and the independent
// implementation the tests check ctgrad's gradients against.  Careful
// fixed-size loops, no allocation: row-major W[in][out] so the inner loops
// run along contiguous memory, restrict pointers so they vectorise at -O2,
// the SGD update fused into the gradient loop, <cmath> for tanh and exp.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#include <ctgrad/nn/init.hpp>

namespace hand {

enum class activation { tanh, relu };

template <std::size_t In, std::size_t Out>
struct dense {
  alignas(64) std::array<float, In * Out> W;  // W[i * Out + j]
  alignas(64) std::array<float, Out> b;
};

/// z[B][Out] = x[B][In] * W + b
template <std::size_t B, std::size_t In, std::size_t Out>
void affine(const float* __restrict x, const dense<In, Out>& l, float* __restrict z) noexcept {
  for (std::size_t r = 0; r != B; ++r) {
    float* __restrict zr = z + r * Out;
    for (std::size_t j = 0; j != Out; ++j) zr[j] = l.b[j];
    for (std::size_t i = 0; i != In; ++i) {
      const float a = x[r * In + i];
      const float* __restrict w = l.W.data() + i * Out;
      for (std::size_t j = 0; j != Out; ++j) zr[j] += a * w[j];
    }
  }
}

template <activation A, std::size_t N>
void activate(float* __restrict z) noexcept {
  for (std::size_t i = 0; i != N; ++i) z[i] = A == activation::tanh ? std::tanh(z[i]) : std::max(z[i], 0.0f);
}

/// dz *= f'(z), written through the activation's output h.
template <activation A, std::size_t N>
void activation_backward(const float* __restrict h, float* __restrict dz) noexcept {
  for (std::size_t i = 0; i != N; ++i) dz[i] *= A == activation::tanh ? 1 - h[i] * h[i] : (h[i] > 0 ? 1.0f : 0.0f);
}

/// Mean softmax cross-entropy over B rows of logits z and one-hot targets t;
/// dz = (softmax(z) - t) / B.
template <std::size_t B, std::size_t N>
float softmax_cross_entropy(const float* z, const float* t, float* dz) noexcept {
  float loss = 0;
  for (std::size_t r = 0; r != B; ++r) {
    const float* zr = z + r * N;
    const float m = *std::max_element(zr, zr + N);
    float s = 0;
    for (std::size_t j = 0; j != N; ++j) s += std::exp(zr[j] - m);
    const float lse = m + std::log(s);
    for (std::size_t j = 0; j != N; ++j) {
      loss += t[r * N + j] * (lse - zr[j]);
      dz[r * N + j] = (std::exp(zr[j] - lse) - t[r * N + j]) / B;
    }
  }
  return loss / B;
}

/// dx[B][In] = dz[B][Out] * W^T
template <std::size_t B, std::size_t In, std::size_t Out>
void backward_input(const float* __restrict dz, const dense<In, Out>& l, float* __restrict dx) noexcept {
  for (std::size_t r = 0; r != B; ++r)
    for (std::size_t i = 0; i != In; ++i) {
      const float* w = l.W.data() + i * Out;
      float s = 0;
      for (std::size_t j = 0; j != Out; ++j) s += dz[r * Out + j] * w[j];
      dx[r * In + i] = s;
    }
}

/// dW = x^T * dz, db = column sums of dz.
template <std::size_t B, std::size_t In, std::size_t Out>
void gradients(const float* x, const float* dz, dense<In, Out>& g) noexcept {
  g.W.fill(0);
  g.b.fill(0);
  for (std::size_t i = 0; i != In; ++i)
    for (std::size_t r = 0; r != B; ++r) {
      const float a = x[r * In + i];
      for (std::size_t j = 0; j != Out; ++j) g.W[i * Out + j] += a * dz[r * Out + j];
    }
  for (std::size_t r = 0; r != B; ++r)
    for (std::size_t j = 0; j != Out; ++j) g.b[j] += dz[r * Out + j];
}

/// W -= lr * x^T * dz, b -= lr * colsum(dz): gradient and update in one pass.
template <std::size_t B, std::size_t In, std::size_t Out>
void sgd_update(const float* __restrict x, const float* __restrict dz, float lr, dense<In, Out>& l) noexcept {
  for (std::size_t i = 0; i != In; ++i) {
    float* __restrict w = l.W.data() + i * Out;
    for (std::size_t r = 0; r != B; ++r) {
      const float a = lr * x[r * In + i];
      for (std::size_t j = 0; j != Out; ++j) w[j] -= a * dz[r * Out + j];
    }
  }
  for (std::size_t r = 0; r != B; ++r)
    for (std::size_t j = 0; j != Out; ++j) l.b[j] -= lr * dz[r * Out + j];
}

template <std::size_t In, std::size_t Out>
void initialize(dense<In, Out>& l, ctgrad::nn::random_bits& bits) noexcept {
  const double a = std::sqrt(6.0 / (In + Out));
  for (float& w : l.W) w = static_cast<float>(bits.uniform(-a, a));
  l.b.fill(0);
}

/// In -> H1 -> H2 -> Out, two hidden layers (W2, P1).
template <std::size_t B, std::size_t In, std::size_t H1, std::size_t H2, std::size_t Out, activation A>
struct mlp2 {
  dense<In, H1> l1;
  dense<H1, H2> l2;
  dense<H2, Out> l3;
  alignas(64) std::array<float, B * H1> h1, d1;
  alignas(64) std::array<float, B * H2> h2, d2;
  alignas(64) std::array<float, B * Out> z, dz;

  void initialize(std::uint64_t seed) noexcept {
    ctgrad::nn::random_bits bits(seed);
    hand::initialize(l1, bits), hand::initialize(l2, bits), hand::initialize(l3, bits);
  }
  const float* predict(const float* x) noexcept {
    affine<B>(x, l1, h1.data()), activate<A, B * H1>(h1.data());
    affine<B>(h1.data(), l2, h2.data()), activate<A, B * H2>(h2.data());
    affine<B>(h2.data(), l3, z.data());
    return z.data();
  }
  float backward(const float* x, const float* t) noexcept {  // fills dz, d2, d1
    predict(x);
    const float loss = softmax_cross_entropy<B, Out>(z.data(), t, dz.data());
    backward_input<B>(dz.data(), l3, d2.data()), activation_backward<A, B * H2>(h2.data(), d2.data());
    backward_input<B>(d2.data(), l2, d1.data()), activation_backward<A, B * H1>(h1.data(), d1.data());
    return loss;
  }
  float train_step(const float* x, const float* t, float lr) noexcept {
    const float loss = backward(x, t);
    sgd_update<B>(h2.data(), dz.data(), lr, l3);
    sgd_update<B>(h1.data(), d2.data(), lr, l2);
    sgd_update<B>(x, d1.data(), lr, l1);
    return loss;
  }
};

/// In -> H -> Out, one hidden layer (W3).
template <std::size_t B, std::size_t In, std::size_t H, std::size_t Out, activation A>
struct mlp1 {
  dense<In, H> l1;
  dense<H, Out> l2;
  alignas(64) std::array<float, B * H> h, d;
  alignas(64) std::array<float, B * Out> z, dz;

  void initialize(std::uint64_t seed) noexcept {
    ctgrad::nn::random_bits bits(seed);
    hand::initialize(l1, bits), hand::initialize(l2, bits);
  }
  float backward(const float* x, const float* t) noexcept {
    affine<B>(x, l1, h.data()), activate<A, B * H>(h.data());
    affine<B>(h.data(), l2, z.data());
    const float loss = softmax_cross_entropy<B, Out>(z.data(), t, dz.data());
    backward_input<B>(dz.data(), l2, d.data()), activation_backward<A, B * H>(h.data(), d.data());
    return loss;
  }
  float train_step(const float* x, const float* t, float lr) noexcept {
    const float loss = backward(x, t);
    sgd_update<B>(h.data(), dz.data(), lr, l2);
    sgd_update<B>(x, d.data(), lr, l1);
    return loss;
  }
};

}  // namespace hand
