// ctgrad/graph/dag.hpp — a DAG of distinct nodes as integers: each node in
// a slot (its position in topological order), found by binary search of
// structural hashes; operands and users as constexpr CSR tables.
//
// Everything here is built once per graph, by pack expansions and loops in
// constexpr functions: no O(N) search per node and no fold expression over
// the nodes (DESIGN.md: N^2 lookups were the prototype's compile-time sink;
// clang 14 stops folds at 256 operands).
//
// Compile-time cost note: every *variable* and *function* instantiated with
// a node type in its template arguments is a symbol whose mangled name
// spells out that type, and g++ builds every such name.  So per-node answers
// are class templates inheriting an integral_constant, and the tables are a
// constant number of static members per graph.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "indexed.hpp"
#include "walk.hpp"

namespace ctgrad::graph {

inline constexpr std::size_t none = static_cast<std::size_t>(-1);

/// One use of a node: operand `position` of node `user`.
struct edge {
  std::size_t user;
  std::size_t position;
};

// ---------------------------------------------------------------------------
// The table arithmetic, as plain function templates over sizes: a lambda or
// member function of a class named after the graph would be a symbol whose
// name spells out every node (three symbols for a lambda: its call, its
// conversion to a function pointer, and that function).

struct hash_entry {
  std::uint64_t hash;
  std::size_t slot;
};
struct by_hash_order {
  constexpr bool operator()(hash_entry a, hash_entry b) const noexcept { return a.hash < b.hash; }
};

template <std::size_t N>
constexpr std::array<hash_entry, N> sorted_by_hash(std::array<hash_entry, N> entries) noexcept {
  std::sort(entries.begin(), entries.end(), by_hash_order{});
  return entries;
}
template <std::size_t N>
constexpr bool hashes_distinct(const std::array<hash_entry, N>& sorted) noexcept {
  for (std::size_t i = 1; i < N; ++i)
    if (sorted[i - 1].hash == sorted[i].hash) return false;
  return true;
}
/// The first position in `sorted` whose hash is not below `hash` (N if
/// none): O(log N) steps.
template <std::size_t N>
constexpr std::size_t first_at_or_above(const std::array<hash_entry, N>& sorted, std::uint64_t hash) noexcept {
  std::size_t low = 0, high = N;
  while (low < high) {
    const std::size_t mid = low + (high - low) / 2;
    if (sorted[mid].hash < hash)
      low = mid + 1;
    else
      high = mid;
  }
  return low;
}
/// The slot recorded for `hash`, or none.
template <std::size_t N>
constexpr std::size_t slot_of_hash(const std::array<hash_entry, N>& sorted, std::uint64_t hash) noexcept {
  const std::size_t at = first_at_or_above(sorted, hash);
  return at < N && sorted[at].hash == hash ? sorted[at].slot : none;
}

/// {0, c0, c0 + c1, ...}: the offsets of CSR rows of these lengths.
template <std::size_t N>
constexpr std::array<std::size_t, N + 1> prefix_sums(const std::array<std::size_t, N>& counts) noexcept {
  std::array<std::size_t, N + 1> offsets{};
  for (std::size_t i = 0; i != N; ++i) offsets[i + 1] = offsets[i] + counts[i];
  return offsets;
}
/// The users' CSR offsets, from every operand's slot (none: not a node).
template <std::size_t N, std::size_t E>
constexpr std::array<std::size_t, N + 1> user_offsets_of(const std::array<std::size_t, E>& operand_slots) noexcept {
  std::array<std::size_t, N + 1> offsets{};
  for (std::size_t s : operand_slots)
    if (s != none) ++offsets[s + 1];
  for (std::size_t i = 0; i != N; ++i) offsets[i + 1] += offsets[i];
  return offsets;
}
/// The users' edges, each node's in topological order of the users.
template <std::size_t N, std::size_t E, std::size_t U>
constexpr std::array<edge, U> user_edges_of(const std::array<std::size_t, N + 1>& operand_offsets,
                                            const std::array<std::size_t, E>& operand_slots,
                                            std::array<std::size_t, N + 1> next) noexcept {
  std::array<edge, U> edges{};
  for (std::size_t u = 0; u != N; ++u)
    for (std::size_t e = operand_offsets[u]; e != operand_offsets[u + 1]; ++e)
      if (operand_slots[e] != none) edges[next[operand_slots[e]]++] = {u, e - operand_offsets[u]};
  return edges;
}
/// The length of each CSR row.
template <std::size_t N>
constexpr std::array<std::size_t, N> row_lengths(const std::array<std::size_t, N + 1>& offsets) noexcept {
  std::array<std::size_t, N> lengths{};
  for (std::size_t i = 0; i != N; ++i) lengths[i] = offsets[i + 1] - offsets[i];
  return lengths;
}
template <std::size_t N>
constexpr std::size_t count_true(const std::array<bool, N>& flags) noexcept {
  std::size_t n = 0;
  for (bool flag : flags) n += flag;
  return n;
}
/// The positions whose flag is `value`, in order (K of them).
template <std::size_t K, std::size_t N>
constexpr std::array<std::size_t, K> positions_where(const std::array<bool, N>& flags, bool value) noexcept {
  std::array<std::size_t, K> positions{};
  for (std::size_t i = 0, k = 0; i != N; ++i)
    if (flags[i] == value) positions[k++] = i;
  return positions;
}
/// Each position's rank among those flagged (none where not flagged).
template <std::size_t N>
constexpr std::array<std::size_t, N> ranks_where(const std::array<bool, N>& flags) noexcept {
  std::array<std::size_t, N> rank{};
  for (std::size_t i = 0, k = 0; i != N; ++i) rank[i] = flags[i] ? k++ : none;
  return rank;
}

// ---------------------------------------------------------------------------

/// The nodes sorted by structural hash (the one class specialised on the
/// node pack; see dag).
template <class Rules, class Nodes, class = std::make_index_sequence<mp::mp_size<Nodes>::value>>
struct hash_index;
template <class Rules, class... Ts, std::size_t... Is>
struct hash_index<Rules, mp::mp_list<Ts...>, std::index_sequence<Is...>> {
  static constexpr std::array<hash_entry, sizeof...(Ts)> value =
      sorted_by_hash<sizeof...(Ts)>({hash_entry{Rules::template hash<Ts>::value, Is}...});
};

/// The distinct nodes `Nodes` (an mp_list in topological order) of a
/// level's vocabulary `Rules`, node i in slot i.
///
/// Not specialised on the node pack: g++ hashes all of a class's template
/// arguments for every instantiation of one of its member templates
/// (node<I> here), so a class holding the pack would make each lookup O(N).
template <class Rules, class Nodes>
struct dag {
  using rules = Rules;
  using nodes = Nodes;
  static constexpr std::size_t size = mp::mp_size<Nodes>::value;

