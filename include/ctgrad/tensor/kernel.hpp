// ctgrad/tensor/kernel.hpp — `compile(loss, wrt(params...))`: the forward
// and backward pass of a tensor DAG as one straight-line sequence of
// fixed-extent loops over one fixed-size workspace.
//
// Planning (all at compile time):
//   1. the distinct nodes of {loss, d loss/d p...} in topological order;
//   2. which nodes get a slot in the workspace: products, reductions and
//      outputs always; an elementwise node unless its one user is
//      elementwise too (then it is computed inside its user's loop: chains
//      of elementwise nodes fuse into one loop); views (broadcast,
//      transpose, reshape) and literals never;
//   3. each node becomes a *reference* (how to read element i: from a slot,
//      from a bound input, a literal, a formula over other references, an
//      index mapping) and each slotted node an *instruction* (map, reduce,
//      matmul, logsumexp).  References and instructions are small types of
//      numbers and formulas, so no emitted symbol spells out the graph.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

#include <boost/mp11/bind.hpp>

#include "adjoint.hpp"
#include "instructions.hpp"
#include "window_instructions.hpp"

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
template <class Tensor>
struct gradient_not_requested {
  static_assert(detail::always_false<Tensor>,
                "ctgrad workspace::gradient(p): p is not one of the tensors passed to wrt(...); add it there. "
                "Its name is spelled out in error::tensor<...> above");
};
}  // namespace error

namespace detail::tk {

// ---------------------------------------------------------------------------
// The plan.

template <class T>
struct kind_s : std::integral_constant<int, 0> {};  // leaf
template <class C, class S>
struct kind_s<tnodes::fill<C, S>> : std::integral_constant<int, 1> {};
template <class F, class S, class... A>
struct kind_s<tnodes::ew<F, S, A...>> : std::integral_constant<int, 2> {};
template <class A, class S>
struct kind_s<tnodes::broadcast<A, S>> : std::integral_constant<int, 3> {};
template <class A>
struct kind_s<tnodes::transpose<A>> : std::integral_constant<int, 3> {};
template <class A, class S>
struct kind_s<tnodes::reshape<A, S>> : std::integral_constant<int, 3> {};
template <class A, class S>
struct kind_s<tnodes::reduce_sum<A, S>> : std::integral_constant<int, 4> {};
template <class A>
struct kind_s<tnodes::logsumexp<A>> : std::integral_constant<int, 4> {};
template <class A, class B>
struct kind_s<tnodes::matmul<A, B>> : std::integral_constant<int, 5> {};
template <class X, std::size_t PH, std::size_t PW>
struct kind_s<tnodes::pad<X, PH, PW>> : std::integral_constant<int, 3> {};
template <class X, std::size_t PH, std::size_t PW>
struct kind_s<tnodes::crop<X, PH, PW>> : std::integral_constant<int, 3> {};
template <class X, class W, class G>
struct kind_s<tnodes::conv<X, W, G>> : std::integral_constant<int, 6> {};
template <class X, class Y, class S, class G>
struct kind_s<tnodes::conv_kernel_grad<X, Y, S, G>> : std::integral_constant<int, 6> {};
template <class Y, class W, class S, class G>
struct kind_s<tnodes::conv_input_grad<Y, W, S, G>> : std::integral_constant<int, 6> {};
template <class X, class V, class P>
struct kind_s<tnodes::max_select<X, V, P>> : std::integral_constant<int, 6> {};
template <class X, class G, class P>
struct kind_s<tnodes::max_route<X, G, P>> : std::integral_constant<int, 6> {};
template <class X, class P>
struct kind_s<tnodes::avg_pool<X, P>> : std::integral_constant<int, 6> {};
template <class G, class S, class P>
struct kind_s<tnodes::avg_unpool<G, S, P>> : std::integral_constant<int, 6> {};
enum kind : int { k_leaf = 0, k_fill = 1, k_ew = 2, k_view = 3, k_reduce = 4, k_matmul = 5, k_window = 6 };

/// Workspace a convolution needs after its output (a plane of scratch).
template <class T>
struct scratch_s : std::integral_constant<std::size_t, 0> {};
template <class X, class W, class G>
struct scratch_s<tnodes::conv<X, W, G>>
    : std::integral_constant<std::size_t, conv_extents<shape_of<X>, shape_of<W>, G>::scratch> {};
template <class X, class Y, class S, class G>
struct scratch_s<tnodes::conv_kernel_grad<X, Y, S, G>>
    : std::integral_constant<std::size_t, conv_extents<shape_of<X>, S, G>::scratch> {};
template <class Y, class W, class S, class G>
struct scratch_s<tnodes::conv_input_grad<Y, W, S, G>>
    : std::integral_constant<std::size_t, conv_extents<S, shape_of<W>, G>::scratch> {};

/// Whether node U routes a gradient through the windows of max-pooling X by P.
template <class X, class P, class U>
struct routes_through : std::false_type {};
template <class X, class P, class G>
struct routes_through<X, P, tnodes::max_route<X, G, P>> : std::true_type {};

/// Whether U is a max-pooling whose arg-maxes a later node of Nodes routes
/// through (then it keeps them, after its value).
template <class Nodes, class U>
struct keeps_taps_s : std::false_type {};
template <class Nodes, class X, class P>
struct keeps_taps_s<Nodes, tnodes::max_select<X, X, P>>
    : mp::mp_any_of_q<Nodes, mp::mp_bind_front<routes_through, X, P>> {};

template <class T>
struct is_pad_s : std::false_type {};
template <class X, std::size_t PH, std::size_t PW>
struct is_pad_s<tnodes::pad<X, PH, PW>> : std::true_type {};

template <class T>
struct is_transpose_s : std::false_type {};
template <class A>
struct is_transpose_s<tnodes::transpose<A>> : std::true_type {};

/// A product A * Y^T with at least this many rows in A packs Y^T first;
/// below, it takes dot products of rows of A and Y (no copy).
inline constexpr std::size_t pack_rows = 8;

/// The key of a max-pooling's windows, shared by the pooling of X by P and
/// the routing through it (0 for every other node).
template <class T>
struct window_key : std::integral_constant<std::uint64_t, 0> {};
template <class X, class P>
struct window_key<tnodes::max_select<X, X, P>>
    : std::integral_constant<std::uint64_t, hash_mix(tensor_hash<X>::value, geometry_hash(P{}))> {};
template <class T>
struct routes_key : std::integral_constant<std::uint64_t, 0> {};
template <class X, class G, class P>
struct routes_key<tnodes::max_route<X, G, P>>
    : std::integral_constant<std::uint64_t, hash_mix(tensor_hash<X>::value, geometry_hash(P{}))> {};

template <class Graph, class Outputs, class = typename Graph::nodes>
struct plan;

/// The plan of graph Graph (every node of the pass, in topological order) whose
/// results are Outputs: which nodes own a slot, where, and what computes
/// them.  Every question about a node is a table lookup by its index.
template <class Graph, class... Outputs, class... Ts>
struct plan<Graph, mp::mp_list<Outputs...>, mp::mp_list<Ts...>> {
  static constexpr std::size_t n = sizeof...(Ts);
  using tables = graph::tables<Graph>;

