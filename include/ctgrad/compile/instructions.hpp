// ctgrad/compile/instructions.hpp — what a compiled tensor kernel is made
// of: references (how to read element i of a node: a slot of the
// workspace, a bound tensor, a literal, a fused formula, an index mapping)
// and instructions (one fixed-extent loop nest each).  The plan in
// plan.hpp turns a graph into a list of these; window_instructions.hpp
// adds convolution and pooling.
#pragma once

#include <array>
#include <cstddef>
#include <numeric>
#include <utility>

#include "../config.hpp"
#include "../expr/formula.hpp"
#include "../expr/shape.hpp"
#include "../numeric/gemm.hpp"

CTGRAD_DETAIL_NO_CONTRACTION_BEGIN

namespace ctgrad {
namespace detail::tk {

using detail::default_vector_bytes;
/// Workspace slots start at multiples of this many elements (64 bytes of float).
inline constexpr std::size_t slot_alignment = 16;
constexpr std::size_t aligned_size(std::size_t size) noexcept {
  return (size + slot_alignment - 1) / slot_alignment * slot_alignment;
}

template <class T>
struct context {
  T* ws;
  const T* const* leaves;
  // For a training step with SGD fused into the kernel: parameter k is
  // updated in place, p = beta * p + alpha * gradient.
  T* const* updates = nullptr;
  T alpha = T(0), beta = T(1);
  // For an instruction compiled once for several places (relocate.hpp):
  // its operands, in the order of its r_arg references.
  const T* const* args = nullptr;
};

// ---------------------------------------------------------------------------
// References: how to read element i of a node.

template <std::size_t Offset>
struct r_slot {};
template <std::size_t Leaf>
struct r_leaf {};
template <class C>
struct r_const {};
template <class F, class... R>
struct r_ew {};
template <class R, class From, class To>
struct r_bcast {};
/// The transpose of a [Rows, Cols] source.
template <class R, std::size_t Rows, std::size_t Cols>
struct r_transpose {};
/// Columns [Begin, Begin + Count) of each row of Cols (expr/slice.hpp).
template <class R, std::size_t Cols, std::size_t Begin, std::size_t Count>
struct r_slice {};
/// Rows of Count at columns [Begin, Begin + Count) of zero rows of Cols.
template <class R, std::size_t Count, std::size_t Begin, std::size_t Cols>
struct r_embed {};

template <class R>
struct rd;

template <std::size_t Offset>
struct rd<r_slot<Offset>> {
  static constexpr bool contiguous = true;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static const T* ptr(context<T> c) noexcept {
    return c.ws + Offset;
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
    return c.ws[Offset + i];
  }
};
template <std::size_t Leaf>
struct rd<r_leaf<Leaf>> {
  static constexpr bool contiguous = true;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static const T* ptr(context<T> c) noexcept {
    return c.leaves[Leaf];
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
    return c.leaves[Leaf][i];
  }
};
template <class C>
struct rd<r_const<C>> {
  static constexpr bool contiguous = false;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T>, std::size_t) noexcept {
    return C::template value<T>();
  }
};
template <class F, class... R>
struct rd<r_ew<F, R...>> {
  static constexpr bool contiguous = false;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
    const T v[] = {rd<R>::at(c, i)...};
    return apply_formula<F>::run(v);
  }
};
template <class R, class From, class To>
struct rd<r_bcast<R, From, To>> {
  static constexpr bool contiguous = false;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
    return rd<R>::at(c, broadcast_source_index<From, To>(i));
  }
};
template <class R, std::size_t Rows, std::size_t Cols>
struct rd<r_transpose<R, Rows, Cols>> {
  static constexpr bool contiguous = false;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
    return rd<R>::at(c, (i % Rows) * Cols + i / Rows);
  }
  // Element (row, col) of the transpose.
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at2(context<T> c, std::size_t row, std::size_t col) noexcept {
    return rd<R>::at(c, col * Cols + row);
  }
};

