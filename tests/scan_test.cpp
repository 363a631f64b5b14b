// Recurrences over time (ctgrad::scan, expr/scan.hpp): every cell scanned
// over a sequence, its gradients by the input, the initial state and every
// weight against central finite differences in long double; the scan's
// kernel against the same cells unrolled by hand; stacked scans; and the
// types, which must not grow with the sequence's length.  (PyTorch parity
// over sequences: interop/torch_cells.py.)
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <memory>

#include <ctgrad/compile/step_kernel.hpp>

#include "gradient_check.hpp"

using namespace ctgrad;

namespace {

using test::check_gradients;

constexpr std::size_t B = 2, I = 3, H = 4;

constexpr param<"W1", shape<H, I>> W1;
constexpr param<"U1", shape<H, H>> U1;
constexpr param<"c1", shape<H>> c1;
constexpr param<"d1", shape<H>> d1;
constexpr param<"W3", shape<3 * H, I>> W3;
constexpr param<"U3", shape<3 * H, H>> U3;
constexpr param<"c3", shape<3 * H>> c3;
constexpr param<"d3", shape<3 * H>> d3;
constexpr param<"W4", shape<4 * H, I>> W4;
constexpr param<"U4", shape<4 * H, H>> U4;
constexpr param<"c4", shape<4 * H>> c4;
constexpr param<"d4", shape<4 * H>> d4;
constexpr param<"h0", shape<B, H>> h0;
constexpr param<"s0", shape<B, 2 * H>> s0;  // LSTM: h and c

constexpr auto rnn_step = [](auto x, auto h) { return cell::rnn(x, h, W1, U1, c1, d1); };
constexpr auto relu_step = [](auto x, auto h) { return cell::rnn<fn::relu>(x, h, W1, U1, c1, d1); };
constexpr auto gru_step = [](auto x, auto h) { return cell::gru(x, h, W3, U3, c3, d3); };
constexpr auto lstm_step = [](auto x, auto s) { return cell::lstm(x, s, W4, U4, c4, d4); };

/// sum(hs * g) for a scan of T steps: gradients by x, h0, every weight
/// (and g, the states themselves) against central differences.
template <std::size_t T>
int check_scans() {
  constexpr param<"x", shape<B, T, I>> x;
  constexpr input<"g", shape<B, T, H>> g;
  constexpr input<"g2", shape<B, T, 2 * H>> g2;
  int checked = 0;
  checked += check_gradients(sum(scan(x, h0, rnn_step) * g), -1, 1, x, h0, W1, U1, c1, d1, g);
  checked += check_gradients(sum(scan(x, h0, relu_step) * g), -1, 1, x, h0, W1, U1, c1, d1, g);
  checked += check_gradients(sum(scan(x, h0, gru_step) * g), -1, 1, x, h0, W3, U3, c3, d3, g);
  checked += check_gradients(sum(scan(x, s0, lstm_step) * g2), -1, 1, x, s0, W4, U4, c4, d4, g2);
  return checked;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scans)

BOOST_AUTO_TEST_CASE(every_cell_against_finite_differences) {
  // Per T: x, h0 and the states (g) of each scan, and the weights:
  // RNN 2 x (4*3 + 4*4 + 4 + 4), GRU 3 x that, LSTM 4 x that.
  constexpr int weights = 36 + 36 + 108 + 144;
  BOOST_TEST(check_scans<1>() == weights + 3 * (B * 1 * I + B * H + B * 1 * H) + (B * 1 * I + 2 * B * H + B * 2 * H));
  BOOST_TEST(check_scans<3>() == weights + 3 * (B * 3 * I + B * H + B * 3 * H) + (B * 3 * I + 2 * B * H + B * 6 * H));
}

BOOST_AUTO_TEST_CASE(last_step_zero_state_and_stacked_scans) {
  constexpr param<"x", shape<B, 4, I>> x;
  constexpr param<"V", shape<H, H>> V;
  constexpr input<"t", shape<B, H>> t;
  // The usual head: the last state, from zeros, into a dense layer.
  BOOST_TEST(check_gradients(loss::mse(matmul(last_step(scan(x, zeros<shape<B, H>>, gru_step)), V), t), -1, 1, x, W3,
                             U3, c3, d3, V, t) == B * 4 * I + 108 + H * H + B * H);
  // A second layer scans the first one's states (its x is a scan).
  constexpr auto second = [=](auto x_t, auto h) { return cell::rnn(x_t, h, U1, V, c1, d1); };
  constexpr auto layers = scan(scan(x, h0, rnn_step), zeros<shape<B, H>>, second);
  BOOST_TEST(check_gradients(sum(time_step<1>(layers) * t) + sum(last_step(layers) * t), -1, 1, x, h0, W1, U1, c1, d1,
                             V, t) == B * 4 * I + B * H + 36 + H * H + B * H);
}

BOOST_AUTO_TEST_CASE(equals_the_cells_unrolled) {
  // The scan's kernel against the same GRU written out step by step (a
  // graph that grows with T): the same loss, the same gradients.
  constexpr std::size_t T = 3;
  constexpr param<"x", shape<B, T, I>> x;
  constexpr input<"g", shape<B, T, H>> g;
  constexpr auto xs = reshape<shape<B, T * I>>(x);
  constexpr auto gs = reshape<shape<B, T * H>>(g);
  constexpr auto h1 = gru_step(slice<0, I>(xs), h0);
  constexpr auto h2 = gru_step(slice<I, I>(xs), h1);
  constexpr auto h3 = gru_step(slice<2 * I, I>(xs), h2);
  constexpr auto unrolled = sum(h1 * slice<0, H>(gs)) + sum(h2 * slice<H, H>(gs)) + sum(h3 * slice<2 * H, H>(gs));
  constexpr auto scanned = sum(scan(x, h0, gru_step) * g);
  constexpr auto k_unrolled = compile(unrolled, wrt(x, h0, W3, U3, c3, d3));
  constexpr auto k_scanned = compile(scanned, wrt(x, h0, W3, U3, c3, d3));
  static_assert(k_scanned.node_count < k_unrolled.node_count);
  auto ws_u = std::make_unique<workspace<decltype(k_unrolled), double>>();
  auto ws_s = std::make_unique<workspace<decltype(k_scanned), double>>();
  std::array<double, B * T * I> vx{};
  std::array<double, B * H> vh{};
  std::array<double, 3 * H * I> vw{};
  std::array<double, 3 * H * H> vu{};
  std::array<double, 3 * H> vc{}, vd{};
  std::array<double, B * T * H> vg{};
  std::uint64_t seed = 11;
  const auto fill = [&](auto& a) {
    const auto p = test::random_points(-1, 1, static_cast<int>(a.size()), seed++);
    std::copy(p.begin(), p.end(), a.begin());
  };
  fill(vx), fill(vh), fill(vw), fill(vu), fill(vc), fill(vd), fill(vg);
  const double lu = k_unrolled(*ws_u, x = vx, h0 = vh, W3 = vw, U3 = vu, c3 = vc, d3 = vd, g = vg);
  const double ls = k_scanned(*ws_s, x = vx, h0 = vh, W3 = vw, U3 = vu, c3 = vc, d3 = vd, g = vg);
  BOOST_TEST(std::abs(ls - lu) <= 1e-14 * std::abs(lu));
  const auto u = ws_u->gradients(), s = ws_s->gradients();
  BOOST_TEST(u.size() == s.size());
  for (std::size_t i = 0; i != u.size(); ++i)
    BOOST_TEST(std::abs(s[i] - u[i]) <= 1e-13 * std::max(1.0, std::abs(u[i])), "gradient element " << i);
}

BOOST_AUTO_TEST_CASE(types_and_kernels_do_not_grow_with_the_sequence) {
  // The node, its gradient and the kernel's program are the same size for
  // 4 steps and for 512: only the extents in them differ.
  constexpr param<"x4", shape<B, 4, I>> x4;
  constexpr param<"x512", shape<B, 512, I>> x512;
  constexpr auto k4 = compile(sum(scan(x4, h0, gru_step)), wrt(W3, U3, c3, d3));
  constexpr auto k512 = compile(sum(scan(x512, h0, gru_step)), wrt(W3, U3, c3, d3));
  static_assert(k4.node_count == k512.node_count && k4.slot_count == k512.slot_count);
  BOOST_TEST(k4.node_count == k512.node_count);
  // ... and the work counted for the kernel is the steps' work T times.
  static_assert(work_of<float>(k512).multiply_adds == 128 * work_of<float>(k4).multiply_adds);
}

BOOST_AUTO_TEST_CASE(truncated_bptt_carries_the_state_across_windows) {
  // A sequence of 6 steps trained as two windows of 3: the second window
  // starts from the first one's last state (value_of reads it from the
  // training workspace), so its states are the whole sequence's, bit for bit.
  constexpr param<"x6", shape<B, 6, I>> x6;
  constexpr input<"window", shape<B, 3, I>> window;
  constexpr input<"carried", shape<B, H>> carried;
  constexpr input<"g", shape<B, 3, H>> g;
  constexpr auto states = scan(window, carried, gru_step);
  constexpr auto train = compile(sum(states * g), wrt(W3, U3, c3, d3));
  constexpr auto whole = compile_forward(scan(x6, zeros<shape<B, H>>, gru_step));
  auto ws = std::make_unique<workspace<decltype(train), double>>();
  auto ws_whole = std::make_unique<workspace<decltype(whole), double>>();
  std::array<double, B * 6 * I> xs{};
  std::array<double, 3 * H * I> vw{};
  std::array<double, 3 * H * H> vu{};
  std::array<double, 3 * H> vc{}, vd{};
  std::array<double, B * 3 * H> vg{};
  std::uint64_t seed = 21;
  const auto fill = [&](auto& a) {
    const auto p = test::random_points(-1, 1, static_cast<int>(a.size()), seed++);
    std::copy(p.begin(), p.end(), a.begin());
  };
  fill(xs), fill(vw), fill(vu), fill(vc), fill(vd), fill(vg);
  const auto all = whole(*ws_whole, x6 = xs, W3 = vw, U3 = vu, c3 = vc, d3 = vd);  // [B, 6, H]
  std::array<double, B * H> h{};  // the state carried in, zeros at first
  for (std::size_t w = 0; w != 2; ++w) {
    std::array<double, B * 3 * I> part{};
    for (std::size_t b = 0; b != B; ++b)
      std::copy_n(xs.begin() + static_cast<std::ptrdiff_t>((b * 6 + 3 * w) * I), 3 * I, part.begin() + b * 3 * I);
    train(*ws, window = part, carried = h, g = vg, W3 = vw, U3 = vu, c3 = vc, d3 = vd);
    const auto s = train.value_of(*ws, states);  // [B, 3, H]
    for (std::size_t b = 0; b != B; ++b)
      for (std::size_t t = 0; t != 3; ++t)
        for (std::size_t j = 0; j != H; ++j) BOOST_TEST(s[(b * 3 + t) * H + j] == all[(b * 6 + 3 * w + t) * H + j]);
    for (std::size_t b = 0; b != B; ++b)
      std::copy_n(s.begin() + static_cast<std::ptrdiff_t>((b * 3 + 2) * H), H, h.begin() + b * H);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming)

/// A sequence streamed one sample at a time through compile_step gives the
/// states the scan's kernel gives for the whole sequence (batch 1), bit for
/// bit: the same body, the same program.
template <std::size_t Width, class Step, class... Weights>
void check_streaming(Step step, const Weights&... weights) {
  constexpr std::size_t T = 7;
  constexpr input<"x", shape<1, T, I>> x;
  constexpr auto sequence = compile_forward(scan(x, zeros<shape<1, Width>>, step));
  constexpr auto stream = compile_step<I, Width>(step);
  auto ws_sequence = std::make_unique<workspace<decltype(sequence), float>>();
  auto ws_stream = std::make_unique<workspace<decltype(stream), float>>();
  std::array<float, T * I> samples{};
  const auto points = test::random_points(-2, 2, static_cast<int>(samples.size()), 99);
  std::copy(points.begin(), points.end(), samples.begin());
  const auto states = sequence(*ws_sequence, x = samples, weights...);
  std::array<float, Width> h{};
  for (std::size_t t = 0; t != T; ++t) {
    stream(*ws_stream, h, std::span<const float, I>(samples.data() + t * I, I), weights...);
    for (std::size_t j = 0; j != Width; ++j)
      BOOST_TEST(h[j] == states[t * Width + j], "step " << t << ", state element " << j);
  }
}

BOOST_AUTO_TEST_CASE(equals_the_sequence_kernel_bit_for_bit) {
  std::uint64_t seed = 40;
  const auto random = [&]<std::size_t N>(std::array<float, N>& a) {
    const auto p = test::random_points(-0.6L, 0.6L, static_cast<int>(N), seed++);
    std::copy(p.begin(), p.end(), a.begin());
  };
  std::array<float, H * I> w1{};
  std::array<float, H * H> u1{};
  std::array<float, H> b1{}, e1{};
  std::array<float, 3 * H * I> w3{};
  std::array<float, 3 * H * H> u3{};
  std::array<float, 3 * H> b3{}, e3{};
  std::array<float, 4 * H * I> w4{};
  std::array<float, 4 * H * H> u4{};
  std::array<float, 4 * H> b4{}, e4{};
  random(w1), random(u1), random(b1), random(e1), random(w3), random(u3), random(b3), random(e3);
  random(w4), random(u4), random(b4), random(e4);
  check_streaming<H>(rnn_step, W1 = w1, U1 = u1, c1 = b1, d1 = e1);
  check_streaming<H>(gru_step, W3 = w3, U3 = u3, c3 = b3, d3 = e3);
  check_streaming<2 * H>(lstm_step, W4 = w4, U4 = u4, c4 = b4, d4 = e4);
}

BOOST_AUTO_TEST_SUITE_END()