  template <class X>
  using index = graph::index_of<Graph, X>;

  static constexpr std::array<int, n> kinds{kind_s<Ts>::value...};
  /// For a matrix product, the rows of its left operand (else 0).
  template <class U>
  struct product_rows : std::integral_constant<std::size_t, 0> {};
  template <class A, class B>
  struct product_rows<tnodes::matmul<A, B>> : std::integral_constant<std::size_t, shape_of<A>::dims[0]> {};
  static constexpr std::array<std::size_t, n> rows{product_rows<Ts>::value...};

  /// How many of the outputs node j is (a gradient may equal another).
  static constexpr std::array<std::size_t, n> output_count = [] {
    std::array<std::size_t, n> count{};
    for (std::size_t j : {index<Outputs>::value...}) ++count[j];
    return count;
  }();

  /// Whether node j is read element by element by its only user (so an
  /// elementwise j can be computed inside that user's loop).
  static constexpr bool fused_into_user(std::size_t j) {
    if (tables::user_count(j) != 1) return false;
    const int user_kind = kinds[tables::first_user(j).user];
    return user_kind == k_ew || user_kind == k_reduce;
  }
  /// Whether node j is the right operand of a product with at least
  /// pack_rows rows: then it is packed (copied transposed) once, so that
  /// the product streams contiguous rows.
  static constexpr bool packed_right_operand(std::size_t j) {
    for (std::size_t e = tables::user_offsets[j]; e != tables::user_offsets[j + 1]; ++e) {
      const graph::edge use = tables::user_edges[e];
      if (kinds[use.user] == k_matmul && use.position == 1 && rows[use.user] >= pack_rows) return true;
    }
    return false;
  }
  /// Whether a convolution or pooling reads node j (a padded input is then
  /// materialised once, so that the loops read rows without bounds checks).
  static constexpr bool read_by_window(std::size_t j) {
    for (std::size_t e = tables::user_offsets[j]; e != tables::user_offsets[j + 1]; ++e)
      if (kinds[tables::user_edges[e].user] == k_window) return true;
    return false;
  }