template <class R, std::size_t Cols, std::size_t Begin, std::size_t Count>
struct rd<r_slice<R, Cols, Begin, Count>> {
  static constexpr bool contiguous = false;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
    return rd<R>::at(c, i / Count * Cols + Begin + i % Count);
  }
};
template <class R, std::size_t Count, std::size_t Begin, std::size_t Cols>
struct rd<r_embed<R, Count, Begin, Cols>> {
  static constexpr bool contiguous = false;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
    const std::size_t column = i % Cols;
    if (column < Begin || column >= Begin + Count) return T(0);
    return rd<R>::at(c, i / Cols * Count + column - Begin);
  }
};

template <class R, std::size_t Cols, class T>
CTGRAD_DETAIL_ALWAYS_INLINE T at2(context<T> c, std::size_t row, std::size_t col) noexcept {
  if constexpr (requires { rd<R>::at2(c, row, col); })
    return rd<R>::at2(c, row, col);
  else
    return rd<R>::at(c, row * Cols + col);
}

// Reading in blocks: element (outer * Inner + inner).  A broadcast whose
// source is constant over blocks of Inner reads once per block (the
// compiler hoists it out of the inner loop) instead of dividing the flat
// index in the inner loop, which would stop the vectoriser.
template <class R, std::size_t Inner>
struct blocked {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t outer, std::size_t inner) noexcept {
    return rd<R>::at(c, outer * Inner + inner);
  }
};
template <class F, class... R, std::size_t Inner>
struct blocked<r_ew<F, R...>, Inner> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t outer, std::size_t inner) noexcept {
    const T v[] = {blocked<R, Inner>::at(c, outer, inner)...};
    return apply_formula<F>::run(v);
  }
};
template <class R, class From, class To, std::size_t Inner>
requires(constant_block<From, To> % Inner == 0) struct blocked<r_bcast<R, From, To>, Inner> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t outer, std::size_t) noexcept {
    return rd<R>::at(c, broadcast_source_index<From, To>(outer * Inner));
  }
};

/// A broadcast of trailing dimensions (a bias [N] over rows [M, N]) reads
/// its source in order, again and again: in blocks that divide the
/// source, without a division per element.
template <class R, class From, class To, std::size_t Inner>
requires(constant_block<From, To> == 1 && From::size > 1 && is_suffix_of<From, To> &&
         From::size % Inner == 0) struct blocked<r_bcast<R, From, To>, Inner> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t outer, std::size_t inner) noexcept {
    return rd<R>::at(c, outer * Inner % From::size + inner);
  }
};
/// A slice reads runs of Count consecutive elements of its source: in
/// blocks that divide Count, a block's start is computed once and the
/// block read in order (a division per element stopped the vectoriser: a
/// GRU's gates, each a slice of one product).
template <class R, std::size_t Cols, std::size_t Begin, std::size_t Count, std::size_t Inner>
requires(Count % Inner == 0) struct blocked<r_slice<R, Cols, Begin, Count>, Inner> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t outer, std::size_t inner) noexcept {
    const std::size_t first = outer * Inner;
    return rd<R>::at(c, first / Count * Cols + Begin + first % Count + inner);
  }
};
/// An embedding, in blocks that divide its columns, its start and its
/// width: each block lies wholly inside the embedded columns or outside.
template <class R, std::size_t Count, std::size_t Begin, std::size_t Cols, std::size_t Inner>
requires(Cols % Inner == 0 && Begin % Inner == 0 &&
         Count % Inner == 0) struct blocked<r_embed<R, Count, Begin, Cols>, Inner> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t outer, std::size_t inner) noexcept {
    const std::size_t first = outer * Inner, column = first % Cols;
    if (column < Begin || column >= Begin + Count) return T(0);
    return rd<R>::at(c, first / Cols * Count + column - Begin + inner);
  }
};

/// The block to read R in: the smallest constant block (> 1) of the
/// broadcasts, slices and embeddings in R, or 1.
template <class R>
struct block_of : std::integral_constant<std::size_t, 0> {};  // 0: none
template <class F, class... R>
struct block_of<r_ew<F, R...>> {
  static constexpr std::size_t value = [] {
    std::size_t b = 0;
    for (std::size_t x : {std::size_t{0}, block_of<R>::value...})
      if (x > 1 && (b == 0 || x < b)) b = x;
    return b;
  }();
};
template <class R, class From, class To>
struct block_of<r_bcast<R, From, To>>
    : std::integral_constant<std::size_t, constant_block<From, To> == 1 && is_suffix_of<From, To>
                                              ? From::size
                                              : constant_block<From, To>> {};
