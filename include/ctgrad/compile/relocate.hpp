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

#include <cstddef>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "instructions.hpp"

namespace ctgrad::detail::tk {

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
struct from_slot {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static const T* get(context<T> c) noexcept {
    return c.ws + Offset;
  }
};
template <std::size_t Leaf>
struct from_leaf {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static const T* get(context<T> c) noexcept {
    return c.leaves[Leaf];
  }
};

// relocated_ref<R, Next>: R with its slot and leaf reads numbered from
// Next: `type`, `sources` (an mp_list of from_slot / from_leaf), `next`.
// Not defined (ok = false) for a reference it does not know.

template <class R, std::size_t Next>
struct relocated_ref {
  static constexpr bool ok = false;
};

/// All of R..., numbered in order from Next.
template <std::size_t Next, class Done, class Sources, class... R>
struct relocated_refs {
  static constexpr bool ok = false;
};
template <std::size_t Next, class... D, class... S>
struct relocated_refs<Next, mp::mp_list<D...>, mp::mp_list<S...>> {
  static constexpr bool ok = true;
  using types = mp::mp_list<D...>;
  using sources = mp::mp_list<S...>;
  static constexpr std::size_t next = Next;
};
template <std::size_t Next, class... D, class... S, class R0, class... R>
requires relocated_ref<R0, Next>::ok struct relocated_refs<Next, mp::mp_list<D...>, mp::mp_list<S...>, R0, R...>
    : relocated_refs<relocated_ref<R0, Next>::next, mp::mp_list<D..., typename relocated_ref<R0, Next>::type>,
                     mp::mp_append<mp::mp_list<S...>, typename relocated_ref<R0, Next>::sources>, R...> {
};

template <std::size_t Offset, std::size_t Next>
struct relocated_ref<r_slot<Offset>, Next> {
  static constexpr bool ok = true;
  using type = r_arg<Next>;
  using sources = mp::mp_list<from_slot<Offset>>;
  static constexpr std::size_t next = Next + 1;
};
template <std::size_t Leaf, std::size_t Next>
struct relocated_ref<r_leaf<Leaf>, Next> {
  static constexpr bool ok = true;
  using type = r_arg<Next>;
  using sources = mp::mp_list<from_leaf<Leaf>>;
  static constexpr std::size_t next = Next + 1;
};
template <class C, std::size_t Next>
struct relocated_ref<r_const<C>, Next> {
  static constexpr bool ok = true;
  using type = r_const<C>;
  using sources = mp::mp_list<>;
  static constexpr std::size_t next = Next;
};
template <class F, class... R, std::size_t Next>
requires relocated_refs<Next, mp::mp_list<>, mp::mp_list<>, R...>::ok struct relocated_ref<r_ew<F, R...>, Next> {
  using all = relocated_refs<Next, mp::mp_list<>, mp::mp_list<>, R...>;
  static constexpr bool ok = true;
  using type = mp::mp_apply<r_ew, mp::mp_push_front<typename all::types, F>>;
  using sources = typename all::sources;
  static constexpr std::size_t next = all::next;
};
template <class R, class From, class To, std::size_t Next>
requires relocated_ref<R, Next>::ok struct relocated_ref<r_bcast<R, From, To>, Next> : relocated_ref<R, Next> {
  using type = r_bcast<typename relocated_ref<R, Next>::type, From, To>;
};
template <class R, std::size_t Rows, std::size_t Cols, std::size_t Next>
requires relocated_ref<R, Next>::ok struct relocated_ref<r_transpose<R, Rows, Cols>, Next> : relocated_ref<R, Next> {
  using type = r_transpose<typename relocated_ref<R, Next>::type, Rows, Cols>;
};

// relocated<I>: instruction I with output offset 0 and operands r_arg<k>:
// `type`, `sources`, `offset` (where I writes), `target` (the parameter an
// i_update updates, else none).  ok = false for instructions it does not
// know.

template <class I>
struct relocated {
  static constexpr bool ok = false;
};

template <class Canonical, std::size_t Offset, class Refs>
struct relocation {
  static constexpr bool ok = true;
  using type = Canonical;
  using sources = typename Refs::sources;
  static constexpr std::size_t offset = Offset;
  static constexpr std::size_t target = static_cast<std::size_t>(-1);
};
template <class... R>
using refs_of = relocated_refs<0, mp::mp_list<>, mp::mp_list<>, R...>;
template <std::size_t K, class... R>
using ref_at = mp::mp_at_c<typename refs_of<R...>::types, K>;

template <std::size_t Offset, std::size_t Size, class R>
requires refs_of<R>::ok struct relocated<i_map<Offset, Size, R>>
    : relocation<i_map<0, Size, ref_at<0, R>>, Offset, refs_of<R>> {
};
template <std::size_t Offset, std::size_t Rows, std::size_t Cols, class R>
requires refs_of<R>::ok struct relocated<i_transpose<Offset, Rows, Cols, R>>
    : relocation<i_transpose<0, Rows, Cols, ref_at<0, R>>, Offset, refs_of<R>> {
};
template <std::size_t Offset, class To, class From, class R>
requires refs_of<R>::ok struct relocated<i_reduce<Offset, To, From, R>>
    : relocation<i_reduce<0, To, From, ref_at<0, R>>, Offset, refs_of<R>> {
};
template <std::size_t Offset, std::size_t Rows, std::size_t Cols, class R>
requires refs_of<R>::ok struct relocated<i_logsumexp<Offset, Rows, Cols, R>>
    : relocation<i_logsumexp<0, Rows, Cols, ref_at<0, R>>, Offset, refs_of<R>> {
};
template <std::size_t Offset, std::size_t M, std::size_t K, std::size_t N, class RA, class RB>
requires refs_of<RA, RB>::ok struct relocated<i_matmul<Offset, M, K, N, RA, RB>>
    : relocation<i_matmul<0, M, K, N, ref_at<0, RA, RB>, ref_at<1, RA, RB>>, Offset, refs_of<RA, RB>> {
};
template <class Inner, std::size_t Target>
requires relocated<Inner>::ok struct relocated<i_update<Inner, Target>> : relocated<Inner> {
  using type = i_update<typename relocated<Inner>::type, 0>;
  static constexpr std::size_t target = Target;
};

/// The one compiled copy of a relocated instruction, per instruction set.
template <class Canonical>
struct shared_code {
  template <class T>
  [[gnu::noinline]] static void run_baseline(context<T> c) noexcept {
    Canonical::template run<default_vector_bytes>(c);
  }
#if CTGRAD_DETAIL_DISPATCH_AVX2
  template <class T>
  [[gnu::noinline, gnu::target("avx2")]] static void run_avx2(context<T> c) noexcept {
    Canonical::template run<32>(c);
  }
#endif
};

/// Instruction I run through its shared copy: the context moved to I's
/// slot (and update target), its operands' pointers passed.
template <class I, class Sources = typename relocated<I>::sources>
struct i_shared;
template <class I, class... S>
struct i_shared<I, mp::mp_list<S...>> {
  using where = relocated<I>;
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    const T* const args[] = {S::get(c)..., nullptr};
    context<T> local = c;
    local.ws = c.ws + where::offset;
    local.args = args;
    if constexpr (where::target != static_cast<std::size_t>(-1)) local.updates = c.updates + where::target;
#if CTGRAD_DETAIL_DISPATCH_AVX2
    if constexpr (Bytes == 32) {
      shared_code<typename where::type>::run_avx2(local);
      return;
    }
#endif
    shared_code<typename where::type>::run_baseline(local);
  }
};

/// How a long program runs instruction I: through its shared copy when it
/// can be relocated, else as planned.
template <class I>
struct shared_form : std::type_identity<I> {};
template <class I>
requires relocated<I>::ok struct shared_form<I> : std::type_identity<i_shared<I>> {
};
template <class I>
using shared_form_t = typename shared_form<I>::type;

}  // namespace ctgrad::detail::tk
