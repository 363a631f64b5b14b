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

template <class Tree, std::size_t I>
struct at;
template <class T>
struct at<one<T>, 0> : std::type_identity<T> {};
template <std::size_t Half, class Left, class Right, std::size_t I>
struct at<halves<Half, Left, Right>, I> : std::conditional_t<(I < Half), at<Left, I>, at<Right, I - Half> > {};
}  // namespace index_tree

template <class L>
struct indexed {  // (not specialised on the pack: see graph/dag.hpp)
  using tree = typename index_tree::build<L>::type;
  template <std::size_t I>
  using at = typename index_tree::at<tree, I>::type;
};

#endif

}  // namespace ctgrad::graph
