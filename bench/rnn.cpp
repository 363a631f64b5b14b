// Recurrences (ctgrad::scan, compile_step; expr/scan.hpp):
//   R1  GRU-16 streaming step, one sample of 1 feature in, the state out, float
//   R2  LSTM-16 streaming step, likewise
//   R3  GRU-32 over T = 64, batch 8, a dense readout per step, MSE: one
//       training step (forward, backpropagation through time, SGD), float
// Baselines: R1/hand and R2/hand, the step written as a careful user writes
// it (PyTorch's equations, loops over the weights in their layout, <cmath>),
// checked against ctgrad's state before timing.  R3's baseline is
// LibTorch's, measured separately (docs/performance.md#recurrences: torch
// 1.13, one thread, nn.GRU + nn.Linear, backward and SGD).
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctgrad/benchmark.hpp>
#include <ctgrad/compile/step_kernel.hpp>
#include <ctgrad/ctgrad.hpp>
#include <memory>
#include <random>

#include "gru_train.hpp"

namespace {

using namespace ctgrad;

template <std::size_t N>
std::array<float, N> random_array(std::uint32_t seed, float scale) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::array<float, N> a{};
  for (float& v : a) v = u(g);
  return a;
}

float sigmoid(float x) noexcept { return 1.0f / (1.0f + std::exp(-x)); }

/// A GRU step as torch.nn.GRUCell computes it, batch 1.
template <std::size_t I, std::size_t H>
void gru_step_hand(const float* x, float* h, const float* w_ih, const float* w_hh, const float* b_ih,
                   const float* b_hh) noexcept {
  float gi[3 * H], gh[3 * H];
  for (std::size_t g = 0; g != 3 * H; ++g) {
    float si = b_ih[g], sh = b_hh[g];
    for (std::size_t i = 0; i != I; ++i) si += w_ih[g * I + i] * x[i];
    for (std::size_t j = 0; j != H; ++j) sh += w_hh[g * H + j] * h[j];
    gi[g] = si, gh[g] = sh;
  }
  for (std::size_t j = 0; j != H; ++j) {
    const float r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[H + j] + gh[H + j]);
    const float n = std::tanh(gi[2 * H + j] + r * gh[2 * H + j]);
    h[j] = (1.0f - z) * n + z * h[j];
  }
}

/// An LSTM step as torch.nn.LSTMCell computes it, batch 1; s = [h, c].
template <std::size_t I, std::size_t H>
void lstm_step_hand(const float* x, float* s, const float* w_ih, const float* w_hh, const float* b_ih,
                    const float* b_hh) noexcept {
  float g4[4 * H];
  for (std::size_t g = 0; g != 4 * H; ++g) {
    float sum = b_ih[g] + b_hh[g];
    for (std::size_t i = 0; i != I; ++i) sum += w_ih[g * I + i] * x[i];
    for (std::size_t j = 0; j != H; ++j) sum += w_hh[g * H + j] * s[j];
    g4[g] = sum;
  }
  for (std::size_t j = 0; j != H; ++j) {
    const float i = sigmoid(g4[j]), f = sigmoid(g4[H + j]), g = std::tanh(g4[2 * H + j]), o = sigmoid(g4[3 * H + j]);
    const float c = f * s[H + j] + i * g;
    s[H + j] = c;
    s[j] = o * std::tanh(c);
  }
}

constexpr std::size_t H16 = 16;
constexpr param<"W_ih", shape<3 * H16, 1>> gw_ih;
constexpr param<"W_hh", shape<3 * H16, H16>> gw_hh;
constexpr param<"b_ih", shape<3 * H16>> gb_ih;
constexpr param<"b_hh", shape<3 * H16>> gb_hh;
constexpr param<"W_ih", shape<4 * H16, 1>> lw_ih;
constexpr param<"W_hh", shape<4 * H16, H16>> lw_hh;
constexpr param<"b_ih", shape<4 * H16>> lb_ih;
constexpr param<"b_hh", shape<4 * H16>> lb_hh;
constexpr auto gru16 = compile_step<1, H16>([](auto x, auto h) { return cell::gru(x, h, gw_ih, gw_hh, gb_ih, gb_hh); });
constexpr auto lstm16 =
    compile_step<1, 2 * H16>([](auto x, auto s) { return cell::lstm(x, s, lw_ih, lw_hh, lb_ih, lb_hh); });

/// A streaming benchmark: a signal of 256 samples, one step per iteration.
struct signal {
  std::array<float, 256> samples = random_array<256>(7, 1.0f);
  std::size_t at = 0;
  const float* next() noexcept {
    const float* x = samples.data() + at;
    at = (at + 1) % samples.size();
    return x;
  }
};

template <std::size_t Gates, std::size_t State>
struct cell_weights {
  std::array<float, Gates* H16> w_ih = random_array<Gates * H16>(1, 0.5f);
  std::array<float, Gates* H16* H16> w_hh = random_array<Gates * H16 * H16>(2, 0.25f);
  std::array<float, Gates*H16> b_ih = random_array<Gates * H16>(3, 0.1f), b_hh = random_array<Gates * H16>(4, 0.1f);
  std::array<float, State> state{};
};

