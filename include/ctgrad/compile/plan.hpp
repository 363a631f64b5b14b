// ctgrad/compile/plan.hpp — the plan of a tensor kernel, made at compile time
// from the graph of {loss, d loss/d p...} (graph/):
//   1. which nodes get a slot in the workspace: products, reductions and
//      outputs always; an elementwise node unless its one user is
//      elementwise too (then it is computed inside its user's loop: chains
//      of elementwise nodes fuse into one loop); views (broadcast,
//      transpose, reshape) and literals never;
//   2. the workspace layout (offsets, scratch, kept arg-maxes);
//   3. each node as a *reference* (how to read element i) and each slotted
//      node as an *instruction* (instructions.hpp, window_instructions.hpp):
//      small types of numbers and formulas, so no emitted symbol spells out
//      the graph;
//   4. the SGD-fused variant of the program.
// Every question about a node is a lookup in integer tables by its index.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "../rules/tensor.hpp"
#include "instructions.hpp"
#include "window_instructions.hpp"

namespace ctgrad {
namespace detail::tk {

/// How the plan treats a node: a leaf (bound at run time), a literal
/// fill, an elementwise formula (fused into its user's loop when it can
/// be), a view (an index mapping, no loop), a reduction, a matrix product,
/// or a window operation (convolution, pooling).
enum class kind { leaf, fill, elementwise, view, reduce, matmul, window };

template <class T>
struct kind_s : std::integral_constant<kind, kind::leaf> {};
template <class C, class S>
struct kind_s<tnodes::fill<C, S>> : std::integral_constant<kind, kind::fill> {};
template <class F, class S, class... A>
struct kind_s<tnodes::ew<F, S, A...>> : std::integral_constant<kind, kind::elementwise> {};
template <class A, class S>
struct kind_s<tnodes::broadcast<A, S>> : std::integral_constant<kind, kind::view> {};
template <class A>
struct kind_s<tnodes::transpose<A>> : std::integral_constant<kind, kind::view> {};
template <class A, class S>
struct kind_s<tnodes::reshape<A, S>> : std::integral_constant<kind, kind::view> {};
template <class A, class S>
struct kind_s<tnodes::reduce_sum<A, S>> : std::integral_constant<kind, kind::reduce> {};
template <class A>
struct kind_s<tnodes::logsumexp<A>> : std::integral_constant<kind, kind::reduce> {};
template <class A, class B>
struct kind_s<tnodes::matmul<A, B>> : std::integral_constant<kind, kind::matmul> {};
template <class X, std::size_t PH, std::size_t PW>
struct kind_s<tnodes::pad<X, PH, PW>> : std::integral_constant<kind, kind::view> {};
template <class X, std::size_t PH, std::size_t PW>
struct kind_s<tnodes::crop<X, PH, PW>> : std::integral_constant<kind, kind::view> {};
template <class X, class W, class G>
struct kind_s<tnodes::conv<X, W, G>> : std::integral_constant<kind, kind::window> {};
template <class X, class Y, class S, class G>
struct kind_s<tnodes::conv_kernel_grad<X, Y, S, G>> : std::integral_constant<kind, kind::window> {};
template <class Y, class W, class S, class G>
struct kind_s<tnodes::conv_input_grad<Y, W, S, G>> : std::integral_constant<kind, kind::window> {};
template <class X, class V, class P>
struct kind_s<tnodes::max_select<X, V, P>> : std::integral_constant<kind, kind::window> {};
template <class X, class G, class P>
struct kind_s<tnodes::max_route<X, G, P>> : std::integral_constant<kind, kind::window> {};
template <class X, class P>
struct kind_s<tnodes::avg_pool<X, P>> : std::integral_constant<kind, kind::window> {};
template <class G, class S, class P>
struct kind_s<tnodes::avg_unpool<G, S, P>> : std::integral_constant<kind, kind::window> {};

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

  static constexpr std::array<kind, n> kinds{kind_s<Ts>::value...};
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
    const kind user_kind = kinds[tables::first_user(j).user];
    return user_kind == kind::elementwise || user_kind == kind::reduce;
  }
  /// Whether node j is the right operand of a product with at least
  /// pack_rows rows: then it is packed (copied transposed) once, so that
  /// the product streams contiguous rows.
  static constexpr bool packed_right_operand(std::size_t j) {
    for (std::size_t e = tables::user_offsets[j]; e != tables::user_offsets[j + 1]; ++e) {
      const graph::edge use = tables::user_edges[e];
      if (kinds[use.user] == kind::matmul && use.position == 1 && rows[use.user] >= pack_rows) return true;
    }
    return false;
  }
  /// Whether a convolution or pooling reads node j (a padded input is then
  /// materialised once, so that the loops read rows without bounds checks).
  static constexpr bool read_by_window(std::size_t j) {
    for (std::size_t e = tables::user_offsets[j]; e != tables::user_offsets[j + 1]; ++e)
      if (kinds[tables::user_edges[e].user] == kind::window) return true;
    return false;
  }

