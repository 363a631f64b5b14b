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

#include "../expr/scan.hpp"
#include "../rules/tensor.hpp"
#include "instructions.hpp"
#include "scan_instructions.hpp"
#include "window_instructions.hpp"

namespace ctgrad {
namespace detail::tk {

/// How the plan treats a node: a leaf (bound at run time), a literal
/// fill, an elementwise formula (fused into its user's loop when it can
/// be), a view (an index mapping, no loop), a reduction, a matrix product,
/// a window operation (convolution, pooling), or a scan over time and its
/// reverse.
enum class kind { leaf, fill, elementwise, view, reduce, matmul, window, scan };

/// A product A * Y^T with at least this many rows in A packs Y^T first;
/// below, it takes dot products of rows of A and Y (no copy).
inline constexpr std::size_t pack_rows = 8;

/// Everything the plan asks of one node before choosing slots, as one
/// value: one class per node (info_of), where a trait per question was
/// seven.
struct node_info {
  kind k = kind::leaf;
  std::size_t rows = 0;  // of a product's left operand
  bool is_transpose = false;
  bool is_pad = false;
  std::uint64_t pool = 0;   // a max-pooling of X by P: the key of its windows
  std::uint64_t route = 0;  // a routing through a max-pooling: the same key
  std::size_t scratch = 0;  // workspace a window operation needs after its output
};

template <class T>
struct info_of : std::integral_constant<node_info, node_info{}> {};  // a leaf
template <node_info Info>
using info_is = std::integral_constant<node_info, Info>;

template <class C, class S>
struct info_of<tnodes::fill<C, S>> : info_is<node_info{.k = kind::fill}> {};
template <class F, class S, class... A>
struct info_of<tnodes::ew<F, S, A...>> : info_is<node_info{.k = kind::elementwise}> {};
template <class A, class S>
struct info_of<tnodes::broadcast<A, S>> : info_is<node_info{.k = kind::view}> {};
template <class A>
struct info_of<tnodes::transpose<A>> : info_is<node_info{.k = kind::view, .is_transpose = true}> {};
template <class A, class S>
struct info_of<tnodes::reshape<A, S>> : info_is<node_info{.k = kind::view}> {};
template <class A, class S>
struct info_of<tnodes::reduce_sum<A, S>> : info_is<node_info{.k = kind::reduce}> {};
template <class A>
struct info_of<tnodes::logsumexp<A>> : info_is<node_info{.k = kind::reduce}> {};
template <class A, class B>
struct info_of<tnodes::matmul<A, B>> : info_is<node_info{.k = kind::matmul, .rows = shape_of<A>::dims[0]}> {};
template <class X, std::size_t PH, std::size_t PW>
struct info_of<tnodes::pad<X, PH, PW>> : info_is<node_info{.k = kind::view, .is_pad = true}> {};
template <class X, std::size_t PH, std::size_t PW>
struct info_of<tnodes::crop<X, PH, PW>> : info_is<node_info{.k = kind::view}> {};
template <class X, std::size_t Begin, std::size_t Count>
struct info_of<tnodes::slice<X, Begin, Count>> : info_is<node_info{.k = kind::view}> {};
template <class X, std::size_t Begin, std::size_t N>
struct info_of<tnodes::embed<X, Begin, N>> : info_is<node_info{.k = kind::view}> {};
template <class X, class W, class G>
struct info_of<tnodes::conv<X, W, G>>
    : info_is<node_info{.k = kind::window, .scratch = conv_extents<shape_of<X>, shape_of<W>, G>::scratch}> {};
template <class X, class Y, class S, class G>
struct info_of<tnodes::conv_kernel_grad<X, Y, S, G>>
    : info_is<node_info{.k = kind::window, .scratch = conv_extents<shape_of<X>, S, G>::scratch}> {};
template <class Y, class W, class S, class G>
struct info_of<tnodes::conv_input_grad<Y, W, S, G>>
    : info_is<node_info{.k = kind::window, .scratch = conv_extents<S, shape_of<W>, G>::scratch}> {};
/// A max-pooling of X by P and the routing through it share the key of
/// their windows (so the pooling keeps its arg-maxes for the routing).
template <class X, class V, class P>
struct info_of<tnodes::max_select<X, V, P>> : info_is<node_info{.k = kind::window}> {};
template <class X, class P>
struct info_of<tnodes::max_select<X, X, P>>
    : info_is<node_info{.k = kind::window, .pool = hash_mix(tensor_hash<X>::value, geometry_hash(P{}))}> {};
template <class X, class G, class P>
struct info_of<tnodes::max_route<X, G, P>>
    : info_is<node_info{.k = kind::window, .route = hash_mix(tensor_hash<X>::value, geometry_hash(P{}))}> {};
template <class X, class P>
struct info_of<tnodes::avg_pool<X, P>> : info_is<node_info{.k = kind::window}> {};
template <class G, class S, class P>
struct info_of<tnodes::avg_unpool<G, S, P>> : info_is<node_info{.k = kind::window}> {};

/// One field of every node's info, as an array (a function of the field
/// and a size, never of a node type).
template <auto Field, std::size_t N>
constexpr auto field_of(const std::array<node_info, N>& info) noexcept {
  std::array<std::remove_cvref_t<decltype(node_info{}.*Field)>, N> values{};
  for (std::size_t i = 0; i != N; ++i) values[i] = info[i].*Field;
  return values;
}

// ---------------------------------------------------------------------------
// The plan's arithmetic, as function templates over sizes and integer
// tables (a lambda or member function of the plan, a class named after the
// graph, would be a symbol whose name spells out every node).

/// How many times each of N nodes is among the outputs.
template <std::size_t N, std::size_t K>
constexpr std::array<std::size_t, N> occurrences(const std::array<std::size_t, K>& outputs) noexcept {
  std::array<std::size_t, N> count{};
  for (std::size_t j : outputs) ++count[j];
  return count;
}

/// What the plan knows of each node before choosing slots.
template <std::size_t N, std::size_t U>
struct node_facts {
  std::array<kind, N> kinds;
  std::array<std::size_t, N> rows;  // of a product's left operand (else 0)
  std::array<std::size_t, N> output_count;
  std::array<bool, N> is_transpose, is_pad;
  std::array<std::size_t, N + 1> user_offsets;
  std::array<graph::edge, U> user_edges;
};

/// Which nodes own a workspace slot: outputs, products, reductions, scans
/// and window operations always; an elementwise node unless its only user
/// reads it element by element (then it is computed inside that user's
/// loop); a transpose that is the right operand of a product of at least
/// pack_rows rows (packed once, so that the product streams rows); a
/// padding read by a window operation (materialised once, so that the loops
/// need no bounds checks).  Views and literals never.
template <std::size_t N, std::size_t U>
constexpr std::array<bool, N> slotted_of(const node_facts<N, U>& f) noexcept {
  std::array<bool, N> result{};
  for (std::size_t j = 0; j != N; ++j) {
    bool fused_into_user = false, packed_right_operand = false, read_by_window = false;
    if (f.user_offsets[j + 1] - f.user_offsets[j] == 1) {
      const kind user = f.kinds[f.user_edges[f.user_offsets[j]].user];
      fused_into_user = user == kind::elementwise || user == kind::reduce;
    }
    for (std::size_t e = f.user_offsets[j]; e != f.user_offsets[j + 1]; ++e) {
      const graph::edge use = f.user_edges[e];
      packed_right_operand = packed_right_operand ||
                             (f.kinds[use.user] == kind::matmul && use.position == 1 && f.rows[use.user] >= pack_rows);
      read_by_window = read_by_window || f.kinds[use.user] == kind::window;
    }
    const kind k = f.kinds[j];
    result[j] = f.output_count[j] != 0 || (f.is_transpose[j] && packed_right_operand) ||
                (f.is_pad[j] && read_by_window) || k == kind::reduce || k == kind::matmul || k == kind::window ||
                k == kind::scan || (k == kind::elementwise && !fused_into_user);
  }
  return result;
}

/// Whether each max-pooling keeps the arg-max of each window (when a
/// routing of the same windows is among the nodes): pools[j] and routes[j]
/// are node j's window keys (0: none).
template <std::size_t N>
constexpr std::array<bool, N> keeps_taps_of(const std::array<std::uint64_t, N>& pools,
                                            const std::array<std::uint64_t, N>& routes) noexcept {
  std::array<bool, N> keeps{};
  for (std::size_t j = 0; j != N; ++j)
    if (pools[j] != 0)
      for (std::size_t u = 0; u != N; ++u) keeps[j] = keeps[j] || routes[u] == pools[j];
  return keeps;
}

/// The packed outputs (a training kernel's gradients, in the order of
/// wrt(...)): output k is at offsets[k], one after the other from the
/// workspace's start with no padding between them, so that together they
/// are one flat span laid out like the parameters.  Output k's node is
/// computed in place there (pinned) when it can be: it is not an earlier
/// packed output too, and it keeps nothing after its values (scratch, the
/// arg-maxes of a pooling); otherwise it has a slot as any node, and a
/// copy into place ends the program.
template <std::size_t K>
struct packing {
  std::array<std::size_t, K> node{};        ///< output k's node
  std::array<std::size_t, K + 1> offset{};  ///< output k's place (offset[K]: the packed size)
  std::array<bool, K> pinned{};             ///< computed in place (else copied there)
};
template <std::size_t N, std::size_t K>
constexpr packing<K> packing_of(const std::array<std::size_t, K>& nodes, const std::array<std::size_t, N>& sizes,
                                const std::array<bool, N>& keeps_taps,
                                const std::array<std::size_t, N>& scratch) noexcept {
  packing<K> p;
  for (std::size_t k = 0; k != K; ++k) {
    const std::size_t j = nodes[k];
    bool earlier = false;
    for (std::size_t i = 0; i != k; ++i) earlier = earlier || nodes[i] == j;
    p.node[k] = j;
    p.offset[k + 1] = p.offset[k] + sizes[j];
    p.pinned[k] = !earlier && !keeps_taps[j] && scratch[j] == 0;
  }
  return p;
}

/// Where each slot starts (offsets[N]: the workspace's size): the packed
/// outputs first, then every other slot in order, aligned; a slot holds
/// the node's values (twice over when taps are kept after them) and its
/// scratch.
template <std::size_t N, std::size_t K>
constexpr std::array<std::size_t, N + 1> slot_offsets(const std::array<bool, N>& slotted,
                                                      const std::array<bool, N>& keeps_taps,
                                                      const std::array<std::size_t, N>& sizes,
                                                      const std::array<std::size_t, N>& scratch,
                                                      const packing<K>& packed) noexcept {
  std::array<std::size_t, N + 1> result{};
  std::array<std::size_t, N> pin{};  // the packed output node i is computed as (K: none)
  pin.fill(K);
  for (std::size_t k = 0; k != K; ++k)
    if (packed.pinned[k]) pin[packed.node[k]] = k;
  std::size_t end = aligned_size(packed.offset[K]);
  for (std::size_t i = 0; i != N; ++i) {
    if (pin[i] != K) {
      result[i] = packed.offset[pin[i]];
    } else {
      result[i] = end;
      if (slotted[i]) end += aligned_size(sizes[i]) * (keeps_taps[i] ? 2 : 1) + aligned_size(scratch[i]);
    }
  }
  result[N] = end;
  return result;
}

/// The last instruction (rank among slotted nodes) that reads node j
/// through the views and fused elementwise nodes between them, or none:
/// users come after j, so one pass from the last node back fills it.
template <std::size_t N, std::size_t U>
constexpr std::array<std::size_t, N> last_readers(const node_facts<N, U>& f, const std::array<bool, N>& slotted,
                                                  const std::array<std::size_t, N>& slot_rank) noexcept {
  std::array<std::size_t, N> last{};
  for (std::size_t j = N; j-- != 0;) {
    std::size_t r = graph::none;
    const auto later = [&](std::size_t s) { r = r == graph::none || (s != graph::none && s > r) ? s : r; };
    if (slotted[j] && f.kinds[j] == kind::leaf) later(slot_rank[j]);  // a leaf that is an output is copied
    for (std::size_t e = f.user_offsets[j]; e != f.user_offsets[j + 1]; ++e) {
      const std::size_t u = f.user_edges[e].user;
      later(slotted[u] ? slot_rank[u] : last[u]);
    }
    last[j] = r;
  }
  return last;
}

/// For each of N nodes, the update target folded into its instruction, or
/// none: gradient k (node nodes[k]) where flags[k]; the first of equal
/// gradients wins.
template <std::size_t N, std::size_t K>
constexpr std::array<std::size_t, N> update_targets(const std::array<bool, K>& flags,
                                                    const std::array<std::size_t, K>& nodes) noexcept {
  std::array<std::size_t, N> t{};
  t.fill(graph::none);
  for (std::size_t k = K; k-- != 0;)
    if (flags[k]) t[nodes[k]] = k;
  return t;
}

/// What the plan needs to know of every node, as integer arrays: the one
/// class specialised on the node pack.  (A class with member templates
/// must not be: g++ hashes a class's template arguments, the whole pack,
/// for every instantiation of one of its members, which is O(N) per node.)
template <class Graph, class Outputs, class Packed, class Nodes = typename Graph::nodes>
struct node_table;
template <class Graph, class... Outputs, class... Packed, class... Ts>
struct node_table<Graph, mp::mp_list<Outputs...>, mp::mp_list<Packed...>, mp::mp_list<Ts...>> {
  static constexpr std::size_t n = sizeof...(Ts);
  using tables = graph::tables<Graph>;
  static constexpr std::array<node_info, n> info{info_of<Ts>::value...};
  static constexpr node_facts<n, tables::user_offsets[n]> facts{
      field_of<&node_info::k>(info),
      field_of<&node_info::rows>(info),
      occurrences<n>(std::array<std::size_t, sizeof...(Outputs)>{graph::index_of<Graph, Outputs>::value...}),
      field_of<&node_info::is_transpose>(info),
      field_of<&node_info::is_pad>(info),
      tables::user_offsets,
      tables::user_edges};
  static constexpr std::array<std::uint64_t, n> pools = field_of<&node_info::pool>(info);
  static constexpr std::array<std::uint64_t, n> routes = field_of<&node_info::route>(info);
  static constexpr std::array<std::size_t, n> sizes{shape_of<Ts>::size...};
  static constexpr std::array<std::size_t, n> scratch = field_of<&node_info::scratch>(info);
  static constexpr std::array<std::size_t, sizeof...(Packed)> packed_nodes{graph::index_of<Graph, Packed>::value...};
};

/// Which parameters a plan's SGD-fused program updates in place, and
/// where: flags[k] for parameter k, and for each node the update target
/// folded into its instruction (none).
template <class Plan, class Gradients, class Params, class = std::make_index_sequence<mp::mp_size<Params>::value>>
struct fused_table;
template <class Plan, class... Gr, class... Ps, std::size_t... K>
struct fused_table<Plan, mp::mp_list<Gr...>, mp::mp_list<Ps...>, std::index_sequence<K...>> {
  static constexpr std::array<bool, sizeof...(K)> flags{Plan::template fusable<Gr, Ps, K>::value...};
  static constexpr std::array<std::size_t, Plan::n> target = update_targets<Plan::n, sizeof...(K)>(
      flags, {(Plan::template index<Gr>::value == graph::none ? 0 : Plan::template index<Gr>::value)...});
};

/// The programs of a scan's body, forward and backward (after plan).
template <class Scan>
struct scan_programs;

/// The plan of graph Graph (every node of the pass, in topological order) whose
/// results are Outputs (an mp_list), of which Packed (an mp_list) are laid
/// out one after the other at the workspace's start (see packing): which
/// nodes own a slot, where, and what computes them.  Every question about
/// a node is a table lookup by its index.
template <class Graph, class Outputs, class Packed = mp::mp_list<>>
struct plan {
  using table = node_table<Graph, Outputs, Packed>;
  static constexpr std::size_t n = table::n;
  using tables = graph::tables<Graph>;

