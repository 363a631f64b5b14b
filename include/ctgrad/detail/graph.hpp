// ctgrad/detail/graph.hpp — the DAG of distinct nodes behind expressions.
//
// Equal subexpressions are the same type, so "distinct nodes" is "distinct
// types".  A post-order walk with a seen-set lists them in topological order
// (operands before users).  A type's slot is found by binary search of the
// nodes' structural hashes, and the operands and users of each node come
// from constexpr integer tables, not from type-level searches (DESIGN.md:
// N^2 lookups were the prototype's compile-time sink).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "../expression.hpp"
#include "order.hpp"

namespace ctgrad::detail {

namespace mp = boost::mp11;

/// The operands of a node that get slots (a power's exponent is part of its
/// type, not an operand).
template <class T>
struct operands {
  using type = mp::mp_list<>;
};
template <class A, class B>
struct operands<nodes::add<A, B>> {
  using type = mp::mp_list<A, B>;
};
template <class A, class B>
struct operands<nodes::mul<A, B>> {
  using type = mp::mp_list<A, B>;
};
template <class A, class B>
struct operands<nodes::div<A, B>> {
  using type = mp::mp_list<A, B>;
};
template <class A, class E>
struct operands<nodes::pow<A, E>> {
  using type = mp::mp_list<A>;
};
template <class F, class A>
struct operands<nodes::unary<F, A>> {
  using type = mp::mp_list<A>;
};
template <class T>
using operands_t = typename operands<T>::type;

// Post-order walk.  Constants are not nodes: their value is in their type.
// The state is the nodes met so far twice over: as a list (the order) and as
// an inheritance chain seen<...> (membership: one is_base_of query).  Each
// step adds one class, where a set rebuilt as a class inheriting from every
// node met so far made the walk quadratic in instantiated bases.
struct nothing_seen {};
template <class Prev, class T>
struct seen : Prev, mp::mp_identity<T> {};

template <class Seen, class List>
struct walk_state {
  using set = Seen;
  using list = List;
};

template <class State, class T>
struct visit;
template <class State, class T>
using visit_t = typename visit<State, T>::type;

template <class State, class T, class Operands = operands_t<T>>
struct visit_new;
template <class State, class T>
struct visit_new<State, T, mp::mp_list<>> {
  using type = walk_state<seen<typename State::set, T>, mp::mp_push_back<typename State::list, T>>;
};
template <class State, class T, class A>
struct visit_new<State, T, mp::mp_list<A>> : visit_new<visit_t<State, A>, T, mp::mp_list<>> {};
template <class State, class T, class A, class B>
struct visit_new<State, T, mp::mp_list<A, B>> : visit_new<visit_t<visit_t<State, A>, B>, T, mp::mp_list<>> {};

template <class State, class T>
struct visit : mp::mp_if_c<is_constant<T> || std::is_base_of<mp::mp_identity<T>, typename State::set>::value,
                           mp::mp_identity<State>, visit_new<State, T>> {};

template <class State, class Root>
using visit_root = visit_t<State, Root>;

/// The distinct non-constant nodes reachable from Roots, operands first.
template <class... Roots>
using topological_order =
    typename mp::mp_fold<mp::mp_list<Roots...>, walk_state<nothing_seen, mp::mp_list<>>, visit_root>::list;

// Compile-time cost note: every *variable* and *function* instantiated with a
// node or graph type in its template arguments is a symbol whose mangled name
// spells out that type, and g++ builds every such name.  So lookups here are
// types (integral_constants), the search is one constexpr function per
// graph, and the tables are a constant number of variables per graph.

inline constexpr std::size_t no_slot = static_cast<std::size_t>(-1);

template <class Nodes, class = std::make_index_sequence<mp::mp_size<Nodes>::value>>
struct graph;

/// The distinct nodes `Nodes` (a topological order), each in a slot.  A
/// node's slot is found by binary search of the nodes' structural hashes,
/// sorted once per graph: O(log N) constexpr steps, where finding it by
/// deduction against N `slot<T, I>` bases cost O(N) per lookup (quadratic
/// overall; 12 of clang's 19 s on a 579-node kernel).
template <class... Ts, std::size_t... Is>
struct graph<mp::mp_list<Ts...>, std::index_sequence<Is...>> {
  using nodes = mp::mp_list<Ts...>;
  static constexpr std::size_t size = sizeof...(Ts);