  static constexpr std::array<bool, n> is_transpose{is_transpose_s<Ts>::value...};
  static constexpr std::array<bool, n> is_pad{is_pad_s<Ts>::value...};
  static constexpr std::array<bool, n> slotted = [] {
    std::array<bool, n> result{};
    for (std::size_t j = 0; j != n; ++j) {
      const int k = kinds[j];
      result[j] = output_count[j] != 0 || (is_transpose[j] && packed_right_operand(j)) ||
                  (is_pad[j] && read_by_window(j)) || k == k_reduce || k == k_matmul || k == k_window ||
                  (k == k_ew && !fused_into_user(j));
    }
    return result;
  }();
  template <class X>
  static constexpr bool has_slot() {
    return slotted[index<X>::value];
  }

  static constexpr std::size_t aligned(std::size_t size) {
    return (size + slot_alignment - 1) / slot_alignment * slot_alignment;
  }
  /// A max-pooling that the backward pass routes through keeps the arg-max
  /// of each window after its value (the tap, as bits), so that routing
  /// does not compare again; a forward-only pass does not store them.
  static constexpr std::array<bool, n> keeps_taps = [] {
    constexpr std::uint64_t pools[] = {0, window_key<Ts>::value...};
    constexpr std::uint64_t routes[] = {0, routes_key<Ts>::value...};
    std::array<bool, n> keeps{};
    for (std::size_t j = 0; j != n; ++j)
      if (pools[j + 1] != 0)
        for (std::size_t u = 0; u != n; ++u) keeps[j] = keeps[j] || routes[u + 1] == pools[j + 1];
    return keeps;
  }();

  static constexpr std::array<std::size_t, n + 1> offsets = [] {
    const std::size_t sizes[] = {0, shape_of<Ts>::size...};
    const std::size_t scratch[] = {0, scratch_s<Ts>::value...};
    std::array<std::size_t, n + 1> result{};
    for (std::size_t i = 0; i != n; ++i)
      result[i + 1] =
          result[i] + (slotted[i] ? aligned(sizes[i + 1]) * (keeps_taps[i] ? 2 : 1) + aligned(scratch[i + 1]) : 0);
    return result;
  }();
  static constexpr std::size_t workspace_size = offsets[n];

  template <class Indices>
  struct leaves_of;
  template <std::size_t... L>
  struct leaves_of<std::index_sequence<L...>> {
    using type = mp::mp_list<typename Graph::template node<tables::leaf_slots[L]>...>;
  };
  /// The leaves (bound at run time), in topological order.
  using leaves = typename leaves_of<std::make_index_sequence<tables::leaf_count>>::type;

  template <class X>
  static constexpr std::size_t offset_of = offsets[index<X>::value];

  // How to read a node.
  template <class X, bool Slotted = has_slot<X>()>
  struct ref;
  template <class X>
  using ref_t = typename ref<X>::type;

  template <class X>
  struct ref<X, true> : std::type_identity<r_slot<offset_of<X>>> {};
  template <class X>
  requires(kind_s<X>::value == k_leaf) struct ref<X, false>
      : std::type_identity<r_leaf<tables::leaf_rank[index<X>::value]>> {
  };
  template <class C, class S>
  struct ref<tnodes::fill<C, S>, false> : std::type_identity<r_const<C>> {};
  template <class F, class S, class... A>
  struct ref<tnodes::ew<F, S, A...>, false> : std::type_identity<r_ew<F, ref_t<A>...>> {};
  template <class A, class S>
  struct ref<tnodes::broadcast<A, S>, false> : std::type_identity<r_bcast<ref_t<A>, shape_of<A>, S>> {};
  template <class A>
  struct ref<tnodes::transpose<A>, false>
      : std::type_identity<r_transpose<ref_t<A>, shape_of<A>::dims[0], shape_of<A>::dims[1]>> {};
  template <class A, class S>
  struct ref<tnodes::reshape<A, S>, false> : ref<A> {};
  template <class X, std::size_t PH, std::size_t PW>
  struct ref<tnodes::pad<X, PH, PW>, false>
      : std::type_identity<r_pad<ref_t<X>, shape_of<X>::dims[2], shape_of<X>::dims[3], PH, PW>> {};
  template <class X, std::size_t PH, std::size_t PW>
  struct ref<tnodes::crop<X, PH, PW>, false>
      : std::type_identity<r_crop<ref_t<X>, shape_of<X>::dims[2], shape_of<X>::dims[3], PH, PW>> {};

