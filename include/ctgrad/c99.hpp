// ctgrad/c99.hpp — compiled kernels written out as standalone C99.
//
//   constexpr auto kernel = compile(loss::mse(tanh(matmul(x, W) + b), t), wrt(W, b));
//   const ctgrad::c99_code code = ctgrad::to_c99<float>(kernel, "step");
//   // code.header: the declaration and the workspace's size and layout;
//   // code.source: step_run(ws, <the leaves>), the kernel's program as one
//   //   function of fixed-extent loops, each under the line `listing`
//   //   prints for it (`/* t3 [8, 2] = tanh(t2) */`).
//
//   const ctgrad::c99_code g = ctgrad::to_c99<double>(gradient(E, w1, w2), "net");
//   // net_run(&in, &out): a scalar kernel, one line per node.
//
// The C does what the C++ kernel does, operation for operation: the same
// program (the plan's, compile/plan.hpp), the same summation orders (the
// register-blocked product sums each element over k in order, as written
// here; the row-by-row dot products and the block reductions keep their
// 8 and 16 partial sums), and the same elementary functions: a tensor
// kernel's exp, tanh, sigmoid and gelu are ctgrad's vectorisable versions
// (numeric/vmath.hpp) written out in C, everything else is <math.h>'s, as
// the C++ kernels call <cmath>'s.  Compiled without -ffast-math and without
// contraction of a*b + c into fma (GCC's default in -std=c99; the source
// says so to clang with #pragma STDC FP_CONTRACT OFF), it gives the C++
// kernel's bits (tests/c99/).
//
// Tensor kernels: every instruction a compiled kernel has (elementwise
// formulas, broadcasts, sums, products, transposes, reshapes, logsumexp;
// convolutions, padding, max and average pooling, with the C++ kernel's
// tree of comparisons for the arg-max and its summation orders).
//
// The emitter's own code does not grow with the kernel: each instruction
// is an entry in a table (numbers and pointers to small per-reference
// functions) read by one function, emit(); one function per instruction
// took twice the compile time.
//
// Nothing here is included by <ctgrad/ctgrad.hpp>: a program that emits C
// includes it; nn/c99.hpp writes a model's predict and training steps.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "compile/tensor_kernel.hpp"
#include "gradient.hpp"
#include "print/tensor_listing.hpp"

// GCC 12 at -O2/-O3 may warn -Wrestrict inside libstdc++ where a string
// literal is prepended to a std::string (a false positive: GCC bug 105329);
// this file builds text that way throughout.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace ctgrad {

/// A C99 header and source, as text.
struct c99_code {
  std::string header;
  std::string source;
};

namespace error {
template <class Function>
struct no_c99_spelling_for_function {
  static_assert(detail::always_false<Function>,
                "ctgrad::to_c99: this elementwise function has no C spelling; give its struct a "
                "specialisation of ctgrad::detail::c99::function_name");
};
}  // namespace error

namespace detail::c99 {

template <class T>
struct scalar;
template <>
struct scalar<float> {
  static constexpr std::string_view type = "float", suffix = "f", bits = "int32_t";
};
template <>
struct scalar<double> {
  static constexpr std::string_view type = "double", suffix = "", bits = "int64_t";
};

/// v as a C literal of type T that reads back to exactly v.
template <class T>
std::string literal(T v) {
  if (v != v)
    return std::string("(0.0") + std::string(scalar<T>::suffix) + " / 0.0" + std::string(scalar<T>::suffix) + ")";
  if (v - v != T(0))
    return std::string(v < 0 ? "(-" : "(") + "1.0" + std::string(scalar<T>::suffix) + " / 0.0" +
           std::string(scalar<T>::suffix) + ")";
  // The shortest decimal that reads back as v ("0.125f", "0.1f"; at most
  // max_digits10 digits).  Read back as the C compiler reads it: a float
  // literal straight to float (strtof), not through double, whose rounding
  // first could move a decimal near a midpoint of two floats.
  char text[48];
  for (int digits = 1; digits <= std::numeric_limits<T>::max_digits10; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(v));
    if constexpr (std::is_same_v<T, float>) {
      if (std::strtof(text, nullptr) == v) break;
    } else {
      if (std::strtod(text, nullptr) == v) break;
    }
  }
  std::string s = text;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  if (v == T(0) && std::signbit(v)) s = "-0.0";
  if (s.front() == '-') return "(" + s + std::string(scalar<T>::suffix) + ")";
  return s + std::string(scalar<T>::suffix);
}

inline std::string number(std::size_t v) { return std::to_string(v); }

/// The ctgrad_ or <math.h> function a kernel calls for F, in type T.
template <class F>
struct function_name {
  static std::string of(std::string_view suffix) {
    (void)error::no_c99_spelling_for_function<F>{};
    return std::string(suffix);
  }
};
#define CTGRAD_DETAIL_C99_FUNCTION(FN, SPELLING)                                              \
  template <>                                                                                 \
  struct function_name<fn::FN> {                                                              \
    static std::string of(std::string_view suffix) { return SPELLING + std::string(suffix); } \
  };
// ctgrad's own (kernel_function in expr/formula.hpp), written out below.
CTGRAD_DETAIL_C99_FUNCTION(exp, std::string("ctgrad_exp"))
CTGRAD_DETAIL_C99_FUNCTION(tanh, std::string("ctgrad_tanh"))
CTGRAD_DETAIL_C99_FUNCTION(sigmoid, std::string("ctgrad_sigmoid"))
CTGRAD_DETAIL_C99_FUNCTION(gelu, std::string("ctgrad_gelu"))
CTGRAD_DETAIL_C99_FUNCTION(gelu_derivative, std::string("ctgrad_gelu_derivative"))
CTGRAD_DETAIL_C99_FUNCTION(gelu_second_derivative, std::string("ctgrad_gelu_second_derivative"))
CTGRAD_DETAIL_C99_FUNCTION(step, std::string("ctgrad_step"))
CTGRAD_DETAIL_C99_FUNCTION(sign, std::string("ctgrad_sign"))
CTGRAD_DETAIL_C99_FUNCTION(relu, std::string("ctgrad_relu"))
CTGRAD_DETAIL_C99_FUNCTION(negative_part, std::string("ctgrad_negative_part"))
CTGRAD_DETAIL_C99_FUNCTION(finite, std::string("ctgrad_finite"))
CTGRAD_DETAIL_C99_FUNCTION(softplus, std::string("ctgrad_softplus"))
CTGRAD_DETAIL_C99_FUNCTION(abs, std::string("ctgrad_abs"))
// <math.h>'s, as the C++ kernel calls <cmath>'s.
CTGRAD_DETAIL_C99_FUNCTION(log, std::string("log"))
CTGRAD_DETAIL_C99_FUNCTION(sqrt, std::string("sqrt"))
CTGRAD_DETAIL_C99_FUNCTION(sin, std::string("sin"))
CTGRAD_DETAIL_C99_FUNCTION(cos, std::string("cos"))
#undef CTGRAD_DETAIL_C99_FUNCTION

/// The text of one loop body: statements, and fresh names for values.
struct body {
  std::string text;
  std::string indent;
  std::size_t next = 0;  // the next name: v<next>
  std::string bind(std::string_view type, const std::string& value) {
    std::string name = "v" + number(next++);
    text += indent + "const " + std::string(type) + " " + name + " = " + value + ";\n";
    return name;
  }
};

// ---------------------------------------------------------------------------
// Formulas: the scalar expression of an elementwise node, its placeholders
// replaced by the operands' values (names bound in the loop body).

template <class T, class E>
struct formula;
template <class T, std::intmax_t N, std::intmax_t D>
struct formula<T, nodes::constant<N, D>> {
  static std::string text(const std::string*) { return literal(nodes::constant<N, D>::template value<T>()); }
};
template <class T, fixed_string Name>
struct formula<T, var<Name>> {
  static std::string text(const std::string* operands) { return operands[placeholder_index<var<Name>>::value]; }
};
template <class T, class A, class B>
struct formula<T, nodes::add<A, B>> {
  static std::string text(const std::string* v) {
    return "(" + formula<T, A>::text(v) + " + " + formula<T, B>::text(v) + ")";
  }
};
template <class T, class A, class B>
struct formula<T, nodes::mul<A, B>> {
  static std::string text(const std::string* v) {
    return "(" + formula<T, A>::text(v) + " * " + formula<T, B>::text(v) + ")";
  }
};
template <class T, class A, class B>
struct formula<T, nodes::div<A, B>> {
  static std::string text(const std::string* v) {
    return "(" + formula<T, A>::text(v) + " / " + formula<T, B>::text(v) + ")";
  }
};
template <class T, class A, std::intmax_t N, std::intmax_t D>
struct formula<T, nodes::pow<A, nodes::constant<N, D>>> {  // as apply_formula does it
  static std::string text(const std::string* v) {
    const std::string a = formula<T, A>::text(v), s(scalar<T>::suffix);
    if constexpr (D == 1 && N == 2)
      return "(" + a + " * " + a + ")";
    else if constexpr (D == 1)
      return "ctgrad_ipow" + s + "(" + a + ", " + std::to_string(N) + ")";
    else if constexpr (D == 2)
      return "ctgrad_ipow" + s + "(sqrt" + s + "(" + a + "), " + std::to_string(N) + ")";
    else
      return "pow" + s + "(" + a + ", " + literal(static_cast<T>(N) / static_cast<T>(D)) + ")";
  }
};
template <class T, class F, class A>
struct formula<T, nodes::unary<F, A>> {
  static std::string text(const std::string* v) {
#ifdef CTGRAD_EXACT_MATH
    if constexpr (std::is_same_v<F, fn::exp> || std::is_same_v<F, fn::tanh>)
      return std::string(F::name) + std::string(scalar<T>::suffix) + "(" + formula<T, A>::text(v) + ")";
    if constexpr (std::is_same_v<F, fn::sigmoid>)
      return "ctgrad_exact_sigmoid" + std::string(scalar<T>::suffix) + "(" + formula<T, A>::text(v) + ")";
#endif
    return function_name<F>::of(scalar<T>::suffix) + "(" + formula<T, A>::text(v) + ")";
  }
};

// ---------------------------------------------------------------------------
// References: element `index` (a C expression) of an operand, as a C
// expression; the values of formulas are bound to names in the body.  Each
// kind of reference is a small function template; what an instruction's
// loop nest does with its operands is written once (emit, below) and reads
// a table of numbers and pointers to those functions: the emitter's code
// does not grow with the kernel.

/// The names of a kernel's leaves (C identifiers), in the plan's order.
struct names {
  const std::string* leaves;
};

/// Element `index` of an operand, its statements (if any) added to b.
using element_fn = std::string (*)(body& b, names n, const std::string& index);
/// Element (row, col) of a matrix operand.
using element2_fn = std::string (*)(body& b, names n, const std::string& row, const std::string& col);
/// The address of a contiguous operand's first element.
using pointer_fn = std::string (*)(names n);
/// Where element `index` of a reduction's operand is summed into.
using index_fn = std::string (*)(const std::string& index);

inline std::string paren(const std::string& s) { return "(" + s + ")"; }

