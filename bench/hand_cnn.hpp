// The hand-written CNN of C1 — conv 3x3 (1 -> Channels, padding 1, stride
// 1) + bias, ReLU, 2x2 max-pool, dense to Out, softmax cross-entropy — the
// baseline of the C1 benchmark and the independent implementation the
// tests check ctgrad's convolution gradients against.  Careful fixed-size
// loops, no allocation: bias and ReLU fused into the convolution, the
// pooling's arg-max stored in the forward pass, the SGD update fused into
// the gradient loops, restrict pointers and unit-stride inner loops so
// they vectorise at -O2.  Layouts as ctgrad's: NCHW, W[o][c][a][b],
// dense W[in][out].
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "hand_mlp.hpp"

namespace hand {

// GCC applies `restrict` only to function parameters, not to the local
// pointers below, and so versions these loops with a run-time overlap
// check that fails; this tells it the rows do not overlap.
#if defined(__GNUC__) && !defined(__clang__)
#define HAND_NO_OVERLAP _Pragma("GCC ivdep")
#else
#define HAND_NO_OVERLAP
#endif

template <std::size_t B, std::size_t H, std::size_t W, std::size_t Channels, std::size_t Out>
struct cnn {
  static constexpr std::size_t K = 3, OH = H / 2, OW = W / 2, features = Channels * OH * OW;

  alignas(64) std::array<float, Channels * K * K> kernel;  // [o][a][b] (one input channel)
  alignas(64) std::array<float, Channels> bias;
  dense<features, Out> fc;
  // Activations and gradients.
  alignas(64) std::array<float, B*(H + 2) * (W + 2)> padded{};  // zero border
  alignas(64) std::array<float, B * Channels * H * W> a;        // relu(conv + bias), then its gradient
  alignas(64) std::array<float, B * features> pooled, dpooled;
  alignas(64) std::array<std::uint32_t, B * features> arg;  // flat index into a of each maximum
  alignas(64) std::array<float, B * Out> z, dz;
  // Gradients (backward only; train_step folds them into the update).
  alignas(64) std::array<float, Channels * K * K> dkernel;
  alignas(64) std::array<float, Channels> dbias;

  void initialize(std::uint64_t seed) noexcept {
    ctgrad::nn::random_bits bits(seed);
    const double k = std::sqrt(6.0 / (K * K));  // He uniform, fan_in = 9
    for (float& w : kernel) w = static_cast<float>(bits.uniform(-k, k));
    bias.fill(0);
    hand::initialize(fc, bits);
  }

  void forward(const float* __restrict x) noexcept {
    for (std::size_t b = 0; b != B; ++b)
      for (std::size_t i = 0; i != H; ++i)
        for (std::size_t j = 0; j != W; ++j) padded[(b * (H + 2) + i + 1) * (W + 2) + j + 1] = x[(b * H + i) * W + j];
    for (std::size_t b = 0; b != B; ++b)
      for (std::size_t o = 0; o != Channels; ++o)
        for (std::size_t i = 0; i != H; ++i) {
          float* __restrict row = a.data() + ((b * Channels + o) * H + i) * W;
          for (std::size_t j = 0; j != W; ++j) row[j] = bias[o];
          for (std::size_t u = 0; u != K; ++u) {  // one kernel row: three taps per pass
            const float* __restrict in = padded.data() + (b * (H + 2) + i + u) * (W + 2);
            const float w0 = kernel[(o * K + u) * K], w1 = kernel[(o * K + u) * K + 1],
                        w2 = kernel[(o * K + u) * K + 2];
            HAND_NO_OVERLAP
            for (std::size_t j = 0; j != W; ++j) row[j] += w0 * in[j] + w1 * in[j + 1] + w2 * in[j + 2];
          }
          for (std::size_t j = 0; j != W; ++j) row[j] = row[j] > 0 ? row[j] : 0.0f;
        }
    // 2x2 max-pool with selects (no branches), keeping the arg-max.
    for (std::size_t n = 0; n != B * Channels; ++n)
      for (std::size_t i = 0; i != OH; ++i) {
        const float* __restrict top = a.data() + (n * H + 2 * i) * W;
        const float* __restrict bottom = top + W;
        float* __restrict out = pooled.data() + (n * OH + i) * OW;
        std::uint32_t* __restrict where = arg.data() + (n * OH + i) * OW;
        const auto first = static_cast<std::uint32_t>((n * H + 2 * i) * W);
        for (std::size_t j = 0; j != OW; ++j) {
          float m = top[2 * j];
          std::uint32_t k = first + static_cast<std::uint32_t>(2 * j);
          const float c1 = top[2 * j + 1], c2 = bottom[2 * j], c3 = bottom[2 * j + 1];
          k = c1 > m ? first + static_cast<std::uint32_t>(2 * j + 1) : k;
          m = c1 > m ? c1 : m;
          k = c2 > m ? first + static_cast<std::uint32_t>(W + 2 * j) : k;
          m = c2 > m ? c2 : m;
          k = c3 > m ? first + static_cast<std::uint32_t>(W + 2 * j + 1) : k;
          m = c3 > m ? c3 : m;
          out[j] = m;
          where[j] = k;
        }
      }
    affine<B>(pooled.data(), fc, z.data());
  }