  static constexpr std::array<bool, n> is_transpose{is_transpose_s<Ts>::value...};
  static constexpr std::array<bool, n> is_pad{is_pad_s<Ts>::value...};
  static constexpr std::array<bool, n> slotted = [] {
    std::array<bool, n> result{};
    for (std::size_t j = 0; j != n; ++j) {
      const kind k = kinds[j];
      result[j] = output_count[j] != 0 || (is_transpose[j] && packed_right_operand(j)) ||
                  (is_pad[j] && read_by_window(j)) || k == kind::reduce || k == kind::matmul || k == kind::window ||
                  (k == kind::elementwise && !fused_into_user(j));
    }
    return result;
  }();
  template <class X>
  using has_slot = std::bool_constant<slotted[index<X>::value]>;

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

  /// Where node X's slot starts (types, not variable templates: a
  /// variable per node would be a symbol named after the graph).
  template <class X>
  using offset_of = std::integral_constant<std::size_t, offsets[index<X>::value]>;

  // How to read a node.
  template <class X, bool Slotted = has_slot<X>::value>
  struct ref;
  template <class X>
  using ref_t = typename ref<X>::type;

  template <class X>
  struct ref<X, true> : std::type_identity<r_slot<offset_of<X>::value>> {};
  template <class X>
  requires(kind_s<X>::value == kind::leaf) struct ref<X, false>
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
  struct instruction : std::type_identity<i_map<offset_of<X>::value, shape_of<X>::size, typename ref<X, false>::type>> {
  };
  template <class F, class S, class... A>
  struct instruction<tnodes::ew<F, S, A...>>
      : std::type_identity<i_map<offset_of<tnodes::ew<F, S, A...>>::value, S::size, r_ew<F, ref_t<A>...>>> {};
  template <class A, class S>
  struct instruction<tnodes::reduce_sum<A, S>>
      : std::type_identity<i_reduce<offset_of<tnodes::reduce_sum<A, S>>::value, S, shape_of<A>, ref_t<A>>> {};
  template <class A>
  struct instruction<tnodes::logsumexp<A>>
      : std::type_identity<
            i_logsumexp<offset_of<tnodes::logsumexp<A>>::value, shape_of<A>::size / shape_of<A>::dims.back(),
                        shape_of<A>::dims.back(), ref_t<A>>> {};
  template <class A>
  struct instruction<tnodes::transpose<A>>
      : std::type_identity<
            i_transpose<offset_of<tnodes::transpose<A>>::value, shape_of<A>::dims[0], shape_of<A>::dims[1], ref_t<A>>> {
  };
  template <class A, class B>
  struct instruction<tnodes::matmul<A, B>>
      : std::type_identity<i_matmul<offset_of<tnodes::matmul<A, B>>::value, shape_of<A>::dims[0], shape_of<A>::dims[1],
                                    shape_of<B>::dims[1], ref_t<A>, ref_t<B>>> {};