  // What computes a slotted node.  Outputs that are leaves, literals or
  // views are copied through their (unslotted) reference.
  template <class X>
  struct instruction : std::type_identity<i_map<offset_of<X>, shape_of<X>::size, typename ref<X, false>::type>> {};
  template <class F, class S, class... A>
  struct instruction<tnodes::ew<F, S, A...>>
      : std::type_identity<i_map<offset_of<tnodes::ew<F, S, A...>>, S::size, r_ew<F, ref_t<A>...>>> {};
  template <class A, class S>
  struct instruction<tnodes::reduce_sum<A, S>>
      : std::type_identity<i_reduce<offset_of<tnodes::reduce_sum<A, S>>, S, shape_of<A>, ref_t<A>>> {};
  template <class A>
  struct instruction<tnodes::logsumexp<A>>
      : std::type_identity<i_logsumexp<offset_of<tnodes::logsumexp<A>>, shape_of<A>::size / shape_of<A>::dims.back(),
                                       shape_of<A>::dims.back(), ref_t<A>>> {};
  template <class A>
  struct instruction<tnodes::transpose<A>>
      : std::type_identity<
            i_transpose<offset_of<tnodes::transpose<A>>, shape_of<A>::dims[0], shape_of<A>::dims[1], ref_t<A>>> {};
  template <class A, class B>
  struct instruction<tnodes::matmul<A, B>>
      : std::type_identity<i_matmul<offset_of<tnodes::matmul<A, B>>, shape_of<A>::dims[0], shape_of<A>::dims[1],
                                    shape_of<B>::dims[1], ref_t<A>, ref_t<B>>> {};

  template <class X, std::size_t PH, std::size_t PW>
  struct instruction<tnodes::pad<X, PH, PW>>
      : std::type_identity<i_pad<offset_of<tnodes::pad<X, PH, PW>>, shape_of<X>::dims[0] * shape_of<X>::dims[1],
                                 shape_of<X>::dims[2], shape_of<X>::dims[3], PH, PW, ref_t<X>>> {};
  template <class X, class W, class G>
  struct instruction<tnodes::conv<X, W, G>>
      : std::type_identity<i_conv<offset_of<tnodes::conv<X, W, G>>, shape_of<X>, shape_of<W>, G, ref_t<X>, ref_t<W>>> {
  };
  template <class X, class Y, class S, class G>
  struct instruction<tnodes::conv_kernel_grad<X, Y, S, G>>
      : std::type_identity<i_conv_kernel_grad<offset_of<tnodes::conv_kernel_grad<X, Y, S, G>>, shape_of<X>, S, G,
                                              ref_t<X>, ref_t<Y>>> {};
  template <class Y, class W, class S, class G>
  struct instruction<tnodes::conv_input_grad<Y, W, S, G>>
      : std::type_identity<
            i_conv_input_grad<offset_of<tnodes::conv_input_grad<Y, W, S, G>>, S, shape_of<W>, G, ref_t<Y>, ref_t<W>>> {
  };
  template <class X, class V, class P>
  struct instruction<tnodes::max_select<X, V, P>>
      : std::type_identity<i_max_select<offset_of<tnodes::max_select<X, V, P>>, shape_of<X>, P, ref_t<X>, ref_t<V>,
                                        keeps_taps[index<tnodes::max_select<X, V, P>>::value]
                                            ? offset_of<tnodes::max_select<X, V, P>> +
                                                  aligned(shape_of<tnodes::max_select<X, V, P>>::size)
                                            : no_taps>> {};
  /// Where the arg-maxes of X's windows are kept, if the max-pooling of X
  /// runs before node `At` (it does when it is part of the loss).
  template <class X, class P, class At, class Pool = tnodes::max_select<X, X, P>>
  static constexpr std::size_t taps_before() {
    if constexpr (index<Pool>::value < index<At>::value)  // none (absent) is the largest
      return offset_of<Pool> + aligned(shape_of<Pool>::size);
    else
      return no_taps;
  }
  template <class X, class G, class P>
  struct instruction<tnodes::max_route<X, G, P>>
      : std::type_identity<i_max_route<offset_of<tnodes::max_route<X, G, P>>, shape_of<X>, P, ref_t<X>, ref_t<G>,
                                       taps_before<X, P, tnodes::max_route<X, G, P>>()>> {};
  template <class X, class P>
  struct instruction<tnodes::avg_pool<X, P>>
      : std::type_identity<i_avg_pool<offset_of<tnodes::avg_pool<X, P>>, shape_of<X>, P, ref_t<X>>> {};
  template <class G, class S, class P>
  struct instruction<tnodes::avg_unpool<G, S, P>>
      : std::type_identity<i_avg_unpool<offset_of<tnodes::avg_unpool<G, S, P>>, S, P, ref_t<G>>> {};

