// ctgrad/expr/tensor_nodes.hpp — tensor expressions: leaves with fixed shapes,
// the node types, and the canonicalising constructors behind the operators.
//
// Same idea as the scalar level: an expression is an empty object whose type
// is the mathematics, equal mathematics is one type.  Nodes (ctgrad::tnodes):
//   param<"W", S>, input<"x", S>   named leaves (ctgrad::param, ctgrad::input)
//   fill<C, S>                     the literal C everywhere
//   ew<F, S, A...>                 elementwise: scalar formula F of _0, _1, ...
//   broadcast<A, S>                A stretched to S (a view)
//   reduce_sum<A, S>               A summed down to S (adjoint of broadcast)
//   matmul<A, B>                   [M,K] x [K,N]
//   transpose<A>                   [N,M] view of [M,N]
//   reshape<A, S>                  the same elements, another shape (a view)
//   logsumexp<A>                   log sum exp over the last axis, kept as 1
// Everything else (softmax, losses, dot, mean, activations) is built from
// these, so its derivative comes from the rules of these.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "../constant.hpp"
#include "../derivative.hpp"
#include "formula.hpp"
#include "order.hpp"
#include "shape.hpp"

namespace ctgrad {

/// Every tensor node derives from this (and so finds ctgrad's operators by ADL).
struct tensor_base {};

template <class T>
concept Tensor = __is_base_of(tensor_base, T) && __is_empty(T) && __is_trivially_copyable(T);  // see Expression

template <Tensor T>
using shape_of = typename T::shape_type;

template <fixed_string Name, class T>
struct tensor_binding {
  static constexpr auto name = Name;
  const T* data;
};

namespace error {
/// A tensor's name spelled out as characters, for diagnostics.
template <char... Name>
struct tensor {};
}  // namespace error

namespace detail {
template <fixed_string Name>
constexpr auto spelled_tensor() noexcept {
  return spelled<Name, error::tensor>();
}

/// What parameters and inputs share: a name, a shape, and `x = values`.
template <fixed_string Name, class Shape>
struct leaf : tensor_base {
  static_assert(is_shape_v<Shape>, "ctgrad::param / ctgrad::input: the second argument must be a ctgrad::shape<...>");
  using shape_type = Shape;
  static constexpr auto name = Name;

