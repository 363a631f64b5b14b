// ctgrad/expr/shape.hpp — fixed shapes, and the errors that name them.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

namespace ctgrad {

/// A fixed shape of rank 0 to 4, row-major: `shape<32, 784>` is 32 rows of
/// 784.  `shape<>` is a scalar.
template <std::size_t... Dims>
struct shape {
  static_assert(sizeof...(Dims) <= 4, "ctgrad::shape: ranks 0 to 4 are supported");
  static_assert(((Dims > 0) && ...), "ctgrad::shape: every dimension must be at least 1");
  static constexpr std::size_t rank = sizeof...(Dims);
  static constexpr std::size_t size = (std::size_t{1} * ... * Dims);
  static constexpr std::array<std::size_t, rank> dims{Dims...};
  /// Row-major strides, in elements.
  static constexpr std::array<std::size_t, rank> strides = [] {
    std::array<std::size_t, rank> s{};
    std::size_t stride = 1;
    for (std::size_t d = rank; d-- > 0;) {
      s[d] = stride;
      stride *= dims[d];
    }
    return s;
  }();
};

template <class T>
inline constexpr bool is_shape_v = false;
template <std::size_t... Dims>
inline constexpr bool is_shape_v<shape<Dims...>> = true;

/// Shape errors are compile errors naming the operation in their text and
/// the numbers in the error type: `error::shapes<shape<2, 3>, shape<4, 5>>`
/// reads the same in every compiler's diagnostics.
namespace error {
template <class... Shapes>
struct shapes {};
}  // namespace error

namespace detail {

/// The numpy broadcast of two shapes (trailing dimensions aligned; a
/// dimension of 1 stretches), or `void` when they do not broadcast.
template <class A, class B>
struct broadcast_shape {
  static constexpr std::size_t rank = A::rank > B::rank ? A::rank : B::rank;
  static constexpr auto result = [] {
    struct out {
      bool ok = true;
      std::array<std::size_t, rank> dims{};
    } r;
    for (std::size_t i = 0; i != rank; ++i) {  // i counts from the right
      const std::size_t a = i < A::rank ? A::dims[A::rank - 1 - i] : 1;
      const std::size_t b = i < B::rank ? B::dims[B::rank - 1 - i] : 1;
      if (a != b && a != 1 && b != 1) r.ok = false;
      r.dims[rank - 1 - i] = a == 1 ? b : a;
    }
    return r;
  }();
  template <std::size_t... I>
  static auto make(std::index_sequence<I...>) -> shape<result.dims[I]...>;
  using type = std::conditional_t<result.ok, decltype(make(std::make_index_sequence<rank>{})), void>;
};

/// Whether From is To's trailing dimensions (a bias over a batch): then
/// the source index is i modulo From's size.
template <class From, class To>
inline constexpr bool is_suffix_of = [] {
  if (From::rank > To::rank) return false;
  for (std::size_t d = 0; d != From::rank; ++d)
    if (From::dims[d] != To::dims[To::rank - From::rank + d]) return false;
  return true;
}();

/// How many consecutive elements of To (a trailing block) come from one
/// element of From when From is broadcast to To: the product of To's
/// trailing dimensions where From has 1.  (A bias [C, 1, 1] over
/// [N, C, H, W]: H * W.)
template <class From, class To>
inline constexpr std::size_t constant_block = [] {
  std::size_t block = 1;
  for (std::size_t i = 0; i != To::rank; ++i) {  // i counts from the right
    const std::size_t from = i < From::rank ? From::dims[From::rank - 1 - i] : 1;
    if (i >= From::rank || from != 1) break;
    block *= To::dims[To::rank - 1 - i];
  }
  return block;
}();

/// Flat index in From of the element that broadcasting From to To puts at
/// flat index i of To.  No loop: it sits in the innermost loop of kernels,
/// and a loop there stops the vectoriser.
template <class From, class To>
[[gnu::always_inline]] constexpr std::size_t broadcast_source_index(std::size_t i) noexcept {
  if constexpr (From::size == 1) {
    return 0;
  } else if constexpr (is_suffix_of<From, To>) {
    return i % From::size;
  } else {
    constexpr std::size_t offset = To::rank - From::rank;
    return [&]<std::size_t... D>(std::index_sequence<D...>) __attribute__((always_inline)) {
      return ((From::dims[D] != 1 ? ((i / To::strides[D + offset]) % To::dims[D + offset]) * From::strides[D] : 0) +
              ... + std::size_t{0});
    }
    (std::make_index_sequence<From::rank>{});
  }
}

}  // namespace detail
}  // namespace ctgrad
