// ctgrad/expr/slice.hpp — a part of a tensor's last axis, and tensors put
// side by side along it (the gates of a recurrent cell are one product,
// sliced).
//
// Nodes (ctgrad::tnodes), each the other's adjoint (rules/tensor.hpp), so
// derivatives of any order stay within the two:
//   slice<X, Begin, Count>  columns [Begin, Begin + Count) of X's last axis
//   embed<G, Begin, N>      G [..., Count] at columns [Begin, Begin + Count)
//                           of zeros [..., N]
// Both are views in a compiled kernel (compile/plan.hpp): no copy, an
// index computed per element.  concat(a, b) has no node of its own: it is
// embed(a) + embed(b), and its gradient the two slices of the adjoint.
#pragma once

#include "conv.hpp"  // zeros_t

namespace ctgrad {

namespace detail {
/// S with its last dimension N.
template <class S, std::size_t N, class = std::make_index_sequence<S::rank - 1>>
struct with_last_dim;
template <class S, std::size_t N, std::size_t... I>
struct with_last_dim<S, N, std::index_sequence<I...>> : std::type_identity<shape<S::dims[I]..., N>> {};
}  // namespace detail

namespace tnodes {
template <class X, std::size_t Begin, std::size_t Count>
struct slice : tensor_base {
  using shape_type = typename detail::with_last_dim<shape_of<X>, Count>::type;
};
template <class G, std::size_t Begin, std::size_t N>
struct embed : tensor_base {
  using shape_type = typename detail::with_last_dim<shape_of<G>, N>::type;
};
}  // namespace tnodes

namespace error {
template <std::size_t Begin, std::size_t Count, std::size_t Columns>
struct slice_out_of_range {
  static_assert(detail::always_false<slice_out_of_range>,
                "ctgrad::slice<Begin, Count>(x): columns [Begin, Begin + Count) must lie within x's last axis and "
                "Count must be at least 1; the numbers are in error::slice_out_of_range<Begin, Count, columns>");
};
template <class A, class B>
struct concat_shapes_differ {
  static_assert(detail::always_false<shapes<A, B>>,
                "ctgrad::concat(a, b): a and b must have the same rank and the same dimensions but the last; "
                "the shapes are in error::concat_shapes_differ<a, b>");
};
template <class Scalar>
struct slice_of_scalar {
  static_assert(detail::always_false<Scalar>,
                "ctgrad::slice / ctgrad::concat: a scalar has no axis to slice or join along");
};
}  // namespace error

namespace detail {
template <class X, std::size_t Begin, std::size_t Count>
struct tensor_operands_s<tnodes::slice<X, Begin, Count>> : std::type_identity<mp::mp_list<X>> {};
template <class G, std::size_t Begin, std::size_t N>
struct tensor_operands_s<tnodes::embed<G, Begin, N>> : std::type_identity<mp::mp_list<G>> {};
template <class X, std::size_t Begin, std::size_t Count>
struct tensor_hash<tnodes::slice<X, Begin, Count>>
    : std::integral_constant<
          std::uint64_t, hash_mix(hash_mix(combine_hashes(node_kind::slice, {tensor_hash<X>::value}), Begin), Count)> {
};
template <class G, std::size_t Begin, std::size_t N>
struct tensor_hash<tnodes::embed<G, Begin, N>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(combine_hashes(node_kind::embed, {tensor_hash<G>::value}), Begin), N)> {
};

template <class X>
inline constexpr bool is_embed = false;
template <class G, std::size_t Begin, std::size_t N>
inline constexpr bool is_embed<tnodes::embed<G, Begin, N>> = true;

/// Columns [Begin, Begin + Count) of X's last axis, canonical: all of them
/// is X; a slice of zeros is zeros, of a slice one slice; the part of an
/// embedding that is its operand is the operand, a part outside it zeros;
/// a slice of an elementwise node with an embedding among its operands is
/// the node of their slices (so a slice of a concatenation is the part).
template <class X, std::size_t Begin, std::size_t Count, bool Whole = (Begin == 0 && Count == shape_of<X>::dims.back())>
struct slice_s : std::type_identity<tnodes::slice<X, Begin, Count>> {};
template <class X, std::size_t Begin, std::size_t Count>
using slice_t = typename slice_s<X, Begin, Count>::type;
template <class X, std::size_t Begin, std::size_t Count>
struct slice_s<X, Begin, Count, true> : std::type_identity<X> {};
template <class C, class S, std::size_t Begin, std::size_t Count>
struct slice_s<tnodes::fill<C, S>, Begin, Count, false>
    : std::type_identity<tnodes::fill<C, typename with_last_dim<S, Count>::type>> {};
template <class G, std::size_t At, std::size_t N, std::size_t Begin, std::size_t Count>
struct slice_s<tnodes::embed<G, At, N>, Begin, Count, false> {
  static constexpr std::size_t inner = shape_of<G>::dims.back();
  using type = std::conditional_t<Begin == At && Count == inner, G,
                                  std::conditional_t<Begin + Count <= At || Begin >= At + inner,
                                                     zeros_t<typename with_last_dim<shape_of<G>, Count>::type>,
                                                     tnodes::slice<tnodes::embed<G, At, N>, Begin, Count>>>;
};
template <class X, std::size_t B0, std::size_t C0, std::size_t Begin, std::size_t Count>
struct slice_s<tnodes::slice<X, B0, C0>, Begin, Count, false> : slice_s<X, B0 + Begin, Count> {};
template <class F, class S, class... A, std::size_t Begin, std::size_t Count>
requires(is_embed<A> || ...) struct slice_s<tnodes::ew<F, S, A...>, Begin, Count, false>
    : std::type_identity<ew_t<F, typename with_last_dim<S, Count>::type, slice_t<A, Begin, Count>...>> {
};

/// G at columns [Begin, Begin + its last dimension) of zeros with N
/// columns, canonical: at all of them, G; zeros embedded are zeros, an
/// embedding embedded one embedding.
template <class G, std::size_t Begin, std::size_t N, bool Whole = (Begin == 0 && N == shape_of<G>::dims.back())>
struct embed_s : std::type_identity<tnodes::embed<G, Begin, N>> {};
template <class G, std::size_t Begin, std::size_t N>
struct embed_s<G, Begin, N, true> : std::type_identity<G> {};
template <class S, std::size_t Begin, std::size_t N>
struct embed_s<tnodes::fill<nodes::constant<0>, S>, Begin, N, false>
    : std::type_identity<zeros_t<typename with_last_dim<S, N>::type>> {};
template <class G, std::size_t B0, std::size_t N0, std::size_t Begin, std::size_t N>
struct embed_s<tnodes::embed<G, B0, N0>, Begin, N, false> : embed_s<G, Begin + B0, N> {};
template <class G, std::size_t Begin, std::size_t N>
using embed_t = typename embed_s<G, Begin, N>::type;

template <class A, class B>
inline constexpr bool joinable = [] {
  using SA = shape_of<A>;
  using SB = shape_of<B>;
  if constexpr (SA::rank != SB::rank || SA::rank == 0)
    return false;
  else
    for (std::size_t d = 0; d + 1 < SA::rank; ++d)
      if (SA::dims[d] != SB::dims[d]) return false;
  return true;
}();
}  // namespace detail