  template <std::size_t I>
  using node = typename indexed<Nodes>::template at<I>;

  /// The slots sorted by structural hash: a node is found by binary search.
  static constexpr const std::array<hash_entry, size>& by_hash = hash_index<Rules, Nodes>::value;
  static_assert(hashes_distinct(by_hash),
                "ctgrad: two distinct nodes of one expression have the same structural hash; please report this");
};

/// The graph of the distinct nodes reachable from Roots.
template <class Rules, class... Roots>
using dag_of = dag<Rules, topological_order<Rules, Roots...>>;

template <class G, class T, bool = G::rules::template is_node<T>::value>
struct index_of_node : std::integral_constant<std::size_t, none> {};
template <class G, class T>
struct index_of_node<G, T, true>
    : std::integral_constant<std::size_t, slot_of_hash(G::by_hash, G::rules::template hash<T>::value)> {};

/// The slot of T in graph G (an integral_constant; none if T is not one of
/// its nodes, or not a node at all).
template <class G, class T, std::size_t S = index_of_node<G, T>::value>
struct index_of : std::integral_constant<std::size_t, none> {};
template <class G, class T, std::size_t S>
requires(S != none && std::is_same<typename G::template node<S>, T>::value) struct index_of<G, T, S>
    : std::integral_constant<std::size_t, S> {
};

template <class G, class T>
concept contains = index_of<G, T>::value != none;

template <class G, std::size_t I>
using operands_at = typename G::rules::template operands<typename G::template node<I>>;

/// Where each node's operands are in the operand table (CSR offsets).
template <class G, class = typename G::nodes>
struct operand_layout;
template <class G, class... Ts>
struct operand_layout<G, mp::mp_list<Ts...>> {
  static constexpr std::size_t size = sizeof...(Ts);
  static constexpr std::array<std::size_t, size + 1> offsets =
      prefix_sums<size>({mp::mp_size<typename G::rules::template operands<Ts>>::value...});
};

/// An operand as the operand table sees it: its structural hash, if it is
/// a node (else it has no slot).
struct operand_key {
  std::uint64_t hash;
  bool is_node;
};
template <class Rules, class T, bool = Rules::template is_node<T>::value>
struct operand_key_of : std::integral_constant<operand_key, operand_key{0, false}> {};
template <class Rules, class T>
struct operand_key_of<Rules, T, true>
    : std::integral_constant<operand_key, operand_key{Rules::template hash<T>::value, true}> {};

/// The slot of each operand: found by its hash (an operand of a node of a
/// graph is a node of that graph, and their hashes are distinct).
template <std::size_t N, std::size_t E>
constexpr std::array<std::size_t, E> slots_of_operands(const std::array<hash_entry, N>& sorted,
                                                       const std::array<operand_key, E>& keys) noexcept {
  std::array<std::size_t, E> slots{};
  for (std::size_t e = 0; e != E; ++e) slots[e] = keys[e].is_node ? slot_of_hash(sorted, keys[e].hash) : none;
  return slots;
}

template <class Rules, class Operands>
struct operand_keys;
template <class Rules, class... Os>
struct operand_keys<Rules, mp::mp_list<Os...>> {
  static constexpr std::array<operand_key, sizeof...(Os)> value{operand_key_of<Rules, Os>::value...};
};

/// The slot of every operand, in table order: every node's operands in one
/// list, their keys in one array, each found by binary search (no class
/// instantiated per operand beyond its key).
template <class G, class = typename G::nodes>
struct operand_slot_list;
template <class G, class... Ts>
struct operand_slot_list<G, mp::mp_list<Ts...>> {
  using all = mp::mp_append<mp::mp_list<>, typename G::rules::template operands<Ts>...>;
  static constexpr std::array<std::size_t, mp::mp_size<all>::value> value =
      slots_of_operands(G::by_hash, operand_keys<typename G::rules, all>::value);
};

/// The integer tables of a graph, computed once.
template <class G, class = typename G::nodes>
struct tables;

template <class G, class... Ts>
struct tables<G, mp::mp_list<Ts...>> {
  using rules = typename G::rules;
  static constexpr std::size_t size = sizeof...(Ts);