  /// Bind values: `W = array` or `W = span` of exactly Shape::size elements.
  /// The kernel reads through the pointer; nothing is copied.
  template <std::floating_point T, std::size_t N>
  constexpr auto operator=(std::span<const T, N> values) const noexcept {
    static_assert(N == Shape::size, "ctgrad: a tensor binding must have exactly as many values as the shape");
    return tensor_binding<Name, T>{values.data()};
  }
  template <std::floating_point T, std::size_t N>
  constexpr auto operator=(std::span<T, N> values) const noexcept {
    return *this = std::span<const T, N>(values);
  }
  template <std::floating_point T, std::size_t N>
  constexpr auto operator=(const std::array<T, N>& values) const noexcept {
    return *this = std::span<const T, N>(values);
  }
  template <std::floating_point T, std::size_t N>
  auto operator=(const std::array<T, N>&& values) const = delete;  // would dangle
};
}  // namespace detail

/// A trainable tensor: `constexpr ctgrad::param<"W1", ctgrad::shape<2, 4>> W1;`.
template <fixed_string Name, class Shape>
struct param : detail::leaf<Name, Shape> {
  using detail::leaf<Name, Shape>::operator=;
};
/// Data fed in: `constexpr ctgrad::input<"x", ctgrad::shape<32, 784>> x;`
/// (the leading dimension is the batch, if the model has one).
template <fixed_string Name, class Shape>
struct input : detail::leaf<Name, Shape> {
  using detail::leaf<Name, Shape>::operator=;
};

namespace tnodes {
template <class C, class S>
struct fill : tensor_base {
  using shape_type = S;
};
template <class F, class S, class... A>
struct ew : tensor_base {
  using shape_type = S;
};
template <class A, class S>
struct broadcast : tensor_base {
  using shape_type = S;
};
template <class A, class S>
struct reduce_sum : tensor_base {
  using shape_type = S;
};
template <class A, class B>
struct matmul : tensor_base {
  using shape_type = shape<shape_of<A>::dims[0], shape_of<B>::dims[1]>;
};
template <class A>
struct transpose : tensor_base {
  using shape_type = shape<shape_of<A>::dims[1], shape_of<A>::dims[0]>;
};
template <class A, class S>
struct reshape : tensor_base {
  using shape_type = S;
};
template <class A>
struct logsumexp : tensor_base {
  template <std::size_t... I>
  static auto make(std::index_sequence<I...>) -> shape<(I + 1 == shape_of<A>::rank ? 1 : shape_of<A>::dims[I])...>;
  using shape_type = decltype(make(std::make_index_sequence<shape_of<A>::rank>{}));
};
}  // namespace tnodes

namespace detail {

// ---------------------------------------------------------------------------
// Node traits: inheriting class templates (no symbols named after nodes).

template <class T>
struct tensor_operands_s : std::type_identity<mp::mp_list<>> {};
template <class F, class S, class... A>
struct tensor_operands_s<tnodes::ew<F, S, A...>> : std::type_identity<mp::mp_list<A...>> {};
template <class A, class S>
struct tensor_operands_s<tnodes::broadcast<A, S>> : std::type_identity<mp::mp_list<A>> {};
template <class A, class S>
struct tensor_operands_s<tnodes::reduce_sum<A, S>> : std::type_identity<mp::mp_list<A>> {};
template <class A, class B>
struct tensor_operands_s<tnodes::matmul<A, B>> : std::type_identity<mp::mp_list<A, B>> {};
template <class A>
struct tensor_operands_s<tnodes::transpose<A>> : std::type_identity<mp::mp_list<A>> {};
template <class A, class S>
struct tensor_operands_s<tnodes::reshape<A, S>> : std::type_identity<mp::mp_list<A>> {};
template <class A>
struct tensor_operands_s<tnodes::logsumexp<A>> : std::type_identity<mp::mp_list<A>> {};
template <class T>
using tensor_operands_t = typename tensor_operands_s<T>::type;

template <class T>
struct is_leaf_s : std::false_type {};
template <fixed_string N, class S>
struct is_leaf_s<param<N, S>> : std::true_type {};
template <fixed_string N, class S>
struct is_leaf_s<input<N, S>> : std::true_type {};
template <class T>
concept is_tensor_leaf = is_leaf_s<T>::value;

template <class T>
struct is_fill_s : std::false_type {};
template <class C, class S>
struct is_fill_s<tnodes::fill<C, S>> : std::true_type {};
template <class T>
concept is_fill = is_fill_s<T>::value;

template <class T>
struct is_ew_s : std::false_type {};
template <class F, class S, class... A>
struct is_ew_s<tnodes::ew<F, S, A...>> : std::true_type {};
template <class T>
concept is_ew = is_ew_s<T>::value;

template <class T>
struct tensor_hash;

template <std::size_t... D>
constexpr std::uint64_t shape_hash(shape<D...>) noexcept {
  std::uint64_t h = 17;
  ((h = hash_mix(h, D)), ...);
  return h;
}
/// The hash of a node of this kind over the hashes of its parts (a plain
/// function: a function template over the parts would be a symbol named
/// after each node).
constexpr std::uint64_t combine_hashes(node_kind kind, std::initializer_list<std::uint64_t> parts) noexcept {
  std::uint64_t h = hash_tag(kind);
  for (std::uint64_t part : parts) h = hash_mix(h, part);
  return h;
}
template <fixed_string N, class S>
struct tensor_hash<param<N, S>>
    : std::integral_constant<std::uint64_t, hash_mix(hash_text(N.view()), hash_tag(node_kind::param))> {};
template <fixed_string N, class S>
struct tensor_hash<input<N, S>>
    : std::integral_constant<std::uint64_t, hash_mix(hash_text(N.view()), hash_tag(node_kind::input))> {};
template <class C, class S>
struct tensor_hash<tnodes::fill<C, S>>
    : std::integral_constant<std::uint64_t, hash_mix(hash_mix(hash_tag(node_kind::fill), structural_hash<C>::value),
                                                     shape_hash(S{}))> {};
template <class F, class S, class... A>
struct tensor_hash<tnodes::ew<F, S, A...>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(structural_hash<F>::value,
                                      combine_hashes(node_kind::elementwise, {tensor_hash<A>::value...}))> {};
template <class A, class S>
struct tensor_hash<tnodes::broadcast<A, S>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(combine_hashes(node_kind::broadcast, {tensor_hash<A>::value}), shape_hash(S{}))> {
};
template <class A, class S>
struct tensor_hash<tnodes::reduce_sum<A, S>>
    : std::integral_constant<std::uint64_t, hash_mix(combine_hashes(node_kind::reduce_sum, {tensor_hash<A>::value}),
                                                     shape_hash(S{}))> {};
template <class A, class B>
struct tensor_hash<tnodes::matmul<A, B>>
    : std::integral_constant<std::uint64_t,
                             combine_hashes(node_kind::matmul, {tensor_hash<A>::value, tensor_hash<B>::value})> {};
template <class A>
struct tensor_hash<tnodes::transpose<A>>
    : std::integral_constant<std::uint64_t, combine_hashes(node_kind::transpose, {tensor_hash<A>::value})> {};
template <class A, class S>
struct tensor_hash<tnodes::reshape<A, S>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(combine_hashes(node_kind::reshape, {tensor_hash<A>::value}), shape_hash(S{}))> {};
template <class A>
struct tensor_hash<tnodes::logsumexp<A>>
    : std::integral_constant<std::uint64_t, combine_hashes(node_kind::logsumexp, {tensor_hash<A>::value})> {};

// ---------------------------------------------------------------------------
// The canonical elementwise node of formula F over operands As (all of
// shape S): literal fills become constants in F, repeated operands merge,
// unused ones drop, the rest are ordered by hash (so a + b is b + a);
// a constant formula is a fill, and `_0` alone is its operand.

template <class F, class S, class Args>
struct ew_of;

template <class T>
struct fill_constant;
template <class C, class S>
struct fill_constant<tnodes::fill<C, S>> : std::type_identity<C> {};

/// What placeholder _I becomes when operand I is A: the constant of a
/// fill, else _I.  (Keyed by the operand itself: no list lookup.)
template <class A, std::size_t I>
struct fill_or_placeholder : std::type_identity<ph<I>> {};
template <class C, class S, std::size_t I>
struct fill_or_placeholder<tnodes::fill<C, S>, I> : std::type_identity<C> {};

/// An operand that is just a multiple of another tensor (c * A) is folded
/// into the formula: c*_i over A (a multiply is cheaper than a node, and
/// `x - t/5` prints as such).
template <class T>
struct scaled_s : std::false_type {};
template <class C, class S, class A>
requires is_constant<C>
struct scaled_s<tnodes::ew<nodes::mul<C, ph<0>>, S, A>> : std::true_type {
  using coefficient = C;
  using operand = A;
};

template <class Args, std::size_t I>
struct unscaled_operand : std::type_identity<mp::mp_at_c<Args, I>> {};
template <class Args, std::size_t I>
requires scaled_s<mp::mp_at_c<Args, I>>::value struct unscaled_operand<Args, I>
    : std::type_identity<typename scaled_s<mp::mp_at_c<Args, I>>::operand> {
};

template <class Args, std::size_t I>
struct scale_placeholder : std::type_identity<ph<I>> {};
template <class Args, std::size_t I>
requires scaled_s<mp::mp_at_c<Args, I>>::value struct scale_placeholder<Args, I>
    : std::type_identity<decltype(make_mul(typename scaled_s<mp::mp_at_c<Args, I>>::coefficient{}, ph<I>{}))> {
};

/// The position of the first true flag (their count if none).  Searches
/// over operand lists go through this plain function, not mp_find: every
/// mp_find over a list of nodes is a symbol named after those nodes.
constexpr std::size_t first_true(std::initializer_list<bool> flags) noexcept {
  std::size_t i = 0;
  for (bool flag : flags) {
    if (flag) break;
    ++i;
  }
  return i;
}

/// _j for the first operand j that is A (the built-in, not std::is_same: a
/// class per pair of operands).
template <class Args, class A>
struct first_equal_s;
template <class... As, class A>
struct first_equal_s<mp::mp_list<As...>, A> : std::type_identity<ph<first_true({__is_same(As, A)...})>> {};

/// The canonical order of an elementwise node's operands, from each
/// operand's flag (used by the formula) and hash: the used ones sorted by
/// hash, ties in their original order (an insertion sort: a handful of
/// operands).  Computed on numbers, in one constexpr call per node, where
/// mp_copy_if, mp_sort and a position search per operand instantiated some
/// forty small classes per elementwise node.
template <std::size_t N>
struct operand_order {
  std::array<std::size_t, N> operand{};   // new operand k is old operand operand[k]
  std::array<std::size_t, N> position{};  // old operand i is new operand position[i] (count: dropped)
  std::size_t count = 0;
};
template <std::size_t N>
constexpr operand_order<N> order_operands(const std::array<bool, N>& used,
                                          const std::array<std::uint64_t, N>& hashes) noexcept {
  operand_order<N> o;
  for (std::size_t i = 0; i != N; ++i) {
    if (!used[i]) continue;
    std::size_t k = o.count++;
    for (; k != 0 && hashes[o.operand[k - 1]] > hashes[i]; --k) o.operand[k] = o.operand[k - 1];
    o.operand[k] = i;
  }
  for (std::size_t i = 0; i != N; ++i) o.position[i] = o.count;
  for (std::size_t k = 0; k != o.count; ++k) o.position[o.operand[k]] = k;
  return o;
}
/// order_operands as a class of numbers only (its static member is a
/// symbol named after flags and hashes, never after nodes).
template <class Used, class Hashes>
struct operand_order_of;
template <bool... Used, std::uint64_t... Hashes>
struct operand_order_of<std::integer_sequence<bool, Used...>, std::integer_sequence<std::uint64_t, Hashes...>> {
  static constexpr operand_order<sizeof...(Used)> value = order_operands<sizeof...(Used)>({Used...}, {Hashes...});
};

template <class F, class S, class Args>
struct ew_result : std::type_identity<mp::mp_apply<tnodes::ew, mp::mp_append<mp::mp_list<F, S>, Args>>> {};
template <class F, class S, class Args>
requires is_constant<F>
struct ew_result<F, S, Args> : std::type_identity<tnodes::fill<F, S>> {
};
template <class S, class Args>
struct ew_result<ph<0>, S, Args> : std::type_identity<mp::mp_first<Args>> {};

template <class F, class S, class... As>
requires(scaled_s<As>::value || ...) struct ew_of<F, S, mp::mp_list<As...>> {
  using args = mp::mp_list<As...>;
  template <std::size_t... I>
  static auto scaled(std::index_sequence<I...>)
      -> ew_of<substitute_t<F, mp::mp_list<typename scale_placeholder<args, I>::type...>>, S,
               mp::mp_list<typename unscaled_operand<args, I>::type...>>;
  using type = typename decltype(scaled(std::index_sequence_for<As...>{}))::type;
};

template <class F, class S, class... As>
struct ew_of<F, S, mp::mp_list<As...>> {
  using args = mp::mp_list<As...>;
  using indices = std::index_sequence_for<As...>;

