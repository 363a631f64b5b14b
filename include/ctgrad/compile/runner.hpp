// ctgrad/compile/runner.hpp — running a planned program: its instructions one
// after the other (inlined, or as out-of-line pieces for long programs),
// once per instruction set with the choice made at run time, after
// pointing every leaf at the caller's values.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "plan.hpp"
#include "relocate.hpp"

namespace ctgrad {

namespace error {
template <class Tensor>
struct no_values_bound_for {
  static_assert(detail::always_false<Tensor>,
                "ctgrad kernel call: a parameter or input of the loss has no values; pass it as name = array. "
                "Its name is spelled out in error::tensor<...> above");
};
template <class Tensor>
struct bound_tensor_does_not_occur {
  static_assert(detail::always_false<Tensor>,
                "ctgrad kernel call: a binding names a tensor that does not occur in the loss; remove it. "
                "Its name is spelled out in error::tensor<...> above");
};
}  // namespace error

namespace detail::tk {

/// Programs of more instructions than this run as a table of steps
/// (relocate.hpp), a call per step, each instruction through one compiled
/// copy: the optimiser's cost grows faster than linearly in the size of
/// one function (a 40-layer MLP's kernel as one function took most of its
/// compile time), and a call per step is nothing beside the loops.
/// Shorter programs stay one inlined sequence, unless they repeat
/// themselves (below).
inline constexpr std::size_t max_inlined_instructions = 24;

/// The code a table step compiles for instruction I: its relocated form
/// (shared by every step that has it), or I itself.
template <class I>
struct step_code_of : std::type_identity<I> {};
template <class I>
requires(!std::is_same_v<shared_form_t<I>, I>) struct step_code_of<I>
    : std::type_identity<typename relocated<I>::type> {
};

/// A short program that repeats itself -- at least 8 instructions, at most
/// half of them distinct once relocated, as a deep net's prediction (10
/// layers: 22 instructions, 4 distinct) -- also runs as a table: inlined,
/// its copies for each instruction set are all compiled, ~30% of a
/// 10-layer model's compile time (paired g++-12 -O2 user s, the depth-10
/// TU of bench/depth_scaling.sh: see docs/performance.md); as a table it
/// shares the training kernel's compiled instructions.  Programs of
/// distinct instructions (W2's, W3's, C1's steps, P1's prediction) stay
/// inlined.
template <class... Instructions>
inline constexpr bool repeats_itself =
    sizeof...(Instructions) >= 8 &&
    2 * mp::mp_size<mp::mp_unique<mp::mp_list<typename step_code_of<Instructions>::type...>>>::value <=
        sizeof...(Instructions);

template <class... Instructions>
using repeats_itself_q = std::bool_constant<repeats_itself<Instructions...>>;

/// Whether instruction I is a large matrix product (at least 2^16
/// multiply-adds), as such or with an SGD update folded in.
template <class I>
inline constexpr bool large_product = false;
template <std::size_t Offset, std::size_t M, std::size_t K, std::size_t N, class RA, class RB>
inline constexpr bool large_product<i_matmul<Offset, M, K, N, RA, RB>> = M* K* N >= (std::size_t(1) << 16);
template <class Inner, std::size_t Target>
inline constexpr bool large_product<i_update<Inner, Target>> = large_product<Inner>;

template <class Program>
struct program_runner;

/// A short program: one sequence, its baseline copy inlined into the call
/// (or a function of its own, outline_baseline below), and its copies for
/// AVX2 (without FMA, so every result is bit-identical to the SSE2 path:
/// same operations, same order, wider) and AVX-512 (config.hpp).
template <class... Instructions>
requires(sizeof...(Instructions) <= max_inlined_instructions &&
         !repeats_itself<Instructions...>) struct program_runner<mp::mp_list<Instructions...>> {
  using program = straight_line<Instructions...>;
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
  template <class T>
  [[gnu::target("avx2")]] static void run_avx2(context<T> c) noexcept {
    program::template run<32>(c);
  }
#endif
#if CTGRAD_DETAIL_DISPATCH_AVX512
  template <class T>
  [[CTGRAD_DETAIL_AVX512]] static void run_avx512(context<T> c) noexcept {
    program::template run<64>(c);
  }
#endif
  /// The baseline copy: inlined into the caller, unless the program holds
  /// a large product.  Inlined, a training step gets the caller's
  /// constants (a learning rate known at compile time: beta = 1 and its
  /// multiply gone; W2's SSE2 step 548 -> 585-623 ns outlined); but GCC
  /// keeps the SGD update's broadcast constants in registers across the
  /// tiles of a large product, and with SSE2's 16 registers spills its
  /// accumulators (W3's fused SSE2 step 488-494 -> 401-406 us outlined,
  /// as the AVX2 and AVX-512 copies always are).
  static constexpr bool outline_baseline = (large_product<Instructions> || ...);
  template <class T>
  [[gnu::noinline]] static void run_baseline(context<T> c) noexcept {
    program::template run<default_vector_bytes>(c);
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
    switch (active_instruction_set()) {
#if CTGRAD_DETAIL_DISPATCH_AVX512
      case instruction_set::avx512:
        return run_avx512(c);
#else
      case instruction_set::avx512:  // (not compiled in: never active)
#endif
      case instruction_set::avx2:
        return run_avx2(c);
      case instruction_set::baseline:
        break;
    }
#endif
    if constexpr (outline_baseline)
      run_baseline(c);
    else
      program::template run<default_vector_bytes>(c);
  }
};

/// A long program: a table of steps run in order, each instruction through
/// the one compiled copy of its relocated form where it has one: a deep
/// network's identical layers share their code, and the steps are data.
template <class Program>
requires(mp::mp_size<Program>::value > max_inlined_instructions ||
         mp::mp_apply<repeats_itself_q, Program>::value) struct program_runner<Program> {
  using shared_program = mp::mp_transform<shared_form_t, Program>;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    using table = step_table<T, shared_program>;
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
    switch (active_instruction_set()) {
#if CTGRAD_DETAIL_DISPATCH_AVX512
      case instruction_set::avx512:
        return run_steps(table::avx512, table::size, c);
#else
      case instruction_set::avx512:  // (not compiled in: never active)
#endif
      case instruction_set::avx2:
        return run_steps(table::avx2, table::size, c);
      case instruction_set::baseline:
        break;
    }
#endif
    run_steps(table::baseline, table::size, c);
  }
};

/// Sorted by hash, equal hashes in binding order (so that the first binding
/// of a name is found first).
struct by_name_hash {
  constexpr bool operator()(graph::hash_entry a, graph::hash_entry b) const noexcept {
    return a.hash < b.hash || (a.hash == b.hash && a.slot < b.slot);
  }
};

/// Where each of `names` is among `bound` (the first of equal names; B
/// where absent).  Matched by hash (bound sorted once, then a binary search
/// per name) and confirmed by comparing the text: O(n log n) constexpr
/// steps, where comparing every pair of strings ran out of clang's step
/// budget at 100 layers.  A function of sizes only: keyed by the names,
/// it would be a symbol spelling out every leaf.
template <std::size_t N, std::size_t B>
constexpr std::array<std::size_t, N> positions_of_names(const std::array<std::string_view, N>& names,
                                                        const std::array<std::string_view, B>& bound) noexcept {
  std::array<graph::hash_entry, B> sorted{};
  for (std::size_t k = 0; k != B; ++k) sorted[k] = {hash_text(bound[k]), k};
  std::sort(sorted.begin(), sorted.end(), by_name_hash{});
  std::array<std::size_t, N> positions{};
  for (std::size_t i = 0; i != N; ++i) {
    const std::uint64_t h = hash_text(names[i]);
    positions[i] = B;
    for (std::size_t at = graph::first_at_or_above(sorted, h); at != B && sorted[at].hash == h; ++at)
      if (bound[sorted[at].slot] == names[i]) {
        positions[i] = sorted[at].slot;
        break;
      }
  }
  return positions;
}
/// The first index of `value` in `values` (N if absent): a loop, not a list
/// search (a fold over a user-sized pack stops at 256 in clang 14).
template <class T, std::size_t N>
constexpr std::size_t first_equal_to(const std::array<T, N>& values, T value) noexcept {
  for (std::size_t i = 0; i != N; ++i)
    if (values[i] == value) return i;
  return N;
}

/// Where each of Names is among Bindings (their count where absent), and
/// the first that is absent (the count of Names if none): one class per
/// call, so that nothing is instantiated per leaf.
template <class Names, class Bindings>
struct name_positions;
template <class... Names, class... Bindings>
struct name_positions<mp::mp_list<Names...>, mp::mp_list<Bindings...>> {
  static constexpr std::array<std::size_t, sizeof...(Names)> value =
      positions_of_names<sizeof...(Names), sizeof...(Bindings)>({std::string_view(Names::name)...},
                                                                {std::string_view(Bindings::name)...});
  static constexpr std::size_t first_absent = first_equal_to(value, sizeof...(Bindings));
};

/// Points every leaf at its binding's values and runs Program over the
/// workspace `ws`: one error if a leaf has no binding or a binding names
/// no leaf.  Keyed by the program, the leaves and the bindings only (small
/// types: numbers, formulas, names), never by the loss expression, whose
/// spelling in every emitted symbol made g++'s compile time quadratic in
/// depth.
template <class Program, class... Leaves, class T, class... Bindings>
CTGRAD_DETAIL_ALWAYS_INLINE void run_program(mp::mp_list<Leaves...>, T* ws, context<T> c,
                                             const Bindings&... bindings) noexcept {
  static_assert(all_of<std::is_same<Bindings, tensor_binding<Bindings::name, T>>::value...>,
                "ctgrad kernel call: pass tensors as name = values, in the workspace's element type");
  using positions = name_positions<mp::mp_list<Leaves...>, mp::mp_list<Bindings...>>;
  constexpr std::size_t missing = positions::first_absent;
  constexpr std::size_t stray = name_positions<mp::mp_list<Bindings...>, mp::mp_list<Leaves...>>::first_absent;
  if constexpr (missing != sizeof...(Leaves)) {
    (void)error::no_values_bound_for<decltype(spelled_tensor<mp::mp_at_c<mp::mp_list<Leaves...>, missing>::name>())>{};
  } else if constexpr (stray != sizeof...(Bindings)) {
    (void)error::bound_tensor_does_not_occur<
        decltype(spelled_tensor<mp::mp_at_c<mp::mp_list<Bindings...>, stray>::name>())>{};
  } else {
    const T* const pointers[] = {bindings.data..., nullptr};
    // One entry more than the leaves: never empty, so a long program's
    // step loop may read leaf_pointers[0] unconditionally (relocate.hpp).
    const T* leaf_pointers[sizeof...(Leaves) + 1]{};
    for (std::size_t i = 0; i != sizeof...(Leaves); ++i) leaf_pointers[i] = pointers[positions::value[i]];
    c.ws = ws;
    c.leaves = leaf_pointers;
    Program::run(c);
  }
}

/// Where a kernel's results are: the numbers its workspace needs, and the
/// offset of each gradient by parameter (short types, so that the
/// workspace's functions are not named after the loss either).
}  // namespace detail::tk
}  // namespace ctgrad
