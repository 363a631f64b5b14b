// ctgrad/graph/adjoint.hpp — reverse accumulation over a DAG, done by the
// compiler, for any level's rules.
//
// The adjoint of the root is the level's seed (1); the adjoint of any other
// node is the sum, over its users in topological order, of the user's
// vector-Jacobian product given the user's adjoint.  Adjoints are
// expressions built by the level's canonicalising constructors, so an
// adjoint shared by several parameters is one type: one value in a kernel.
// They are class templates over (graph, slot): instantiating them creates no
// symbol, and only ancestors of the requested node are ever instantiated.
#pragma once

#include "dag.hpp"

namespace ctgrad::graph {

template <class G, std::size_t I>
struct adjoint;

/// What a node receives through one of its uses (edge E of the users table).
template <class G, std::size_t E, std::size_t User = tables<G>::user_edges[E].user,
          std::size_t Position = tables<G>::user_edges[E].position>
struct contribution {
  using type =
      typename G::rules::template vjp<typename G::template node<User>, Position, typename adjoint<G, User>::type>;
};

template <class Rules>
struct add_q {
  template <class A, class B>
  using fn = typename Rules::template add<A, B>;
};

/// (First, node I's first edge in the users table, is a template argument,
/// not a static member: a variable per node would be a symbol named after
/// the graph.)
template <class G, std::size_t I, class Uses, std::size_t First = tables<G>::user_offsets[I]>
struct adjoint_sum;
template <class G, std::size_t I, std::size_t First>
struct adjoint_sum<G, I, std::index_sequence<>, First> {  // used by nothing (not the root of a one-root graph)
  using type = typename G::rules::template zero<typename G::template node<I>>;
};
template <class G, std::size_t I, std::size_t J0, std::size_t... Js, std::size_t First>
struct adjoint_sum<G, I, std::index_sequence<J0, Js...>, First> {
  // Summed in topological order of the users: one fixed order.
  using type = mp::mp_fold_q<mp::mp_list<typename contribution<G, First + Js>::type...>,
                             typename contribution<G, First + J0>::type, add_q<typename G::rules>>;
};

template <class G, std::size_t I>
struct adjoint : adjoint_sum<G, I, std::make_index_sequence<tables<G>::user_count[I]>> {};
/// The root (last in topological order) is seeded.
template <class G, std::size_t I>
requires(I + 1 == G::size) struct adjoint<G, I> {
  using type = typename G::rules::template seed<typename G::template node<I>>;
};

/// Every adjoint of G, root first, so that each is built from its users'
/// adjoints, already there: the nesting of instantiations stays shallow
/// however long the chain from a node to the root.  (Asked for directly,
/// the adjoint of a first-layer weight nests through every layer's: g++
/// stops at 900 nested instantiations, which 100 layers exceed.)  Element
/// by element in order: a pack expansion, not a fold.
template <class G, class = std::make_index_sequence<G::size>>
struct all_adjoints;
template <class G, std::size_t... Is>
struct all_adjoints<G, std::index_sequence<Is...>> {
  using type = mp::mp_list<typename adjoint<G, G::size - 1 - Is>::type...>;
};

template <class G, std::size_t I>
struct adjoint_in_order {
  using all = typename all_adjoints<G>::type;  // first: members are instantiated in order
  using type = typename adjoint<G, I>::type;
};

/// d root / d T for the one-root graph G, T one of its nodes.
template <class G, class T>
using adjoint_of = typename adjoint_in_order<G, index_of<G, T>::value>::type;

}  // namespace ctgrad::graph