/// The flat index into From of element i of From broadcast to To (as
/// broadcast_source_index in expr/shape.hpp computes it), given From's and
/// To's dimensions and strides, From right-aligned.
[[gnu::noinline]] inline std::string broadcast_index_text(const std::string& i, std::span<const std::size_t> from,
                                                          std::span<const std::size_t> from_strides,
                                                          std::span<const std::size_t> to,
                                                          std::span<const std::size_t> to_strides, bool suffix,
                                                          std::size_t from_size) {
  if (from_size == 1) return "0";
  if (suffix) return paren(i) + " % " + number(from_size);
  const std::size_t offset = to.size() - from.size();
  std::string sum;
  for (std::size_t d = 0; d != from.size(); ++d) {
    if (from[d] == 1) continue;
    const std::string term = "(" + paren(i) + " / " + number(to_strides[d + offset]) + " % " + number(to[d + offset]) +
                             ") * " + number(from_strides[d]);
    sum += sum.empty() ? term : " + " + term;
  }
  return sum.empty() ? "0" : sum;
}
template <class From, class To>
std::string broadcast_index(const std::string& i) {
  return broadcast_index_text(i, From::dims, From::strides, To::dims, To::strides, is_suffix_of<From, To>, From::size);
}

// The text of each kind of reference, written once (the templates below
// only pass their numbers on).
[[gnu::noinline]] inline std::string slot_element(std::size_t offset, const std::string& i) {
  return "ws[" + number(offset) + " + " + i + "]";
}
[[gnu::noinline]] inline std::string slot_pointer(std::size_t offset) { return "ws + " + number(offset); }
[[gnu::noinline]] inline std::string leaf_element(const std::string& leaf, const std::string& i) {
  return leaf + "[" + i + "]";
}
/// Element i of the transpose of a [rows, cols] matrix: its index there.
[[gnu::noinline]] inline std::string transposed_index(const std::string& i, std::size_t rows, std::size_t cols) {
  return "(" + paren(i) + " % " + number(rows) + ") * " + number(cols) + " + " + paren(i) + " / " + number(rows);
}
/// Element (row, col) of a row-major matrix of `cols` columns: its index.
[[gnu::noinline]] inline std::string row_major_index(const std::string& row, const std::string& col, std::size_t cols) {
  return row + " * " + number(cols) + " + " + col;
}

template <class T, class R>
struct ref;
template <class T, std::size_t Offset>
struct ref<T, tk::r_slot<Offset>> {
  static std::string at(body&, names, const std::string& i) { return slot_element(Offset, i); }
  static std::string pointer(names) { return slot_pointer(Offset); }
};
template <class T, std::size_t Leaf>
struct ref<T, tk::r_leaf<Leaf>> {
  static std::string at(body&, names n, const std::string& i) { return leaf_element(n.leaves[Leaf], i); }
  static std::string pointer(names n) { return n.leaves[Leaf]; }
};
template <class T, class C>
struct ref<T, tk::r_const<C>> {
  static std::string at(body&, names, const std::string&) { return literal(C::template value<T>()); }
};
template <class T, class F, class... R>
struct ref<T, tk::r_ew<F, R...>> {
  static std::string at(body& b, names n, const std::string& i) {
    // Operands are elements, literals or names bound before: each read where used.
    const std::string operands[] = {ref<T, R>::at(b, n, i)..., ""};
    return b.bind(scalar<T>::type, formula<T, F>::text(operands));
  }
};
template <class T, class R, class From, class To>
struct ref<T, tk::r_bcast<R, From, To>> {
  static std::string at(body& b, names n, const std::string& i) {
    return ref<T, R>::at(b, n, broadcast_index<From, To>(i));
  }
};
template <class T, class R, std::size_t Rows, std::size_t Cols>
struct ref<T, tk::r_transpose<R, Rows, Cols>> {
  static std::string at(body& b, names n, const std::string& i) {
    return ref<T, R>::at(b, n, transposed_index(i, Rows, Cols));
  }
  /// Element (row, col) of the transpose.
  static std::string at2(body& b, names n, const std::string& row, const std::string& col) {
    return ref<T, R>::at(b, n, row_major_index(col, row, Cols));
  }
};

/// A name for the int `index`: itself if it is one, else a name bound in b.
inline std::string index_name(body& b, const std::string& index) {
  const bool name = !index.empty() && std::isalpha(static_cast<unsigned char>(index.front())) &&
                    std::all_of(index.begin(), index.end(),
                                [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; });
  return name ? index : b.bind("int", index);
}

/// Element i of X [N, H, W] with a zero border of PH rows and PW columns
/// (tk::r_pad): X's element when i is inside, else zero.
[[gnu::noinline]] inline std::string padded_element(body& b, names n, element_fn x, const std::string& i,
                                                    const std::array<std::size_t, 4>& hw_border, std::string_view type,
                                                    const std::string& zero) {
  const auto [h, w, ph, pw] = hw_border;
  const std::size_t hp = h + 2 * ph, wp = w + 2 * pw;
  const std::string at = index_name(b, i);
  const std::string row = b.bind("int", at + " % " + number(hp * wp) + " / " + number(wp));
  const std::string col = b.bind("int", at + " % " + number(wp));
  const std::string inside = b.bind("int", row + " >= " + number(ph) + " && " + row + " < " + number(ph + h) + " && " +
                                               col + " >= " + number(pw) + " && " + col + " < " + number(pw + w));
  // Read at a valid index either way; the border is the select's.
  const std::string value = x(b, n,
                              "(" + inside + " ? (" + at + " / " + number(hp * wp) + " * " + number(h) + " + " + row +
                                  " - " + number(ph) + ") * " + number(w) + " + " + col + " - " + number(pw) + " : 0)");
  return b.bind(type, inside + " ? " + value + " : " + zero);
}
/// Element i of X [N, H, W] without its border (tk::r_crop): its index in X.
[[gnu::noinline]] inline std::string cropped_index(body& b, const std::string& i,
                                                   const std::array<std::size_t, 4>& hw_border) {
  const auto [h, w, ph, pw] = hw_border;
  const std::size_t hc = h - 2 * ph, wc = w - 2 * pw;
  const std::string at = index_name(b, i);
  return "(" + at + " / " + number(hc * wc) + " * " + number(h) + " + " + at + " % " + number(hc * wc) + " / " +
         number(wc) + " + " + number(ph) + ") * " + number(w) + " + " + at + " % " + number(wc) + " + " + number(pw);
}
/// Element i of columns [begin, begin + count) of rows of `columns` (tk::r_slice): its index there.
[[gnu::noinline]] inline std::string sliced_index(body& b, const std::string& i, std::size_t columns, std::size_t begin,
                                                  std::size_t count) {
  const std::string at = index_name(b, i);
  return at + " / " + number(count) + " * " + number(columns) + " + " + number(begin) + " + " + at + " % " +
         number(count);
}
/// Element i of rows of X (`count` wide) at columns [begin, begin + count)
/// of zero rows of `columns` (tk::r_embed).
[[gnu::noinline]] inline std::string embedded_element(body& b, names n, element_fn x, const std::string& i,
                                                      const std::array<std::size_t, 3>& count_begin_columns,
                                                      std::string_view type, const std::string& zero) {
  const auto [count, begin, columns] = count_begin_columns;
  const std::string at = index_name(b, i);
  const std::string col = b.bind("int", at + " % " + number(columns));
  const std::string inside = b.bind("int", col + " >= " + number(begin) + " && " + col + " < " + number(begin + count));
  const std::string value = x(b, n,
                              "(" + inside + " ? " + at + " / " + number(columns) + " * " + number(count) + " + " +
                                  col + " - " + number(begin) + " : 0)");
  return b.bind(type, inside + " ? " + value + " : " + zero);
}
template <class T, class R, std::size_t Cols, std::size_t Begin, std::size_t Count>
struct ref<T, tk::r_slice<R, Cols, Begin, Count>> {
  static std::string at(body& b, names n, const std::string& i) {
    return ref<T, R>::at(b, n, sliced_index(b, i, Cols, Begin, Count));
  }
};
template <class T, class R, std::size_t Count, std::size_t Begin, std::size_t Cols>
struct ref<T, tk::r_embed<R, Count, Begin, Cols>> {
  static std::string at(body& b, names n, const std::string& i) {
    return embedded_element(b, n, &ref<T, R>::at, i, {Count, Begin, Cols}, scalar<T>::type, literal(T(0)));
  }
};
template <class T, class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW>
struct ref<T, tk::r_pad<R, H, W, PH, PW>> {
  static std::string at(body& b, names n, const std::string& i) {
    return padded_element(b, n, &ref<T, R>::at, i, {H, W, PH, PW}, scalar<T>::type, literal(T(0)));
  }
};
template <class T, class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW>
struct ref<T, tk::r_crop<R, H, W, PH, PW>> {
  static std::string at(body& b, names n, const std::string& i) {
    return ref<T, R>::at(b, n, cropped_index(b, i, {H, W, PH, PW}));
  }
};

/// Element (row, col) of a [.., Cols] operand.
template <class T, class R, std::size_t Cols>
std::string at2(body& b, names n, const std::string& row, const std::string& col) {
  if constexpr (requires { ref<T, R>::at2(b, n, row, col); })
    return ref<T, R>::at2(b, n, row, col);
  else
    return ref<T, R>::at(b, n, row_major_index(row, col, Cols));
}

template <class R>
inline constexpr bool contiguous = false;
template <std::size_t Offset>
inline constexpr bool contiguous<tk::r_slot<Offset>> = true;
template <std::size_t Leaf>
inline constexpr bool contiguous<tk::r_leaf<Leaf>> = true;

/// The transpose of a contiguous operand, and that operand.
template <class R>
inline constexpr bool transposed_contiguous = false;
template <class R, std::size_t Rows, std::size_t Cols>
inline constexpr bool transposed_contiguous<tk::r_transpose<R, Rows, Cols>> = contiguous<R>;
template <class R>
struct transposed_source;
template <class R, std::size_t Rows, std::size_t Cols>
struct transposed_source<tk::r_transpose<R, Rows, Cols>> : std::type_identity<R> {};

// ---------------------------------------------------------------------------
// Instructions: each a loop nest, in the order of its C++ run().

/// The extents of a window operation (compile/window_instructions.hpp):
/// a convolution of X [batch, channels, height, width] by W [outputs,
/// channels, kh, kw] into [batch, outputs, oh, ow]; a pooling's kh x kw
/// windows of X [batch, height, width] (batch: examples times channels);
/// a padding of X [batch, height, width] by border_h rows and border_w
/// columns.
struct window_extents {
  std::size_t batch = 0, channels = 1, height = 0, width = 0, outputs = 1;
  std::size_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, oh = 0, ow = 0;
  std::size_t border_h = 0, border_w = 0;
  bool plane = false;              // a convolution of stride 1: each tap one loop over the plane
  std::size_t scratch = 0;         // ... and where its plane is (after the output)
  std::size_t taps = tk::no_taps;  // where a max-pooling keeps its arg-maxes (if it does)
  bool same = false;               // a max-pooling's values are those it compares (V = X)
  bool tiles = false;              // a routing's windows tile X (each element written once)
};

