// ctgrad/numeric/gemm.hpp — the matrix product of a kernel: C[M,N] = A[M,K] x B[K,N]
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
#include <type_traits>
#include <utility>

#include "../config.hpp"

CTGRAD_DETAIL_NO_CONTRACTION_BEGIN

namespace ctgrad::detail::gemm {

/// The vector of T that is Bytes wide (16: SSE2, 32: AVX), or none.
template <class T, std::size_t Bytes>
struct vec {
  static constexpr std::size_t lanes = 1;  // no vector type: plain loops
};
template <std::size_t Bytes>
struct vec<float, Bytes> {
  typedef float type __attribute__((vector_size(Bytes)));
  static constexpr std::size_t lanes = Bytes / sizeof(float);
};
template <std::size_t Bytes>
struct vec<double, Bytes> {
  typedef double type __attribute__((vector_size(Bytes)));
  static constexpr std::size_t lanes = Bytes / sizeof(double);
};

// Vectors move by memcpy (unaligned loads and stores), never by value
// through a function: a 32-byte vector returned from a function compiled
// without AVX would change the ABI (GCC warns, -Wpsabi).
template <class V, class T>
CTGRAD_DETAIL_ALWAYS_INLINE void load(V& v, const T* p) noexcept {
  std::memcpy(&v, p, sizeof v);
}
template <class V, class T>
CTGRAD_DETAIL_ALWAYS_INLINE void store(T* p, const V& v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

/// How results are written: stored (C = A x B), or folded into an existing
/// array (C = beta * C + alpha * (A x B): an SGD step applied as the
/// gradient is produced, without storing the gradient).
struct store_result {
  template <class T, class V>
  CTGRAD_DETAIL_ALWAYS_INLINE void vec(T* p, const V& v) const noexcept {
    store(p, v);
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE void scalar(T* p, T v) const noexcept {
    *p = v;
  }
};
template <class T>
struct scale_and_add {
  T alpha, beta;
  template <class V>
  CTGRAD_DETAIL_ALWAYS_INLINE void vec(T* p, const V& v) const noexcept {
    V old;
    load(old, p);
    old = (V{} + beta) * old + (V{} + alpha) * v;
    store(p, old);
  }
  CTGRAD_DETAIL_ALWAYS_INLINE void scalar(T* p, T v) const noexcept { *p = beta * *p + alpha * v; }
};

/// One R x (V vectors) tile of C at (i0, j0).  The loops over the tile are
/// written as pack expansions: with constant indices the accumulators live
/// in registers (GCC -O2 does not unroll small loops, and an array indexed
/// in a loop stays in memory).
template <std::size_t Bytes, std::size_t R, std::size_t V, std::size_t K, std::size_t N, class T, class A, class E>
CTGRAD_DETAIL_ALWAYS_INLINE void tile(T* __restrict c, const T* __restrict b, A a, E e, std::size_t i0,
                                    std::size_t j0) noexcept {
  using v = typename vec<T, Bytes>::type;
  constexpr std::size_t L = vec<T, Bytes>::lanes;
  [&]<std::size_t... RQ, std::size_t... Q, std::size_t... Rr>(std::index_sequence<RQ...>, std::index_sequence<Q...>,
                                                              std::index_sequence<Rr...>)
      __attribute__((always_inline)) {  // never out of line: it would lose the caller's AVX2 target
    v acc[R * V] = {};
    for (std::size_t k = 0; k != K; ++k) {
      const T* bk = b + k * N + j0;
      v row[V];
      (load(row[Q], bk + Q * L), ...);
      const v broadcast[R] = {(v{} + a(i0 + Rr, k))...};
      ((acc[RQ] += broadcast[RQ / V] * row[RQ % V]), ...);
    }
    // Results leave through copies: taking the accumulators' address would
    // keep them in memory (clang 14).
    v result[R * V] = {acc[RQ]...};
    (e.vec(c + (i0 + RQ / V) * N + j0 + (RQ % V) * L, result[RQ]), ...);
  }
  (std::make_index_sequence<R * V>{}, std::make_index_sequence<V>{}, std::make_index_sequence<R>{});
}

/// Columns [J0, N) that do not fill a vector: plain sums.
template <std::size_t K, std::size_t N, std::size_t J0, class T, class A, class E>
CTGRAD_DETAIL_ALWAYS_INLINE void tail_columns(T* __restrict c, const T* __restrict b, A a, E e, std::size_t i) noexcept {
  for (std::size_t j = J0; j != N; ++j) {
    T s = T(0);
    for (std::size_t k = 0; k != K; ++k) s += a(i, k) * b[k * N + j];
    e.scalar(c + i * N + j, s);
  }
}

/// C = A x B with vectors of Bytes (the kernel's dispatch picks 16 or 32).
template <std::size_t Bytes, std::size_t M, std::size_t K, std::size_t N, class T, class A, class E = store_result>
CTGRAD_DETAIL_ALWAYS_INLINE void multiply(T* __restrict c, const T* __restrict b, A a, E e = {}) noexcept {
  constexpr std::size_t L = vec<T, Bytes>::lanes;
  if constexpr (L == 1) {
    for (std::size_t i = 0; i != M; ++i) tail_columns<K, N, 0>(c, b, a, e, i);
  } else {
    constexpr std::size_t vectors = N / L;  // full vectors per row of C
    constexpr std::size_t R = M >= 2 && vectors >= 3 ? 2 : 1;
    constexpr std::size_t V = vectors >= 8 / R ? 8 / R : (vectors == 0 ? 1 : vectors);
    constexpr std::size_t J = vectors / V * V * L;  // columns covered by whole tiles
    constexpr std::size_t I = M / R * R;
    for (std::size_t j0 = 0; j0 != J; j0 += V * L) {
      for (std::size_t i0 = 0; i0 != I; i0 += R) tile<Bytes, R, V, K, N>(c, b, a, e, i0, j0);
      for (std::size_t i0 = I; i0 != M; ++i0) tile<Bytes, 1, V, K, N>(c, b, a, e, i0, j0);
    }
    if constexpr (J != vectors * L) {  // leftover whole vectors: one-vector tiles
      for (std::size_t j0 = J; j0 != vectors * L; j0 += L)
        for (std::size_t i0 = 0; i0 != M; ++i0) tile<Bytes, 1, 1, K, N>(c, b, a, e, i0, j0);
    }
    if constexpr (vectors * L != N)
      for (std::size_t i = 0; i != M; ++i) tail_columns<K, N, vectors * L>(c, b, a, e, i);
  }
}

/// sum over k of a[k] * b[k]: eight partial sums p[k % 8] over the whole
/// multiples of 8, then (p0+p4) + (p1+p5) + (p2+p6) + (p3+p7), then the
/// rest in order.  One fixed order, whatever the vector width.
template <std::size_t Bytes, std::size_t K, class T>
CTGRAD_DETAIL_ALWAYS_INLINE T dot(const T* __restrict a, const T* __restrict b) noexcept {
  constexpr std::size_t body = K / 8 * 8;
  T s = T(0);
  if constexpr (body != 0) {
    T p[8];
    if constexpr (vec<T, Bytes>::lanes > 1 && 8 % vec<T, Bytes>::lanes == 0) {
      using v = typename vec<T, Bytes>::type;
      constexpr std::size_t L = vec<T, Bytes>::lanes, n = 8 / L;
      [&]<std::size_t... Q>(std::index_sequence<Q...>) __attribute__((always_inline)) {
        v acc[n] = {};
        for (std::size_t k = 0; k != body; k += 8) {
          v x[n], y[n];
          (load(x[Q], a + k + Q * L), ...);
          (load(y[Q], b + k + Q * L), ...);
          ((acc[Q] += x[Q] * y[Q]), ...);
        }
        (std::memcpy(p + Q * L, &acc[Q], sizeof(v)), ...);
      }
      (std::make_index_sequence<n>{});
    } else {
      for (std::size_t l = 0; l != 8; ++l) p[l] = T(0);
      for (std::size_t k = 0; k != body; k += 8)
        for (std::size_t l = 0; l != 8; ++l) p[l] += a[k + l] * b[k + l];
    }
    s = ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]));
  }
  for (std::size_t k = body; k != K; ++k) s += a[k] * b[k];
  return s;
}