  template <class X>
  using instruction_t = typename instruction<X>::type;

  /// The nodes that own a slot, in order, and each node's rank among them.
  static constexpr std::size_t slot_count = [] {
    std::size_t count = 0;
    for (bool s : slotted) count += s;
    return count;
  }();
  static constexpr std::array<std::size_t, slot_count> slotted_nodes = [] {
    std::array<std::size_t, slot_count> nodes{};
    for (std::size_t j = 0, s = 0; j != n; ++j)
      if (slotted[j]) nodes[s++] = j;
    return nodes;
  }();
  static constexpr std::array<std::size_t, n> slot_rank = [] {
    std::array<std::size_t, n> rank{};
    for (std::size_t j = 0, s = 0; j != n; ++j) rank[j] = slotted[j] ? s++ : graph::none;
    return rank;
  }();

  template <class Indices>
  struct program_of;
  template <std::size_t... S>
  struct program_of<std::index_sequence<S...>> {
    using type = mp::mp_list<instruction_t<typename Graph::template node<slotted_nodes[S]>>...>;
  };
  using program = typename program_of<std::make_index_sequence<slot_count>>::type;

  /// The last instruction that reads node j (through the views and fused
  /// elementwise nodes between them), or none: users come after j, so one
  /// pass from the last node back fills it.
  static constexpr std::array<std::size_t, n> last_reader = [] {
    std::array<std::size_t, n> last{};
    for (std::size_t j = n; j-- != 0;) {
      std::size_t r = graph::none;
      const auto later = [&](std::size_t s) { r = r == graph::none || (s != graph::none && s > r) ? s : r; };
      if (slotted[j] && kinds[j] == k_leaf) later(slot_rank[j]);  // a leaf that is an output is copied
      for (std::size_t e = tables::user_offsets[j]; e != tables::user_offsets[j + 1]; ++e) {
        const std::size_t u = tables::user_edges[e].user;
        later(slotted[u] ? slot_rank[u] : last[u]);
      }
      last[j] = r;
    }
    return last;
  }();

  /// Whether the gradient Grad of parameter P (update target k) can be
  /// folded into P by the instruction producing it: that instruction kind
  /// allows it, nothing reads Grad, and neither it nor any later
  /// instruction reads P.
  template <class Grad, class P, std::size_t Target>
  static constexpr bool fusable() {
    constexpr std::size_t j = index<Grad>::value, p = index<P>::value;
    if constexpr (j == graph::none || p == graph::none || !slotted[j] || !is_tensor_leaf<P>) {
      return false;
    } else {
      constexpr std::size_t at = slot_rank[j];
      if (!can_update<mp::mp_at_c<program, at>, Target> || tables::user_count(j) != 0) return false;
      if (output_count[j] != 1) return false;  // another output is the same node
      return last_reader[p] == graph::none || last_reader[p] < at;
    }
  }

  /// The program of a training step with SGD fused: Gradients[k] of
  /// Params[k] folded into parameter k where fusable.
  template <class Gradients, class Params>
  struct fused {
    static constexpr std::size_t count = mp::mp_size<Params>::value;
    static constexpr auto flags = []<std::size_t... K>(std::index_sequence<K...>) {
      return std::array<bool, count>{fusable<mp::mp_at_c<Gradients, K>, mp::mp_at_c<Params, K>, K>()...};
    }
    (std::make_index_sequence<count>{});
    /// For each node: the update target folded into its instruction, or none.
    static constexpr std::array<std::size_t, n> target = []<class... Gr>(mp::mp_list<Gr...>) {
      std::array<std::size_t, n> t{};
      t.fill(graph::none);
      const std::size_t nodes[] = {index<Gr>::value..., 0};
      for (std::size_t k = count; k-- != 0;)  // the first of equal gradients wins, as a search would
        if (flags[k]) t[nodes[k]] = k;
      return t;
    }(Gradients{});
    template <std::size_t J, std::size_t K = target[J]>
    struct pick : std::type_identity<instruction_t<typename Graph::template node<J>>> {};
    template <std::size_t J, std::size_t K>
    requires(K != graph::none) struct pick<J, K>
        : std::type_identity<i_update<instruction_t<typename Graph::template node<J>>, K>> {
    };
    template <class Indices>
    struct program_of;
    template <std::size_t... S>
    struct program_of<std::index_sequence<S...>> {
      using type = mp::mp_list<typename pick<slotted_nodes[S]>::type...>;
    };
    using program = typename program_of<std::make_index_sequence<slot_count>>::type;
  };
};

/// Between two instructions: each loop reads its operands from memory.
/// Without it clang 14 forwards values across loops and then declines to
/// vectorise them ("value ... used outside the loop"); the workspace lives
/// in memory anyway.
CTGRAD_DETAIL_TK_INLINE void boundary() noexcept {
#if defined(__GNUC__)
  asm volatile("" ::: "memory");
#endif
}

/// Instructions run one after the other, inlined where this is called.
template <class... Instructions>
struct straight_line {
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    // Braced-list expansion: no fold-expression nesting limit.
    [[maybe_unused]] const int sequence[] = {0, (Instructions::template run<Bytes>(c), boundary(), 0)...};
  }
};