/// ctgrad's step against the hand-written one on 64 samples, before timing.
template <class Stream, class Hand, class Weights, class... Bindings>
void check_same_state(Stream stream, Hand hand, Weights w, const Bindings&... bindings) {
  auto ws = std::make_unique<workspace<Stream, float>>();
  signal s;
  auto mine = w.state, theirs = w.state;
  for (int t = 0; t != 64; ++t) {
    const float* x = s.next();
    stream(*ws, mine, std::span<const float, 1>(x, 1), bindings...);
    hand(x, theirs.data(), w.w_ih.data(), w.w_hh.data(), w.b_ih.data(), w.b_hh.data());
  }
  for (std::size_t j = 0; j != mine.size(); ++j)
    if (std::abs(mine[j] - theirs[j]) > 1e-5f) {
      std::fprintf(stderr, "rnn bench: ctgrad and the hand-written step differ at %zu: %g, %g\n", j, mine[j],
                   theirs[j]);
      std::abort();
    }
}

void r1_ctgrad(benchmark::State& state) {
  cell_weights<3, H16> w;
  check_same_state(gru16, gru_step_hand<1, H16>, w, gw_ih = w.w_ih, gw_hh = w.w_hh, gb_ih = w.b_ih, gb_hh = w.b_hh);
  auto ws = std::make_unique<workspace<decltype(gru16), float>>();
  signal s;
  for (auto _ : bench::measure(state, work_of<float>(decltype(gru16)::kernel{}))) {
    gru16(*ws, w.state, std::span<const float, 1>(s.next(), 1), gw_ih = w.w_ih, gw_hh = w.w_hh, gb_ih = w.b_ih,
          gb_hh = w.b_hh);
    benchmark::DoNotOptimize(w.state.data());
  }
}
void r1_hand(benchmark::State& state) {
  cell_weights<3, H16> w;
  signal s;
  for (auto _ : bench::measure(state, work_of<float>(decltype(gru16)::kernel{}))) {
    gru_step_hand<1, H16>(s.next(), w.state.data(), w.w_ih.data(), w.w_hh.data(), w.b_ih.data(), w.b_hh.data());
    benchmark::DoNotOptimize(w.state.data());
  }
}
void r2_ctgrad(benchmark::State& state) {
  cell_weights<4, 2 * H16> w;
  check_same_state(lstm16, lstm_step_hand<1, H16>, w, lw_ih = w.w_ih, lw_hh = w.w_hh, lb_ih = w.b_ih, lb_hh = w.b_hh);
  auto ws = std::make_unique<workspace<decltype(lstm16), float>>();
  signal s;
  for (auto _ : bench::measure(state, work_of<float>(decltype(lstm16)::kernel{}))) {
    lstm16(*ws, w.state, std::span<const float, 1>(s.next(), 1), lw_ih = w.w_ih, lw_hh = w.w_hh, lb_ih = w.b_ih,
           lb_hh = w.b_hh);
    benchmark::DoNotOptimize(w.state.data());
  }
}
void r2_hand(benchmark::State& state) {
  cell_weights<4, 2 * H16> w;
  signal s;
  for (auto _ : bench::measure(state, work_of<float>(decltype(lstm16)::kernel{}))) {
    lstm_step_hand<1, H16>(s.next(), w.state.data(), w.w_ih.data(), w.w_hh.data(), w.b_ih.data(), w.b_hh.data());
    benchmark::DoNotOptimize(w.state.data());
  }
}
BENCHMARK(r1_ctgrad)->Name("R1/ctgrad");
BENCHMARK(r1_hand)->Name("R1/hand");
BENCHMARK(r2_ctgrad)->Name("R2/ctgrad");
BENCHMARK(r2_hand)->Name("R2/hand");

// R3: a GRU-32 trained over sequences of 64 steps, batch 8 (gru_train.hpp).
void r3_ctgrad(benchmark::State& state) {
  using namespace gru_train;
  auto ws = std::make_unique<workspace<decltype(kernel), float>>();
  auto wi = random_array<3 * H>(1, 0.5f);
  auto wh = random_array<3 * H * H>(2, 0.17f);
  auto bi = random_array<3 * H>(3, 0.1f), bh = random_array<3 * H>(4, 0.1f);
  auto vv = random_array<H>(5, 0.17f);
  auto cc = random_array<1>(6, 0.1f);
  const auto xs = random_array<B * T>(7, 1.0f), ys = random_array<B * T>(8, 0.5f);
  const std::array<float*, 6> targets{wi.data(), wh.data(), bi.data(), bh.data(), vv.data(), cc.data()};
  for (auto _ : bench::measure(state, work_of<float>(kernel))) {
    const float loss = kernel.train_sgd(*ws, -0.01f, 1.0f, targets, x = xs, y = ys, w_ih = wi, w_hh = wh, b_ih = bi,
                                        b_hh = bh, v = vv, c0 = cc);
    benchmark::DoNotOptimize(loss);
  }
}
BENCHMARK(r3_ctgrad)->Name("R3/ctgrad");

}  // namespace
