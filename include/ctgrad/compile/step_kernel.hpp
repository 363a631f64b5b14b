// ctgrad/compile/step_kernel.hpp — one step of a recurrence, compiled for
// streaming: a sample in, the next state out, the state in the caller's
// memory between calls (so one kernel serves any number of streams, and a
// call touches nothing else: no heap, re-entrant with a workspace per
// thread).
//
//   constexpr auto step = [](auto x_t, auto h) { return cell::gru(x_t, h, W_ih, W_hh, b_ih, b_hh); };
//   constexpr auto stream = compile_step<1, 32>(step);       // x_t [1, 1], h [1, 32]
//   workspace<decltype(stream), float> ws;                   // scratch
//   std::array<float, 32> h{};                               // the state, h[0] = 0
//   for (float sample : signal) stream(ws, h, std::span(&sample, 1), W_ih = w_ih, ...);
//
// The step is the body a scan of the same step function runs (batch 1), as
// the same program: streaming a sequence gives the states a scan gives,
// bit for bit (tests/scan_test.cpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>

#include "../expr/scan.hpp"
#include "tensor_kernel.hpp"

namespace ctgrad {

namespace error {
template <class Returned>
struct step_result {
  static_assert(detail::always_false<Returned>,
                "ctgrad::compile_step<I, H>(step): step(x_t, h) must return the next state, a tensor expression of "
                "shape [1, H] built from x_t [1, I], h [1, H] and parameters; what it returned is named above");
};
}  // namespace error

/// One step of the recurrence h' = Body(x_t, h), batch 1, I inputs, a
/// state of H (see compile_step).
template <class Body, std::size_t I, std::size_t H>
class step_kernel {
 public:
  using body = Body;
  using kernel = tensor_kernel<Body>;
  using layout = typename kernel::layout;
  static constexpr std::size_t inputs = I, state_size = H;

  /// Runs one step: reads x (the sample) and `state` (h[t-1]), writes the
  /// next state h[t] into `state` and returns it; `weights` bind the
  /// body's parameters as for any kernel (name = values).
  template <class T, class... Bindings>
  CTGRAD_DETAIL_ALWAYS_INLINE std::span<T, H> operator()(basic_workspace<layout, T>& ws, std::span<T, H> state,
                                                         std::span<const T, I> x,
                                                         const Bindings&... weights) const noexcept {
    const auto next =
        kernel{}(ws, scan_leaf::input<1, I>{} = x, scan_leaf::state<1, H>{} = std::span<const T, H>(state), weights...);
    std::copy(next.begin(), next.end(), state.begin());
    return state;
  }
  template <class T, class... Bindings>
  CTGRAD_DETAIL_ALWAYS_INLINE std::span<T, H> operator()(basic_workspace<layout, T>& ws, std::array<T, H>& state,
                                                         std::span<const T, I> x,
                                                         const Bindings&... weights) const noexcept {
    return (*this)(ws, std::span<T, H>(state), x, weights...);
  }
};

/// The step function `step(x_t, h)` (as scan takes it) compiled for
/// streaming, batch 1: x_t [1, I], h [1, H].
template <std::size_t I, std::size_t H, class Step>
constexpr auto compile_step(Step) noexcept {
  using returned = std::invoke_result_t<Step, scan_leaf::input<1, I>, scan_leaf::state<1, H>>;
  if constexpr (!Tensor<returned>) {
    (void)error::step_result<returned>{};
    return step_kernel<detail::shape_error_result, I, H>{};
  } else if constexpr (!std::is_same_v<shape_of<returned>, shape<1, H>>) {
    (void)error::step_result<shape_of<returned>>{};
    return step_kernel<detail::shape_error_result, I, H>{};
  } else {
    return step_kernel<returned, I, H>{};
  }
}

}  // namespace ctgrad
