// ctgrad/compile/tensor_work.hpp — the work of a tensor kernel (compile,
// compile_forward), counted instruction by instruction; compile/work.hpp
// has the conventions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor_kernel.hpp"
#include "window_instructions.hpp"
#include "work.hpp"

namespace ctgrad {

namespace error {
template <class Instruction>
struct no_work_rule_for {
  static_assert(detail::always_false<Instruction>,
                "ctgrad::work_of(kernel): an instruction of this kernel has no rule in compile/tensor_work.hpp; "
                "add an instruction_work specialisation for it (see the instruction named above)");
};
}  // namespace error

namespace detail::tk {

/// Multiply-adds and flops of one instruction, or of one element of a reference.
struct counts {
  std::uint64_t macs = 0, flops = 0;
};

/// Operations in an elementwise formula (expr/formula.hpp): one per +, *,
/// /, power and function; none for its placeholders and literals.
template <class F>
struct formula_ops : std::integral_constant<std::uint64_t, 0> {};
/// One operation, then its operands'.
template <class... Operands>
struct operation_ops : std::integral_constant<std::uint64_t, (1 + ... + formula_ops<Operands>::value)> {};
template <class A, class B>
struct formula_ops<nodes::add<A, B>> : operation_ops<A, B> {};
template <class A, class B>
struct formula_ops<nodes::mul<A, B>> : operation_ops<A, B> {};
template <class A, class B>
struct formula_ops<nodes::div<A, B>> : operation_ops<A, B> {};
template <class A, class E>
struct formula_ops<nodes::pow<A, E>> : operation_ops<A> {};  // the exponent is a literal
template <class G, class A>
struct formula_ops<nodes::unary<G, A>> : operation_ops<A> {};

/// Operations evaluated to read one element of reference R: those of every
/// fused formula in it (r_ew), none for slots, leaves, literals and index
/// mappings.
template <class R>
struct ref_ops : std::integral_constant<std::uint64_t, 0> {};
template <class F, class... R>
struct ref_ops<r_ew<F, R...>>
    : std::integral_constant<std::uint64_t, (formula_ops<F>::value + ... + ref_ops<R>::value)> {};
template <class R, class From, class To>
struct ref_ops<r_bcast<R, From, To>> : ref_ops<R> {};
template <class R, std::size_t Rows, std::size_t Cols>
struct ref_ops<r_transpose<R, Rows, Cols>> : ref_ops<R> {};
template <class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW>
struct ref_ops<r_pad<R, H, W, PH, PW>> : ref_ops<R> {};
template <class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW>
struct ref_ops<r_crop<R, H, W, PH, PW>> : ref_ops<R> {};
template <class R, std::size_t Cols, std::size_t Begin, std::size_t Count>
struct ref_ops<r_slice<R, Cols, Begin, Count>> : ref_ops<R> {};
template <class R, std::size_t Count, std::size_t Begin, std::size_t Cols>
struct ref_ops<r_embed<R, Count, Begin, Cols>> : ref_ops<R> {};

template <class Program>
struct program_work;

/// The counts of instruction I: a specialisation per instruction kind.
template <class I>
struct instruction_work {
  static constexpr counts value = [] {
    (void)error::no_work_rule_for<I>{};
    return counts{};
  }();
};

template <std::size_t O, std::size_t Size, class R>
struct instruction_work<i_map<O, Size, R>> {
  static constexpr counts value{0, Size* ref_ops<R>::value};
};
template <std::size_t O, std::size_t Rows, std::size_t Cols, class R>
struct instruction_work<i_transpose<O, Rows, Cols, R>> {
  static constexpr counts value{0, Rows* Cols* ref_ops<R>::value};
};
template <std::size_t O, class To, class From, class R>
struct instruction_work<i_reduce<O, To, From, R>> {
  static constexpr counts value{0, From::size*(ref_ops<R>::value + 1)};
};
/// Per element: read twice (the maximum, then the sum), a comparison, a
/// subtraction, exp and an addition; per row a log and an addition.
template <std::size_t O, std::size_t Rows, std::size_t Cols, class R>
struct instruction_work<i_logsumexp<O, Rows, Cols, R>> {
  static constexpr counts value{0, Rows*(Cols*(2 * ref_ops<R>::value + 4) + 2)};
};
template <std::size_t O, std::size_t M, std::size_t K, std::size_t N, class RA, class RB>
struct instruction_work<i_matmul<O, M, K, N, RA, RB>> {
  static constexpr std::uint64_t macs = std::uint64_t{M} * K * N;
  static constexpr counts value{macs, 2 * macs + M* K* ref_ops<RA>::value + K* N* ref_ops<RB>::value};
};

/// A fused SGD update: the instruction, then p = beta * p + alpha * g per element.
template <class Inner, std::size_t Updated>
struct fused_update_work {
  static constexpr counts value{instruction_work<Inner>::value.macs,
                                instruction_work<Inner>::value.flops + 3 * Updated};
};
template <std::size_t O, std::size_t Size, class R, std::size_t Target>
struct instruction_work<i_update<i_map<O, Size, R>, Target>> : fused_update_work<i_map<O, Size, R>, Size> {};
template <std::size_t O, class To, class From, class R, std::size_t Target>
struct instruction_work<i_update<i_reduce<O, To, From, R>, Target>>
    : fused_update_work<i_reduce<O, To, From, R>, To::size> {};
template <std::size_t O, std::size_t M, std::size_t K, std::size_t N, class RA, class RB, std::size_t Target>
struct instruction_work<i_update<i_matmul<O, M, K, N, RA, RB>, Target>>
    : fused_update_work<i_matmul<O, M, K, N, RA, RB>, M * N> {};

// Windows: a convolution is B*O*OH*OW*C*KH*KW multiply-adds, and so are
// both of its gradients; padding is free; a max-pool compares every tap,
// its gradient adds one value per window; an average sums the taps and
// scales, its gradient scales and adds one value per tap.
template <class XS, class WS, class Geo>
inline constexpr std::uint64_t conv_macs = [] {
  using e = conv_extents<XS, WS, Geo>;
  return std::uint64_t{e::B} * e::O * e::OH * e::OW * e::C * e::KH * e::KW;
}();
template <std::size_t O, class XS, class WS, class Geo, class RX, class RW>
struct instruction_work<i_conv<O, XS, WS, Geo, RX, RW>> {
  static constexpr counts value{conv_macs<XS, WS, Geo>, 2 * conv_macs<XS, WS, Geo>};
};
template <std::size_t O, class XS, class WS, class Geo, class RX, class RY>
struct instruction_work<i_conv_kernel_grad<O, XS, WS, Geo, RX, RY>> {
  static constexpr counts value{conv_macs<XS, WS, Geo>, 2 * conv_macs<XS, WS, Geo>};
};
template <std::size_t O, class XS, class WS, class Geo, class RY, class RW>
struct instruction_work<i_conv_input_grad<O, XS, WS, Geo, RY, RW>> {
  static constexpr counts value{conv_macs<XS, WS, Geo>, 2 * conv_macs<XS, WS, Geo>};
};
template <std::size_t O, class XS, class WS, class Geo, class RX, class RY, std::size_t Target>
struct instruction_work<i_update<i_conv_kernel_grad<O, XS, WS, Geo, RX, RY>, Target>>
    : fused_update_work<i_conv_kernel_grad<O, XS, WS, Geo, RX, RY>, WS::size> {};
template <std::size_t O, std::size_t N, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW, class R>
struct instruction_work<i_pad<O, N, H, W, PH, PW, R>> {
  static constexpr counts value{0, N* H* W* ref_ops<R>::value};
};
template <class XS, class P>
inline constexpr std::uint64_t pool_windows = [] {
  using e = pool_extents<XS, P>;
  return std::uint64_t{e::N} * e::OH * e::OW;
}();
template <class XS, class P>
inline constexpr std::uint64_t pool_taps = pool_windows<XS, P>* P::window_h* P::window_w;
template <std::size_t O, class XS, class P, class RX, class RV, std::size_t Taps>
struct instruction_work<i_max_select<O, XS, P, RX, RV, Taps>> {
  static constexpr counts value{0, pool_taps<XS, P>};
};
template <std::size_t O, class XS, class P, class RX, class RG, std::size_t Taps>
struct instruction_work<i_max_route<O, XS, P, RX, RG, Taps>> {
  static constexpr counts value{0, pool_windows<XS, P>};
};
template <std::size_t O, class XS, class P, class RX>
struct instruction_work<i_avg_pool<O, XS, P, RX>> {
  static constexpr counts value{0, pool_taps<XS, P> + pool_windows<XS, P>};
};
template <std::size_t O, class XS, class P, class RG>
struct instruction_work<i_avg_unpool<O, XS, P, RG>> {
  static constexpr counts value{0, pool_taps<XS, P> + pool_windows<XS, P>};
};

// A scan runs its body's program once per step; its reverse, the body's
// backward program, and adds up the weights' gradients (one addition per
// element per step) and the adjoint carried to the step before.
template <std::size_t O, class E, class RX, class RH0, class Body, class Frees>
struct instruction_work<i_scan<O, E, RX, RH0, Body, Frees>> {
  static constexpr counts once = program_work<typename Body::once>::value;
  static constexpr counts step = program_work<typename Body::each>::value;
  static constexpr counts value{once.macs + E::steps * step.macs, once.flops + E::steps* step.flops};
};
template <std::size_t O, class E, class RX, class RH0, class RY, class RG, class Body, class Frees,
          std::size_t... Sizes>
struct instruction_work<i_scan_grad<O, E, RX, RH0, RY, RG, Body, Frees, std::index_sequence<Sizes...>>> {
  static constexpr counts once = program_work<typename Body::once>::value;
  static constexpr counts step = program_work<typename Body::each>::value;
  static constexpr std::uint64_t sums = (std::uint64_t{E::batch * E::hidden} + ... + Sizes);  // per step
  static constexpr counts value{once.macs + E::steps * step.macs, once.flops + E::steps*(step.flops + sums)};
};

template <class... I>
struct program_work<mp::mp_list<I...>> {
  static constexpr counts value = [] {
    counts total;
    // A braced list, not a fold: no nesting limit.
    const counts each[] = {counts{}, instruction_work<I>::value...};
    for (const counts& c : each) {
      total.macs += c.macs;
      total.flops += c.flops;
    }
    return total;
  }();
};

}  // namespace detail::tk

/// The work of one run of a tensor kernel (compile or compile_forward) on
/// elements of type T.
template <class T, class Loss, class... Params>
constexpr work work_of(tensor_kernel<Loss, Params...>) noexcept {
  constexpr detail::tk::counts c =
      detail::tk::program_work<typename tensor_kernel<Loss, Params...>::plan::program>::value;
  return {c.macs, c.flops, (std::uint64_t{0} + ... + shape_of<Params>::size) * sizeof(T),
          sizeof(workspace<tensor_kernel<Loss, Params...>, T>)};
}

}  // namespace ctgrad