  /// The slot of X, any type (none if it is not a node of the graph).
  template <class X>
  using index = graph::index_of<Graph, X>;
  /// The slot of X, a node of the graph: found by its hash alone (index
  /// also checks that the node there is X, a lookup of log2(n) classes).
  template <class X>
  using node_index = graph::index_of_node<Graph, X>;

  static constexpr const auto& facts = table::facts;
  static constexpr const std::array<kind, n>& kinds = facts.kinds;
  /// How many of the outputs node j is (a gradient may equal another).
  static constexpr const std::array<std::size_t, n>& output_count = facts.output_count;

  static constexpr std::array<bool, n> slotted = slotted_of(facts);
  template <class X>
  using has_slot = std::bool_constant<slotted[node_index<X>::value]>;

  /// A max-pooling that the backward pass routes through keeps the arg-max
  /// of each window after its value (the tap, as bits), so that routing
  /// does not compare again; a forward-only pass does not store them.
  static constexpr std::array<bool, n> keeps_taps = keeps_taps_of<n>(table::pools, table::routes);

  static constexpr std::size_t packed_count = table::packed_nodes.size();
  static constexpr packing<packed_count> packed =
      packing_of<n>(table::packed_nodes, table::sizes, keeps_taps, table::scratch);

  static constexpr std::array<std::size_t, n + 1> offsets =
      slot_offsets<n>(slotted, keeps_taps, table::sizes, table::scratch, packed);
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
  using offset_of = std::integral_constant<std::size_t, offsets[node_index<X>::value]>;