  template <std::size_t... I>
  static auto folded(std::index_sequence<I...>)
      -> substitute_t<F, mp::mp_list<typename fill_or_placeholder<As, I>::type...>>;
  using f1 = decltype(folded(indices{}));

  using f2 = substitute_t<f1, mp::mp_list<typename first_equal_s<args, As>::type...>>;

  template <std::size_t... I>
  static auto used(std::index_sequence<I...>) -> std::integer_sequence<bool, uses_placeholder<f2, I>::value...>;
  using order =
      operand_order_of<decltype(used(indices{})), std::integer_sequence<std::uint64_t, tensor_hash<As>::value...>>;

  template <std::size_t... I>
  static auto renumbered(std::index_sequence<I...>) -> substitute_t<f2, mp::mp_list<ph<order::value.position[I]>...>>;
  using f3 = decltype(renumbered(indices{}));

  template <std::size_t... K>
  static auto kept(std::index_sequence<K...>) -> mp::mp_list<mp::mp_at_c<args, order::value.operand[K]>...>;

  using type = typename ew_result<f3, S, decltype(kept(std::make_index_sequence<order::value.count>{}))>::type;
};

template <std::intmax_t N, std::intmax_t D = 1>
using constant_t = std::remove_const_t<decltype(c<N, D>)>;

/// A viewed as shape S (a view; reshaping a reshape is one reshape).
template <class A, class S>
struct reshape_s : std::type_identity<tnodes::reshape<A, S>> {};
template <class A, class S>
requires std::is_same<shape_of<A>, S>::value struct reshape_s<A, S> : std::type_identity<A> {
};
template <class X, class S0, class S>
requires(!std::is_same<S0, S>::value) struct reshape_s<tnodes::reshape<X, S0>, S> : reshape_s<X, S> {
};
template <class C, class S0, class S>
requires(!std::is_same<S0, S>::value) struct reshape_s<tnodes::fill<C, S0>, S>
    : std::type_identity<tnodes::fill<C, S>> {
};
template <class A, class S>
using reshape_t = typename reshape_s<A, S>::type;

template <class A>
struct transpose_s : std::type_identity<tnodes::transpose<A>> {};
template <class X>
struct transpose_s<tnodes::transpose<X>> : std::type_identity<X> {};
template <class C, std::size_t M, std::size_t N>
struct transpose_s<tnodes::fill<C, shape<M, N>>> : std::type_identity<tnodes::fill<C, shape<N, M>>> {};
template <class A>
using transpose_t = typename transpose_s<A>::type;

template <class F, class S, class... As>
using ew_t = typename ew_of<F, S, mp::mp_list<As...>>::type;

}  // namespace detail
}  // namespace ctgrad
