// ctgrad/expr/order.hpp — a fixed order on expression types, so that
// commutative operands are stored one way only (`y*x` is `x*y`).
//
// Order: constants, then variables (by name), then functions, powers,
// products/quotients, sums; within a group, by a structural hash.  The hash
// only decides *which* canonical order we pick; a collision merely keeps the
// written order (less sharing, never a wrong result).
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "kind.hpp"
#include "../expression.hpp"

namespace ctgrad::detail {

constexpr std::uint64_t hash_mix(std::uint64_t h, std::uint64_t v) noexcept {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0x100000001b3ULL;
}

constexpr std::uint64_t hash_text(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (char ch : s) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ULL;
  return h;
}

template <class T>
struct structural_hash;
// Each inherits its value from an integral_constant: asking for a node's
// hash creates no symbol named after the node (see graph/dag.hpp).

template <std::intmax_t N, std::intmax_t D>
struct structural_hash<nodes::constant<N, D>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(hash_tag(node_kind::constant), static_cast<std::uint64_t>(N)), static_cast<std::uint64_t>(D))> {};
template <fixed_string N>
struct structural_hash<var<N>> : std::integral_constant<std::uint64_t, hash_mix(hash_tag(node_kind::variable), hash_text(N.view()))> {};
template <class A, class B>
struct structural_hash<nodes::add<A, B>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(hash_tag(node_kind::add), structural_hash<A>::value), structural_hash<B>::value)> {};
template <class A, class B>
struct structural_hash<nodes::mul<A, B>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(hash_tag(node_kind::mul), structural_hash<A>::value), structural_hash<B>::value)> {};
template <class A, class B>
struct structural_hash<nodes::div<A, B>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(hash_tag(node_kind::div), structural_hash<A>::value), structural_hash<B>::value)> {};
template <class A, class E>
struct structural_hash<nodes::pow<A, E>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(hash_tag(node_kind::pow), structural_hash<A>::value), structural_hash<E>::value)> {};
template <class F, class A>
struct structural_hash<nodes::unary<F, A>>
    : std::integral_constant<std::uint64_t, hash_mix(hash_text(F::name), structural_hash<A>::value)> {
};  // (tagged by the function's name: every node_kind tag is a small number)

template <class T>
inline constexpr int group = is_constant<T> ? 0
                             : is_var<T>    ? 1
                             : is_unary<T>  ? 2
                             : is_pow<T>    ? 3
                             : is_add<T>    ? 5
                                            : 4;

/// The name of the variable a term starts with (`i1` for `i1*w1`), so that
/// sums and products read in alphabetical order; empty if none.
template <class T>
struct leading_name {
  static constexpr std::string_view value{};
};
template <fixed_string N>
struct leading_name<var<N>> {
  static constexpr std::string_view value = N.view();
};
template <template <class, class> class Node, class A, class B>
struct leading_name<Node<A, B>> : leading_name<A> {};
template <std::intmax_t N, std::intmax_t D, class B>  // skip a coefficient: 2*x starts with x
struct leading_name<nodes::mul<nodes::constant<N, D>, B>> : leading_name<B> {};

/// True when A is stored before B in a commutative node: by group, then
/// leading variable name, then structural hash.
template <class A, class B>
consteval bool before() {
  if constexpr (group<A> != group<B>)
    return group<A> < group<B>;
  else if constexpr (leading_name<A>::value != leading_name<B>::value)
    return leading_name<A>::value < leading_name<B>::value;
  else
    return structural_hash<A>::value < structural_hash<B>::value;
}

}  // namespace ctgrad::detail