/// One instruction, as numbers and the functions that read its operands.
struct nest {
  enum class kind : unsigned char {
    map,
    transpose,
    reduce,
    logsumexp,
    matmul,
    dot,
    conv,              // x: X, y: W
    conv_kernel_grad,  // x: X, y: Y (the output's gradient)
    conv_input_grad,   // x: Y, y: W
    pad,               // x: X
    max_select,        // x: X (compared), y: V (selected)
    max_route,         // x: X, y: G
    avg_pool,          // x: X
    avg_unpool         // x: G
  };
  /// How a reduction sums: From's trailing dimensions are To (suffix), or
  /// each block of From sums into one element of To (block: 16 partial
  /// sums, the C++ kernel's order), or element by element (scatter).
  enum class sum : unsigned char { suffix, block, scatter };
  kind k = kind::map;
  sum how = sum::scatter;
  std::size_t offset = 0;
  std::size_t rows = 0, inner = 0, cols = 0;  // by kind: map (cols = size), transpose, logsumexp (rows, cols);
                                              // reduce (rows = From's size, cols = To's size, inner = block);
                                              // matmul, dot (rows M, inner K, cols N)
  element_fn x = nullptr;                     // the operand of a map, transpose, reduce or logsumexp
  element2_fn a = nullptr, b = nullptr;       // a product's operands
  pointer_fn pa = nullptr, pb = nullptr;      // a dot product's rows: of A and of Y (B = Y^T);
                                              // a product's B, a convolution's X, if contiguous
  index_fn into = nullptr;                    // a reduction: where element i of From adds into To
  element_fn y = nullptr;                     // a window operation's second operand
  window_extents window{};
};

/// The address of operand R if it is contiguous (else none: read by element).
template <class T, class R>
constexpr pointer_fn contiguous_pointer() noexcept {
  if constexpr (contiguous<R>)
    return &ref<T, R>::pointer;
  else
    return nullptr;
}

/// Each instruction's nest: the dense ones here, the window operations below.
template <class T, std::size_t Offset, std::size_t Size, class R>
constexpr nest nest_of(tk::i_map<Offset, Size, R>*) noexcept {
  return {.k = nest::kind::map, .offset = Offset, .cols = Size, .x = &ref<T, R>::at};
}
template <class T, std::size_t Offset, std::size_t Rows, std::size_t Cols, class R>
constexpr nest nest_of(tk::i_transpose<Offset, Rows, Cols, R>*) noexcept {
  return {.k = nest::kind::transpose, .offset = Offset, .rows = Rows, .cols = Cols, .x = &ref<T, R>::at};
}
template <class T, std::size_t Offset, class To, class From, class R>
constexpr nest nest_of(tk::i_reduce<Offset, To, From, R>*) noexcept {
  using cpp = tk::i_reduce<Offset, To, From, R>;
  return {.k = nest::kind::reduce,
          .how = cpp::suffix ? nest::sum::suffix : (cpp::block > 1 ? nest::sum::block : nest::sum::scatter),
          .offset = Offset,
          .rows = From::size,
          .inner = cpp::block,
          .cols = To::size,
          .x = &ref<T, R>::at,
          .into = &broadcast_index<To, From>};
}
template <class T, std::size_t Offset, std::size_t Rows, std::size_t Cols, class R>
constexpr nest nest_of(tk::i_logsumexp<Offset, Rows, Cols, R>*) noexcept {
  return {.k = nest::kind::logsumexp, .offset = Offset, .rows = Rows, .cols = Cols, .x = &ref<T, R>::at};
}
template <class T, std::size_t Offset, std::size_t M, std::size_t K, std::size_t N, class RA, class RB>
constexpr nest nest_of(tk::i_matmul<Offset, M, K, N, RA, RB>*) noexcept {
  if constexpr (!contiguous<RB> && transposed_contiguous<RB> && contiguous<RA>)
    return {.k = nest::kind::dot,
            .offset = Offset,
            .rows = M,
            .inner = K,
            .cols = N,
            .pa = &ref<T, RA>::pointer,
            .pb = &ref<T, typename transposed_source<RB>::type>::pointer};
  else
    return {.k = nest::kind::matmul,
            .offset = Offset,
            .rows = M,
            .inner = K,
            .cols = N,
            .a = &at2<T, RA, K>,
            .b = &at2<T, RB, N>,
            .pb = contiguous_pointer<T, RB>()};
}

// Window operations (compile/window_instructions.hpp).

template <class E>
constexpr window_extents conv_window(std::size_t offset, std::size_t output) noexcept {
  return {.batch = E::B,
          .channels = E::C,
          .height = E::H,
          .width = E::W,
          .outputs = E::O,
          .kh = E::KH,
          .kw = E::KW,
          .sh = E::SH,
          .sw = E::SW,
          .dh = E::DH,
          .dw = E::DW,
          .oh = E::OH,
          .ow = E::OW,
          .plane = E::plane,
          .scratch = E::scratch_after(offset, output)};
}
template <class E>
constexpr window_extents pool_window() noexcept {
  return {.batch = E::N,
          .height = E::H,
          .width = E::W,
          .kh = E::KH,
          .kw = E::KW,
          .sh = E::SH,
          .sw = E::SW,
          .oh = E::OH,
          .ow = E::OW};
}
template <class T, std::size_t Offset, class XS, class WS, class Geo, class RX, class RW>
constexpr nest nest_of(tk::i_conv<Offset, XS, WS, Geo, RX, RW>*) noexcept {
  using e = tk::conv_extents<XS, WS, Geo>;
  return {.k = nest::kind::conv,
          .offset = Offset,
          .x = &ref<T, RX>::at,
          .pa = contiguous_pointer<T, RX>(),
          .y = &ref<T, RW>::at,
          .window = conv_window<e>(Offset, e::B * e::O * e::OH * e::OW)};
}
template <class T, std::size_t Offset, class XS, class WS, class Geo, class RX, class RY>
constexpr nest nest_of(tk::i_conv_kernel_grad<Offset, XS, WS, Geo, RX, RY>*) noexcept {
  return {.k = nest::kind::conv_kernel_grad,
          .offset = Offset,
          .x = &ref<T, RX>::at,
          .pa = contiguous_pointer<T, RX>(),
          .y = &ref<T, RY>::at,
          .window = conv_window<tk::conv_extents<XS, WS, Geo>>(Offset, WS::size)};
}
template <class T, std::size_t Offset, class XS, class WS, class Geo, class RY, class RW>
constexpr nest nest_of(tk::i_conv_input_grad<Offset, XS, WS, Geo, RY, RW>*) noexcept {
  return {.k = nest::kind::conv_input_grad,
          .offset = Offset,
          .x = &ref<T, RY>::at,
          .y = &ref<T, RW>::at,
          .window = conv_window<tk::conv_extents<XS, WS, Geo>>(Offset, XS::size)};
}
template <class T, std::size_t Offset, std::size_t N, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW,
          class R>
constexpr nest nest_of(tk::i_pad<Offset, N, H, W, PH, PW, R>*) noexcept {
  return {.k = nest::kind::pad,
          .offset = Offset,
          .x = &ref<T, R>::at,
          .window = {.batch = N, .height = H, .width = W, .border_h = PH, .border_w = PW}};
}
template <class T, std::size_t Offset, class XS, class P, class RX, class RV, std::size_t Taps>
constexpr nest nest_of(tk::i_max_select<Offset, XS, P, RX, RV, Taps>*) noexcept {
  window_extents w = pool_window<tk::pool_extents<XS, P>>();
  w.taps = Taps;
  w.same = std::is_same_v<RX, RV>;
  return {.k = nest::kind::max_select, .offset = Offset, .x = &ref<T, RX>::at, .y = &ref<T, RV>::at, .window = w};
}
template <class T, std::size_t Offset, class XS, class P, class RX, class RG, std::size_t Taps>
constexpr nest nest_of(tk::i_max_route<Offset, XS, P, RX, RG, Taps>*) noexcept {
  window_extents w = pool_window<tk::pool_extents<XS, P>>();
  w.taps = Taps;
  w.tiles = tk::i_max_route<Offset, XS, P, RX, RG, Taps>::tiles;
  return {.k = nest::kind::max_route, .offset = Offset, .x = &ref<T, RX>::at, .y = &ref<T, RG>::at, .window = w};
}
template <class T, std::size_t Offset, class XS, class P, class RX>
constexpr nest nest_of(tk::i_avg_pool<Offset, XS, P, RX>*) noexcept {
  return {.k = nest::kind::avg_pool,
          .offset = Offset,
          .x = &ref<T, RX>::at,
          .window = pool_window<tk::pool_extents<XS, P>>()};
}
template <class T, std::size_t Offset, class XS, class P, class RG>
constexpr nest nest_of(tk::i_avg_unpool<Offset, XS, P, RG>*) noexcept {
  return {.k = nest::kind::avg_unpool,
          .offset = Offset,
          .x = &ref<T, RG>::at,
          .window = pool_window<tk::pool_extents<XS, P>>()};
}

template <class T, class I>
constexpr nest nest_for() noexcept {
  static_assert(
      requires { nest_of<T>(static_cast<I*>(nullptr)); },
      "ctgrad::to_c99 (developers): an instruction of compile/ with no nest_of here, so no C; "
      "add one, and the loop nest it needs to emit()");
  return nest_of<T>(static_cast<I*>(nullptr));
}

/// The C spellings a kernel's text needs for its element type.
struct scalar_text {
  std::string_view type, suffix, bits;
  std::string zero;
};

/// Lines of C at an indent that deepens inside loops.
struct writer {
  std::string out;
  std::string indent;
  std::size_t next = 0;  // names bound so far in this loop nest
  void line(const std::string& text) { out += indent + text + "\n"; }
  void open(std::string_view i, std::size_t n, std::size_t from = 0) {
    line("for (int " + std::string(i) + " = " + number(from) + "; " + std::string(i) + " != " + number(n) + "; ++" +
         std::string(i) + ") {");
    indent += "  ";
  }
  /// Closes `levels` loops (or blocks).
  void close(std::size_t levels = 1) {
    for (; levels != 0; --levels) {
      indent.resize(indent.size() - 2);
      line("}");
    }
  }
  /// `text`, after the statements that computing it needed (in b).
  void line_after(body& b, const std::string& text) {
    out += b.text;
    b.text.clear();
    next = b.next;
    line(text);
  }
  /// A body for statements at the current indent, its names new in this nest.
  body fresh() const { return body{{}, indent, next}; }
};

/// The first maximum of taps [from, from + count) of a window (their
/// values named in `taps`), as tk::pool_extents::arg_max compares them: a
/// balanced tree whose left half wins ties.  Its value and (if `tap`) its
/// tap, as expressions on names bound in b.
[[gnu::noinline]] inline std::pair<std::string, std::string> arg_max_tree(body& b, std::span<const std::string> taps,
                                                                          std::size_t from, std::size_t count,
                                                                          std::string_view type, bool tap) {
  if (count == 1) return {taps[from], number(from)};
  const auto half = [&](std::size_t start, std::size_t size) {
    auto best = arg_max_tree(b, taps, start, size, type, tap);
    if (size > 1) best = {b.bind(type, best.first), tap ? b.bind("int", best.second) : std::string()};
    return best;
  };
  const auto [left, p] = half(from, count / 2);
  const auto [right, q] = half(from + count / 2, count - count / 2);
  const std::string take = b.bind("int", right + " > " + left);
  return {take + " ? " + right + " : " + left, tap ? take + " ? " + q + " : " + p : std::string()};
}