/// Columns [Begin, Begin + Count) of x's last axis (x [..., n] gives
/// [..., Count]): a view.  `slice<0, 16>(z)`: the first gate of a product
/// z = matmul(x, W) of four gates of 16.
template <std::size_t Begin, std::size_t Count, Tensor X>
constexpr auto slice(X) noexcept {
  if constexpr (shape_of<X>::rank == 0) {
    (void)error::slice_of_scalar<X>{};
    return detail::shape_error_result{};
  } else if constexpr (Count == 0 || Begin + Count > shape_of<X>::dims.back()) {
    (void)error::slice_out_of_range<Begin, Count, shape_of<X>::dims.back()>{};
    return detail::shape_error_result{};
  } else {
    return detail::slice_t<X, Begin, Count>{};
  }
}

/// a and b side by side along their last axis ([..., na] and [..., nb]
/// give [..., na + nb]).
template <Tensor A, Tensor B>
constexpr auto concat(A, B) noexcept {
  if constexpr (shape_of<A>::rank == 0 || shape_of<B>::rank == 0) {
    (void)error::slice_of_scalar<std::conditional_t<shape_of<A>::rank == 0, A, B>>{};
    return detail::shape_error_result{};
  } else if constexpr (!detail::joinable<A, B>) {
    (void)error::concat_shapes_differ<shape_of<A>, shape_of<B>>{};
    return detail::shape_error_result{};
  } else {
    constexpr std::size_t na = shape_of<A>::dims.back(), n = na + shape_of<B>::dims.back();
    return detail::embed_t<A, 0, n>{} + detail::embed_t<B, na, n>{};
  }
}

}  // namespace ctgrad
