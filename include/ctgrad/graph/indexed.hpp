// ctgrad/graph/indexed.hpp — element I of a long type list (a graph's nodes,
// a kernel's instructions, a model's parameters) without an O(N) search.
//
// mp11's mp_at_c is O(1) on clang (the __type_pack_element built-in) but
// not on g++ 12, which has no such built-in: there mp_at_c deduces the
// element from a class with one base per element, and g++ tries every base
// on every lookup.  With a lookup per node that is O(N^2) work and memory:
// at 40 layers most of g++'s 2 GB.  So on g++ a list is indexed through a
// balanced tree built once per list: a lookup instantiates log2(N) small
// classes.
#pragma once

#include <cstddef>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

namespace ctgrad::graph {

namespace mp = boost::mp11;

/// The mp_list L prepared for indexing: `typename indexed<L>::template at<I>`
/// is its element I.  Build it once per list (a class template: it creates
/// no symbol).
#if defined(__has_builtin)
#if __has_builtin(__type_pack_element)
#define CTGRAD_DETAIL_HAS_TYPE_PACK_ELEMENT 1
#endif
#endif

#if defined(CTGRAD_DETAIL_HAS_TYPE_PACK_ELEMENT)

template <class L>
struct indexed {
  template <std::size_t I>
  using at = mp::mp_at_c<L, I>;  // __type_pack_element
};

#else

namespace index_tree {
template <class T>
struct one {};
/// The first Half elements in Left, the rest in Right.
template <std::size_t Half, class Left, class Right>
struct halves {};

template <class L>
struct build;
template <>
struct build<mp::mp_list<> > : std::type_identity<halves<0, void, void> > {};
template <class T>
struct build<mp::mp_list<T> > : std::type_identity<one<T> > {};
template <class... Ts>
requires(sizeof...(Ts) > 1) struct build<mp::mp_list<Ts...> > {
  // (No static data member: a variable of a class named after the list is
  // a symbol whose mangled name spells out the list, and g++ mangles every
  // one: at 40 layers these names were half of all the symbol text.)
  using type = halves<sizeof...(Ts) / 2, typename build<mp::mp_take_c<mp::mp_list<Ts...>, sizeof...(Ts) / 2> >::type,
                      typename build<mp::mp_drop_c<mp::mp_list<Ts...>, sizeof...(Ts) / 2> >::type>;
};

/// The list cut into blocks of 16, by one partial specialisation per
/// block.  (mp_take_c takes ten elements per step, copying the rest each
/// time: splitting a long list into halves with it was quadratic, ~0.6 s
/// and 190 MB of g++'s time for a list of 1,200 nodes.  Blocks cost a copy
/// of the rest per 16 elements, and the tree over the blocks is short.)
template <class L>
struct blocks;
template <class... Ts>
requires(sizeof...(Ts) <= 16) struct blocks<mp::mp_list<Ts...> >
    : std::type_identity<mp::mp_list<mp::mp_list<Ts...> > > {
};
template <class T0, class T1, class T2, class T3, class T4, class T5, class T6, class T7, class T8, class T9, class T10,
          class T11, class T12, class T13, class T14, class T15, class... Rest>
requires(sizeof...(Rest) != 0) struct blocks<
    mp::mp_list<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, Rest...> > {
  using type = mp::mp_push_front<typename blocks<mp::mp_list<Rest...> >::type,
                                 mp::mp_list<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15> >;
};

/// A balanced tree over blocks, all of 16 elements but the last: each
/// block's own tree at a leaf.
template <class Blocks>
struct build_blocks;
template <class B>
struct build_blocks<mp::mp_list<B> > : build<B> {};
template <class... Bs>
requires(sizeof...(Bs) > 1) struct build_blocks<mp::mp_list<Bs...> > {
  using type =
      halves<sizeof...(Bs) / 2 * 16, typename build_blocks<mp::mp_take_c<mp::mp_list<Bs...>, sizeof...(Bs) / 2> >::type,
             typename build_blocks<mp::mp_drop_c<mp::mp_list<Bs...>, sizeof...(Bs) / 2> >::type>;
};

template <class Tree, std::size_t I>
struct at;
template <class T>
struct at<one<T>, 0> : std::type_identity<T> {};
template <std::size_t Half, class Left, class Right, std::size_t I>
struct at<halves<Half, Left, Right>, I> : std::conditional_t<(I < Half), at<Left, I>, at<Right, I - Half> > {};
}  // namespace index_tree

template <class L>
struct indexed {  // (not specialised on the pack: see graph/dag.hpp)
  using tree = typename index_tree::build_blocks<typename index_tree::blocks<L>::type>::type;
  template <std::size_t I>
  using at = typename index_tree::at<tree, I>::type;
};

#endif

}  // namespace ctgrad::graph
