// ctgrad/detail/gemm.hpp — the matrix product of a kernel: C[M,N] = A[M,K] x B[K,N]
// with B row-major and contiguous (the kernel packs a transposed right
// operand first), A read through an accessor a(i, k).
//
// Register blocking with GCC/clang vector extensions: a tile of R rows by
// V vectors of C stays in registers while k runs over K; each step loads V
// vectors of B's row k once and broadcasts R elements of A.  Tiles are
// chosen at compile time from M and N (R*V <= 8 accumulators, fitting the
// 16 registers of SSE2 with B and A alongside).  Column tiles are the outer
// loop, so a strip of B stays in cache while the row tiles pass over it.
// Every element is the same sum over k in the same order as the plain loop
// (no reassociation): the result does not depend on the tiling.
#pragma once

#include <cstddef>
#include <cstring>
#include <utility>
#include <type_traits>

namespace ctgrad::detail::gemm {

#define CTGRAD_DETAIL_GEMM_INLINE [[gnu::always_inline]] inline

template <class T>
struct vec {
  static constexpr std::size_t lanes = 1;  // no vector type: plain loops
};
template <>
struct vec<float> {
  typedef float type __attribute__((vector_size(16)));
  static constexpr std::size_t lanes = 4;
};
template <>
struct vec<double> {
  typedef double type __attribute__((vector_size(16)));
  static constexpr std::size_t lanes = 2;
};

template <class T>
CTGRAD_DETAIL_GEMM_INLINE typename vec<T>::type load(const T* p) noexcept {
  typename vec<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
CTGRAD_DETAIL_GEMM_INLINE void store(T* p, typename vec<T>::type v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

/// One R x (V vectors) tile of C at (i0, j0).  The loops over the tile are
/// written as pack expansions: with constant indices the accumulators live
/// in registers (GCC -O2 does not unroll small loops, and an array indexed
/// in a loop stays in memory).
template <std::size_t R, std::size_t V, std::size_t K, std::size_t N, class T, class A>
CTGRAD_DETAIL_GEMM_INLINE void tile(T* __restrict c, const T* __restrict b, A a, std::size_t i0,
                                    std::size_t j0) noexcept {
  using v = typename vec<T>::type;
  constexpr std::size_t L = vec<T>::lanes;
  [&]<std::size_t... RQ, std::size_t... Q, std::size_t... Rr>(std::index_sequence<RQ...>, std::index_sequence<Q...>,
                                                               std::index_sequence<Rr...>) {
    v acc[R * V] = {};
    for (std::size_t k = 0; k != K; ++k) {
      const T* bk = b + k * N + j0;
      const v row[V] = {load(bk + Q * L)...};
      const v broadcast[R] = {(v{} + a(i0 + Rr, k))...};
      ((acc[RQ] += broadcast[RQ / V] * row[RQ % V]), ...);
    }
    (store(c + (i0 + RQ / V) * N + j0 + (RQ % V) * L, acc[RQ]), ...);
  }(std::make_index_sequence<R * V>{}, std::make_index_sequence<V>{}, std::make_index_sequence<R>{});
}

/// Columns [J0, N) that do not fill a vector: plain sums.
template <std::size_t K, std::size_t N, std::size_t J0, class T, class A>
CTGRAD_DETAIL_GEMM_INLINE void tail_columns(T* __restrict c, const T* __restrict b, A a, std::size_t i) noexcept {
  for (std::size_t j = J0; j != N; ++j) {
    T s = T(0);
    for (std::size_t k = 0; k != K; ++k) s += a(i, k) * b[k * N + j];
    c[i * N + j] = s;
  }
}

template <std::size_t M, std::size_t K, std::size_t N, class T, class A>
CTGRAD_DETAIL_GEMM_INLINE void multiply(T* __restrict c, const T* __restrict b, A a) noexcept {
  constexpr std::size_t L = vec<T>::lanes;
  if constexpr (L == 1) {
    for (std::size_t i = 0; i != M; ++i) tail_columns<K, N, 0>(c, b, a, i);
  } else {
    constexpr std::size_t vectors = N / L;  // full vectors per row of C
    constexpr std::size_t R = M >= 2 && vectors >= 3 ? 2 : 1;
    constexpr std::size_t V = vectors >= 8 / R ? 8 / R : (vectors == 0 ? 1 : vectors);
    constexpr std::size_t J = vectors / V * V * L;  // columns covered by whole tiles
    constexpr std::size_t I = M / R * R;
    for (std::size_t j0 = 0; j0 != J; j0 += V * L) {
      for (std::size_t i0 = 0; i0 != I; i0 += R) tile<R, V, K, N>(c, b, a, i0, j0);
      for (std::size_t i0 = I; i0 != M; ++i0) tile<1, V, K, N>(c, b, a, i0, j0);
    }
    if constexpr (J != vectors * L) {  // leftover whole vectors: one-vector tiles
      for (std::size_t j0 = J; j0 != vectors * L; j0 += L)
        for (std::size_t i0 = 0; i0 != M; ++i0) tile<1, 1, K, N>(c, b, a, i0, j0);
    }
    if constexpr (vectors * L != N)
      for (std::size_t i = 0; i != M; ++i) tail_columns<K, N, vectors * L>(c, b, a, i);
  }
}

/// sum over k of a[k] * b[k], in vector lanes of partial sums (a fixed
/// order: the result does not depend on the compiler).
template <std::size_t K, class T>
CTGRAD_DETAIL_GEMM_INLINE T dot(const T* __restrict a, const T* __restrict b) noexcept {
  constexpr std::size_t L = vec<T>::lanes;
  T s = T(0);
  std::size_t k = 0;
  if constexpr (L > 1 && K >= 2 * L) {
    using v = typename vec<T>::type;
    v acc0{}, acc1{};
    for (; k + 2 * L <= K; k += 2 * L) {
      acc0 += load(a + k) * load(b + k);
      acc1 += load(a + k + L) * load(b + k + L);
    }
    const v acc = acc0 + acc1;
    for (std::size_t l = 0; l != L; ++l) s += acc[l];
  }
  for (; k != K; ++k) s += a[k] * b[k];
  return s;
}

}  // namespace ctgrad::detail::gemm
