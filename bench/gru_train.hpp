// R3 (bench/rnn.cpp) and the compile-time case of issue 15
// (bench/scan_compile.sh): a GRU of 32 over STEPS steps of one feature,
// batch 8, a dense readout per step, MSE; its training kernel.
#pragma once

#include <ctgrad/ctgrad.hpp>

#ifndef STEPS
#define STEPS 64
#endif

namespace gru_train {
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
}  // namespace gru_train
