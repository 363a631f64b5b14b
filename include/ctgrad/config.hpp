// ctgrad/config.hpp — the attributes and instruction-set choices every
// stage shares, spelled once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <string_view>

// Kernels are straight-line code by design: their pieces (instructions,
// formulas in the innermost loops, matrix-product tiles, the scalar
// kernel's steps) must inline into one function, so that the scalar
// kernel's workspace lives in registers (clang 14 otherwise kept a 75-node
// kernel out of line: 1.45x slower on W1) and the AVX2 copy of a tensor
// program keeps its target (an outlined lambda lost it: 10x slower W3).
#define CTGRAD_DETAIL_ALWAYS_INLINE [[gnu::always_inline]] inline

// Vector width.  A translation unit compiled for AVX-512 (-mavx512f, or
// -march=native on such a CPU) uses 64-byte vectors in every kernel, one
// compiled for AVX2 32-byte ones.  Otherwise, on x86-64 with GCC or clang,
// a kernel is compiled three times, for SSE2, AVX2 and AVX-512 (the
// x86-64-v4 set: F, CD, BW, DQ, VL), and picks the widest the CPU has at
// run time; all three give the same bits (no FMA contraction, see
// CTGRAD_DETAIL_AVX512 below and docs/numerics.md).  Define
// CTGRAD_NO_RUNTIME_DISPATCH to keep only the baseline, or
// CTGRAD_NO_AVX512_DISPATCH to leave out the AVX-512 copy (it costs up to
// ~12% of a model's compile time; docs/performance.md).
#if defined(__AVX512F__)
#define CTGRAD_DETAIL_RUNTIME_DISPATCH 0
#define CTGRAD_DETAIL_VECTOR_BYTES 64
#elif defined(__AVX2__)
#define CTGRAD_DETAIL_RUNTIME_DISPATCH 0
#define CTGRAD_DETAIL_VECTOR_BYTES 32
#elif (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(CTGRAD_NO_RUNTIME_DISPATCH)
#define CTGRAD_DETAIL_RUNTIME_DISPATCH 1
#define CTGRAD_DETAIL_VECTOR_BYTES 16
#else
#define CTGRAD_DETAIL_RUNTIME_DISPATCH 0
#define CTGRAD_DETAIL_VECTOR_BYTES 16
#endif
#if CTGRAD_DETAIL_RUNTIME_DISPATCH && !defined(CTGRAD_NO_AVX512_DISPATCH)
#define CTGRAD_DETAIL_DISPATCH_AVX512 1
#else
#define CTGRAD_DETAIL_DISPATCH_AVX512 0
#endif
/// The AVX-512 copy of a function: its target, and no contraction of
/// a*b + c into an FMA (AVX-512 implies FMA), so that it gives the same bits
/// as the SSE2 and AVX2 copies.  The kernel is inlined into the function
/// that carries this, and GCC contracts per function: the attribute covers
/// it.  (Clang contracts only within one expression in the source: the
/// headers that write such expressions turn that off, see
/// CTGRAD_DETAIL_NO_CONTRACTION_BEGIN.)  Not contracting costs nothing
/// here: W3's step ran in 131 us without FMA, 157 us with it (-march=native).
#if defined(__clang__)
#define CTGRAD_DETAIL_AVX512 gnu::target("avx512f,avx512cd,avx512bw,avx512dq,avx512vl")
#else
#define CTGRAD_DETAIL_AVX512 \
  gnu::target("avx512f,avx512cd,avx512bw,avx512dq,avx512vl"), gnu::optimize("fp-contract=off")
#endif

// Clang contracts a*b + c written as one expression into an FMA wherever
// the target has one (-ffp-contract=on, its default).  The headers whose
// kernels' arithmetic is written that way are bracketed by these, so that
// every copy of a kernel gives the same bits; user code after them is not
// affected.
#if defined(__clang__)
#define CTGRAD_DETAIL_NO_CONTRACTION_BEGIN _Pragma("float_control(push)") _Pragma("clang fp contract(off)")
#define CTGRAD_DETAIL_NO_CONTRACTION_END _Pragma("float_control(pop)")
#else
#define CTGRAD_DETAIL_NO_CONTRACTION_BEGIN
#define CTGRAD_DETAIL_NO_CONTRACTION_END
#endif

namespace ctgrad {

/// The instruction sets a kernel runs with, narrowest first.
enum class instruction_set : unsigned char {
  baseline,  ///< what the translation unit was compiled for (SSE2 on x86-64 by default)
  avx2,      ///< 32-byte vectors: the same bits as baseline
  avx512     ///< 64-byte vectors (F, CD, BW, DQ, VL): the same bits as baseline
};

namespace detail {

inline constexpr std::size_t default_vector_bytes = CTGRAD_DETAIL_VECTOR_BYTES;

#if CTGRAD_DETAIL_RUNTIME_DISPATCH
/// The widest instruction set this CPU (and OS) runs that this build has
/// a copy for.
inline instruction_set cpu_instruction_set() noexcept {
  __builtin_cpu_init();
  if (CTGRAD_DETAIL_DISPATCH_AVX512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return instruction_set::avx512;
  if (__builtin_cpu_supports("avx2")) return instruction_set::avx2;
  return instruction_set::baseline;
}
/// The ceiling the environment sets: CTGRAD_INSTRUCTION_SET=baseline,
/// avx2 or avx512 (unset or anything else: none).
inline instruction_set environment_instruction_set() noexcept {
  const char* name = std::getenv("CTGRAD_INSTRUCTION_SET");
  const std::string_view set = name != nullptr ? name : "";
  return set == "baseline" ? instruction_set::baseline
         : set == "avx2"   ? instruction_set::avx2
                           : instruction_set::avx512;
}
/// The widest set kernels may use: the CPU's, under the environment's ceiling.
inline instruction_set widest_instruction_set() noexcept {
  const instruction_set cpu = cpu_instruction_set(), ceiling = environment_instruction_set();
  return ceiling < cpu ? ceiling : cpu;
}
/// The set kernels run with: decided before main (read as baseline by
/// anything that runs earlier), lowered by limit_instruction_set.  Atomic,
/// since it may be lowered while other threads run kernels (a relaxed load
/// is a plain load).
inline std::atomic<instruction_set> active_set{widest_instruction_set()};
CTGRAD_DETAIL_ALWAYS_INLINE instruction_set active_instruction_set() noexcept {
  return active_set.load(std::memory_order_relaxed);
}
#endif

}  // namespace detail

/// The instruction set kernels of this translation unit run with: the
/// widest the CPU has, unless lowered (by limit_instruction_set, or by the
/// environment variable CTGRAD_INSTRUCTION_SET=baseline|avx2|avx512, read
/// at start-up).  A translation unit compiled for AVX2 or AVX-512 has only
/// that one: `baseline`.
inline instruction_set active_instruction_set() noexcept {
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
  return detail::active_instruction_set();
#else
  return instruction_set::baseline;
#endif
}

/// Run kernels with at most `limit` from now on (never more than the CPU
/// and CTGRAD_INSTRUCTION_SET allow): to compare the sets, or to measure
/// one.  Returns the set now active.  Without run-time dispatch, no effect.
inline instruction_set limit_instruction_set([[maybe_unused]] instruction_set limit) noexcept {
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
  const instruction_set widest = detail::widest_instruction_set();
  detail::active_set.store(limit < widest ? limit : widest, std::memory_order_relaxed);
#endif
  return active_instruction_set();
}

}  // namespace ctgrad
