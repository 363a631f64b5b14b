// The compile-time case of issue 15 (bench/scan_compile.sh): R3's training
// kernel (bench/gru_train.hpp) instantiated and called, compiled alone at
// STEPS = 16, 64 and 512.  Not part of any binary.
#include <array>

#include "gru_train.hpp"

namespace gru_train {
float train_step(workspace<decltype(kernel), float>& ws, const std::array<float, B * T>& xs,
                 const std::array<float, B * T>& ys, const std::array<float, 3 * H>& wi,
                 const std::array<float, 3 * H * H>& wh, const std::array<float, 3 * H>& bi,
                 const std::array<float, 3 * H>& bh, const std::array<float, H>& vv, const std::array<float, 1>& cc) {
  return kernel(ws, x = xs, y = ys, w_ih = wi, w_hh = wh, b_ih = bi, b_hh = bh, v = vv, c0 = cc);
}
}  // namespace gru_train