template <class R, std::size_t Cols, std::size_t Begin, std::size_t Count>
struct block_of<r_slice<R, Cols, Begin, Count>> : std::integral_constant<std::size_t, Count> {};
template <class R, std::size_t Count, std::size_t Begin, std::size_t Cols>
struct block_of<r_embed<R, Count, Begin, Cols>>
    : std::integral_constant<std::size_t, std::gcd(std::gcd(Begin, Count), Cols)> {};

template <class R>
inline constexpr bool is_transposed_contiguous = false;
template <class R, std::size_t Rows, std::size_t Cols>
inline constexpr bool is_transposed_contiguous<r_transpose<R, Rows, Cols>> = rd<R>::contiguous;

// ---------------------------------------------------------------------------
// Instructions.

/// The run<Bytes>(c) of an instruction whose Derived::loop(out, c) writes
/// its own slot at Offset.
template <std::size_t Offset, class Derived>
struct writes_slot {
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    Derived::loop(c.ws + Offset, c);
  }
};

/// out[i] = element i of R, for every i: one fused elementwise loop.
template <std::size_t Offset, std::size_t Size, class R>
struct i_map : writes_slot<Offset, i_map<Offset, Size, R>> {
  static constexpr std::size_t block = block_of<R>::value;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    if constexpr (block > 1) {
      for (std::size_t outer = 0; outer != Size / block; ++outer)
        for (std::size_t i = 0; i != block; ++i) out[outer * block + i] = blocked<R, block>::at(c, outer, i);
    } else {
      for (std::size_t i = 0; i != Size; ++i) out[i] = rd<R>::at(c, i);
    }
  }
};

/// out [Cols, Rows] = the transpose of a [Rows, Cols] operand: packing for
/// a product; rows of the source are read with a stride, out is written
/// in order.
template <std::size_t Offset, std::size_t Rows, std::size_t Cols, class R>
struct i_transpose : writes_slot<Offset, i_transpose<Offset, Rows, Cols, R>> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t i = 0; i != Cols; ++i)
      for (std::size_t j = 0; j != Rows; ++j) out[i * Rows + j] = rd<R>::at(c, j * Cols + i);
  }
};

/// out (shape To) = R (shape From) summed over the broadcast dimensions.
template <std::size_t Offset, class To, class From, class R>
struct i_reduce : writes_slot<Offset, i_reduce<Offset, To, From, R>> {
  static constexpr bool suffix = [] {  // To is From's trailing dimensions
    if (To::rank > From::rank) return false;
    for (std::size_t d = 0; d != To::rank; ++d)
      if (To::dims[d] != From::dims[From::rank - To::rank + d]) return false;
    return true;
  }();
  static constexpr std::size_t block = constant_block<To, From>;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t j = 0; j != To::size; ++j) out[j] = T(0);
    if constexpr (suffix) {
      for (std::size_t outer = 0; outer != From::size / To::size; ++outer)
        for (std::size_t j = 0; j != To::size; ++j) out[j] += rd<R>::at(c, outer * To::size + j);
    } else if constexpr (block > 1) {
      // Each block of From sums into one element of To: in `lanes`
      // independent partial sums (vectorised; a fixed order), then those.
      constexpr std::size_t lanes = 16, body = block / lanes * lanes;
      for (std::size_t outer = 0; outer != From::size / block; ++outer) {
        T part[lanes] = {};
        for (std::size_t k = 0; k != body; k += lanes)
          for (std::size_t l = 0; l != lanes; ++l) part[l] += rd<R>::at(c, outer * block + k + l);
        T s = T(0);
        for (std::size_t k = body; k != block; ++k) s += rd<R>::at(c, outer * block + k);
        for (std::size_t l = 0; l != lanes; ++l) s += part[l];
        out[broadcast_source_index<To, From>(outer * block)] += s;
      }
    } else {
      for (std::size_t i = 0; i != From::size; ++i) out[broadcast_source_index<To, From>(i)] += rd<R>::at(c, i);
    }
  }
};

