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

#include "walk.hpp"

namespace ctgrad::graph {

inline constexpr std::size_t none = static_cast<std::size_t>(-1);

template <class Rules, class Nodes, class = std::make_index_sequence<mp::mp_size<Nodes>::value>>
struct dag;

/// The distinct nodes `Nodes` (a topological order) of a level's
/// vocabulary `Rules`, node i in slot i.
template <class Rules, class... Ts, std::size_t... Is>
struct dag<Rules, mp::mp_list<Ts...>, std::index_sequence<Is...>> {
  using rules = Rules;
  using nodes = mp::mp_list<Ts...>;
  static constexpr std::size_t size = sizeof...(Ts);

  template <std::size_t I>
  using node = mp::mp_at_c<nodes, I>;

  struct entry {
    std::uint64_t hash;
    std::size_t slot;
  };
  static constexpr std::array<entry, size> by_hash = [] {
    std::array<entry, size> entries{{{Rules::template hash<Ts>::value, Is}...}};
    std::sort(entries.begin(), entries.end(), [](entry a, entry b) { return a.hash < b.hash; });
    return entries;
  }();
  static_assert(
      [] {
        for (std::size_t i = 1; i < size; ++i)
          if (by_hash[i - 1].hash == by_hash[i].hash) return false;
        return true;
      }(),
      "ctgrad: two distinct nodes of one expression have the same structural hash; please report this");

  /// The slot of the node with this hash, or none: O(log N) steps.
  static constexpr std::size_t find(std::uint64_t hash) noexcept {
    std::size_t low = 0, high = size;
    while (low < high) {
      const std::size_t mid = low + (high - low) / 2;
      if (by_hash[mid].hash < hash)
        low = mid + 1;
      else
        high = mid;
    }
    return low < size && by_hash[low].hash == hash ? by_hash[low].slot : none;
  }
};

/// The graph of the distinct nodes reachable from Roots.
template <class Rules, class... Roots>
using dag_of = dag<Rules, topological_order<Rules, Roots...>>;

template <class G, class T, bool = G::rules::template is_node<T>::value>
struct index_of_node : std::integral_constant<std::size_t, none> {};
template <class G, class T>
struct index_of_node<G, T, true>
    : std::integral_constant<std::size_t, G::find(G::rules::template hash<T>::value)> {};

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

/// One use of a node: operand `position` of node `user`.
struct edge {
  std::size_t user;
  std::size_t position;
};

template <class G, std::size_t I>
using operands_at = typename G::rules::template operands<typename G::template node<I>>;

/// The slot of operand K of node I (none for an operand that is no node).
template <class G, std::size_t I, std::size_t K>
struct operand_index : index_of<G, mp::mp_at_c<operands_at<G, I>, K>> {};

/// The integer tables of a graph, computed once.
template <class G, class = typename G::nodes>
struct tables;

template <class G, class... Ts>
struct tables<G, mp::mp_list<Ts...>> {
  using rules = typename G::rules;
  static constexpr std::size_t size = sizeof...(Ts);

  // Operands, in CSR form: node i's are operand_slots[operand_offsets[i] ..
  // operand_offsets[i + 1]), in position order.
  static constexpr std::array<std::size_t, size + 1> operand_offsets = [] {
    const std::size_t counts[] = {0, mp::mp_size<typename rules::template operands<Ts>>::value...};
    std::array<std::size_t, size + 1> offsets{};
    for (std::size_t i = 0; i != size; ++i) offsets[i + 1] = offsets[i] + counts[i + 1];
    return offsets;
  }();
  static constexpr std::size_t operand_total = operand_offsets[size];
  static constexpr std::array<std::size_t, operand_total> operand_owner = [] {
    std::array<std::size_t, operand_total> owner{};
    for (std::size_t i = 0; i != size; ++i)
      for (std::size_t e = operand_offsets[i]; e != operand_offsets[i + 1]; ++e) owner[e] = i;
    return owner;
  }();
  template <std::size_t... E>
  static constexpr std::array<std::size_t, operand_total> operand_slots_of(std::index_sequence<E...>) {
    return {operand_index<G, operand_owner[E], E - operand_offsets[operand_owner[E]]>::value...};
  }
  static constexpr std::array<std::size_t, operand_total> operand_slots =
      operand_slots_of(std::make_index_sequence<operand_total>{});

  /// The slot of operand k of node i (none for a literal).
  static constexpr std::size_t operand(std::size_t i, std::size_t k) noexcept {
    return operand_slots[operand_offsets[i] + k];
  }

  // Users, in CSR form: node j's are user_edges[user_offsets[j] ..
  // user_offsets[j + 1]), in topological order of the users (so every
  // adjoint sum has one fixed order).
  static constexpr std::array<std::size_t, size + 1> user_offsets = [] {
    std::array<std::size_t, size + 1> offsets{};
    for (std::size_t s : operand_slots)
      if (s != none) ++offsets[s + 1];
    for (std::size_t i = 0; i != size; ++i) offsets[i + 1] += offsets[i];
    return offsets;
  }();
  static constexpr auto user_edges = [] {
    std::array<edge, user_offsets[size]> edges{};
    auto next = user_offsets;
    for (std::size_t u = 0; u != size; ++u)
      for (std::size_t e = operand_offsets[u]; e != operand_offsets[u + 1]; ++e)
        if (operand_slots[e] != none) edges[next[operand_slots[e]]++] = {u, e - operand_offsets[u]};
    return edges;
  }();
  static constexpr std::size_t user_count(std::size_t j) noexcept { return user_offsets[j + 1] - user_offsets[j]; }
  /// The first user of node j (its only one, when user_count(j) == 1).
  static constexpr edge first_user(std::size_t j) noexcept { return user_edges[user_offsets[j]]; }

  // Leaves (bound at run time): their slots in order, and each node's rank
  // among them (none for a non-leaf).
  static constexpr std::array<bool, size> is_leaf{rules::template is_leaf<Ts>::value...};
  static constexpr std::size_t leaf_count = [] {  // a loop: folds stop at 256 (clang)
    std::size_t n = 0;
    for (bool leaf : is_leaf) n += leaf;
    return n;
  }();
  static constexpr auto leaf_slots = [] {
    std::array<std::size_t, leaf_count> slots{};
    for (std::size_t i = 0, n = 0; i != size; ++i)
      if (is_leaf[i]) slots[n++] = i;
    return slots;
  }();
  static constexpr auto leaf_rank = [] {
    std::array<std::size_t, size> rank{};
    for (std::size_t i = 0, n = 0; i != size; ++i) rank[i] = is_leaf[i] ? n++ : none;
    return rank;
  }();
  /// The slots of the other nodes, in topological order.
  static constexpr auto computed_slots = [] {
    std::array<std::size_t, size - leaf_count> slots{};
    for (std::size_t i = 0, n = 0; i != size; ++i)
      if (!is_leaf[i]) slots[n++] = i;
    return slots;
  }();
};

}  // namespace ctgrad::graph
