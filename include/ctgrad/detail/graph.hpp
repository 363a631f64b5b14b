// ctgrad/detail/graph.hpp — the DAG of distinct nodes behind expressions.
//
// Equal subexpressions are the same type, so "distinct nodes" is "distinct
// types".  A post-order walk with a seen-set lists them in topological order
// (operands before users).  Lookups are O(1) instantiations: a type's slot
// comes from one class inheriting `slot<T, I>` for every node (overload
// resolution finds the base), and the users of each node come from constexpr
// integer tables, not from type-level searches (DESIGN.md: N^2 lookups were
// the prototype's compile-time sink).
#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>
#include <boost/mp11/set.hpp>

#include "../expression.hpp"

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
template <class Seen, class T>
struct visit;
template <class Seen, class T>
using visit_t = typename visit<Seen, T>::type;
template <class Seen, class T, bool Skip>
struct visit_impl {
  using type = Seen;
};
template <class Seen, class T>
struct visit_impl<Seen, T, false> {
  using type = mp::mp_push_back<mp::mp_fold<operands_t<T>, Seen, visit_t>, T>;
};
template <class Seen, class T>
struct visit : visit_impl<Seen, T, is_constant<T> || mp::mp_set_contains<Seen, T>::value> {};

/// The distinct non-constant nodes reachable from Roots, operands first.
template <class... Roots>
using topological_order = mp::mp_fold<mp::mp_list<Roots...>, mp::mp_list<>, visit_t>;

template <class T, std::size_t I>
struct slot {};
template <class T, std::size_t I>
constexpr std::size_t slot_index(const slot<T, I>*) noexcept {
  return I;
}

inline constexpr std::size_t no_slot = static_cast<std::size_t>(-1);

template <class Nodes, class = std::make_index_sequence<mp::mp_size<Nodes>::value>>
struct graph;

/// The DAG of `Nodes` (a topological order): slots, operands and users.
template <class... Ts, std::size_t... Is>
struct graph<mp::mp_list<Ts...>, std::index_sequence<Is...>> : slot<Ts, Is>... {
  using nodes = mp::mp_list<Ts...>;
  static constexpr std::size_t size = sizeof...(Ts);

  template <std::size_t I>
  using node = mp::mp_at_c<nodes, I>;

  template <class T>
  static constexpr bool contains = requires {
    slot_index<T>(static_cast<const graph*>(nullptr));
  };

  template <class T>
  static constexpr std::size_t index = slot_index<T>(static_cast<const graph*>(nullptr));

 private:
  template <class T>
  static consteval std::array<std::size_t, 2> operand_slots_of() {
    std::array<std::size_t, 2> slots{no_slot, no_slot};
    std::size_t k = 0;
    mp::mp_for_each<mp::mp_transform<mp::mp_identity, operands_t<T>>>([&](auto op) {
      using operand = typename decltype(op)::type;
      if constexpr (!is_constant<operand>) slots[k] = index<operand>;
      ++k;
    });
    return slots;
  }

 public:
  /// operand_slots[i][k]: the slot of node i's k-th operand (no_slot for a
  /// literal constant or a missing operand).
  static constexpr std::array<std::array<std::size_t, 2>, size> operand_slots{operand_slots_of<Ts>()...};

  template <std::size_t I>
  static constexpr std::size_t user_count = [] {
    std::size_t n = 0;
    for (const auto& ops : operand_slots) n += (ops[0] == I) + (ops[1] == I);
    return n;
  }();

  /// The edges into node I as `user * 2 + operand position`, users in
  /// topological order (so adjoint sums have one fixed order).
  template <std::size_t I>
  static constexpr std::array<std::size_t, user_count<I>> user_edges = [] {
    std::array<std::size_t, user_count<I>> edges{};
    std::size_t n = 0;
    for (std::size_t u = 0; u != size; ++u)
      for (std::size_t k = 0; k != 2; ++k)
        if (operand_slots[u][k] == I) edges[n++] = 2 * u + k;
    return edges;
  }();
};

template <class... Roots>
using graph_of = graph<topological_order<Roots...>>;

}  // namespace ctgrad::detail
