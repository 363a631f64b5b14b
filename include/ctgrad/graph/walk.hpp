// ctgrad/graph/walk.hpp — the distinct nodes of an expression DAG, operands
// before users (a topological order), for any level's node vocabulary.
//
// Equal subexpressions are the same type, so "distinct nodes" is "distinct
// types".  A post-order walk with a seen-set lists them.  The set is an
// inheritance chain seen<...>: membership is one is_base_of query and each
// step adds one class (no O(N) search per node; a list search per visit was
// the tensor level's quadratic compile time, and its fold expressions hit
// clang's 256-operand limit at 40 layers).
#pragma once

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

struct nothing_seen {};
template <class Prev, class T>
struct seen : Prev, mp::mp_identity<T> {};

template <class Seen, class List>
struct state {
  using set = Seen;
  using list = List;
};

/// State plus node T (its operands already in it).
template <class State, class T>
using with = state<seen<typename State::set, T>, mp::mp_push_back<typename State::list, T>>;

/// A literal, or a node already seen, is walked past.  (The built-in
/// __is_base_of, not std::is_base_of: one class fewer per visit; and no
/// variable template: a variable named after a state would be a symbol
/// spelling out every node seen.)
template <class Rules, class State, class T,
          bool = !Rules::template is_node<T>::value || __is_base_of(mp::mp_identity<T>, typename State::set)>
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

/// The distinct nodes reachable from Roots, operands first (an mp_list).
template <class Rules, class... Roots>
using topological_order =
    typename mp::mp_fold_q<mp::mp_list<Roots...>, walk::state<walk::nothing_seen, mp::mp_list<>>,
                           walk::visit_q<Rules>>::list;

}  // namespace ctgrad::graph
