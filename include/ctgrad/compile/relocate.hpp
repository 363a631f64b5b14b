// ctgrad/compile/relocate.hpp — instructions made position-independent, so
// that the identical layers of a deep network share one compiled function
// per instruction.
//
// An instruction as planned names its workspace offsets and leaf numbers in
// its type (i_matmul<Offset, M, K, N, r_slot<A>, r_leaf<B>>), so each layer's
// product is a type, and a function, of its own: a 40-layer MLP compiled
// forty copies of the same loops (half of clang's time).  Relocated, the
// same product is i_matmul<0, M, K, N, r_arg<0>, r_arg<1>>, the same type in
// every layer: its operands are pointers passed at run time (context::args)
// and its output is the context's workspace pointer moved to the slot.
// Same operations in the same order: the same bits.
//
// Long programs (runner.hpp) call the relocated form, compiled once per
// instruction set; short ones stay inlined straight-line code.  Window
// instructions (convolution, pooling) are not relocated: they run as
// planned.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "instructions.hpp"

namespace ctgrad::detail::tk {

/// The most operands a relocated instruction may read (one with more runs
/// as planned).
inline constexpr std::size_t max_step_operands = 6;

/// Operand K of a relocated instruction: a pointer passed at run time.
template <std::size_t K>
struct r_arg {};
template <std::size_t K>
struct rd<r_arg<K>> {
  static constexpr bool contiguous = true;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static const T* ptr(context<T> c) noexcept {
    return c.args[K];
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
    return c.args[K][i];
  }
};

/// Where a relocated operand points: a workspace slot or a bound leaf.
template <std::size_t Offset>
struct from_slot {};
template <std::size_t Leaf>
struct from_leaf {};

// relocated_ref<R, Next>: R with its slot and leaf reads numbered from
// Next: `type`, `sources` (an mp_list of from_slot / from_leaf), `next`.
// Not defined (ok = false) for a reference it does not know.

template <class R, std::size_t Next>
struct relocated_ref {
  using ok = std::bool_constant<false>;
};

/// All of R..., numbered in order from Next.
template <std::size_t Next, class Done, class Sources, class... R>
struct relocated_refs {
  using ok = std::bool_constant<false>;
};
template <std::size_t Next, class... D, class... S>
struct relocated_refs<Next, mp::mp_list<D...>, mp::mp_list<S...>> {
  using ok = std::bool_constant<true>;
  using types = mp::mp_list<D...>;
  using sources = mp::mp_list<S...>;
  using next = std::integral_constant<std::size_t, Next>;
};
template <std::size_t Next, class... D, class... S, class R0, class... R>
requires relocated_ref<R0, Next>::ok::value struct relocated_refs<Next, mp::mp_list<D...>, mp::mp_list<S...>, R0, R...>
    : relocated_refs<relocated_ref<R0, Next>::next::value, mp::mp_list<D..., typename relocated_ref<R0, Next>::type>,
                     mp::mp_append<mp::mp_list<S...>, typename relocated_ref<R0, Next>::sources>, R...> {
};

template <std::size_t Offset, std::size_t Next>
struct relocated_ref<r_slot<Offset>, Next> {
  using ok = std::bool_constant<true>;
  using type = r_arg<Next>;
  using sources = mp::mp_list<from_slot<Offset>>;
  using next = std::integral_constant<std::size_t, Next + 1>;
};
template <std::size_t Leaf, std::size_t Next>
struct relocated_ref<r_leaf<Leaf>, Next> {
  using ok = std::bool_constant<true>;
  using type = r_arg<Next>;
  using sources = mp::mp_list<from_leaf<Leaf>>;
  using next = std::integral_constant<std::size_t, Next + 1>;
};
template <class C, std::size_t Next>
struct relocated_ref<r_const<C>, Next> {
  using ok = std::bool_constant<true>;
  using type = r_const<C>;
  using sources = mp::mp_list<>;
  using next = std::integral_constant<std::size_t, Next>;
};
template <class F, class... R, std::size_t Next>
requires relocated_refs<Next, mp::mp_list<>, mp::mp_list<>, R...>::ok::value struct relocated_ref<r_ew<F, R...>, Next> {
  using all = relocated_refs<Next, mp::mp_list<>, mp::mp_list<>, R...>;
  using ok = std::bool_constant<true>;
  using type = mp::mp_apply<r_ew, mp::mp_push_front<typename all::types, F>>;
  using sources = typename all::sources;
  using next = typename all::next;
};
template <class R, class From, class To, std::size_t Next>
requires relocated_ref<R, Next>::ok::value struct relocated_ref<r_bcast<R, From, To>, Next> : relocated_ref<R, Next> {
  using type = r_bcast<typename relocated_ref<R, Next>::type, From, To>;
};
template <class R, std::size_t Rows, std::size_t Cols, std::size_t Next>
requires relocated_ref<R, Next>::ok::value struct relocated_ref<r_transpose<R, Rows, Cols>, Next>
    : relocated_ref<R, Next> {
  using type = r_transpose<typename relocated_ref<R, Next>::type, Rows, Cols>;
};

// relocated<I>: instruction I with output offset 0 and operands r_arg<k>:
// `type`, `sources`, `offset` (where I writes), `target` (the parameter an
// i_update updates, else none).  ok = false for instructions it does not
// know.

template <class I>
struct relocated {
  using ok = std::bool_constant<false>;
};

template <class Canonical, std::size_t Offset, class Refs>
struct relocation {
  using ok = std::bool_constant<true>;
  using type = Canonical;
  using sources = typename Refs::sources;
  using offset = std::integral_constant<std::size_t, Offset>;
  using target = std::integral_constant<std::size_t, static_cast<std::size_t>(-1)>;
};
template <class... R>
using refs_of = relocated_refs<0, mp::mp_list<>, mp::mp_list<>, R...>;
template <std::size_t K, class... R>
using ref_at = mp::mp_at_c<typename refs_of<R...>::types, K>;

template <std::size_t Offset, std::size_t Size, class R>
requires refs_of<R>::ok::value struct relocated<i_map<Offset, Size, R>>
    : relocation<i_map<0, Size, ref_at<0, R>>, Offset, refs_of<R>> {
};
template <std::size_t Offset, std::size_t Rows, std::size_t Cols, class R>
requires refs_of<R>::ok::value struct relocated<i_transpose<Offset, Rows, Cols, R>>
    : relocation<i_transpose<0, Rows, Cols, ref_at<0, R>>, Offset, refs_of<R>> {
};
template <std::size_t Offset, class To, class From, class R>
requires refs_of<R>::ok::value struct relocated<i_reduce<Offset, To, From, R>>
    : relocation<i_reduce<0, To, From, ref_at<0, R>>, Offset, refs_of<R>> {
};
template <std::size_t Offset, std::size_t Rows, std::size_t Cols, class R>
requires refs_of<R>::ok::value struct relocated<i_logsumexp<Offset, Rows, Cols, R>>
    : relocation<i_logsumexp<0, Rows, Cols, ref_at<0, R>>, Offset, refs_of<R>> {
};
template <std::size_t Offset, std::size_t M, std::size_t K, std::size_t N, class RA, class RB>
requires refs_of<RA, RB>::ok::value struct relocated<i_matmul<Offset, M, K, N, RA, RB>>
    : relocation<i_matmul<0, M, K, N, ref_at<0, RA, RB>, ref_at<1, RA, RB>>, Offset, refs_of<RA, RB>> {
};
template <class Inner, std::size_t Target>
requires relocated<Inner>::ok::value struct relocated<i_update<Inner, Target>> : relocated<Inner> {
  using type = i_update<typename relocated<Inner>::type, 0>;
  using target = std::integral_constant<std::size_t, Target>;
};

/// The one compiled copy of an instruction, per instruction set: of a
/// relocated form, shared by every step that has it.
/// (The context in registers, field by field: called through a table, a
/// function cannot have its arguments rearranged by the optimiser, and a
/// 48-byte context passed on the stack cost 5-15% on D10.)
template <class T>
using step_code = void (*)(T* ws, const T* const* leaves, const T* const* args, T* const* updates, T alpha,
                           T beta) noexcept;

template <class Instruction>
struct shared_code {
  template <class T>
  [[gnu::noinline]] static void run_baseline(T* ws, const T* const* leaves, const T* const* args, T* const* updates,
                                             T alpha, T beta) noexcept {
    Instruction::template run<default_vector_bytes>(context<T>{ws, leaves, updates, alpha, beta, args});
  }
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
  template <class T>
  [[gnu::noinline, gnu::target("avx2")]] static void run_avx2(T* ws, const T* const* leaves, const T* const* args,
                                                              T* const* updates, T alpha, T beta) noexcept {
    Instruction::template run<32>(context<T>{ws, leaves, updates, alpha, beta, args});
  }
#endif
#if CTGRAD_DETAIL_DISPATCH_AVX512
  template <class T>
  [[gnu::noinline, CTGRAD_DETAIL_AVX512]] static void run_avx512(T* ws, const T* const* leaves, const T* const* args,
                                                                 T* const* updates, T alpha, T beta) noexcept {
    Instruction::template run<64>(context<T>{ws, leaves, updates, alpha, beta, args});
  }
#endif
};

/// Instruction I of a long program, to run through the shared copy of its
/// relocated form (a marker type: step_facts says how).
template <class I, class Sources = typename relocated<I>::sources>
struct i_shared {};

/// How a long program runs instruction I: through its shared copy when it
/// can be relocated, else as planned.
template <class I>
struct shared_form : std::type_identity<I> {};
template <class I>
requires(relocated<I>::ok::value&& mp::mp_size<typename relocated<I>::sources>::value <=
         max_step_operands) struct shared_form<I> : std::type_identity<i_shared<I>> {
};
template <class I>
using shared_form_t = typename shared_form<I>::type;

// ---------------------------------------------------------------------------
// A long program as data: a constexpr table of steps, one per instruction,
// run by one loop (run_steps).  Per step nothing is compiled (no function,
// no call site, no symbol named after the step): only the distinct
// instructions.  (Unrolled into direct calls, the table cost the optimiser
// most of what the table saves: 40 layers 11.1 -> 12.8 s with g++, 7.5 ->
// 9.6 s with clang; the loop's indirect call costs 1-3% at run time on a
// batch-1, 64-wide net, D10, and nothing measurable on D40.)

/// Where an operand of a step is: a bound leaf or a workspace offset.
struct source {
  std::uint32_t index;
  std::uint32_t leaf;  // 1 for a leaf
};

/// One step: the compiled code that runs it (per instruction set), where
/// its output goes (workspace offset), the parameter it updates (none for
/// no update), and its operands, in the order of its r_arg references.
template <class T>
struct step {
  step_code<T> run;
  std::uint32_t offset;
  std::uint32_t target;
  std::uint32_t operand_count;
  std::array<source, max_step_operands> operands;
};
inline constexpr std::uint32_t no_target = static_cast<std::uint32_t>(-1);

template <class S>
struct source_of;
template <std::size_t Offset>
struct source_of<from_slot<Offset>> : std::integral_constant<std::size_t, Offset> {
  using leaf = std::false_type;
};
template <std::size_t Leaf>
struct source_of<from_leaf<Leaf>> : std::integral_constant<std::size_t, Leaf> {
  using leaf = std::true_type;
};

/// The operands of a step, as its table entry holds them.
template <class Sources>
struct sources_table;
template <class... S>
struct sources_table<mp::mp_list<S...>> {
  static_assert(((source_of<S>::value < no_target) && ...), "ctgrad: a workspace of over 2^32 elements");
  static constexpr std::array<source, max_step_operands> value{
      source{static_cast<std::uint32_t>(source_of<S>::value), source_of<S>::leaf::value}...};
};

/// What a step's table entry holds: an instruction as planned runs with
/// the workspace as it is; a shared one as relocated.
template <class I>
struct step_facts {
  using code = I;
  using offset = std::integral_constant<std::size_t, 0>;
  using target = std::integral_constant<std::size_t, no_target>;
  using sources = mp::mp_list<>;
};
template <class I, class S>
struct step_facts<i_shared<I, S>> {
  using code = typename relocated<I>::type;
  using offset = typename relocated<I>::offset;
  using target = std::integral_constant<std::size_t, relocated<I>::target::value == static_cast<std::size_t>(-1)
                                                         ? no_target
                                                         : relocated<I>::target::value>;
  using sources = S;
};

/// Step I, run by `run` (its code for one instruction set).
template <class T, class I>
constexpr step<T> step_of(step_code<T> run) noexcept {
  using facts = step_facts<I>;
  return {run, static_cast<std::uint32_t>(facts::offset::value), facts::target::value,
          mp::mp_size<typename facts::sources>::value, sources_table<typename facts::sources>::value};
}

/// The steps of Program (instructions and i_shared markers), for each
/// instruction set.
template <class T, class Program>
struct step_table;
template <class T, class... I>
struct step_table<T, mp::mp_list<I...>> {
  static constexpr std::size_t size = sizeof...(I);
  static constexpr step<T> baseline[] = {
      step_of<T, I>(&shared_code<typename step_facts<I>::code>::template run_baseline<T>)...};
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
  static constexpr step<T> avx2[] = {
      step_of<T, I>(&shared_code<typename step_facts<I>::code>::template run_avx2<T>)...};
#endif
#if CTGRAD_DETAIL_DISPATCH_AVX512
  static constexpr step<T> avx512[] = {
      step_of<T, I>(&shared_code<typename step_facts<I>::code>::template run_avx512<T>)...};
#endif
};

/// Runs one step: the workspace pointer moved to its output (and the
/// updates to its target), its operands' pointers passed.
template <class T>
CTGRAD_DETAIL_ALWAYS_INLINE void run_step(const step<T>& s, context<T> c) noexcept {
  const T* args[max_step_operands];
  for (std::size_t k = 0; k != s.operand_count; ++k) {
    const source o = s.operands[k];
    // Selects, not a branch that varies from step to step (c.leaves[0]
    // is always there: run_program ends the list with one more entry).
    const T* const leaf = c.leaves[o.leaf ? o.index : 0];
    args[k] = o.leaf ? leaf : c.ws + o.index;
  }
  s.run(c.ws + s.offset, c.leaves, s.operand_count != 0 ? args : nullptr,  // (an instruction as planned reads none)
        s.target != no_target ? c.updates + s.target : c.updates, c.alpha, c.beta);
}

/// Runs `count` steps in order (instantiated per element type only).
template <class T>
void run_steps(const step<T>* steps, std::size_t count, context<T> c) noexcept {
  for (std::size_t i = 0; i != count; ++i) run_step(steps[i], c);
}

}  // namespace ctgrad::detail::tk
