// ctgrad/compile/scan_instructions.hpp — a scan (expr/scan.hpp) in a compiled
// kernel: the body's own program, planned once, run T times over buffers
// in the scan's scratch; and backpropagation through time, the body's
// derived backward program run T times from the last step to the first.
// Neither the instructions nor their code grow with T.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include <boost/mp11/list.hpp>

#include "instructions.hpp"

CTGRAD_DETAIL_NO_CONTRACTION_BEGIN

namespace ctgrad {
namespace detail::tk {

/// A program planned on its own (a scan's body), run inside an instruction
/// over a workspace of Workspace elements: Once, the instructions that do
/// not depend on the step (the weights' transposes, packed for the
/// products), run before the first step; Each, the others, run at every
/// step.  Results are the offsets of what it computes there, Roles say
/// what each of its leaves reads (an index into the list of buffers and
/// operands the instruction passes it).
template <class Once, class Each, std::size_t Workspace, class Results, class Roles>
struct sub_program;
template <class... Once, class... Each, std::size_t Workspace, std::size_t... Results, std::size_t... Roles>
struct sub_program<mp::mp_list<Once...>, mp::mp_list<Each...>, Workspace, std::index_sequence<Results...>,
                   std::index_sequence<Roles...>> {
  using once = mp::mp_list<Once...>;
  using each = mp::mp_list<Each...>;
  static constexpr std::size_t workspace = Workspace;
  static constexpr std::array<std::size_t, sizeof...(Results)> results{Results...};

  /// Runs the instructions that do not depend on the step on `ws`, its
  /// leaves pointed at sources[role] each.
  template <std::size_t Bytes, class T, std::size_t N>
  CTGRAD_DETAIL_ALWAYS_INLINE static void prepare(T* ws, const std::array<const T*, N>& sources) noexcept {
    static_assert(((Roles < N) && ...), "ctgrad (developers): a scan body's leaf reads no buffer or operand");
    const T* const leaves[] = {sources[Roles]..., nullptr};
    straight_line<Once...>::template run<Bytes>(context<T>{ws, leaves});
  }
  /// Runs one step.
  template <std::size_t Bytes, class T, std::size_t N>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(T* ws, const std::array<const T*, N>& sources) noexcept {
    const T* const leaves[] = {sources[Roles]..., nullptr};
    straight_line<Each...>::template run<Bytes>(context<T>{ws, leaves});
  }
};

/// The extents of a scan over x [B, T, I] of a state [B, H].
template <std::size_t B, std::size_t T, std::size_t I, std::size_t H>
struct scan_extents {
  static constexpr std::size_t batch = B, steps = T, inputs = I, hidden = H;
  /// The scratch both instructions keep after their output: x[t] and
  /// h[t-1] as the body reads them (rows of x and of the states are
  /// strided by the time axis), the adjoint of h[t] (backward only), and
  /// the body's workspace.
  static constexpr std::size_t scratch(std::size_t body_workspace, bool backward) noexcept {
    return aligned_size(B * I) + aligned_size(B * H) * (backward ? 2 : 1) + body_workspace;
  }
};

/// Step t of a [B, T, N] operand into a [B, N] buffer.
template <class R, std::size_t B, std::size_t S, std::size_t N, class T>
CTGRAD_DETAIL_ALWAYS_INLINE void gather_step(T* __restrict to, context<T> c, std::size_t t) noexcept {
  for (std::size_t b = 0; b != B; ++b)
    for (std::size_t j = 0; j != N; ++j) to[b * N + j] = rd<R>::at(c, (b * S + t) * N + j);
}

/// The states h[1..T] of a scan [B, T, H] at Offset, from x (RX) and h[0]
/// (RH0); Body is the body's forward program (its leaves: x[t], h[t-1],
/// then the operands Frees..., all contiguous: parameters).
template <std::size_t Offset, class E, class RX, class RH0, class Body, class Frees>
struct i_scan;
template <std::size_t Offset, class E, class RX, class RH0, class Body, class... Frees>
struct i_scan<Offset, E, RX, RH0, Body, mp::mp_list<Frees...>> {
  static constexpr std::size_t B = E::batch, S = E::steps, I = E::inputs, H = E::hidden;

  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    T* const states = c.ws + Offset;
    T* const x = states + aligned_size(B * S * H);
    T* const h = x + aligned_size(B * I);
    T* const body = h + aligned_size(B * H);
    const std::array<const T*, 2 + sizeof...(Frees)> sources{x, h, rd<Frees>::ptr(c)...};
    for (std::size_t i = 0; i != B * H; ++i) h[i] = rd<RH0>::at(c, i);
    Body::template prepare<Bytes>(body, sources);
    for (std::size_t t = 0; t != S; ++t) {
      gather_step<RX, B, S, I>(x, c, t);
      boundary();
      Body::template run<Bytes>(body, sources);
      boundary();
      const T* next = body + Body::results[0];
      for (std::size_t b = 0; b != B; ++b)
        for (std::size_t j = 0; j != H; ++j) states[(b * S + t) * H + j] = h[b * H + j] = next[b * H + j];
    }
  }
};

/// Backpropagation through time, at Offset: [dL/dx, dL/dh0, dL/dFrees...]
/// flattened, from the states (RY), x, h[0], and G = dL/dh[1..T] (RG).
/// From the last step to the first, the body's backward program (leaves
/// x[t], h[t-1], δ[t], then Frees...; results d/dx[t], d/dh[t-1], d/dFree...)
/// runs on δ[t] = G[t] + the d/dh[t] of step t + 1; the gradients by the
/// operands Frees add up over the steps, in that order.
template <std::size_t Offset, class E, class RX, class RH0, class RY, class RG, class Body, class Frees,
          class FreeSizes>
struct i_scan_grad;
template <std::size_t Offset, class E, class RX, class RH0, class RY, class RG, class Body, class... Frees,
          std::size_t... FreeSizes>
struct i_scan_grad<Offset, E, RX, RH0, RY, RG, Body, mp::mp_list<Frees...>, std::index_sequence<FreeSizes...>> {
  static constexpr std::size_t B = E::batch, S = E::steps, I = E::inputs, H = E::hidden;
  static constexpr std::size_t size = (std::size_t{B * S * I + B * H} + ... + FreeSizes);

  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    T* const out = c.ws + Offset;
    T* const x = out + aligned_size(size);
    T* const h = x + aligned_size(B * I);
    T* const delta = h + aligned_size(B * H);
    T* const body = delta + aligned_size(B * H);
    const std::array<const T*, 3 + sizeof...(Frees)> sources{x, h, delta, rd<Frees>::ptr(c)...};
    const T* const dx = body + Body::results[0];
    const T* const dh = body + Body::results[1];
    for (std::size_t i = B * S * I + B * H; i != size; ++i) out[i] = T(0);
    Body::template prepare<Bytes>(body, sources);
    for (std::size_t t = S; t-- != 0;) {
      gather_step<RX, B, S, I>(x, c, t);
      if (t != 0)
        gather_step<RY, B, S, H>(h, c, t - 1);
      else
        for (std::size_t i = 0; i != B * H; ++i) h[i] = rd<RH0>::at(c, i);
      gather_step<RG, B, S, H>(delta, c, t);
      if (t + 1 != S)
        for (std::size_t i = 0; i != B * H; ++i) delta[i] += dh[i];
      boundary();
      Body::template run<Bytes>(body, sources);
      boundary();
      for (std::size_t b = 0; b != B; ++b)
        for (std::size_t i = 0; i != I; ++i) out[(b * S + t) * I + i] = dx[b * I + i];
      accumulate(out + B * S * I + B * H, body, std::index_sequence_for<Frees...>{});
    }
    for (std::size_t i = 0; i != B * H; ++i) out[B * S * I + i] = dh[i];
  }

 private:
  static constexpr std::array<std::size_t, sizeof...(Frees)> free_sizes{FreeSizes...};
  static constexpr std::array<std::size_t, sizeof...(Frees)> free_offsets = [] {
    std::array<std::size_t, sizeof...(Frees)> o{};
    for (std::size_t k = 1; k < o.size(); ++k) o[k] = o[k - 1] + free_sizes[k - 1];
    return o;
  }();
  /// sum += the step's gradient by each of Frees, laid out one after the other.
  template <class T, std::size_t... K>
  CTGRAD_DETAIL_ALWAYS_INLINE static void accumulate(T* sum, const T* body, std::index_sequence<K...>) noexcept {
    (add_to<free_sizes[K]>(sum + free_offsets[K], body + Body::results[2 + K]), ...);
  }
  template <std::size_t N, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void add_to(T* __restrict sum, const T* __restrict part) noexcept {
    for (std::size_t i = 0; i != N; ++i) sum[i] += part[i];
  }
};

}  // namespace detail::tk
}  // namespace ctgrad

CTGRAD_DETAIL_NO_CONTRACTION_END