  // Operands, in CSR form: node i's are operand_slots[operand_offsets[i] ..
  // operand_offsets[i + 1]), in position order (none for a literal).
  static constexpr std::array<std::size_t, size + 1> operand_offsets = operand_layout<G>::offsets;
  static constexpr std::size_t operand_total = operand_offsets[size];
  static constexpr std::array<std::size_t, operand_total> operand_slots = operand_slot_list<G>::value;

  // Users, in CSR form: node j's are user_edges[user_offsets[j] ..
  // user_offsets[j + 1]), in topological order of the users (so every
  // adjoint sum has one fixed order).
  static constexpr std::array<std::size_t, size + 1> user_offsets = user_offsets_of<size>(operand_slots);
  static constexpr std::array<edge, user_offsets[size]> user_edges =
      user_edges_of<size, operand_total, user_offsets[size]>(operand_offsets, operand_slots, user_offsets);
  /// How many uses node j has; the first is user_edges[user_offsets[j]].
  static constexpr std::array<std::size_t, size> user_count = row_lengths<size>(user_offsets);

  // Leaves (bound at run time): their slots in order, and each node's rank
  // among them (none for a non-leaf).
  static constexpr std::array<bool, size> is_leaf{rules::template is_leaf<Ts>::value...};
  static constexpr std::size_t leaf_count = count_true(is_leaf);
  static constexpr std::array<std::size_t, leaf_count> leaf_slots = positions_where<leaf_count>(is_leaf, true);
  static constexpr std::array<std::size_t, size> leaf_rank = ranks_where(is_leaf);
  /// The slots of the other nodes, in topological order.
  static constexpr std::array<std::size_t, size - leaf_count> computed_slots =
      positions_where<size - leaf_count>(is_leaf, false);
};

}  // namespace ctgrad::graph