/// out = log(sum(exp(row))) for each row of a [Rows, Cols] operand.
template <std::size_t Offset, std::size_t Rows, std::size_t Cols, class R>
struct i_logsumexp {
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    T* out = c.ws + Offset;
    for (std::size_t r = 0; r != Rows; ++r) {
      T m = rd<R>::at(c, r * Cols);
      for (std::size_t j = 1; j != Cols; ++j) {
        const T x = rd<R>::at(c, r * Cols + j);
        m = x > m ? x : m;
      }
      if (!(m - m == T(0))) {  // +-inf or NaN: the answer is m
        out[r] = m;
        continue;
      }
      T s = T(0);
      for (std::size_t j = 0; j != Cols; ++j) s += kernel_function<fn::exp>::value(rd<R>::at(c, r * Cols + j) - m);
      out[r] = m + math::log(s);
    }
  }
};

/// Element (i, k) of a [.., K] operand, for the matrix product.
template <class R, std::size_t K, class T>
struct element_of {
  context<T> c;
  CTGRAD_DETAIL_ALWAYS_INLINE T operator()(std::size_t i, std::size_t k) const noexcept { return at2<R, K>(c, i, k); }
};

/// out [M,N] = A [M,K] x B [K,N].
template <std::size_t Offset, std::size_t M, std::size_t K, std::size_t N, class RA, class RB>
struct i_matmul {
  template <std::size_t Bytes, class T, class E = gemm::store_result>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c, E e = {}) noexcept {
    if constexpr (rd<RB>::contiguous) {
      // Register-blocked: see numeric/gemm.hpp.  (A transposed right operand
      // has been packed into a slot by the plan, so it lands here too.)
      gemm::multiply<Bytes, M, K, N>(out, rd<RB>::ptr(c), element_of<RA, K, T>{c}, e);
    } else if constexpr (is_transposed_contiguous<RB> && rd<RA>::contiguous) {
      // B = Y^T with Y [N,K] stored: dot products of rows.
      const T* a = rd<RA>::ptr(c);
      const T* y = rd<typename transposed_source<RB>::type>::ptr(c);
      for (std::size_t i = 0; i != M; ++i) gemm::dots<Bytes, K, N>(out + i * N, a + i * K, y, e);
    } else {
      for (std::size_t i = 0; i != M; ++i)
        for (std::size_t j = 0; j != N; ++j)
          e.scalar(out + i * N + j,
                   gemm::sum_in_chunks<K, T>([&](std::size_t k) { return at2<RA, K>(c, i, k) * at2<RB, N>(c, k, j); }));
    }
  }
  template <class R>
  struct transposed_source;
  template <class R, std::size_t Rows, std::size_t Cols>
  struct transposed_source<r_transpose<R, Rows, Cols>> : std::type_identity<R> {};

  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    loop<Bytes>(c.ws + Offset, c);
  }
};

// ---------------------------------------------------------------------------
// Running instructions.

/// Between two instructions: each loop reads its operands from memory.
/// Without it clang 14 forwards values across loops and then declines to
/// vectorise them ("value ... used outside the loop"); the workspace lives
/// in memory anyway.
CTGRAD_DETAIL_ALWAYS_INLINE void boundary() noexcept {
#if defined(__GNUC__)
  asm volatile("" ::: "memory");
#endif
}

/// Instructions run one after the other, inlined where this is called.
template <class... Instructions>
struct straight_line {
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run([[maybe_unused]] context<T> c) noexcept {
    // Braced-list expansion: no fold-expression nesting limit.
    [[maybe_unused]] const int sequence[] = {0, (Instructions::template run<Bytes>(c), boundary(), 0)...};
  }
};

// ---------------------------------------------------------------------------
// Fused SGD: the instruction that produces the gradient of parameter Target
// folds it into the parameter (p = beta * p + alpha * g) instead of storing
// it.  The plan uses these only where no later instruction reads the
// parameter, and where nothing else reads the gradient.