/// The loop nest of a convolution, padding or pooling (each mirrors the
/// C++ loop of compile/window_instructions.hpp named beside it: the same
/// sums in the same order; the C++ splits some loops for its vectoriser,
/// which changes no sum).
[[gnu::noinline]] inline void emit_window(writer& w, const nest& o, names n, const scalar_text& t) {
  const window_extents& e = o.window;
  const std::string type(t.type), sfx(t.suffix);
  // The output as y, a convolution's plane (scratch) as acc: restrict
  // pointers into ws (with `ws[...]` for everything, GCC -O2 would not
  // vectorise a loop that reads one part of ws and writes another).
  const std::string out = "y[", plane = "acc[";
  const bool has_plane =
      e.plane && (o.k == nest::kind::conv || o.k == nest::kind::conv_kernel_grad || o.k == nest::kind::conv_input_grad);
  w.line("{");
  w.indent += "  ";
  w.line(type + " *restrict const y = ws + " + number(o.offset) + ";");
  if (has_plane) w.line(type + " *restrict const acc = ws + " + number(e.scratch) + ";");
  const std::size_t span = (e.oh - 1) * e.width + e.ow;  // the plane's positions that matter
  const std::size_t taps = e.kh * e.kw;
  // Element `index` of operand x or y, into a statement.
  const auto read = [&](element_fn f, const std::string& index, const std::string& statement_before,
                        const std::string& statement_after) {
    body b = w.fresh();
    const std::string v = f(b, n, index);
    w.line_after(b, statement_before + v + statement_after);
  };
  const auto zero = [&](std::size_t size) {
    w.open("k", size);
    w.line(out + "k] = " + t.zero + ";");
    w.close();
  };
  // Element (o, ch, a, u) of the kernel W [outputs, channels, kh, kw], as `wt`.
  const auto kernel_tap = [&]() {
    read(o.y, "((o * " + number(e.channels) + " + ch) * " + number(e.kh) + " + a) * " + number(e.kw) + " + u",
         "const " + type + " wt = ", ";");
  };
  // Y[n, o] (rows of ow) onto the plane, on the input's grid, zero between
  // rows (conv_extents::spread); Y is operand f.
  const auto spread = [&](element_fn f) {
    w.open("i", e.oh);
    w.open("j", e.ow);
    read(f, "((n * " + number(e.outputs) + " + o) * " + number(e.oh) + " + i) * " + number(e.ow) + " + j",
         plane + "i * " + number(e.width) + " + j] = ", ";");
    w.close(2);
    if (e.ow != e.width && e.oh > 1) {
      w.open("i", e.oh - 1);
      w.open("j", e.width, e.ow);
      w.line(plane + "i * " + number(e.width) + " + j] = " + t.zero + ";");
      w.close(2);
    }
  };
  // The plane's positions k in two loops, the whole multiples of 16 and the
  // rest (as the C++: GCC -O2 vectorises only loops without a remainder).
  const std::size_t plane_body = span / 16 * 16;
  const auto for_plane = [&](const auto& statement) {
    if (plane_body != 0) {
      w.open("k", plane_body);
      statement();
      w.close();
    }
    if (plane_body != span) {
      w.open("k", span, plane_body);
      statement();
      w.close();
    }
  };
  // Where the input row of output row i, kernel row a, channel ch of example n starts.
  const std::string input_row = "((n * " + number(e.channels) + " + ch) * " + number(e.height) + " + i * " +
                                number(e.sh) + " + a * " + number(e.dh) + ") * " + number(e.width);
  const std::string input_plane = "(n * " + number(e.channels) + " + ch) * " + number(e.height * e.width);
  const std::string output_row = "((n * " + number(e.outputs) + " + o) * " + number(e.oh) + " + i) * " + number(e.ow);
  // A pooling's window (n, i, j): f, its first element in X; k, its index in the output.
  const std::string k = "(n * " + number(e.oh) + " + i) * " + number(e.ow) + " + j";
  const auto window_loops = [&]() {
    w.open("n", e.batch);
    w.open("i", e.oh);
    w.open("j", e.ow);
    w.line("const int f = (n * " + number(e.height) + " + i * " + number(e.sh) + ") * " + number(e.width) + " + j * " +
           number(e.sw) + ";");
  };
  const auto tap_offset = [&](std::size_t tap) { return number(tap / e.kw * e.width + tap % e.kw); };
  const auto runtime_tap_offset = [&](const std::string& p) {
    return p + " / " + number(e.kw) + " * " + number(e.width) + " + " + p + " % " + number(e.kw);
  };
  // The arg-max of window (f) of X, as names bound in b: its value (NaN if
  // any tap is; if `value`) and its tap (if `tap`).
  const auto arg_max = [&](body& b, bool value, bool tap) {
    std::vector<std::string> values;
    std::string any_nan;
    for (std::size_t q = 0; q != taps; ++q) {
      values.push_back(o.x(b, n, "f + " + tap_offset(q)));
      any_nan += (q == 0 ? "" : " | ") + paren(values.back() + " != " + values.back());
    }
    const auto [m, p] = arg_max_tree(b, values, 0, taps, type, tap);
    const std::string nan = "ctgrad_from_bits" + std::string(t.suffix) +
                            (t.suffix == "f" ? "(0x7fc00000)" : "(0x7ff8000000000000LL)");  // a quiet NaN
    return std::pair{value ? b.bind(type, b.bind("int", any_nan) + " ? " + nan + " : " + paren(m)) : std::string(),
                     tap ? b.bind("int", p) : std::string()};
  };

  switch (o.k) {
    case nest::kind::conv:  // i_conv
      w.open("n", e.batch);
      w.open("o", e.outputs);
      if (e.plane) {  // plane_loop: every tap adds w times a shifted plane of X, then the rows are copied out
        w.open("k", span);
        w.line(plane + "k] = " + t.zero + ";");
        w.close();
        w.open("ch", e.channels);
        w.open("a", e.kh);
        w.open("u", e.kw);
        kernel_tap();
        const std::string shift = input_plane + " + a * " + number(e.dh * e.width) + " + u * " + number(e.dw);
        if (o.pa != nullptr)
          w.line("ctgrad_axpy" + sfx + "(acc, wt, " + o.pa(n) + " + " + shift + ", " + number(span) + ");");
        else
          for_plane([&] { read(o.x, shift + " + k", plane + "k] += wt * ", ";"); });
        w.close(3);
        w.open("i", e.oh);
        w.open("j", e.ow);
        w.line(out + "(n * " + number(e.outputs) + " + o) * " + number(e.oh * e.ow) + " + i * " + number(e.ow) +
               " + j] = " + plane + "i * " + number(e.width) + " + j];");
        w.close(2);
      } else {  // row_loop: a row of outputs at a time
        w.open("i", e.oh);
        w.open("j", e.ow);
        w.line(out + output_row + " + j] = " + t.zero + ";");
        w.close();
        w.open("ch", e.channels);
        w.open("a", e.kh);
        w.open("u", e.kw);
        kernel_tap();
        w.open("j", e.ow);
        read(o.x, input_row + " + u * " + number(e.dw) + " + j * " + number(e.sw), out + output_row + " + j] += wt * ",
             ";");
        w.close(5);
      }
      w.close(2);
      break;
    case nest::kind::conv_kernel_grad: {  // i_conv_kernel_grad
      // Per (o, ch) and tap, partial sums over the examples and the plane
      // (stride 1: 16 of them, then the rest; dot_lanes16's lanes) or a row
      // (strided: ow of them), summed at the end in order.
      const std::size_t lanes = e.plane ? 16 : e.ow, body_end = plane_body;
      w.open("o", e.outputs);
      w.open("ch", e.channels);
      w.line(type + " part[" + number(taps) + "][" + number(lanes) + "];");
      if (e.plane) w.line(type + " rest[" + number(taps) + "];");
      w.open("k", taps);
      if (e.plane) w.line("rest[k] = " + t.zero + ";");
      w.line("for (int l = 0; l != " + number(lanes) + "; ++l) part[k][l] = " + t.zero + ";");
      w.close();
      w.open("n", e.batch);
      if (e.plane) {
        spread(o.y);
        w.open("k", taps);
        w.line("const int base = " + input_plane + " + k / " + number(e.kw) + " * " + number(e.dh * e.width) +
               " + k % " + number(e.kw) + " * " + number(e.dw) + ";");
        if (o.pa != nullptr) {
          w.line("ctgrad_dot_lanes16" + sfx + "(part[k], &rest[k], acc, " + o.pa(n) + " + base, " + number(span) +
                 ");");
        } else if (body_end != 0) {
          w.line("for (int q = 0; q != " + number(body_end) + "; q += 16) {");
          w.indent += "  ";
          w.open("l", 16);
          read(o.x, "base + q + l", "part[k][l] += " + plane + "q + l] * ", ";");
          w.close(2);
        }
        if (o.pa == nullptr && body_end != span) {
          w.open("q", span, body_end);
          read(o.x, "base + q", "rest[k] += " + plane + "q] * ", ";");
          w.close();
        }
        w.close();
      } else {
        w.open("i", e.oh);
        w.open("a", e.kh);
        w.open("u", e.kw);
        w.open("j", e.ow);
        {
          body b = w.fresh();
          const std::string y = o.y(b, n, output_row + " + j");
          const std::string x = o.x(b, n, input_row + " + u * " + number(e.dw) + " + j * " + number(e.sw));
          w.line_after(b, "part[a * " + number(e.kw) + " + u][j] += " + y + " * " + x + ";");
        }
        w.close(4);
      }
      w.close();
      w.open("k", taps);
      w.line(type + " s = " + (e.plane ? "rest[k]" : t.zero) + ";");
      w.line("for (int l = 0; l != " + number(lanes) + "; ++l) s += part[k][l];");
      w.line(out + "(o * " + number(e.channels) + " + ch) * " + number(taps) + " + k] = s;");
      w.close(3);
      break;
    }
    case nest::kind::conv_input_grad:  // i_conv_input_grad: each y[n,o,i,j] * w[o,ch,a,u] back where it came from
      zero(e.batch * e.channels * e.height * e.width);
      w.open("n", e.batch);
      w.open("o", e.outputs);
      if (e.plane) {
        spread(o.x);
        w.open("ch", e.channels);
        w.open("a", e.kh);
        w.open("u", e.kw);
        kernel_tap();
        w.line("ctgrad_axpy" + sfx + "(y + " + input_plane + " + a * " + number(e.dh * e.width) + " + u * " +
               number(e.dw) + ", wt, acc, " + number(span) + ");");
        w.close(3);
      } else {
        w.open("i", e.oh);
        w.open("ch", e.channels);
        w.open("a", e.kh);
        w.open("u", e.kw);
        kernel_tap();
        w.open("j", e.ow);
        read(o.x, output_row + " + j",
             out + input_row + " + u * " + number(e.dw) + " + j * " + number(e.sw) + "] += wt * ", ";");
        w.close(5);
      }
      w.close(2);
      break;
    case nest::kind::pad: {  // i_pad
      const std::size_t hp = e.height + 2 * e.border_h, wp = e.width + 2 * e.border_w;
      zero(e.batch * hp * wp);
      w.open("n", e.batch);
      w.open("i", e.height);
      w.open("j", e.width);
      read(o.x, "(n * " + number(e.height) + " + i) * " + number(e.width) + " + j",
           out + "(n * " + number(hp) + " + i + " + number(e.border_h) + ") * " + number(wp) + " + " +
               number(e.border_w) + " + j] = ",
           ";");
      w.close(3);
      break;
    }
    case nest::kind::max_select: {  // i_max_select: V at the first maximum of each window of X
      window_loops();
      body b = w.fresh();
      const auto [m, p] = arg_max(b, e.same, !e.same || e.taps != tk::no_taps);
      const std::string value = e.same ? m : o.y(b, n, "f + " + runtime_tap_offset(p));
      w.line_after(b, out + k + "] = " + value + ";");
      if (e.taps != tk::no_taps)  // the tap's bits (tk::tap_as), for the routing
        w.line("ws[" + number(e.taps) + " + " + k + "] = ctgrad_from_bits" + std::string(t.suffix) + "((" +
               std::string(t.bits) + ")" + p + ");");
      w.close(3);
      break;
    }
    case nest::kind::max_route: {  // i_max_route: G to the arg-max of each window
      if (!e.tiles) zero(e.batch * e.height * e.width);
      window_loops();
      body b = w.fresh();
      const std::string p = e.taps != tk::no_taps ? b.bind("int", "(int)ctgrad_to_bits" + std::string(t.suffix) +
                                                                      "(ws[" + number(e.taps) + " + " + k + "])")
                                                  : arg_max(b, false, true).second;
      const std::string g = b.bind(type, o.y(b, n, k));
      if (e.tiles) {  // every element of the window written: G or +0
        for (std::size_t tap = 0; tap != taps; ++tap) {
          const std::string line =
              out + "f + " + tap_offset(tap) + "] = " + p + " == " + number(tap) + " ? " + g + " : " + t.zero + ";";
          if (tap == 0)
            w.line_after(b, line);
          else
            w.line(line);
        }
      } else {
        w.line_after(b, out + "f + " + runtime_tap_offset(p) + "] += " + g + ";");
      }
      w.close(3);
      break;
    }
    case nest::kind::avg_pool:  // i_avg_pool
      window_loops();
      w.line(type + " s = " + t.zero + ";");
      w.open("a", e.kh);
      w.open("u", e.kw);
      read(o.x, "f + a * " + number(e.width) + " + u", "s += ", ";");
      w.close(2);
      w.line(out + k + "] = s / " + number(taps) + ".0" + std::string(t.suffix) + ";");
      w.close(3);
      break;
    case nest::kind::avg_unpool:  // i_avg_unpool
      zero(e.batch * e.height * e.width);
      window_loops();
      read(o.x, k, "const " + type + " g = ", " / " + number(taps) + ".0" + std::string(t.suffix) + ";");
      w.open("a", e.kh);
      w.open("u", e.kw);
      w.line(out + "f + a * " + number(e.width) + " + u] += g;");
      w.close(5);
      break;
    default:
      break;
  }
  w.close();
}