/// A piece of a program compiled as a function of its own, once per
/// instruction set.
template <class Piece>
struct out_of_line {
  template <class T>
  [[gnu::noinline]] static void run_baseline(context<T> c) noexcept {
    Piece::template run<default_vector_bytes>(c);
  }
#if CTGRAD_DETAIL_DISPATCH_AVX2
  template <class T>
  [[gnu::noinline, gnu::target("avx2")]] static void run_avx2(context<T> c) noexcept {
    Piece::template run<32>(c);
  }
#endif
};

/// Programs of more instructions than this run as out-of-line pieces of
/// this many: the optimiser's cost grows faster than linearly in the size
/// of one function (a 40-layer MLP's kernel as one function took most of
/// its compile time), and a call per piece is nothing beside the loops.
/// Shorter programs stay one inlined sequence.
inline constexpr std::size_t piece_instructions = 24;

template <class Program, std::size_t Piece,
          class = std::make_index_sequence<std::min(piece_instructions,
                                                    mp::mp_size<Program>::value - Piece * piece_instructions)>>
struct piece_of;
template <class Program, std::size_t Piece, std::size_t... I>
struct piece_of<Program, Piece, std::index_sequence<I...>> {
  using type = straight_line<mp::mp_at_c<Program, Piece * piece_instructions + I>...>;
};

template <class Program,
          class Pieces =
              std::make_index_sequence<(mp::mp_size<Program>::value + piece_instructions - 1) / piece_instructions>>
struct program_runner;

/// A short program: one sequence inlined into the call, and its copy for
/// AVX2 (without FMA, so every result is bit-identical to the SSE2 path:
/// same operations, same order, wider).
template <class... Instructions, std::size_t... Pieces>
requires(sizeof...(Instructions) <=
         piece_instructions) struct program_runner<mp::mp_list<Instructions...>, std::index_sequence<Pieces...>> {
  using program = straight_line<Instructions...>;
#if CTGRAD_DETAIL_DISPATCH_AVX2
  template <class T>
  [[gnu::target("avx2")]] static void run_avx2(context<T> c) noexcept {
    program::template run<32>(c);
  }
#endif
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
#if CTGRAD_DETAIL_DISPATCH_AVX2
    if (cpu_has_avx2) return run_avx2(c);
#endif
    program::template run<default_vector_bytes>(c);
  }
};

/// A long program: out-of-line pieces, in order.
template <class Program, std::size_t... Pieces>
requires(mp::mp_size<Program>::value >
         piece_instructions) struct program_runner<Program, std::index_sequence<Pieces...>> {
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
#if CTGRAD_DETAIL_DISPATCH_AVX2
    if (cpu_has_avx2) {
      [[maybe_unused]] const int sequence[] = {
          0, (out_of_line<typename piece_of<Program, Pieces>::type>::run_avx2(c), 0)...};
      return;
    }
#endif
    [[maybe_unused]] const int sequence[] = {
        0, (out_of_line<typename piece_of<Program, Pieces>::type>::run_baseline(c), 0)...};
  }
};

