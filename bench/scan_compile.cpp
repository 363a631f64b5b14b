// The compile-time case of issue 15 (bench/scan_compile.sh): a GRU of 32
// over STEPS steps, batch 8, a dense readout per step, MSE, its training
// kernel instantiated and called (forward, backpropagation through time).
// Not part of any binary: compiled alone, at STEPS = 16, 64 and 512.
#include <array>
#include <ctgrad/ctgrad.hpp>
#include <memory>

#ifndef STEPS
#define STEPS 64
#endif

using namespace ctgrad;

constexpr std::size_t B = 8, T = STEPS, H = 32;
constexpr input<"x", shape<B, T, 1>> x;
constexpr input<"y", shape<B, T, 1>> y;
constexpr param<"W_ih", shape<3 * H, 1>> w_ih;
constexpr param<"W_hh", shape<3 * H, H>> w_hh;
constexpr param<"b_ih", shape<3 * H>> b_ih;
constexpr param<"b_hh", shape<3 * H>> b_hh;
constexpr param<"V", shape<H, 1>> v;
constexpr param<"c", shape<1>> c0;
constexpr auto states =
    scan(x, zeros<shape<B, H>>, [](auto x_t, auto h) { return cell::gru(x_t, h, w_ih, w_hh, b_ih, b_hh); });
constexpr auto readout = reshape<shape<B, T, 1>>(matmul(reshape<shape<B * T, H>>(states), v) + c0);
constexpr auto kernel = compile(loss::mse(readout, y), wrt(w_ih, w_hh, b_ih, b_hh, v, c0));

float train_step(workspace<decltype(kernel), float>& ws, const std::array<float, B * T>& xs,
                 const std::array<float, B * T>& ys, const std::array<float, 3 * H>& wi,
                 const std::array<float, 3 * H * H>& wh, const std::array<float, 3 * H>& bi,
                 const std::array<float, 3 * H>& bh, const std::array<float, H>& vv, const std::array<float, 1>& cc) {
  return kernel(ws, x = xs, y = ys, w_ih = wi, w_hh = wh, b_ih = bi, b_hh = bh, v = vv, c0 = cc);
}