/// The loop nest of instruction o, into w (loop bodies bind names from
/// `next` on: v0, v1, ... are unique within a loop).
[[gnu::noinline]] inline void emit(writer& w, const nest& o, names n, const scalar_text& t) {
  const std::string out = "ws[" + number(o.offset) + " + ";
  const std::string type(t.type), sfx(t.suffix);
  w.next = 0;
  switch (o.k) {
    case nest::kind::map: {
      w.open("i", o.cols);
      body b = w.fresh();
      const std::string v = o.x(b, n, "i");
      w.line_after(b, out + "i] = " + v + ";");
      w.close();
      break;
    }
    case nest::kind::transpose: {  // [rows, cols] in, [cols, rows] out
      w.open("i", o.cols);
      w.open("j", o.rows);
      body b = w.fresh();
      const std::string v = o.x(b, n, "j * " + number(o.cols) + " + i");
      w.line_after(b, out + "i * " + number(o.rows) + " + j] = " + v + ";");
      w.close(2);
      break;
    }
    case nest::kind::reduce: {  // From (o.rows elements) summed into To (o.cols)
      w.open("j", o.cols);
      w.line(out + "j] = " + t.zero + ";");
      w.close();
      if (o.how == nest::sum::suffix) {
        w.open("o", o.rows / o.cols);
        w.open("j", o.cols);
        body b = w.fresh();
        const std::string v = o.x(b, n, "o * " + number(o.cols) + " + j");
        w.line_after(b, out + "j] += " + v + ";");
        w.close(2);
      } else if (o.how == nest::sum::block) {
        // 16 partial sums per block, then the rest, then the partials: the
        // C++ kernel's order (compile/instructions.hpp, i_reduce).
        const std::size_t block = o.inner, whole = block / 16 * 16;
        const std::string start = "o * " + number(block);
        w.open("o", o.rows / block);
        w.line(type + " part[16] = {0};");
        w.line(type + " s = " + t.zero + ";");
        if (whole != 0) {
          w.line("for (int k = 0; k != " + number(whole) + "; k += 16) {");
          w.indent += "  ";
          w.open("l", 16);
          body b = w.fresh();
          const std::string v = o.x(b, n, start + " + k + l");
          w.line_after(b, "part[l] += " + v + ";");
          w.close(2);
        }
        if (whole != block) {
          w.open("k", block, whole);
          body b = w.fresh();
          const std::string v = o.x(b, n, start + " + k");
          w.line_after(b, "s += " + v + ";");
          w.close();
        }
        w.line("for (int l = 0; l != 16; ++l) s += part[l];");
        w.line(out + o.into(start) + "] += s;");
        w.close();
      } else {
        w.open("i", o.rows);
        body b = w.fresh();
        const std::string v = o.x(b, n, "i");
        w.line_after(b, out + o.into("i") + "] += " + v + ";");
        w.close();
      }
      break;
    }
    case nest::kind::logsumexp: {  // of each row of [rows, cols]
      const std::string row = "r * " + number(o.cols);
      w.open("r", o.rows);
      {
        body b = w.fresh();
        const std::string first = o.x(b, n, row);
        w.line_after(b, type + " m = " + first + ";");
      }
      w.open("j", o.cols, 1);
      {
        body b = w.fresh();
        const std::string e = o.x(b, n, row + " + j");
        w.line_after(b, "const " + type + " e = " + e + ";");
        w.line("m = e > m ? e : m;");
      }
      w.close();
      w.line("if (!(m - m == " + t.zero + ")) { /* +-inf or NaN: the answer is m */");
      w.line("  " + out + "r] = m;");
      w.line("  continue;");
      w.line("}");
      w.line(type + " s = " + t.zero + ";");
      w.open("j", o.cols);
      {
        body b = w.fresh();
        const std::string e = o.x(b, n, row + " + j");
        w.line_after(b, "s += ctgrad_exp" + sfx + "(" + e + " - m);");
      }
      w.close();
      w.line(out + "r] = m + log" + sfx + "(s);");
      w.close();
      break;
    }
    case nest::kind::dot: {  // B = Y^T with Y [N,K] stored: dot products of rows (numeric/gemm.hpp's order)
      w.open("i", o.rows);
      w.open("j", o.cols);
      w.line(out + "i * " + number(o.cols) + " + j] = ctgrad_dot" + sfx + "(" + o.pa(n) + " + i * " + number(o.inner) +
             ", " + o.pb(n) + " + j * " + number(o.inner) + ", " + number(o.inner) + ");");
      w.close(2);
      break;
    }
    case nest::kind::matmul: {
      // Each element the sum over k in numeric/gemm.hpp's order
      // (sum_in_chunks): row i accumulates a(i, k) * row k of B, k = 0,
      // 1, ..., into the result's row (one chunk), or into the partial row
      // of k's chunk, added up as (s0 + s1) + (s2 + s3) at the end.
      const std::size_t chunks = gemm::chunk_count(o.inner), chunk = o.inner / chunks;
      std::string element = out + "i * " + number(o.cols) + " + j]",
                  target = "ws + " + number(o.offset) + " + i * " + number(o.cols);
      w.open("i", o.rows);
      if (chunks == 1) {
        w.open("j", o.cols);
        w.line(element + " = " + t.zero + ";");
        w.close();
      } else {
        w.line(type + " part[" + number(chunks) + "][" + number(o.cols) + "];");
        w.open("c", chunks);
        w.open("j", o.cols);
        w.line("part[c][j] = " + t.zero + ";");
        w.close(2);
        const std::string c =
            "part[k < " + number((chunks - 1) * chunk) + " ? k / " + number(chunk) + " : " + number(chunks - 1) + "]";
        target = c;
        element = c + "[j]";
      }
      w.open("k", o.inner);
      {
        body b = w.fresh();
        const std::string a = o.a(b, n, "i", "k");
        w.line_after(b, "const " + type + " a = " + a + ";");
      }
      if (o.pb != nullptr) {  // (restrict arguments: GCC -O2 vectorises this, not the loop on ws)
        w.line("ctgrad_axpy" + sfx + "(" + target + ", a, " + o.pb(n) + " + k * " + number(o.cols) + ", " +
               number(o.cols) + ");");
      } else {
        w.open("j", o.cols);
        body b = w.fresh();
        const std::string x = o.b(b, n, "k", "j");
        w.line_after(b, element + " += a * " + x + ";");
        w.close();
      }
      w.close();
      if (chunks != 1) {
        w.open("j", o.cols);
        w.line(out + "i * " + number(o.cols) + " + j] = (part[0][j] + part[1][j]) + (part[2][j] + part[3][j]);");
        w.close();
      }
      w.close();
      break;
    }
    default:
      emit_window(w, o, n, t);
      break;
  }
}

/// The statements of a program: each instruction's loop nest under its
/// line of the listing (`listing`'s first `slots` lines; the packed
/// gradients copied into place at the end have none).
[[gnu::noinline]] inline std::string program_statements(std::span<const nest> ops, std::string_view listing,
                                                        std::size_t slots, names n, const scalar_text& t,
                                                        const std::string& indent) {
  writer w{{}, indent};
  for (std::size_t k = 0; k != ops.size(); ++k) {
    std::string comment = "a gradient, copied to its place";
    if (k < slots) {
      const std::size_t end = listing.find('\n');
      comment.clear();
      for (char ch : listing.substr(0, end)) {
        if (ch == '/' && !comment.empty() && comment.back() == '*') comment += ' ';  // no "*/" inside
        comment += ch;
      }
      listing.remove_prefix(end == std::string_view::npos ? listing.size() : end + 1);
    }
    w.line("/* " + comment + " */");
    emit(w, ops[k], n, t);
  }
  return std::move(w.out);
}

// ---------------------------------------------------------------------------
// The runtime: ctgrad's functions in C, for float and double.

/// `text` with every "$T" replaced by the type, "$S" by the suffix, "$B" by
/// the bits type, and "${name}" by the constant's literal.
inline std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