/// Where each of Names is among Bindings (their count where absent), and
/// the first that is absent (the count of Names if none): one class per
/// call, so that nothing is instantiated per leaf.
template <class Names, class Bindings>
struct name_positions;
template <class... Names, class... Bindings>
struct name_positions<mp::mp_list<Names...>, mp::mp_list<Bindings...>> {
  static constexpr std::array<std::size_t, sizeof...(Names)> value = [] {
    const std::string_view bound[] = {std::string_view(Bindings::name)..., std::string_view{}};
    std::array<std::size_t, sizeof...(Names)> positions{};
    const std::string_view names[] = {std::string_view(Names::name)..., std::string_view{}};
    for (std::size_t i = 0; i != sizeof...(Names); ++i) {
      positions[i] = sizeof...(Bindings);
      for (std::size_t k = 0; k != sizeof...(Bindings); ++k)
        if (bound[k] == names[i]) positions[i] = k;
    }
    return positions;
  }();
  static constexpr std::size_t first_absent = [] {
    for (std::size_t i = 0; i != sizeof...(Names); ++i)
      if (value[i] == sizeof...(Bindings)) return i;
    return sizeof...(Names);
  }();
};

/// Points every leaf at its binding's values and runs Program over the
/// workspace `ws`: one error if a leaf has no binding or a binding names
/// no leaf.  Keyed by the program, the leaves and the bindings only (small
/// types: numbers, formulas, names), never by the loss expression, whose
/// spelling in every emitted symbol made g++'s compile time quadratic in
/// depth.
template <class Program, class... Leaves, class T, class... Bindings>
CTGRAD_DETAIL_TK_INLINE void run_program(mp::mp_list<Leaves...>, T* ws, context<T> c,
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
/// A leaf's key in a layout: its structural hash and its shape.
template <class P>
struct leaf_key : std::integral_constant<std::uint64_t, hash_mix(tensor_hash<P>::value, shape_hash(shape_of<P>{}))> {};

template <class P, std::size_t Offset>
struct gradient_at {
  static constexpr std::uint64_t key = leaf_key<P>::value;
  static constexpr std::size_t offset = Offset;
};
template <std::size_t Elements, std::size_t LossOffset, std::size_t ValueSize, class... Gradients>
struct layout {
  static constexpr std::size_t workspace_elements = Elements;
  static constexpr std::size_t loss_offset = LossOffset;
  static constexpr std::size_t value_size = ValueSize;
  /// The offset of the gradient by the leaf with this key (none if not requested).
  static constexpr std::size_t gradient_offset(std::uint64_t key) noexcept {
    const std::uint64_t keys[] = {Gradients::key..., 0};
    const std::size_t offsets[] = {Gradients::offset..., graph::none};
    for (std::size_t k = 0; k != sizeof...(Gradients); ++k)
      if (keys[k] == key) return offsets[k];
    return graph::none;
  }
};

}  // namespace detail::tk

template <Tensor... Ps>
struct wrt_t {};
/// The tensors to differentiate by: `compile(loss, wrt(W1, b1))`.
template <Tensor... Ps>
constexpr wrt_t<Ps...> wrt(Ps...) noexcept {
  return {};
}

template <class Layout, class T>
class basic_workspace;
/// The workspace of kernel type K for element type T (`decltype(k)` may be const).
template <class K, class T>
using workspace = basic_workspace<typename std::remove_cvref_t<K>::layout, T>;

/// A compiled forward + backward pass: see `compile`.
template <class Loss, class... Params>
class tensor_kernel {
 public:
  using loss_type = Loss;
  using parameters = detail::mp::mp_list<Params...>;
  using gradient_types = detail::mp::mp_list<detail::tensor_adjoint_t<Loss, Params>...>;
  using outputs = detail::mp::mp_push_front<gradient_types, Loss>;
  using graph = detail::mp::mp_apply<detail::tensor_graph, outputs>;
  using plan = detail::tk::plan<graph, outputs>;
  using program = detail::tk::program_runner<typename plan::program>;
  using layout = detail::tk::layout<
      plan::workspace_size, plan::template offset_of<Loss>, shape_of<Loss>::size,
      detail::tk::gradient_at<Params, plan::template offset_of<detail::tensor_adjoint_t<Loss, Params>>>...>;

  /// Distinct nodes in the pass, and how many own a slot.
  static constexpr std::size_t node_count = plan::n;
  static constexpr std::size_t slot_count = detail::mp::mp_size<typename plan::program>::value;
  /// Elements of the workspace (its sizeof is this times sizeof(T), aligned).
  static constexpr std::size_t workspace_elements = plan::workspace_size;

  /// The gradient with respect to P, as an expression.
  template <Tensor P>
  static constexpr auto gradient(P) noexcept {
    return grad(Loss{}, P{});
  }

  /// Run the pass: returns the loss (for a forward-only kernel of a
  /// tensor, a span over its value); gradients are in `ws`.
  template <class T, class... Bindings>
  CTGRAD_DETAIL_TK_INLINE auto operator()(basic_workspace<layout, T>& ws, const Bindings&... bindings) const noexcept {
    detail::tk::run_program<program>(typename plan::leaves{}, ws.data(), detail::tk::context<T>{}, bindings...);
    if constexpr (shape_of<Loss>::rank == 0)
      return ws.loss();
    else
      return std::as_const(ws).value();
  }