  template <class X, std::size_t PH, std::size_t PW>
  struct instruction<tnodes::pad<X, PH, PW>>
      : std::type_identity<i_pad<offset_of<tnodes::pad<X, PH, PW>>::value, shape_of<X>::dims[0] * shape_of<X>::dims[1],
                                 shape_of<X>::dims[2], shape_of<X>::dims[3], PH, PW, ref_t<X>>> {};
  template <class X, class W, class G>
  struct instruction<tnodes::conv<X, W, G>>
      : std::type_identity<
            i_conv<offset_of<tnodes::conv<X, W, G>>::value, shape_of<X>, shape_of<W>, G, ref_t<X>, ref_t<W>>> {};
  template <class X, class Y, class S, class G>
  struct instruction<tnodes::conv_kernel_grad<X, Y, S, G>>
      : std::type_identity<i_conv_kernel_grad<offset_of<tnodes::conv_kernel_grad<X, Y, S, G>>::value, shape_of<X>, S, G,
                                              ref_t<X>, ref_t<Y>>> {};
  template <class Y, class W, class S, class G>
  struct instruction<tnodes::conv_input_grad<Y, W, S, G>>
      : std::type_identity<i_conv_input_grad<offset_of<tnodes::conv_input_grad<Y, W, S, G>>::value, S, shape_of<W>, G,
                                             ref_t<Y>, ref_t<W>>> {};
  template <class X, class V, class P>
  struct instruction<tnodes::max_select<X, V, P>>
      : std::type_identity<i_max_select<
            offset_of<tnodes::max_select<X, V, P>>::value, shape_of<X>, P, ref_t<X>, ref_t<V>,
            keeps_taps[index<tnodes::max_select<X, V, P>>::value]
                ? offset_of<tnodes::max_select<X, V, P>>::value + aligned(shape_of<tnodes::max_select<X, V, P>>::size)
                : no_taps>> {};
  /// Where the arg-maxes of X's windows are kept, if the max-pooling of X
  /// runs before node `At` (it does when it is part of the loss).
  template <class X, class P, class At, class Pool = tnodes::max_select<X, X, P>>
  static constexpr std::size_t taps_before() {
    if constexpr (index<Pool>::value < index<At>::value)  // none (absent) is the largest
      return offset_of<Pool>::value + aligned(shape_of<Pool>::size);
    else
      return no_taps;
  }
  template <class X, class G, class P>
  struct instruction<tnodes::max_route<X, G, P>>
      : std::type_identity<i_max_route<offset_of<tnodes::max_route<X, G, P>>::value, shape_of<X>, P, ref_t<X>, ref_t<G>,
                                       taps_before<X, P, tnodes::max_route<X, G, P>>()>> {};
  template <class X, class P>
  struct instruction<tnodes::avg_pool<X, P>>
      : std::type_identity<i_avg_pool<offset_of<tnodes::avg_pool<X, P>>::value, shape_of<X>, P, ref_t<X>>> {};
  template <class G, class S, class P>
  struct instruction<tnodes::avg_unpool<G, S, P>>
      : std::type_identity<i_avg_unpool<offset_of<tnodes::avg_unpool<G, S, P>>::value, S, P, ref_t<G>>> {};

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

  /// The program: Pick<j>::type for every slotted node j, in order.
  template <template <std::size_t> class Pick, class = std::make_index_sequence<slot_count>>
  struct program_of;
  template <template <std::size_t> class Pick, std::size_t... S>
  struct program_of<Pick, std::index_sequence<S...>> {
    using type = mp::mp_list<typename Pick<slotted_nodes[S]>::type...>;
  };
  template <std::size_t J>
  using instruction_at = instruction<typename Graph::template node<J>>;
  using program = typename program_of<instruction_at>::type;

  /// The last instruction that reads node j (through the views and fused
  /// elementwise nodes between them), or none: users come after j, so one
  /// pass from the last node back fills it.
  static constexpr std::array<std::size_t, n> last_reader = [] {
    std::array<std::size_t, n> last{};
    for (std::size_t j = n; j-- != 0;) {
      std::size_t r = graph::none;
      const auto later = [&](std::size_t s) { r = r == graph::none || (s != graph::none && s > r) ? s : r; };
      if (slotted[j] && kinds[j] == kind::leaf) later(slot_rank[j]);  // a leaf that is an output is copied
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
  /// (A class template, not a function: a function per parameter would be
  /// a symbol named after the graph.)
  template <class Grad, class P, std::size_t Target, std::size_t J = index<Grad>::value,
            std::size_t Leaf = index<P>::value>
  struct fusable : std::false_type {};  // not a slotted node of this pass, or not a leaf
  template <class Grad, class P, std::size_t Target, std::size_t J, std::size_t Leaf>
  requires(J != graph::none && Leaf != graph::none && slotted[J] &&
           is_tensor_leaf<P>) struct fusable<Grad, P, Target, J, Leaf>
      : std::bool_constant<can_update<mp::mp_at_c<program, slot_rank[J]>, Target> && tables::user_count(J) == 0 &&
                           output_count[J] == 1 &&  // else another output is the same node
                           (last_reader[Leaf] == graph::none || last_reader[Leaf] < slot_rank[J])> {
  };

  /// The program of a training step with SGD fused: Gradients[k] of
  /// Params[k] folded into parameter k where fusable.
  template <class Gradients, class Params>
  struct fused {
    static constexpr std::size_t count = mp::mp_size<Params>::value;
    static constexpr auto flags = []<std::size_t... K>(std::index_sequence<K...>) {
      return std::array<bool, count>{fusable<mp::mp_at_c<Gradients, K>, mp::mp_at_c<Params, K>, K>::value...};
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
    template <std::size_t J>
    using pick_at = pick<J>;
    using program = typename program_of<pick_at>::type;
  };
};

}  // namespace detail::tk
}  // namespace ctgrad