template <class T>
std::string runtime() {
  using tr = vmath::traits<T>;
  std::string r = R"(/* ctgrad's elementary functions (numeric/vmath.hpp and numeric/math.hpp),
   for $T: the C++ kernels' arithmetic, step for step. */
@@ctgrad_$T_bits
typedef union { $T value; $B bits; } ctgrad_$T_bits;
@@ctgrad_to_bits$S
static inline $B ctgrad_to_bits$S($T x) { ctgrad_$T_bits u; u.value = x; return u.bits; }
@@ctgrad_from_bits$S
static inline $T ctgrad_from_bits$S($B b) { ctgrad_$T_bits u; u.bits = b; return u.value; }
@@ctgrad_select$S
static inline $T ctgrad_select$S(int c, $T a, $T b) {
  const $B m = -($B)c;
  return ctgrad_from_bits$S((m & ctgrad_to_bits$S(a)) | (~m & ctgrad_to_bits$S(b)));
}
@@ctgrad_vabs$S
static inline $T ctgrad_vabs$S($T x) { return ctgrad_from_bits$S(ctgrad_to_bits$S(x) & ${max_bits}); }
@@ctgrad_copy_sign$S
static inline $T ctgrad_copy_sign$S($T x, $T s) {
  return ctgrad_from_bits$S(ctgrad_to_bits$S(x) | (ctgrad_to_bits$S(s) & ${min_bits}));
}
@@ctgrad_pow2$S
static inline $T ctgrad_pow2$S($B k) { return ctgrad_from_bits$S((k + ${bias}) << ${mantissa}); }
@@ctgrad_round$S
static inline $T ctgrad_round$S($T v) { return (v + ${magic}) - ${magic}; }
@@ctgrad_to_integer$S
static inline $B ctgrad_to_integer$S($T k) { return ctgrad_to_bits$S(k + ${magic}) - ctgrad_to_bits$S(${magic}); }
@@ctgrad_reduce_by_ln2$S
static inline $T ctgrad_reduce_by_ln2$S($T x, $T *r) {
  const $T k = ctgrad_round$S(x * ${log2e});
  *r = (x - k * ${ln2_hi}) - k * ${ln2_lo};
  return k;
}
@@ctgrad_exp$S
static inline $T ctgrad_exp$S($T x) {
  const $T xc = ctgrad_select$S(x < ${min_arg}, ${min_arg}, ctgrad_select$S(x > ${max_arg}, ${max_arg}, x));
  $T r;
  const $T k = ctgrad_reduce_by_ln2$S(xc, &r);
  const $T p = ${exp_polynomial};
  const $T k1 = ctgrad_round$S(k * ${half});
  const $T y = p * ctgrad_pow2$S(ctgrad_to_integer$S(k1)) * ctgrad_pow2$S(ctgrad_to_integer$S(k - k1));
  return ctgrad_select$S(x > ${max_arg}, ${infinity}, ctgrad_select$S(x < ${min_arg}, ${zero}, y));
}
@@ctgrad_expm1_negative$S
static inline $T ctgrad_expm1_negative$S($T y) {
  $T r;
  const $T k = ctgrad_reduce_by_ln2$S(ctgrad_select$S(y < ${minus40}, ${minus40}, y), &r);
  const $T em = ${expm1_series};
  const $T scale = ctgrad_pow2$S(ctgrad_to_integer$S(k));
  return scale * em + (scale - ${one});
}
@@ctgrad_tanh$S
static inline $T ctgrad_tanh$S($T x) {
  const $T m = ctgrad_expm1_negative$S(${minus2} * ctgrad_vabs$S(x));
  const $T t = -m / (${two} + m);
  return ctgrad_copy_sign$S(t, x);
}
@@ctgrad_sigmoid$S
static inline $T ctgrad_sigmoid$S($T x) {
  const $T e = ctgrad_exp$S(-ctgrad_vabs$S(x));
  return ctgrad_select$S(x < ${zero}, e, ${one}) / (${one} + e);
}
@@ctgrad_exact_sigmoid$S
static inline $T ctgrad_exact_sigmoid$S($T x) {
  if (x >= ${zero}) return ${one} / (${one} + exp$S(-x));
  const $T e = exp$S(x);
  return e / (${one} + e);
}
@@ctgrad_gelu$S
static inline $T ctgrad_gelu$S($T x) {
  const $T u = ${gelu_k} * (x + ${gelu_c} * (x * x * x));
  const $T s = ctgrad_sigmoid$S(${two} * u);
  const $T y = x * s;
  return s == ${zero} ? ${minus_zero} : y;
}
@@ctgrad_gelu_derivative$S
static inline $T ctgrad_gelu_derivative$S($T x) {
  const $T u = ${gelu_k} * (x + ${gelu_c} * (x * x * x));
  const $T s = ctgrad_sigmoid$S(${two} * u);
  const $T t = s * ctgrad_sigmoid$S(${minus2} * u);
  const $T du = ${gelu_k} * (${one} + ${gelu_3c} * (x * x));
  const $T y = s + x * (${two} * du) * t;
  return t == ${zero} ? s : y;
}
@@ctgrad_gelu_second_derivative$S
static inline $T ctgrad_gelu_second_derivative$S($T x) {
  const $T u = ${gelu_k} * (x + ${gelu_c} * (x * x * x));
  const $T s = ctgrad_sigmoid$S(${two} * u), r = ctgrad_sigmoid$S(${minus2} * u);
  const $T t = s * r;
  const $T du = ${gelu_k} * (${one} + ${gelu_3c} * (x * x));
  const $T y = t * (${four} * du + ${four} * x * (du * du) * (r - s) + ${gelu_12kc} * (x * x));
  return t == ${zero} ? ${zero} : y;
}
@@ctgrad_relu$S
static inline $T ctgrad_relu$S($T x) { return x < ${zero} ? ${zero} : x; }
@@ctgrad_negative_part$S
static inline $T ctgrad_negative_part$S($T x) {
  const $T n = x < ${zero} ? -x : ${zero};
  return x != x ? x : n;
}
@@ctgrad_finite$S
static inline $T ctgrad_finite$S($T x) {
  const $T low = x < ${lowest} ? ${lowest} : x;
  return x > ${largest} ? ${largest} : low;
}
@@ctgrad_step$S
static inline $T ctgrad_step$S($T x) {
  const $T s = x > ${zero} ? ${one} : ${zero};
  return x != x ? x : s;
}
@@ctgrad_sign$S
static inline $T ctgrad_sign$S($T x) {
  const $T s = (x > ${zero} ? ${one} : ${zero}) - (x < ${zero} ? ${one} : ${zero});
  return x != x ? x : s;
}
@@ctgrad_abs$S
static inline $T ctgrad_abs$S($T x) { return x < ${zero} ? -x : x; }
@@ctgrad_softplus$S
static inline $T ctgrad_softplus$S($T x) {
  const $T ax = x < ${zero} ? -x : x;
  return (x > ${zero} ? x : ${zero}) + log1p$S(exp$S(-ax));
}
@@ctgrad_ipow$S
static inline $T ctgrad_ipow$S($T x, long n) {
  $T r = ${one};
  if (n < 0) return ${one} / ctgrad_ipow$S(x, -n);
  while (n != 0) {
    if (n & 1) r *= x;
    x *= x;
    n >>= 1;
  }
  return r;
}
@@ctgrad_dot$S
/* sum of a[k] * b[k]: eight partial sums over the whole multiples of 8,
   then (p0+p4) + (p1+p5) + (p2+p6) + (p3+p7), then the rest in order
   (numeric/gemm.hpp's dot). */
static inline $T ctgrad_dot$S(const $T *a, const $T *b, int n) {
  const int body = n / 8 * 8;
  $T s = ${zero};
  if (body != 0) {
    $T p[8] = {0};
    for (int k = 0; k != body; k += 8)
      for (int l = 0; l != 8; ++l) p[l] += a[k + l] * b[k + l];
    s = ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]));
  }
  for (int k = body; k != n; ++k) s += a[k] * b[k];
  return s;
}
@@ctgrad_axpy$S
/* y[k] += a * x[k], k = 0 .. n-1: the whole multiples of 16, then the rest
   (GCC -O2 vectorises only loops without a remainder). */
static inline void ctgrad_axpy$S($T *restrict y, $T a, const $T *restrict x, int n) {
  const int body = n / 16 * 16;
  for (int k = 0; k != body; ++k) y[k] += a * x[k];
  for (int k = body; k != n; ++k) y[k] += a * x[k];
}
@@ctgrad_dot_lanes16$S
/* part[l] += a[q + l] * b[q + l] over the whole multiples of 16 (16 partial
   sums, numeric/gemm.hpp's dot_lanes16), *rest += a[q] * b[q] over the rest. */
static inline void ctgrad_dot_lanes16$S($T *restrict part, $T *restrict rest, const $T *restrict a,
                                        const $T *restrict b, int n) {
  const int body = n / 16 * 16;
  for (int q = 0; q != body; q += 16)
    for (int l = 0; l != 16; ++l) part[l] += a[q + l] * b[q + l];
  for (int q = body; q != n; ++q) *rest += a[q] * b[q];
}
)";
  // The gelus again on <math.h>'s sigmoid, for the scalar level (whose
  // kernels call math::gelu, not the vectorised one).
  {
    const std::size_t from = r.find("@@ctgrad_gelu$S"), to = r.find("@@ctgrad_relu$S");
    std::string exact = r.substr(from, to - from);
    exact = replace_all(exact, "ctgrad_gelu", "ctgrad_exact_gelu");
    exact = replace_all(exact, "ctgrad_sigmoid", "ctgrad_exact_sigmoid");
    r.insert(to, exact);
  }
  // e^r - 1 to the term r^N/N!, as vmath::expm1_series: r + r^2 times
  // the sum of r^i/(2 + i)! by Estrin's scheme (vmath::estrin), the same
  // operations in the same order.
  const auto expm1_series = [](int n) {
    const std::string r = "r", r2 = "(r * r)", r4 = "(" + r2 + " * " + r2 + ")";
    const std::string powers[4] = {r, r2, r4, "(" + r4 + " * " + r4 + ")"};
    const auto estrin = [&](const auto& self, int first, int count) -> std::string {
      if (count == 1) return literal(vmath::inverse_factorial<T>(first));
      const int h = static_cast<int>(std::bit_floor(unsigned(count - 1)));
      return "(" + self(self, first, h) + " + " + powers[std::countr_zero(unsigned(h))] + " * " +
             self(self, first + h, count - h) + ")";
    };
    return "(" + r + " + " + r2 + " * " + estrin(estrin, 2, n - 1) + ")";
  };
  const bool is_float = std::is_same_v<T, float>;
  r = replace_all(r, "${exp_polynomial}", "(" + literal(T(1)) + " + " + expm1_series(tr::exp_terms - 1) + ")");
  r = replace_all(r, "${expm1_series}", expm1_series(tr::expm1_terms));
  r = replace_all(r, "${max_bits}", is_float ? "0x7fffffff" : "0x7fffffffffffffffLL");
  r = replace_all(r, "${min_bits}", is_float ? "(-0x7fffffff - 1)" : "(-0x7fffffffffffffffLL - 1)");
  r = replace_all(r, "${bias}", number(tr::bias));
  r = replace_all(r, "${mantissa}", number(tr::mantissa));
  r = replace_all(r, "${magic}", literal(tr::round_magic));
  r = replace_all(r, "${log2e}", literal(tr::log2e));
  r = replace_all(r, "${ln2_hi}", literal(tr::ln2_hi));
  r = replace_all(r, "${ln2_lo}", literal(tr::ln2_lo));
  r = replace_all(r, "${min_arg}", literal(tr::min_arg));
  r = replace_all(r, "${max_arg}", literal(tr::max_arg));
  r = replace_all(r, "${infinity}", literal(std::numeric_limits<T>::infinity()));
  r = replace_all(r, "${lowest}", literal(std::numeric_limits<T>::lowest()));
  r = replace_all(r, "${largest}", literal(std::numeric_limits<T>::max()));
  r = replace_all(r, "${minus_zero}", literal(T(-0.0)));
  r = replace_all(r, "${zero}", literal(T(0)));
  r = replace_all(r, "${one}", literal(T(1)));
  r = replace_all(r, "${two}", literal(T(2)));
  r = replace_all(r, "${four}", literal(T(4)));
  r = replace_all(r, "${half}", literal(T(0.5)));
  r = replace_all(r, "${minus2}", literal(T(-2)));
  r = replace_all(r, "${minus40}", literal(T(-40)));
  r = replace_all(r, "${gelu_k}", literal(T(math::gelu_k)));
  r = replace_all(r, "${gelu_c}", literal(T(math::gelu_c)));
  r = replace_all(r, "${gelu_3c}", literal(T(3 * math::gelu_c)));
  r = replace_all(r, "${gelu_12kc}", literal(T(12 * math::gelu_k * math::gelu_c)));
  r = replace_all(r, "$T", std::string(scalar<T>::type));
  r = replace_all(r, "$B", std::string(scalar<T>::bits));
  return replace_all(r, "$S", std::string(scalar<T>::suffix));
}