template <class Inner, std::size_t Target>
struct i_update;
template <std::size_t Offset, std::size_t Size, class R, std::size_t Target>
struct i_update<i_map<Offset, Size, R>, Target> {
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    loop(c.updates[Target], c);
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict p, context<T> c) noexcept {
    const T alpha = c.alpha, beta = c.beta;
    for (std::size_t i = 0; i != Size; ++i) p[i] = beta * p[i] + alpha * rd<R>::at(c, i);
  }
};
template <std::size_t Offset, class To, class From, class R, std::size_t Target>
struct i_update<i_reduce<Offset, To, From, R>, Target> {
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    i_reduce<Offset, To, From, R>::template run<Bytes>(c);  // the sum, in its slot
    loop(c.updates[Target], c.ws + Offset, c.alpha, c.beta);
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict p, const T* __restrict g, T alpha, T beta) noexcept {
    for (std::size_t i = 0; i != To::size; ++i) p[i] = beta * p[i] + alpha * g[i];
  }
};
template <std::size_t Offset, std::size_t M, std::size_t K, std::size_t N, class RA, class RB, std::size_t Target>
struct i_update<i_matmul<Offset, M, K, N, RA, RB>, Target> {
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    i_matmul<Offset, M, K, N, RA, RB>::template loop<Bytes>(c.updates[Target], c,
                                                            gemm::scale_and_add<T>{c.alpha, c.beta});
  }
};
template <class Inner, std::size_t Target>
inline constexpr bool can_update = requires {
  sizeof(i_update<Inner, Target>);
};

// Which instructions read leaf L (to know when a parameter may be updated).
template <class R, std::size_t L>
struct ref_reads : std::false_type {};
template <std::size_t L>
struct ref_reads<r_leaf<L>, L> : std::true_type {};
template <class F, class... R, std::size_t L>
struct ref_reads<r_ew<F, R...>, L> : std::bool_constant<(ref_reads<R, L>::value || ...)> {};
template <class R, class From, class To, std::size_t L>
struct ref_reads<r_bcast<R, From, To>, L> : ref_reads<R, L> {};
template <class R, std::size_t Rows, std::size_t Cols, std::size_t L>
struct ref_reads<r_transpose<R, Rows, Cols>, L> : ref_reads<R, L> {};
template <class R, std::size_t Cols, std::size_t Begin, std::size_t Count, std::size_t L>
struct ref_reads<r_slice<R, Cols, Begin, Count>, L> : ref_reads<R, L> {};
template <class R, std::size_t Count, std::size_t Begin, std::size_t Cols, std::size_t L>
struct ref_reads<r_embed<R, Count, Begin, Cols>, L> : ref_reads<R, L> {};

template <class I, std::size_t L>
struct instruction_reads : std::true_type {};  // unknown: assume it does
template <std::size_t O, std::size_t S, class R, std::size_t L>
struct instruction_reads<i_map<O, S, R>, L> : ref_reads<R, L> {};
template <std::size_t O, class To, class From, class R, std::size_t L>
struct instruction_reads<i_reduce<O, To, From, R>, L> : ref_reads<R, L> {};
template <std::size_t O, std::size_t Rows, std::size_t Cols, class R, std::size_t L>
struct instruction_reads<i_transpose<O, Rows, Cols, R>, L> : ref_reads<R, L> {};
template <std::size_t O, std::size_t Rows, std::size_t Cols, class R, std::size_t L>
struct instruction_reads<i_logsumexp<O, Rows, Cols, R>, L> : ref_reads<R, L> {};
template <std::size_t O, std::size_t M, std::size_t K, std::size_t N, class RA, class RB, std::size_t L>
struct instruction_reads<i_matmul<O, M, K, N, RA, RB>, L>
    : std::bool_constant<ref_reads<RA, L>::value || ref_reads<RB, L>::value> {};

}  // namespace detail::tk
}  // namespace ctgrad

CTGRAD_DETAIL_NO_CONTRACTION_END