  using fused_sgd = typename plan::template fused<gradient_types, parameters>;
  /// For each parameter (in wrt order): whether train_sgd folds its update
  /// into the instruction producing its gradient (else its gradient is in
  /// the workspace as usual, and the caller updates it).
  static constexpr std::array<bool, sizeof...(Params)> sgd_fused = fused_sgd::flags;

  /// A training step with SGD fused into the pass: for each parameter k
  /// with sgd_fused[k], p = beta * p + alpha * dL/dp is applied to
  /// targets[k] (the memory the parameter's binding points to) as the
  /// gradient is produced, and the gradient is not stored.  Returns the loss.
  template <class T, class... Bindings>
  CTGRAD_DETAIL_TK_INLINE T train_sgd(basic_workspace<layout, T>& ws, T alpha, T beta,
                                      const std::array<T*, sizeof...(Params)>& targets,
                                      const Bindings&... bindings) const noexcept {
    detail::tk::context<T> c{};
    c.updates = targets.data();
    c.alpha = alpha;
    c.beta = beta;
    detail::tk::run_program<detail::tk::program_runner<typename fused_sgd::program>>(typename plan::leaves{}, ws.data(),
                                                                                     c, bindings...);
    return ws.loss();
  }
};

/// The workspace of a kernel for element type T: every intermediate value
/// and every gradient; `sizeof` is a compile-time constant.  Own it where
/// the kernel runs (it can be large: it holds a copy of every gradient).
template <class Layout, class T>
class basic_workspace {
 public:
  T* data() noexcept { return storage_.data(); }
  const T* data() const noexcept { return storage_.data(); }

  /// The loss computed by the last call.
  T loss() const noexcept { return storage_[Layout::loss_offset]; }

  /// The value of the kernel's expression computed by the last call.
  auto value() const noexcept {
    return std::span<const T, Layout::value_size>(storage_.data() + Layout::loss_offset, Layout::value_size);
  }

  /// The gradient with respect to P computed by the last call.
  template <Tensor P>
  auto gradient(P) const noexcept {
    constexpr std::size_t offset = Layout::gradient_offset(detail::tk::leaf_key<P>::value);
    if constexpr (offset == graph::none) {
      (void)error::gradient_not_requested<decltype(detail::spelled_tensor<P::name>())>{};
      return std::span<const T, shape_of<P>::size>(storage_.data(), shape_of<P>::size);
    } else {
      return std::span<const T, shape_of<P>::size>(storage_.data() + offset, shape_of<P>::size);
    }
  }

 private:
  alignas(64) std::array<T, Layout::workspace_elements> storage_{};
};

namespace detail::tk {
template <class Loss, class P>
concept differentiable_by = is_tensor_leaf<P> && graph::contains<tensor_graph<Loss>, P>;

/// One error per tensor of wrt(...) the loss cannot be differentiated by.
template <class Loss, class P>
constexpr int report_wrt() noexcept {
  if constexpr (!is_tensor_leaf<P>)
    (void)error::differentiate_by_leaf<P>{};
  else if constexpr (!graph::contains<tensor_graph<Loss>, P>)
    (void)error::not_in_the_loss<decltype(spelled_tensor<P::name>())>{};
  return 0;
}
}  // namespace detail::tk

/// Compile the forward and backward pass of a scalar loss with respect to
/// the given parameters (and/or inputs).
template <Tensor Loss, Tensor... Params>
constexpr auto compile(Loss, wrt_t<Params...>) noexcept {
  if constexpr (shape_of<Loss>::rank != 0) {
    (void)error::not_a_scalar_loss<Loss>{};
    return tensor_kernel<detail::shape_error_result>{};
  } else if constexpr (!detail::all_of<detail::tk::differentiable_by<Loss, Params>...>) {
    (void)std::array<int, sizeof...(Params)>{detail::tk::report_wrt<Loss, Params>()...};
    return tensor_kernel<detail::shape_error_result>{};
  } else {
    return tensor_kernel<Loss, Params...>{};
  }
}

/// Compile the evaluation of a tensor expression of any shape (no
/// gradients): `predict`.  Call it like a kernel; it returns a span over
/// the value, which lives in the workspace.
template <Tensor E>
constexpr auto compile_forward(E) noexcept {
  return tensor_kernel<E>{};
}

}  // namespace ctgrad