/// What a source starts with: the headers, and of ctgrad's functions
/// (`all`, the runtime) those `code` calls and those they call, in order.
[[gnu::noinline]] inline std::string preamble_text(const std::string& all, const std::string& code) {
  std::vector<std::pair<std::string, std::string>> pieces;  // name, text
  for (std::size_t at = all.find("\n@@"); at != std::string::npos;) {
    const std::size_t name_end = all.find('\n', at + 3), next = all.find("\n@@", name_end);
    pieces.emplace_back(
        all.substr(at + 3, name_end - at - 3),
        all.substr(name_end + 1, next == std::string::npos ? std::string::npos : next + 1 - name_end - 1));
    at = next;
  }
  // Each piece calls only earlier ones: from the last back, keep a piece
  // if the code or a piece kept calls it (`name(`) or names its type
  // (`name `; ctgrad_exp is no prefix match for ctgrad_expm1_negative).
  std::string used = code, kept;
  std::vector<bool> keep(pieces.size());
  for (std::size_t k = pieces.size(); k-- != 0;)
    if (used.find(pieces[k].first + "(") != std::string::npos ||
        used.find(pieces[k].first + " ") != std::string::npos) {
      keep[k] = true;
      used += pieces[k].second;
    }
  for (std::size_t k = 0; k != pieces.size(); ++k)
    if (keep[k]) kept += pieces[k].second;
  return "#include <math.h>\n#include <stdint.h>\n\n"
         "/* Without contraction of a*b + c into fma, as the C++ kernels: GCC does not\n"
         "   contract in -std=c99; clang is told here.  Do not compile with -ffast-math. */\n"
         "#if defined(__clang__)\n#pragma STDC FP_CONTRACT OFF\n#endif\n" +
         (kept.empty() ? std::string() : "\n" + all.substr(0, all.find("\n@@") + 1) + kept);
}
template <class T>
std::string preamble(const std::string& code) {
  return preamble_text(runtime<T>(), code);
}

/// `name` made a C identifier: other characters become '_', and a name
/// the emitted code uses itself (a loop counter, `ws`, a C keyword,
/// anything starting ctgrad_) gets a trailing '_' (none of those ends so).
inline std::string identifier(std::string_view name) {
  std::string s;
  for (char ch : name) s += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front()))) s = "_" + s;
  static constexpr std::string_view taken[] = {
      "i",     "j",        "k",       "l",      "o",        "r",         "s",          "m",         "e",
      "a",     "n",        "p",       "g",      "part",     "ws",        "u",          "q",         "f",
      "ch",    "wt",       "base",    "rest",   "acc",      "workspace", "parameters", "gradients", "alpha",
      "beta",  "y",        "state",   "config", "loss",     "auto",      "break",      "case",      "char",
      "const", "continue", "default", "do",     "double",   "else",      "enum",       "extern",    "float",
      "for",   "goto",     "if",      "inline", "int",      "long",      "register",   "restrict",  "return",
      "short", "signed",   "sizeof",  "static", "struct",   "switch",    "typedef",    "union",     "unsigned",
      "void",  "volatile", "while",   "_Bool",  "_Complex", "_Imaginary"};
  bool reserved = s.starts_with("ctgrad_") ||
                  (s.size() > 1 && s[0] == 'v' && s.find_first_not_of("0123456789", 1) == std::string::npos);
  for (std::string_view t : taken) reserved = reserved || s == t;
  return reserved ? s + "_" : s;
}

/// The prefix of a header's macros: the identifier in capitals.
inline std::string macro_prefix(std::string id) {
  for (char& ch : id) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return id;
}

/// The leaves' names as C identifiers (made unique), in order.
[[gnu::noinline]] inline std::vector<std::string> identifiers(std::span<const std::string_view> tensor_names) {
  std::vector<std::string> result;
  for (std::string_view tensor : tensor_names) {
    std::string name = identifier(tensor);
    for (const std::string& other : result)
      if (other == name) name += "_" + number(result.size());
    result.push_back(name);
  }
  return result;
}

template <class Leaves>
struct leaf_table;
template <class... L>
struct leaf_table<mp::mp_list<L...>> {
  static constexpr std::array<std::string_view, sizeof...(L)> names{L::name.view()...};
  static constexpr std::array<std::uint64_t, sizeof...(L)> keys{tensor_key<L>::value...};
  static constexpr std::array<std::span<const std::size_t>, sizeof...(L)> dims{
      std::span<const std::size_t>(shape_of<L>::dims)...};
};

/// A kernel's program as tables: what to_c99 writes out.
template <class T, class Kernel>
struct program_text;
template <class T, class Loss, class... Params>
struct program_text<T, tensor_kernel<Loss, Params...>> {
  using kernel = tensor_kernel<Loss, Params...>;
  using plan = typename kernel::plan;
  using program = typename plan::program;
  using leaves = leaf_table<typename plan::leaves>;

  template <class... I>
  static constexpr std::array<nest, sizeof...(I)> ops_of(mp::mp_list<I...>) noexcept {
    return {nest_for<T, I>()...};
  }
  static constexpr auto ops = ops_of(program{});

  /// The statements of the kernel's program (one loop nest per
  /// instruction, under its line of the listing) reading leaf k as
  /// leaf_names[k] and the workspace as `ws`.
  static std::string statements(const std::string* leaf_names, const std::string& indent) {
    static constexpr auto lines = listing(kernel{});
    return program_statements(ops, lines.view(), plan::slot_count, names{leaf_names},
                              {scalar<T>::type, scalar<T>::suffix, scalar<T>::bits, literal(T(0))}, indent);
  }
  /// The leaves' names as C identifiers, in the plan's order.
  static std::vector<std::string> leaf_names() { return identifiers(leaves::names); }
};

// ---------------------------------------------------------------------------
// The scalar level: a gradient kernel (ctgrad::gradient) as one C function,
// a line per node of its graph (what its `listing` prints), calling what
// the C++ kernel calls (<math.h>'s functions; it has no vectorised ones).

using literal_fn = std::string (*)();
using spelling_fn = std::string (*)(std::string_view suffix);

/// One node of a scalar kernel: a variable, or an operation on earlier
/// nodes (slots) and literals.
struct scalar_step {
  enum class kind : unsigned char { variable, add, mul, div, unary, power };
  kind k = kind::variable;
  std::size_t a = 0, b = 0;               // operand slots
  literal_fn ca = nullptr, cb = nullptr;  // or literal operands
  std::string_view variable;              // a variable's name
  spelling_fn function = nullptr;         // a unary function's C name
  std::intmax_t num = 0, den = 1;         // a power's exponent
  literal_fn exponent = nullptr;          // (num / den in T, for pow)
};

template <class T, class C>
std::string constant_literal() {
  return literal(C::template value<T>());
}
template <class T, std::intmax_t N, std::intmax_t D>
std::string exponent_literal() {
  return literal(static_cast<T>(N) / static_cast<T>(D));
}

/// The C function the scalar kernel's F is (fn::F::value calls <cmath>'s,
/// and math::sigmoid and math::gelu their own on <cmath>'s exp).
template <class F>
std::string scalar_function(std::string_view suffix) {
  if constexpr (std::is_same_v<F, fn::exp> || std::is_same_v<F, fn::tanh>)
    return std::string(F::name) + std::string(suffix);
  else if constexpr (std::is_same_v<F, fn::sigmoid>)
    return "ctgrad_exact_sigmoid" + std::string(suffix);
  else if constexpr (std::is_same_v<F, fn::gelu>)
    return "ctgrad_exact_gelu" + std::string(suffix);
  else if constexpr (std::is_same_v<F, fn::gelu_derivative>)
    return "ctgrad_exact_gelu_derivative" + std::string(suffix);
  else if constexpr (std::is_same_v<F, fn::gelu_second_derivative>)
    return "ctgrad_exact_gelu_second_derivative" + std::string(suffix);
  else
    return function_name<F>::of(suffix);
}

template <class Op>
struct unary_function;
template <class F>
struct unary_function<op::unary<F>> : std::type_identity<F> {};

template <class T, class Ref>
constexpr void scalar_operand(std::size_t& slot, literal_fn& constant) noexcept {
  if constexpr (is_constant<Ref>)
    constant = &constant_literal<T, Ref>;
  else
    slot = slot_of<Ref>;
}

template <class T, class G, std::size_t I>
constexpr scalar_step scalar_step_of() noexcept {
  using node = typename G::template node<I>;
  scalar_step s{};
  if constexpr (is_var<node>) {
    s.variable = node::name.view();
  } else {
    using operation = typename op_of<node>::type;
    scalar_operand<T, typename table_ref<G, I, 0>::type>(s.a, s.ca);
    if constexpr (same_as<operation, op::add> || same_as<operation, op::mul> || same_as<operation, op::div>) {
      s.k = same_as<operation, op::add>   ? scalar_step::kind::add
            : same_as<operation, op::mul> ? scalar_step::kind::mul
                                          : scalar_step::kind::div;
      scalar_operand<T, typename table_ref<G, I, 1>::type>(s.b, s.cb);
    } else if constexpr (is_unary_op<operation>) {
      s.k = scalar_step::kind::unary;
      s.function = &scalar_function<typename unary_function<operation>::type>;
    } else {  // op::pow<N, D>
      s.k = scalar_step::kind::power;
      s.num = pow_exponent<operation>::num;
      s.den = pow_exponent<operation>::den;
      s.exponent = &exponent_literal<T, pow_exponent<operation>::num, pow_exponent<operation>::den>;
    }
  }
  return s;
}