/// partial[l] += the sum over q of a[16 q + l] * b[16 q + l], for the
/// whole multiples of 16 in K (the caller adds the rest): sixteen partial
/// sums in registers, each in the order of q whatever the vector width.
template <std::size_t Bytes, std::size_t K, class T>
CTGRAD_DETAIL_ALWAYS_INLINE void dot_lanes16(T* __restrict partial, const T* __restrict a,
                                           const T* __restrict b) noexcept {
  constexpr std::size_t body = K / 16 * 16;
  if constexpr (vec<T, Bytes>::lanes > 1 && 16 % vec<T, Bytes>::lanes == 0) {
    using v = typename vec<T, Bytes>::type;
    constexpr std::size_t L = vec<T, Bytes>::lanes, n = 16 / L;
    [&]<std::size_t... Q>(std::index_sequence<Q...>) __attribute__((always_inline)) {
      v acc[n];
      (load(acc[Q], partial + Q * L), ...);
      for (std::size_t k = 0; k != body; k += 16) {
        v x[n], y[n];
        (load(x[Q], a + k + Q * L), ...);
        (load(y[Q], b + k + Q * L), ...);
        ((acc[Q] += x[Q] * y[Q]), ...);
      }
      (store(partial + Q * L, acc[Q]), ...);
    }
    (std::make_index_sequence<n>{});
  } else {
    for (std::size_t k = 0; k != body; k += 16)
      for (std::size_t l = 0; l != 16; ++l) partial[l] += a[k + l] * b[k + l];
  }
}

}  // namespace ctgrad::detail::gemm

CTGRAD_DETAIL_NO_CONTRACTION_END
