// ctgrad/numeric/gemm.hpp — the matrix product of a kernel: C[M,N] = A[M,K] x B[K,N]
// with B row-major and contiguous (the kernel packs a transposed right
// operand first), A read through an accessor a(i, k).
//
// Register blocking with GCC/clang vector extensions: a tile of R rows by
// V vectors of C stays in registers while k runs over K; each step loads V
// vectors of B's row k once and broadcasts R elements of A.  Tiles are
// chosen at compile time from M and N (R*V <= `accumulators`: 8 in the 16
// registers of SSE2 and AVX2, 16 in the 32 of AVX-512, with B and A
// alongside).  Column tiles are the outer loop, so a strip of B stays in
// cache while the row tiles pass over it.
// Every element is the same sum over k in one fixed order, `sum_in_chunks`
// (k in four chunks, each summed in order, then (s0 + s1) + (s2 + s3)):
// the result does not depend on the tiling, the vector width or the number
// of rows.  A tile with registers to spare sums its chunks side by side
// (four dependent chains a quarter as long: batch-1 layers are latency-
// bound), a full one sums them one after the other.
#pragma once

#include <algorithm>
#include <bit>
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

/// x as if read from memory here: what is computed from it is not hoisted
/// above this point.
template <class X>
CTGRAD_DETAIL_ALWAYS_INLINE void reload(X& x) noexcept {
#if defined(__GNUC__)
  asm volatile("" : "+m"(x));
#else
  (void)x;
#endif
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

/// Accumulators a tile keeps in registers: 8 with 16 vector registers
/// (SSE2, AVX2), 16 with the 32 of AVX-512.
template <std::size_t Bytes>
inline constexpr std::size_t accumulators = Bytes >= 64 ? 16 : 8;

/// The order of every sum over k of a product (the dots below excepted):
/// K < 16, one chunk; else four, chunk c being k in [c K/4, (c + 1) K/4)
/// (K/4 rounded down) and the last one also taking the K % 4 left over.
/// Each chunk is summed in order from 0; the sum is (s0 + s1) + (s2 + s3).
constexpr std::size_t chunk_count(std::size_t K) noexcept { return K >= 16 ? 4 : 1; }
template <std::size_t K>
inline constexpr std::size_t chunks = chunk_count(K);

/// The sum over k < K of term(k), in the order above: the plain loops'
/// form (no vectors, long double, an operand that is not contiguous).
template <std::size_t K, class T, class Term>
CTGRAD_DETAIL_ALWAYS_INLINE T sum_in_chunks(Term term) noexcept {
  constexpr std::size_t P = chunks<K>, KC = K / P;
  T s[P];
  for (std::size_t c = 0; c != P; ++c) {
    s[c] = T(0);
    for (std::size_t k = c * KC; k != (c + 1 == P ? K : (c + 1) * KC); ++k) s[c] += term(k);
  }
  if constexpr (P == 1)
    return s[0];
  else
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/// One R x Cols tile of C at (i0, j0), in V vectors of Bytes: whole vectors,
/// or (V = 1, Cols < lanes) one vector that is only partly used.  The loops
/// over the tile are written as pack expansions: with constant indices the
/// accumulators live in registers (GCC -O2 does not unroll small loops, and
/// an array indexed in a loop stays in memory).
///
/// The chunks of k (`chunks<K>`) are summed G at a time, side by side, G
/// as large as the accumulators allow (4, 2 or 1).
///
/// A partly used vector is loaded whole from B's row k while k < K - 1: its
/// unused lanes read the start of row k + 1 (inside B, since Cols is at least
/// half the lanes and so j0 + lanes <= 2 N), and they are never stored.
/// Row K - 1 is copied in part.
template <std::size_t Bytes, std::size_t R, std::size_t V, std::size_t Cols, std::size_t K, std::size_t N, class T,
          class A, class E>
CTGRAD_DETAIL_ALWAYS_INLINE void tile(T* __restrict c, const T* __restrict b, A a, E e, std::size_t i0,
                                      std::size_t j0) noexcept {
  using v = typename vec<T, Bytes>::type;
  constexpr std::size_t L = vec<T, Bytes>::lanes;
  constexpr bool partial = Cols != V * L;
  static_assert(!partial || (V == 1 && 2 * Cols >= L), "a partial tile is one vector, at least half used");
  constexpr std::size_t P = chunks<K>, KC = K / P;
  constexpr std::size_t G = P * R * V <= accumulators<Bytes> ? P : 2 * R * V <= accumulators<Bytes> ? 2 : 1;
  [&]<std::size_t... RQ, std::size_t... Q, std::size_t... Rr, std::size_t... Gg>(
      std::index_sequence<RQ...>, std::index_sequence<Q...>, std::index_sequence<Rr...>, std::index_sequence<Gg...>)
      __attribute__((always_inline)) {  // never out of line: it would lose the caller's AVX2 target
    // into[RQ] += A(i0 + r, k) * B(k, j0 + ...) for the tile's R x V vectors.
    const auto step = [&](v(&into)[R * V], std::size_t k) __attribute__((always_inline)) {
      v row[V];
      if (partial && k == K - 1) {
        row[0] = v{};
        std::memcpy(&row[0], b + k * N + j0, Cols * sizeof(T));
      } else {
        (load(row[Q], b + k * N + j0 + Q * L), ...);
      }
      // Broadcast as x - (+0), which is x even for x = -0, so the compiler
      // broadcasts a load (x + 0 is not x for -0: it would add first, one
      // scalar add per element of A).  Written inside the product: a
      // broadcast kept in a variable of its own is built lane by lane by
      // GCC 12 in the kernels' AVX2 copies (their target is an attribute).
      const T x[R] = {a(i0 + Rr, k)...};
      ((into[RQ] += (x[RQ / V] - v{}) * row[RQ % V]), ...);
    };
    // Chunks c0 .. c0 + G - 1, side by side; the last chunk's leftover k
    // after them.
    const auto sum_chunks = [&](v(&sums)[G][R * V], std::size_t c0) __attribute__((always_inline)) {
      for (std::size_t t = 0; t != KC; ++t) (step(sums[Gg], (c0 + Gg) * KC + t), ...);
      if (c0 + G == P)
        for (std::size_t k = P * KC; k != K; ++k) step(sums[G - 1], k);
    };
    v acc[G][R * V] = {};
    v result[R * V];
    if constexpr (P == 1) {
      sum_chunks(acc, 0);
      // Results leave through copies: taking the accumulators' address
      // would keep them in memory (clang 14).
      ((result[RQ] = acc[0][RQ]), ...);
    } else if constexpr (G == P) {
      sum_chunks(acc, 0);
      ((result[RQ] = (acc[0][RQ] + acc[1][RQ]) + (acc[2][RQ] + acc[3][RQ])), ...);
    } else if constexpr (G == 2) {
      // Registers for two chunks at a time: s0 + s1 waits.
      v first[R * V];
      sum_chunks(acc, 0);
      ((first[RQ] = acc[0][RQ] + acc[1][RQ]), ...);
      ((acc[0][RQ] = acc[1][RQ] = v{}), ...);
      sum_chunks(acc, 2);
      ((result[RQ] = first[RQ] + (acc[0][RQ] + acc[1][RQ])), ...);
    } else {
      // A full tile, one chunk at a time: s0, then s0 + s1, and s2 wait.
      v first[R * V], third[R * V];
      sum_chunks(acc, 0);
      ((first[RQ] = acc[0][RQ]), ...);
      ((acc[0][RQ] = v{}), ...);
      sum_chunks(acc, 1);
      ((first[RQ] = first[RQ] + acc[0][RQ]), ...);
      ((acc[0][RQ] = v{}), ...);
      sum_chunks(acc, 2);
      ((third[RQ] = acc[0][RQ]), ...);
      ((acc[0][RQ] = v{}), ...);
      sum_chunks(acc, 3);
      ((result[RQ] = first[RQ] + (third[RQ] + acc[0][RQ])), ...);
    }
    // After a long loop over k, the way results are written is set up
    // anew (a fused update's alpha and beta broadcast): hoisted out of
    // the tiles, it held registers through the loop, and in W3's AVX2
    // copy GCC 12 kept an accumulator on the stack instead (190 -> 250 us).
    E out = e;
    if constexpr (K >= 16 && !std::is_empty_v<E>) reload(out);
    if constexpr (partial) {
      T lanes[R][L];
      std::memcpy(lanes, result, sizeof lanes);
      for (std::size_t r = 0; r != R; ++r)
        for (std::size_t j = 0; j != Cols; ++j) out.scalar(c + (i0 + r) * N + j0 + j, lanes[r][j]);
    } else {
      (out.vec(c + (i0 + RQ / V) * N + j0 + (RQ % V) * L, result[RQ]), ...);
    }
  }
  (std::make_index_sequence<R * V>{}, std::make_index_sequence<V>{}, std::make_index_sequence<R>{},
   std::make_index_sequence<G>{});
}

/// The tiles of one strip of columns [J0, J0 + Cols) of C, over every row:
/// R rows at a time (as many as the accumulators allow for V vectors), then
/// the rows left over in one smaller tile.
template <std::size_t Bytes, std::size_t V, std::size_t Cols, std::size_t M, std::size_t K, std::size_t N, class T,
          class A, class E>
CTGRAD_DETAIL_ALWAYS_INLINE void strip(T* __restrict c, const T* __restrict b, A a, E e, std::size_t j0) noexcept {
  constexpr std::size_t R = std::min({M, std::size_t(8), std::max<std::size_t>(accumulators<Bytes> / V, 1)});
  constexpr std::size_t I = M / R * R;
  for (std::size_t i0 = 0; i0 != I; i0 += R) tile<Bytes, R, V, Cols, K, N>(c, b, a, e, i0, j0);
  if constexpr (I != M) tile<Bytes, M - I, V, Cols, K, N>(c, b, a, e, I, j0);
}

/// The smallest vector (a power of two bytes, at most Bytes) that holds
/// Cols elements of T.
template <class T, std::size_t Bytes, std::size_t Cols>
inline constexpr std::size_t bytes_for = std::min(Bytes, std::bit_ceil(Cols * sizeof(T)));

/// C = A x B with vectors of Bytes (the kernel's dispatch picks 16, 32 or 64).
/// Strips of V whole vectors (V = 4, or what is left of a row), then the
/// columns that do not fill a vector in the smallest vector that holds them.
template <std::size_t Bytes, std::size_t M, std::size_t K, std::size_t N, class T, class A, class E = store_result>
CTGRAD_DETAIL_ALWAYS_INLINE void multiply(T* __restrict c, const T* __restrict b, A a, E e = {}) noexcept {
  constexpr std::size_t L = vec<T, Bytes>::lanes;
  if constexpr (L == 1) {
    for (std::size_t i = 0; i != M; ++i)
      for (std::size_t j = 0; j != N; ++j)
        e.scalar(c + i * N + j, sum_in_chunks<K, T>([&](std::size_t k) { return a(i, k) * b[k * N + j]; }));
  } else {
    constexpr std::size_t vectors = N / L, V = vectors < 4 ? vectors : 4;
    constexpr std::size_t J = V == 0 ? 0 : vectors / V * V * L;  // columns covered by strips of V vectors
    if constexpr (J != 0)
      for (std::size_t j0 = 0; j0 != J; j0 += V * L) strip<Bytes, V, V * L, M, K, N>(c, b, a, e, j0);
    if constexpr (J != vectors * L) strip<Bytes, vectors - J / L, vectors * L - J, M, K, N>(c, b, a, e, J);
    if constexpr (vectors * L != N) {
      constexpr std::size_t rest = N - vectors * L, PB = bytes_for<T, Bytes, rest>;
      if constexpr (PB == sizeof(T))  // one column
        strip<sizeof(T) * 2, 1, 1, M, K, N>(c, b, a, e, vectors * L);
      else
        strip<PB, 1, rest, M, K, N>(c, b, a, e, vectors * L);
    }
  }
}

/// sum over k of a[k] * b[k]: eight partial sums p[k % 8] over the whole
/// multiples of 8, then (p0+p4) + (p1+p5) + (p2+p6) + (p3+p7), then the
/// rest in order.  One fixed order, whatever the vector width.
template <std::size_t Bytes, std::size_t K, class T>
CTGRAD_DETAIL_ALWAYS_INLINE T dot(const T* __restrict a, const T* __restrict b) noexcept {
  constexpr std::size_t body = K / 8 * 8, VB = Bytes < 32 ? Bytes : 32;  // 8 sums: at most 8 float lanes
  T s = T(0);
  if constexpr (body != 0) {
    T p[8];
    if constexpr (vec<T, VB>::lanes > 1 && 8 % vec<T, VB>::lanes == 0) {
      using v = typename vec<T, VB>::type;
      constexpr std::size_t L = vec<T, VB>::lanes, n = 8 / L;
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

/// The dots of dots<..., 4, N> below, L rows of y at a time (float, L = 4,
/// 8 or 16 lanes): L/4 rows to a vector, each row's four products in one
/// 16-byte lane; a 4x4 transpose of each 16-byte lane across four vectors
/// leaves the products of k = 0, 1, 2, 3 in vectors of their own, summed
/// ((0 + p0) + p1) + p2) + p3 as dot sums them, and one permutation puts
/// the rows back in order.  Nine shuffles for L dots instead of L serial
/// sums (W2's dz3 W3^T, each instruction alone: 26 -> 6.8 ns in GCC's
/// AVX-512 copy, 26 -> 9.2 ns in its AVX2 copy).  The products are taken
/// after the transpose, by a[k] broadcast: GCC 12 built a vector of
/// a[0..3] repeated through the stack (19 ns).
template <std::size_t L, std::size_t N, class E>
CTGRAD_DETAIL_ALWAYS_INLINE void dots_k4(float* __restrict c, const float* __restrict a, const float* __restrict y,
                                         E e) noexcept {
  using v = typename vec<float, L * sizeof(float)>::type;
  constexpr std::size_t R = L / 4;  // rows to a vector
  // Within each 16-byte lane m: the unpacks and 64-bit moves of a 4x4 transpose.
  constexpr auto lo = [](std::size_t i) { return i / 4 * 4 + i % 4 / 2 + (i % 2 == 0 ? 0 : L); };
  constexpr auto hi = [](std::size_t i) { return i / 4 * 4 + 2 + i % 4 / 2 + (i % 2 == 0 ? 0 : L); };
  constexpr auto low_halves = [](std::size_t i) { return i / 4 * 4 + i % 2 + (i % 4 < 2 ? 0 : L); };
  constexpr auto high_halves = [](std::size_t i) { return i / 4 * 4 + 2 + i % 2 + (i % 4 < 2 ? 0 : L); };
  // Sums at 4m + q hold row q R + m; back to row order.
  constexpr auto row_order = [](std::size_t i) { return i % R * 4 + i / R; };
  [&]<std::size_t... I, std::size_t... Q>(std::index_sequence<I...>, std::index_sequence<Q...>)
      __attribute__((always_inline)) {
    for (std::size_t j0 = 0; j0 != N / L * L; j0 += L) {
      v p[4];
      (load(p[Q], y + (j0 + Q * R) * 4), ...);
      const v t0 = __builtin_shufflevector(p[0], p[1], lo(I)...), t1 = __builtin_shufflevector(p[0], p[1], hi(I)...);
      const v t2 = __builtin_shufflevector(p[2], p[3], lo(I)...), t3 = __builtin_shufflevector(p[2], p[3], hi(I)...);
      const v k0 = a[0] * __builtin_shufflevector(t0, t2, low_halves(I)...);
      const v k1 = a[1] * __builtin_shufflevector(t0, t2, high_halves(I)...);
      const v k2 = a[2] * __builtin_shufflevector(t1, t3, low_halves(I)...);
      const v k3 = a[3] * __builtin_shufflevector(t1, t3, high_halves(I)...);
      const v sums = (((v{} + k0) + k1) + k2) + k3;
      e.vec(c + j0, __builtin_shufflevector(sums, sums, row_order(I)...));
    }
  }
  (std::make_index_sequence<L>{}, std::make_index_sequence<4>{});
  constexpr std::size_t done = N / L * L;
  if constexpr (L > 4 && N - done >= 4)
    dots_k4<L / 2, N - done>(c + done, a, y + done * 4, e);
  else
    for (std::size_t j = done; j != N; ++j) e.scalar(c + j, dot<L * sizeof(float), 4>(a, y + j * 4));
}

/// Column k of L rows of K < 8 values (K vectors of L lanes, loaded one
/// after the other) as one vector: lane i is value k + K i, from vector
/// (k + K i) / L; a shuffle of the first two vectors, then one more per
/// further vector, each keeping the lanes placed so far.
template <std::size_t L, std::size_t K, std::size_t k, std::size_t s, class V, std::size_t... I>
CTGRAD_DETAIL_ALWAYS_INLINE void take_column_lanes(V& out, const V* p, std::index_sequence<I...>) noexcept {
  constexpr auto vector_of = [](std::size_t i) { return (k + K * i) / L; };
  constexpr auto lane_of = [](std::size_t i) { return (k + K * i) % L; };
  if constexpr (s == 1)  // from the first two vectors (0: a lane a later shuffle places)
    out = __builtin_shufflevector(p[0], p[1],
                                  (vector_of(I) == 0   ? lane_of(I)
                                   : vector_of(I) == 1 ? L + lane_of(I)
                                                       : 0)...);
  else
    out = __builtin_shufflevector(out, p[s], (vector_of(I) == s ? L + lane_of(I) : I)...);
}
template <std::size_t L, std::size_t K, std::size_t k, class V>
CTGRAD_DETAIL_ALWAYS_INLINE void column_of(V& out, const V* p) noexcept {
  if constexpr (K == 1)
    out = p[0];
  else
    [&]<std::size_t... S>(std::index_sequence<S...>) __attribute__((always_inline)) {
      (take_column_lanes<L, K, k, S + 1>(out, p, std::make_index_sequence<L>{}), ...);
    }
  (std::make_index_sequence<K - 1>{});
}

/// The dots of dots<..., K, N> below for K < 8 other than 4, L rows of y
/// at a time (float, L = 4, 8 or 16 lanes): the K vectors holding L rows
/// are rearranged into K columns (K (K - 1) shuffles), each multiplied by
/// a[k] broadcast and summed (((0 + p0) + p1) + ...) in order of k, as
/// dot sums them.  The backward product by the last weight matrix of a
/// net with 1 to 7 outputs: 32 rows of K = 1, 2, 3, 5, 6, 7 in GCC's
/// AVX-512 copy, 11, 18, 31, 90, 55, 70 ns as scalar dots; 1.4, 2.8, 5.8,
/// 16, 27, 34 ns so (K = 4's path: 4.9 ns).
template <std::size_t L, std::size_t K, std::size_t N, class E>
CTGRAD_DETAIL_ALWAYS_INLINE void dots_short(float* __restrict c, const float* __restrict a, const float* __restrict y,
                                            E e) noexcept {
  using v = typename vec<float, L * sizeof(float)>::type;
  [&]<std::size_t... Q>(std::index_sequence<Q...>) __attribute__((always_inline)) {
    for (std::size_t j0 = 0; j0 != N / L * L; j0 += L) {
      v p[K];
      (load(p[Q], y + j0 * K + Q * L), ...);
      v sum = {};
      v column[K];
      (column_of<L, K, Q>(column[Q], p), ...);
      ((sum = sum + a[Q] * column[Q]), ...);
      e.vec(c + j0, sum);
    }
  }
  (std::make_index_sequence<K>{});
  constexpr std::size_t done = N / L * L;
  if constexpr (L > 4 && N - done >= 4)
    dots_short<L / 2, K, N - done>(c + done, a, y + done * K, e);
  else
    for (std::size_t j = done; j != N; ++j) e.scalar(c + j, dot<L * sizeof(float), K>(a, y + j * K));
}

/// c[j] = dot<Bytes, K>(a, y + j K) for j < N, through e: the dots of a
/// with the N rows of y.  K < 8 (float): a vector of rows at a time
/// (dots_k4, dots_short above).  Otherwise four rows at a time: each row's eight partial sums
/// are the lanes of one 8-wide vector (or two 4-wide ones); the four rows'
/// sums are then added in dot's order by shuffles, (p0+p4, p1+p5, p2+p6,
/// p3+p7) for each row, then neighbouring pairs twice, and leave as one
/// vector.  Same bits as dot, a quarter of its reductions (W2's batch-1
/// backward product by a transposed weight matrix).
template <std::size_t Bytes, std::size_t K, std::size_t N, class T, class E>
CTGRAD_DETAIL_ALWAYS_INLINE void dots(T* __restrict c, const T* __restrict a, const T* __restrict y, E e) noexcept {
  constexpr std::size_t VB = Bytes < 32 ? Bytes : 32, L = vec<T, VB>::lanes, body = K / 8 * 8;
  constexpr std::size_t J = std::is_same_v<T, float> && (L == 4 || L == 8) && body != 0 ? N / 4 * 4 : 0;
  if constexpr (K == 4 && std::is_same_v<T, float> && vec<T, Bytes>::lanes >= 4) {
    dots_k4<vec<T, Bytes>::lanes, N>(c, a, y, e);
    return;
  } else if constexpr (K < 8 && std::is_same_v<T, float> && vec<T, Bytes>::lanes >= 4) {
    dots_short<vec<T, Bytes>::lanes, K, N>(c, a, y, e);
    return;
  } else if constexpr (J != 0) {
    using v = typename vec<T, VB>::type;
    using v4 = typename vec<T, 4 * sizeof(T)>::type;
    constexpr std::size_t n = 8 / L;  // vectors per row's eight partial sums
    for (std::size_t j0 = 0; j0 != J; j0 += 4)
      [&]<std::size_t... GQ, std::size_t... Q, std::size_t... G>(std::index_sequence<GQ...>, std::index_sequence<Q...>,
                                                                 std::index_sequence<G...>)
          __attribute__((always_inline)) {
        v acc[4 * n] = {};
        for (std::size_t k = 0; k != body; k += 8) {
          v x[n], row[4 * n];
          (load(x[Q], a + k + Q * L), ...);
          (load(row[GQ], y + (j0 + GQ / n) * K + k + GQ % n * L), ...);
          ((acc[GQ] += x[GQ % n] * row[GQ]), ...);
        }
        v4 t[4];  // (p0+p4, p1+p5, p2+p6, p3+p7) of each row
        if constexpr (L == 8)
          ((t[G] = __builtin_shufflevector(acc[G], acc[G], 0, 1, 2, 3) +
                   __builtin_shufflevector(acc[G], acc[G], 4, 5, 6, 7)),
           ...);
        else
          ((t[G] = acc[2 * G] + acc[2 * G + 1]), ...);
        const v4 h01 =
            __builtin_shufflevector(t[0], t[1], 0, 2, 4, 6) + __builtin_shufflevector(t[0], t[1], 1, 3, 5, 7);
        const v4 h23 =
            __builtin_shufflevector(t[2], t[3], 0, 2, 4, 6) + __builtin_shufflevector(t[2], t[3], 1, 3, 5, 7);
        const v4 sums = __builtin_shufflevector(h01, h23, 0, 2, 4, 6) + __builtin_shufflevector(h01, h23, 1, 3, 5, 7);
        T s[4];
        std::memcpy(s, &sums, sizeof s);
        for (std::size_t k = body; k != K; ++k) ((s[G] += a[k] * y[(j0 + G) * K + k]), ...);
        (e.scalar(c + j0 + G, s[G]), ...);
      }
    (std::make_index_sequence<4 * n>{}, std::make_index_sequence<n>{}, std::make_index_sequence<4>{});
  }
  for (std::size_t j = J; j != N; ++j) e.scalar(c + j, dot<Bytes, K>(a, y + j * K));
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
