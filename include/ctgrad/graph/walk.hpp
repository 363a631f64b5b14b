// ctgrad/graph/walk.hpp — the distinct nodes of an expression DAG, operands
// before users (a topological order), for any level's node vocabulary.
//
// Equal subexpressions are the same type, so "distinct nodes" is "distinct
// types".  A post-order walk with a seen-set lists them.  The order and the
// set are one structure: blocks of at most block_size nodes, each a class
// with one base per node, so that membership is one is_base_of query per
// block and adding a node copies one block, never the whole order.
//
// Why blocks (each the cure for a measured quadratic cost):
//   - one list grown by mp_push_back copies every prefix: O(N^2) template
//     arguments, and on g++ every copy of more than ~500 types is a large
//     allocation that walks the collector's free list;
//   - one inheritance chain seen<seen<...>, T> as the set: g++ gives each
//     class a copy of its bases' whole hierarchy (a chain of N classes is
//     N^2/2 base records: 1.4 million at 80 layers) and answers is_base_of
//     by walking it;
//   - a search of the list per visit was the tensor level's original
//     quadratic compile time (and its folds hit clang's 256-operand limit).
#pragma once

#include <cstddef>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>
#include <boost/mp11/utility.hpp>

namespace ctgrad::graph {

namespace mp = boost::mp11;

// What the engine asks of a level (scalar_rules in rules/scalar.hpp,
// tensor_rules in rules/tensor.hpp), all class templates or aliases, so
// that asking about a node type creates no symbol named after it:
//   template <class T> using operands = mp_list<...>;  // in position order
//   template <class T> using is_node = bool_constant;  // false: a literal,
//                                                      // not walked, no slot
//   template <class T> using is_leaf = bool_constant;  // bound at run time
//   template <class T> using hash = integral_constant<uint64_t, ...>;
//   template <class Root> using seed = ...;            // d root / d root
//   template <class T> using zero = ...;               // no contribution
//   template <class Node, size_t K, class Adjoint> using vjp = ...;
//   template <class A, class B> using add = ...;       // adjoint sums

namespace walk {

/// Up to block_size nodes, in order; one base per node (the set).
template <class... Ts>
struct block : mp::mp_identity<Ts>... {};

inline constexpr std::size_t block_size = 64;

/// The walk so far: full blocks (an mp_list of blocks) and the last one.
template <class Full, class Last>
struct state {
  using full = Full;
  using last = Last;
};
using empty = state<mp::mp_list<>, block<>>;

/// Whether T is in one of the full blocks.
template <class T, class Full>
struct in_full;
template <class T, class... B>
struct in_full<T, mp::mp_list<B...>> : std::bool_constant<(__is_base_of(mp::mp_identity<T>, B) || ... || false)> {};

template <class State, class T, bool Fills = (mp::mp_size<typename State::last>::value + 1 == block_size)>
struct with_s {
  using type = state<typename State::full, mp::mp_push_back<typename State::last, T>>;
};
template <class State, class T>
struct with_s<State, T, true> {
  using type = state<mp::mp_push_back<typename State::full, mp::mp_push_back<typename State::last, T>>, block<>>;
};
/// State plus node T (its operands already in it).
template <class State, class T>
using with = typename with_s<State, T>::type;

/// The whole order, one mp_list.
template <class State>
using list_of =
    mp::mp_apply<mp::mp_append,
                 mp::mp_append<mp::mp_list<mp::mp_list<>>, typename State::full, mp::mp_list<typename State::last>>>;

/// A literal, or a node already seen, is walked past.  (The built-in
/// __is_base_of, not std::is_base_of: one class fewer per visit; and no
/// variable template: a variable named after a state would be a symbol
/// spelling out every node seen.)
template <class Rules, class State, class T,
          bool = !Rules::template is_node<T>::value || __is_base_of(mp::mp_identity<T>, typename State::last) ||
                 in_full<T, typename State::full>::value>
struct visit {
  using type = State;
};
template <class Rules, class State, class T>
using visit_t = typename visit<Rules, State, T>::type;

template <class Rules>
struct visit_q {
  template <class State, class T>
  using fn = visit_t<Rules, State, T>;
};

// A new node: its operands, then itself.  None, one and two operands
// spelled out (one instantiation per node), more by a fold over them.
template <class Rules, class State, class T, class Operands = typename Rules::template operands<T>>
struct visit_new {
  using type = with<mp::mp_fold_q<Operands, State, visit_q<Rules>>, T>;
};
template <class Rules, class State, class T>
struct visit_new<Rules, State, T, mp::mp_list<>> {
  using type = with<State, T>;
};
template <class Rules, class State, class T, class A>
struct visit_new<Rules, State, T, mp::mp_list<A>> {
  using type = with<visit_t<Rules, State, A>, T>;
};
template <class Rules, class State, class T, class A, class B>
struct visit_new<Rules, State, T, mp::mp_list<A, B>> {
  using type = with<visit_t<Rules, visit_t<Rules, State, A>, B>, T>;
};

template <class Rules, class State, class T>
struct visit<Rules, State, T, false> : visit_new<Rules, State, T> {};

}  // namespace walk

/// The distinct nodes reachable from Roots, operands first: an mp_list,
/// computed once per graph (a class, not an alias: an alias over the
/// N-type order would substitute it again at every use).
template <class Rules, class... Roots>
struct topological_order_s {
  using type = walk::list_of<mp::mp_fold_q<mp::mp_list<Roots...>, walk::empty, walk::visit_q<Rules>>>;
};
template <class Rules, class... Roots>
using topological_order = typename topological_order_s<Rules, Roots...>::type;

}  // namespace ctgrad::graph