  /// Forward, loss, and the gradients of everything before the dense
  /// layer: dz, dpooled, a (as da: the gradient at the convolution's output).
  float backward_to_conv(const float* x, const float* t) noexcept {
    forward(x);
    const float loss = softmax_cross_entropy<B, Out>(z.data(), t, dz.data());
    backward_input<B>(dz.data(), fc, dpooled.data());
    // Route through the max-pool and the ReLU, one pass over the windows:
    // da is dpooled at each arg-max that was positive, zero elsewhere.
    for (std::size_t n = 0; n != B * Channels; ++n)
      for (std::size_t i = 0; i != OH; ++i) {
        float* __restrict top = a.data() + (n * H + 2 * i) * W;
        float* __restrict bottom = top + W;
        const float* __restrict g = dpooled.data() + (n * OH + i) * OW;
        const float* __restrict m = pooled.data() + (n * OH + i) * OW;  // relu output at the arg-max
        const std::uint32_t* __restrict where = arg.data() + (n * OH + i) * OW;
        const auto first = static_cast<std::uint32_t>((n * H + 2 * i) * W);
        for (std::size_t j = 0; j != OW; ++j) {
          const std::uint32_t k = where[j] - first - static_cast<std::uint32_t>(2 * j);  // 0, 1, W, W + 1
          const float v = m[j] > 0 ? g[j] : 0.0f;
          top[2 * j] = k == 0 ? v : 0.0f;
          top[2 * j + 1] = k == 1 ? v : 0.0f;
          bottom[2 * j] = k == W ? v : 0.0f;
          bottom[2 * j + 1] = k == W + 1 ? v : 0.0f;
        }
      }
    return loss;
  }

  /// The kernel and bias gradients from da (in a): correlation of the
  /// padded input with da, and its sum per channel.
  template <class Store>
  void conv_gradients(Store store) noexcept {
    for (std::size_t o = 0; o != Channels; ++o) {
      std::array<std::array<float, W>, K * K> part{};
      std::array<float, W> bpart{};
      for (std::size_t b = 0; b != B; ++b)
        for (std::size_t i = 0; i != H; ++i) {
          const float* __restrict g = a.data() + ((b * Channels + o) * H + i) * W;
          for (std::size_t j = 0; j != W; ++j) bpart[j] += g[j];
          for (std::size_t u = 0; u != K; ++u) {
            const float* __restrict in = padded.data() + (b * (H + 2) + i + u) * (W + 2);
            for (std::size_t v = 0; v != K; ++v) {
              float* __restrict p = part[u * K + v].data();
              HAND_NO_OVERLAP
              for (std::size_t j = 0; j != W; ++j) p[j] += g[j] * in[j + v];
            }
          }
        }
      for (std::size_t k = 0; k != K * K; ++k) {
        float s = 0;
        for (float v : part[k]) s += v;
        store(kernel[o * K * K + k], dkernel[o * K * K + k], s);
      }
      float s = 0;
      for (float v : bpart) s += v;
      store(bias[o], dbias[o], s);
    }
  }

  /// Every gradient, kept (for the tests): dkernel, dbias, and fc's via gradients().
  float backward(const float* x, const float* t, dense<features, Out>& dfc) noexcept {
    const float loss = backward_to_conv(x, t);
    gradients<B>(pooled.data(), dz.data(), dfc);
    conv_gradients([](float&, float& g, float s) { g = s; });
    return loss;
  }

  float train_step(const float* x, const float* t, float lr) noexcept {
    const float loss = backward_to_conv(x, t);
    sgd_update<B>(pooled.data(), dz.data(), lr, fc);
    conv_gradients([lr](float& p, float&, float s) { p -= lr * s; });
    return loss;
  }
};

#undef HAND_NO_OVERLAP

}  // namespace hand