  // How to read a node.
  template <class X, bool Slotted = has_slot<X>::value>
  struct ref;
  template <class X>
  using ref_t = typename ref<X>::type;

  template <class X>
  struct ref<X, true> : std::type_identity<r_slot<offset_of<X>::value>> {};
  template <class X>
  requires(info_of<X>::value.k == kind::leaf) struct ref<X, false>
      : std::type_identity<r_leaf<tables::leaf_rank[node_index<X>::value]>> {
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
  template <class X, std::size_t Begin, std::size_t Count>
  struct ref<tnodes::slice<X, Begin, Count>, false>
      : std::type_identity<r_slice<ref_t<X>, shape_of<X>::dims.back(), Begin, Count>> {};
  template <class X, std::size_t Begin, std::size_t N>
  struct ref<tnodes::embed<X, Begin, N>, false>
      : std::type_identity<r_embed<ref_t<X>, shape_of<X>::dims.back(), Begin, N>> {};

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
      : std::type_identity<
            i_max_select<offset_of<tnodes::max_select<X, V, P>>::value, shape_of<X>, P, ref_t<X>, ref_t<V>,
                         keeps_taps[node_index<tnodes::max_select<X, V, P>>::value]
                             ? offset_of<tnodes::max_select<X, V, P>>::value +
                                   aligned_size(shape_of<tnodes::max_select<X, V, P>>::size)
                             : no_taps>> {};
  /// Where the arg-maxes of the pooling Pool's windows are kept, if it
  /// runs before node `At` (it does when it is part of the loss).
  template <class Pool, class At, bool = (index<Pool>::value < index<At>::value)>  // none (absent) is the largest
  struct taps_before : std::integral_constant<std::size_t, no_taps> {};
  template <class Pool, class At>
  struct taps_before<Pool, At, true>
      : std::integral_constant<std::size_t, offset_of<Pool>::value + aligned_size(shape_of<Pool>::size)> {};
  template <class X, class G, class P>
  struct instruction<tnodes::max_route<X, G, P>>
      : std::type_identity<i_max_route<offset_of<tnodes::max_route<X, G, P>>::value, shape_of<X>, P, ref_t<X>, ref_t<G>,
                                       taps_before<tnodes::max_select<X, X, P>, tnodes::max_route<X, G, P>>::value>> {};
  template <class X, class P>
  struct instruction<tnodes::avg_pool<X, P>>
      : std::type_identity<i_avg_pool<offset_of<tnodes::avg_pool<X, P>>::value, shape_of<X>, P, ref_t<X>>> {};
  template <class G, class S, class P>
  struct instruction<tnodes::avg_unpool<G, S, P>>
      : std::type_identity<i_avg_unpool<offset_of<tnodes::avg_unpool<G, S, P>>::value, S, P, ref_t<G>>> {};

  template <class X, class H0, class Body, class... Free>
  struct instruction<tnodes::scan<X, H0, Body, Free...>> {
    using node = tnodes::scan<X, H0, Body, Free...>;
    using programs = scan_programs<node>;
    using type = i_scan<offset_of<node>::value, typename programs::extents, ref_t<X>, ref_t<H0>,
                        typename programs::forward, mp::mp_list<ref_t<Free>...>>;
  };
  template <class X, class H0, class Body, class... Free, class G>
  struct instruction<tnodes::scan_grad<tnodes::scan<X, H0, Body, Free...>, G>> {
    using scan = tnodes::scan<X, H0, Body, Free...>;
    using programs = scan_programs<scan>;
    using type = i_scan_grad<offset_of<tnodes::scan_grad<scan, G>>::value, typename programs::extents, ref_t<X>,
                             ref_t<H0>, ref_t<scan>, ref_t<G>, typename programs::backward, mp::mp_list<ref_t<Free>...>,
                             std::index_sequence<shape_of<Free>::size...>>;
  };

  template <class X>
  using instruction_t = typename instruction<X>::type;

  /// The nodes that own a slot, in order, and each node's rank among them.
  static constexpr std::size_t slot_count = graph::count_true(slotted);
  static constexpr std::array<std::size_t, slot_count> slotted_nodes =
      graph::positions_where<slot_count>(slotted, true);
  static constexpr std::array<std::size_t, n> slot_rank = graph::ranks_where(slotted);

  /// The program: Pick<j>::type for every slotted node j, in order.
  template <template <std::size_t> class Pick, class = std::make_index_sequence<slot_count>>
  struct program_of;
  template <template <std::size_t> class Pick, std::size_t... S>
  struct program_of<Pick, std::index_sequence<S...>> {
    using type = mp::mp_list<typename Pick<slotted_nodes[S]>::type...>;
  };
  /// The packed outputs that are not computed in place, copied there at
  /// the end (all but those in Skip, the packed outputs a fused program
  /// does not keep).
  template <std::array<bool, packed_count> Skip = std::array<bool, packed_count>{},
            class = std::make_index_sequence<packed_count>>
  struct copies_of;
  template <std::array<bool, packed_count> Skip, std::size_t... K>
  struct copies_of<Skip, std::index_sequence<K...>> {
    template <std::size_t k>
    using copy =
        mp::mp_list<i_map<packed.offset[k], packed.offset[k + 1] - packed.offset[k], r_slot<offsets[packed.node[k]]>>>;
    using type = mp::mp_append<mp::mp_list<>, mp::mp_if_c<packed.pinned[K] || Skip[K], mp::mp_list<>, copy<K>>...>;
  };

  template <std::size_t J>
  using instruction_at = instruction<typename Graph::template node<J>>;
  using program = mp::mp_append<typename program_of<instruction_at>::type, typename copies_of<>::type>;

  /// The last instruction that reads node j, or none.
  static constexpr std::array<std::size_t, n> last_reader = last_readers(facts, slotted, slot_rank);

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
      : std::bool_constant<can_update<instruction_t<typename Graph::template node<J>>, Target> &&
                           tables::user_count[J] == 0 &&
                           output_count[J] == 1 &&  // else another output is the same node
                           (last_reader[Leaf] == graph::none || last_reader[Leaf] < slot_rank[J])> {
  };

  /// The program of a training step with SGD fused: Gradients[k] of
  /// Params[k] folded into parameter k where fusable.  (Not specialised on
  /// the packs: its member pick<J> is instantiated per node, and g++
  /// hashes all of a class's template arguments for each; the arrays come
  /// from fused_table, which has no member templates.)
  template <class Gradients, class Params>
  struct fused {
    using table = fused_table<plan, Gradients, Params>;
    /// Whether parameter k's update is folded into the pass.
    static constexpr const auto& flags = table::flags;
    template <std::size_t J, std::size_t Target = table::target[J]>
    struct pick : std::type_identity<instruction_t<typename Graph::template node<J>>> {};
    template <std::size_t J, std::size_t Target>
    requires(Target != graph::none) struct pick<J, Target>
        : std::type_identity<i_update<instruction_t<typename Graph::template node<J>>, Target>> {
    };
    template <std::size_t J>
    using pick_at = pick<J>;
    using program = mp::mp_append<typename program_of<pick_at>::type, typename copies_of<table::flags>::type>;
  };
};

/// Where each of Leaves is among Sources, as the roles of a sub_program.
template <class Leaves, class Sources>
struct roles_of;
template <class... Leaves, class Sources>
struct roles_of<mp::mp_list<Leaves...>, Sources>
    : std::type_identity<std::index_sequence<mp::mp_find<Sources, Leaves>::value...>> {};

/// Which of N nodes depend on the nodes marked in `from`: a pass in
/// topological order over the operands' table.
template <std::size_t N, std::size_t E>
constexpr std::array<bool, N> dependents_of(std::array<bool, N> from, const std::array<std::size_t, N + 1>& offsets,
                                            const std::array<std::size_t, E>& operands) noexcept {
  for (std::size_t j = 0; j != N; ++j)
    for (std::size_t e = offsets[j]; e != offsets[j + 1]; ++e)
      from[j] = from[j] || (operands[e] != graph::none && from[operands[e]]);
  return from;
}

/// Plan's program cut in two: the instructions that do not depend on the
/// leaves Varying (once), and the others with the copies that end it (each).
template <class Plan, class Varying>
struct split_program;
template <class Plan, class... Varying>
struct split_program<Plan, mp::mp_list<Varying...>> {
  using tables = typename Plan::tables;
  static constexpr std::array<bool, Plan::n> varies = [] {
    std::array<bool, Plan::n> marks{};
    for (std::size_t j : {Plan::template index<Varying>::value...})
      if (j != graph::none) marks[j] = true;
    return dependents_of<Plan::n>(marks, tables::operand_offsets, tables::operand_slots);
  }();
  static constexpr std::array<bool, Plan::slot_count> step_of = [] {
    std::array<bool, Plan::slot_count> each{};
    for (std::size_t s = 0; s != Plan::slot_count; ++s) each[s] = varies[Plan::slotted_nodes[s]];
    return each;
  }();
  static constexpr std::size_t each_count = graph::count_true(step_of);
  template <std::size_t Count, bool Each, class = std::make_index_sequence<Count>>
  struct part;
  template <std::size_t Count, bool Each, std::size_t... K>
  struct part<Count, Each, std::index_sequence<K...>> {
    static constexpr std::array<std::size_t, Count> ranks = graph::positions_where<Count>(step_of, Each);
    using type = mp::mp_list<typename Plan::template instruction_at<Plan::slotted_nodes[ranks[K]]>::type...>;
  };
  using once = typename part<Plan::slot_count - each_count, false>::type;
  using each = mp::mp_append<typename part<each_count, true>::type, typename Plan::template copies_of<>::type>;
};

/// A scan's body planned on its own: forward (its value from x[t], h[t-1]
/// and its weights) and backward (the gradients of sum(δ[t] ⊙ body) by
/// x[t], h[t-1] and every weight, one after the other from its
/// workspace's start: the VJP of one step, derived by the same rules as
/// any kernel's gradients).
template <class X, class H0, class Body, class... Free>
struct scan_programs<tnodes::scan<X, H0, Body, Free...>> {
  using places = scan_leaves<X, H0>;
  using extents = scan_extents<places::B, places::T, places::I, places::H>;