/// A root of the kernel (its value or a derivative): a slot or a literal.
struct scalar_root {
  std::size_t slot = 0;
  literal_fn constant = nullptr;
};
template <class T, class G, class Root>
constexpr scalar_root scalar_root_of() noexcept {
  scalar_root r{};
  scalar_operand<T, operand_ref_t<G, Root>>(r.slot, r.constant);
  return r;
}

/// The body of a scalar kernel: `const T tI = ...;` for every node, then
/// the roots into `out` (fields value, d_<variable>...).
[[gnu::noinline]] inline std::string scalar_statements(std::span<const scalar_step> steps,
                                                       std::span<const scalar_root> roots,
                                                       std::span<const std::string> root_fields,
                                                       std::span<const std::string> variable_fields,
                                                       std::string_view type, std::string_view suffix) {
  const auto operand = [](std::size_t slot, literal_fn constant) {
    return constant != nullptr ? constant() : "t" + number(slot);
  };
  std::string out;
  std::size_t variable = 0;
  for (std::size_t i = 0; i != steps.size(); ++i) {
    const scalar_step& s = steps[i];
    const std::string a = operand(s.a, s.ca), sfx(suffix);
    std::string value;
    switch (s.k) {
      case scalar_step::kind::variable:
        value = "in->" + variable_fields[variable++];
        break;
      case scalar_step::kind::add:
        value = a + " + " + operand(s.b, s.cb);
        break;
      case scalar_step::kind::mul:
        value = a + " * " + operand(s.b, s.cb);
        break;
      case scalar_step::kind::div:
        value = a + " / " + operand(s.b, s.cb);
        break;
      case scalar_step::kind::unary:
        value = s.function(suffix) + "(" + a + ")";
        break;
      case scalar_step::kind::power:  // as compile/scalar_kernel.hpp's step computes it
        if (s.den == 1)
          value = "ctgrad_ipow" + sfx + "(" + a + ", " + std::to_string(s.num) + ")";
        else if (s.den == 2)
          value = "ctgrad_ipow" + sfx + "(sqrt" + sfx + "(" + a + "), " + std::to_string(s.num) + ")";
        else
          value = "pow" + sfx + "(" + a + ", " + s.exponent() + ")";
        break;
    }
    out += "  const " + std::string(type) + " t" + number(i) + " = " + value + ";\n";
  }
  for (std::size_t r = 0; r != roots.size(); ++r)
    out += "  out->" + root_fields[r] + " = " + operand(roots[r].slot, roots[r].constant) + ";\n";
  return out;
}

template <class T, class Kernel>
struct scalar_program;
template <class T, class E, class... Vars>
struct scalar_program<T, gradient_kernel<E, Vars...>> {
  using kernel = gradient_kernel<E, Vars...>;
  using G = typename kernel::graph;
  template <std::size_t... I>
  static constexpr std::array<scalar_step, G::size> steps_of(std::index_sequence<I...>) noexcept {
    return {scalar_step_of<T, G, I>()...};
  }
  static constexpr auto steps = steps_of(std::make_index_sequence<G::size>{});
  template <class... Roots>
  static constexpr std::array<scalar_root, sizeof...(Roots)> roots_of(mp::mp_list<Roots...>) noexcept {
    return {scalar_root_of<T, G, Roots>()...};
  }
  static constexpr auto roots = roots_of(typename kernel::roots{});
  /// The variables in the order of the graph, and those differentiated by.
  template <class... V>
  static constexpr std::array<std::string_view, sizeof...(V)> names_of(mp::mp_list<V...>) noexcept {
    return {V::name.view()...};
  }
  static constexpr auto variables = names_of(variables_of<G>{});
  static constexpr std::array<std::string_view, sizeof...(Vars)> differentiated{Vars::name.view()...};
};

/// The C of a scalar kernel, from its tables.
[[gnu::noinline]] inline c99_code scalar_c99(const std::string& id, std::string_view type, std::string_view suffix,
                                             std::span<const scalar_step> steps, std::span<const scalar_root> roots,
                                             std::span<const std::string_view> variables,
                                             std::span<const std::string_view> differentiated,
                                             const std::string& (*runtime_text)()) {
  const std::string up = macro_prefix(id);
  const std::string t(type);
  std::vector<std::string> variable_fields, root_fields{"value"};
  for (std::string_view v : variables) variable_fields.push_back(identifier(v));
  for (std::string_view v : differentiated) root_fields.push_back("d_" + identifier(v));

  c99_code code;
  std::string& h = code.header;
  h = "/* " + id + ": a ctgrad gradient kernel as C99 (ctgrad::to_c99). */\n#ifndef " + up + "_H\n#define " + up +
      "_H\n\n/* Every variable of the expression. */\ntypedef struct {\n";
  for (std::size_t k = 0; k != variables.size(); ++k)
    h += "  " + t + " " + variable_fields[k] + "; /* " + std::string(variables[k]) + " */\n";
  h += "} " + id + "_variables;\n\n/* Its value and its derivatives. */\ntypedef struct {\n  " + t + " value;\n";
  for (std::size_t k = 0; k != differentiated.size(); ++k)
    h += "  " + t + " " + root_fields[k + 1] + "; /* d/d" + std::string(differentiated[k]) + " */\n";
  h += "} " + id + "_result;\n\n/* One forward and backward pass. */\nvoid " + id + "_run(const " + id +
       "_variables *in, " + id + "_result *out);\n\n#endif\n";
  const std::string body = "void " + id + "_run(const " + id + "_variables *restrict in, " + id +
                           "_result *restrict out) {\n" +
                           scalar_statements(steps, roots, root_fields, variable_fields, type, suffix) + "}\n";
  code.source = "/* " + id + ": a ctgrad gradient kernel as C99 (ctgrad::to_c99). */\n" +
                preamble_text(runtime_text(), body) + "\n#include \"" + id + ".h\"\n\n" + body;
  return code;
}
template <class T>
const std::string& runtime_of() {
  static const std::string text = runtime<T>();
  return text;
}

/// A tensor kernel's C (to_c99, below).
template <class T, class Kernel>
c99_code kernel_c99(std::string_view name) {
  using text = program_text<T, Kernel>;
  using layout = typename Kernel::layout;
  const std::string id = identifier(name), type(scalar<T>::type), upper = macro_prefix(id);
  const std::vector<std::string> leaves = text::leaf_names();
  std::string signature = "void " + id + "_run(" + type + " *restrict ws";
  for (const std::string& leaf : leaves) signature += ", const " + type + " *restrict " + leaf;
  signature += ")";

  c99_code code;
  code.header = "/* " + id + ": a ctgrad kernel as C99 (ctgrad::to_c99). */\n#ifndef " + upper + "_H\n#define " +
                upper + "_H\n\n#define " + upper + "_WORKSPACE_ELEMENTS " + number(layout::workspace_elements) +
                "\n#define " + upper + "_VALUE_OFFSET " + number(layout::loss_offset) + "\n#define " + upper +
                "_VALUE_ELEMENTS " + number(layout::value_size) + "\n#define " + upper + "_GRADIENT_ELEMENTS " +
                number(layout::gradient_elements) + "\n\n" +
                "/* ws and the leaves must not overlap (the definition declares them restrict). */\n" +
                replace_all(signature, "restrict ", "") + ";\n\n#endif\n";
  const std::string body = signature + " {\n" + text::statements(leaves.data(), "  ") + "}\n";
  code.source = "/* " + id + ": a ctgrad kernel as C99 (ctgrad::to_c99). */\n" + preamble<T>(body) + "\n" + body;
  return code;
}

/// A scalar kernel's C (to_c99, below).
template <class T, class Kernel>
c99_code gradient_c99(std::string_view name) {
  using text = scalar_program<T, Kernel>;
  return scalar_c99(identifier(name), scalar<T>::type, scalar<T>::suffix, text::steps, text::roots, text::variables,
                    text::differentiated, &runtime_of<T>);
}

template <class T>
inline constexpr bool has_c_type = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// Whether a program runs a scan (not written out as C yet).
template <class I>
inline constexpr bool is_scan_instruction = false;
template <std::size_t O, class E, class RX, class RH0, class Body, class Frees>
inline constexpr bool is_scan_instruction<tk::i_scan<O, E, RX, RH0, Body, Frees>> = true;
template <std::size_t O, class E, class RX, class RH0, class RY, class RG, class Body, class Frees, class Sizes>
inline constexpr bool is_scan_instruction<tk::i_scan_grad<O, E, RX, RH0, RY, RG, Body, Frees, Sizes>> = true;
template <class Program>
inline constexpr bool has_scan = false;
template <class... I>
inline constexpr bool has_scan<mp::mp_list<I...>> = (is_scan_instruction<I> || ...);

}  // namespace detail::c99

namespace error {
template <class Kernel>
struct c99_scan {
  static_assert(detail::always_false<Kernel>,
                "ctgrad::to_c99: this kernel runs a scan (a recurrent layer), which is not written out as C yet; "
                "run the C++ kernel");
};
}  // namespace error

/// The kernel as C99 (see the top of this file): `NAME_run(ws, leaves...)`
/// runs its program on `ws` (NAME_WORKSPACE_ELEMENTS elements of T), every
/// leaf (parameters and inputs, in the order the header declares them) a
/// pointer to its values; the loss, or the value of a forward kernel, is
/// at NAME_VALUE_OFFSET, and the gradients by wrt(...) are the first
/// NAME_GRADIENT_ELEMENTS elements, in that order (as workspace::gradients()).
template <class T, class Loss, class... Params>
c99_code to_c99(tensor_kernel<Loss, Params...>, std::string_view name) {
  static_assert(detail::c99::has_c_type<T>, "ctgrad::to_c99<T>: T is float or double");
  if constexpr (detail::c99::has_scan<typename tensor_kernel<Loss, Params...>::plan::program>) {
    (void)error::c99_scan<Loss>{};
    return {};
  } else if constexpr (detail::c99::has_c_type<T>) {
    return detail::c99::kernel_c99<T, tensor_kernel<Loss, Params...>>(name);
  } else {
    return {};
  }
}

/// A scalar gradient kernel (ctgrad::gradient(e, x, ...)) as C99:
/// `NAME_run(&in, &out)` with `NAME_variables in` (a field per variable of
/// e) and `NAME_result out` (`value`, and `d_x` per variable
/// differentiated by), one line per node of the kernel's graph, as
/// `listing` prints it; the same bits as the C++ kernel (both call
/// <math.h>'s functions, and neither contracts a*b + c into an FMA).
template <class T, class E, class... Vars>
c99_code to_c99(gradient_kernel<E, Vars...>, std::string_view name) {
  static_assert(detail::c99::has_c_type<T>, "ctgrad::to_c99<T>: T is float or double");
  if constexpr (detail::c99::has_c_type<T>)
    return detail::c99::gradient_c99<T, gradient_kernel<E, Vars...>>(name);
  else
    return {};
}
}  // namespace ctgrad

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