  template <std::size_t I>
  using node = mp::mp_at_c<nodes, I>;

  struct entry {
    std::uint64_t hash;
    std::size_t slot;
  };
  static constexpr std::array<entry, size> by_hash = [] {
    std::array<entry, size> entries{{{structural_hash<Ts>::value, Is}...}};
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

  /// The slot of the node with this hash, or no_slot.
  static constexpr std::size_t find(std::uint64_t hash) noexcept {
    std::size_t low = 0, high = size;
    while (low < high) {
      const std::size_t mid = low + (high - low) / 2;
      if (by_hash[mid].hash < hash)
        low = mid + 1;
      else
        high = mid;
    }
    return low < size && by_hash[low].hash == hash ? by_hash[low].slot : no_slot;
  }
};

/// The slot of node T in graph G (an integral_constant; no_slot if absent).
template <class G, class T, std::size_t S = G::find(structural_hash<T>::value)>
struct slot_t : std::integral_constant<std::size_t, no_slot> {};
template <class G, class T, std::size_t S>
requires(S != no_slot && same_as<typename G::template node<S>, T>) struct slot_t<G, T, S>
    : std::integral_constant<std::size_t, S> {
};

template <class G, class T>
concept graph_contains = slot_t<G, T>::value != no_slot;

/// Operand K of node T (void if it has none), numbered as in `operands`.
template <class T, std::size_t K>
using operand_at = mp::mp_eval_if_c<(K >= mp::mp_size<operands_t<T>>::value), void, mp::mp_at, operands_t<T>,
                                    std::integral_constant<std::size_t, K>>;

template <class G, class T, bool = std::is_void<T>::value || is_constant<T>>
struct slot_or_none : std::integral_constant<std::size_t, no_slot> {};
template <class G, class T>
struct slot_or_none<G, T, false> : slot_t<G, T> {};

/// The integer tables of a graph, computed once.
template <class G, class = typename G::nodes>
struct graph_tables;

template <class G, class... Ts>
struct graph_tables<G, mp::mp_list<Ts...>> {
  static constexpr std::size_t size = sizeof...(Ts);

  /// operand_slots[i][k]: the slot of node i's k-th operand (no_slot for a
  /// literal constant or a missing operand).
  static constexpr std::array<std::array<std::size_t, 2>, size> operand_slots{
      {{slot_or_none<G, operand_at<Ts, 0>>::value, slot_or_none<G, operand_at<Ts, 1>>::value}...}};

  /// The users of every node, as edges `user * 2 + operand position`, in
  /// topological order of the users (so adjoint sums have one fixed order):
  /// node i's are user_edges[user_offsets[i] .. user_offsets[i + 1]).
  static constexpr auto user_offsets = [] {
    std::array<std::size_t, size + 1> offsets{};
    for (const auto& ops : operand_slots)
      for (std::size_t s : ops)
        if (s != no_slot) ++offsets[s + 1];
    for (std::size_t i = 0; i != size; ++i) offsets[i + 1] += offsets[i];
    return offsets;
  }();
  static constexpr auto user_edges = [] {
    std::array<std::size_t, user_offsets[size]> edges{};
    auto next = user_offsets;
    for (std::size_t u = 0; u != size; ++u)
      for (std::size_t k = 0; k != 2; ++k)
        if (operand_slots[u][k] != no_slot) edges[next[operand_slots[u][k]]++] = 2 * u + k;
    return edges;
  }();

  /// Slots of the variables (loaded from bindings) and of the computed
  /// nodes (in topological order).
  static constexpr std::array<bool, size> is_variable{is_var<Ts>...};
  static constexpr std::size_t variable_count = [] {  // a loop: folds stop at 256 (clang)
    std::size_t n = 0;
    for (bool v : is_variable) n += v;
    return n;
  }();
  static constexpr auto variable_slots = [] {
    std::array<std::size_t, variable_count> slots{};
    for (std::size_t i = 0, n = 0; i != size; ++i)
      if (is_variable[i]) slots[n++] = i;
    return slots;
  }();
  static constexpr auto computed_slots = [] {
    std::array<std::size_t, size - variable_count> slots{};
    for (std::size_t i = 0, n = 0; i != size; ++i)
      if (!is_variable[i]) slots[n++] = i;
    return slots;
  }();
};

template <class... Roots>
using graph_of = graph<topological_order<Roots...>>;

}  // namespace ctgrad::detail
