// ctgrad/config.hpp — the attributes and instruction-set choices every
// stage shares, spelled once.
#pragma once

#include <cstddef>

// Kernels are straight-line code by design: their pieces (instructions,
// formulas in the innermost loops, matrix-product tiles, the scalar
// kernel's steps) must inline into one function, so that the scalar
// kernel's workspace lives in registers (clang 14 otherwise kept a 75-node
// kernel out of line: 1.45x slower on W1) and the AVX2 copy of a tensor
// program keeps its target (an outlined lambda lost it: 10x slower W3).
#define CTGRAD_DETAIL_ALWAYS_INLINE [[gnu::always_inline]] inline

// Vector width.  Built with AVX2 enabled (-mavx2, -march=native), every
// kernel uses 32-byte vectors.  Otherwise, on x86-64 with GCC or clang, a
// kernel is compiled twice, for SSE2 and for AVX2, and picks at run time
// (define CTGRAD_NO_RUNTIME_DISPATCH to keep only the baseline).
#if defined(__AVX2__)
#define CTGRAD_DETAIL_DISPATCH_AVX2 0
#define CTGRAD_DETAIL_VECTOR_BYTES 32
#elif (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(CTGRAD_NO_RUNTIME_DISPATCH)
#define CTGRAD_DETAIL_DISPATCH_AVX2 1
#define CTGRAD_DETAIL_VECTOR_BYTES 16
#else
#define CTGRAD_DETAIL_DISPATCH_AVX2 0
#define CTGRAD_DETAIL_VECTOR_BYTES 16
#endif

namespace ctgrad::detail {

inline constexpr std::size_t default_vector_bytes = CTGRAD_DETAIL_VECTOR_BYTES;
#if CTGRAD_DETAIL_DISPATCH_AVX2
/// Whether this CPU (and OS) runs AVX2: decided once, before main.
inline const bool cpu_has_avx2 = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));
#endif

}  // namespace ctgrad::detail
