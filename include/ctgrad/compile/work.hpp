// ctgrad/compile/work.hpp — how much arithmetic a compiled kernel does, and
// how much memory it touches, as compile-time constants:
//
//   constexpr auto k = compile(loss, wrt(W1, b1, W2, b2));
//   constexpr ctgrad::work w = ctgrad::work_of<float>(k);
//   // w.multiply_adds, w.flops, w.parameter_bytes, w.workspace_bytes
//
// Counted from the program the kernel runs, instruction by instruction, so
// it is the work of *this* kernel (shared subexpressions once, transposes
// and copies free), not of a textbook formula.  The conventions:
//
// - multiply_adds: the multiply-accumulates of matrix products and
//   convolutions (forward and backward), the part that runs at the
//   machine's FMA rate.  A fused SGD update's `beta * p + alpha * g` is
//   counted in flops, not here.
// - flops: 2 per multiply-add, plus 1 per other arithmetic operation,
//   function evaluation (exp, tanh, sqrt: 1 each, though they cost many
//   instructions), comparison (max, pooling) or element summed.  Loads,
//   stores, copies, transposes, padding and broadcasts are free.
// - parameter_bytes: the tensors the kernel differentiates by (wrt(...));
//   a forward kernel's parameters are not known to it, so 0 there.
// - workspace_bytes: sizeof the kernel's workspace (every intermediate).
//
// The rules: compile/tensor_work.hpp (per instruction of a tensor kernel),
// compile/scalar_work.hpp (a scalar gradient kernel); nn/work.hpp adds a
// model's train step (optimizer update included) and predict;
// ctgrad/benchmark.hpp turns these into FLOP/s and the fraction of the
// machine's peak in a Google Benchmark report.
#pragma once

#include <cstdint>

namespace ctgrad {

/// The arithmetic and memory of one run of a kernel (see the top of this file).
struct work {
  std::uint64_t multiply_adds = 0;
  std::uint64_t flops = 0;
  std::uint64_t parameter_bytes = 0;
  std::uint64_t workspace_bytes = 0;

  friend constexpr work operator+(work a, const work& b) noexcept {
    a.multiply_adds += b.multiply_adds;
    a.flops += b.flops;
    a.parameter_bytes += b.parameter_bytes;
    a.workspace_bytes += b.workspace_bytes;
    return a;
  }
  friend constexpr bool operator==(const work&, const work&) = default;
};

}  // namespace ctgrad