  /// The leaves that change from step to step.
  using steps = mp::mp_list<typename places::input, typename places::state, typename places::adjoint>;

  using forward_plan = plan<tensor_graph<Body>, mp::mp_list<Body>>;
  using forward_split = split_program<forward_plan, steps>;
  using forward =
      sub_program<typename forward_split::once, typename forward_split::each, forward_plan::workspace_size,
                  std::index_sequence<forward_plan::template offset_of<Body>::value>,
                  typename roles_of<typename forward_plan::leaves,
                                    mp::mp_list<typename places::input, typename places::state, Free...>>::type>;

  using gradients = typename scan_step<tnodes::scan<X, H0, Body, Free...>>::gradients;
  using backward_plan = plan<mp::mp_apply<tensor_graph, gradients>, gradients, gradients>;
  template <std::size_t... K>
  static auto packed_offsets(std::index_sequence<K...>) -> std::index_sequence<backward_plan::packed.offset[K]...>;
  using backward_split = split_program<backward_plan, steps>;
  using backward = sub_program<
      typename backward_split::once, typename backward_split::each, backward_plan::workspace_size,
      decltype(packed_offsets(std::make_index_sequence<2 + sizeof...(Free)>{})),
      typename roles_of<typename backward_plan::leaves, mp::mp_list<typename places::input, typename places::state,
                                                                    typename places::adjoint, Free...>>::type>;

  static constexpr std::size_t forward_scratch = extents::scratch(forward_plan::workspace_size, false);
  static constexpr std::size_t backward_scratch = extents::scratch(backward_plan::workspace_size, true);
};

template <class X, class H0, class Body, class... Free>
struct info_of<tnodes::scan<X, H0, Body, Free...>>
    : info_is<node_info{.k = kind::scan,
                        .scratch = scan_programs<tnodes::scan<X, H0, Body, Free...>>::forward_scratch}> {};
template <class Scan, class G>
struct info_of<tnodes::scan_grad<Scan, G>>
    : info_is<node_info{.k = kind::scan, .scratch = scan_programs<Scan>::backward_scratch}> {};

}  // namespace detail::tk
}  // namespace ctgrad
