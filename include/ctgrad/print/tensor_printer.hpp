// ctgrad/print/tensor_printer.hpp — tensor expressions printed as maths, at
// compile time, as text or as LaTeX:
//   to_string(grad(L, W2), label<"h">(h), label<"z2">(z2))
//     == "h^T*(softmax(z2)/4 - t/4)"
//   to_latex(grad(L, W2), label<"h">(h), label<"z2">(z2))
//     prints h^{\top} \left(\frac{\operatorname{softmax}\left(z_{2}\right)}{4} - \frac{t}{4}\right)
// Notation (text / LaTeX): `A*B` / `A B` is the matrix product, `A ⊙ B` /
// `A \odot B` the elementwise product, `A^T` / `A^{\top}` the transpose,
// `sum(A)` / `\sum\left(A\right)` the sum of all elements, `colsum(A)` the
// sum over leading (batch) dimensions, `rowsum(A)` over the last one.
// Broadcasts and reshapes are implicit.  Elementwise formulas print with
// the scalar printer; softmax and log_softmax are recognised by type.
#pragma once

#include "../expr/conv.hpp"
#include "../expr/scan.hpp"
#include "../expr/slice.hpp"
#include "../expr/tensor_ops.hpp"
#include "../to_string.hpp"

namespace ctgrad {

/// A name for a tensor subexpression, used by `to_string`.
template <fixed_string Name, Tensor E>
constexpr expression_label<Name, E> label(E) noexcept {
  return {};
}

namespace detail {

/// How a tensor expression prints: as text or LaTeX, with these labels.
/// (A style may also name nodes itself, as the listing's does: see
/// `names_node`.)
template <bool Latex, class... Labels>
struct tensor_style {
  using list = mp::mp_list<Labels...>;
  static constexpr bool latex = Latex;
};
/// The scalar style that prints a tensor style's constants.
template <class Style>
using constant_style = std::conditional_t<Style::latex, latex_style<>, text_style<>>;

/// Whether the style prints T by a name of its own (a label, or a slot of
/// the listing), not as its operation.
template <class Style, class T>
concept names_node = (mp::mp_find_if_q<typename Style::list, labelled_as<T>>::value !=
                      mp::mp_size<typename Style::list>::value) ||
                     requires {
  requires Style::template names<T>;
};

template <class Style, class T, class Sink>
constexpr void tprint(Sink& sink, int min_precedence) noexcept;

template <class Style, class Sink>
constexpr void put_open(Sink& out) noexcept {
  out.put(Style::latex ? "\\left(" : "(");
}
template <class Style, class Sink>
constexpr void put_close(Sink& out) noexcept {
  out.put(Style::latex ? "\\right)" : ")");
}
/// A name as it prints: `W1`, or in LaTeX `W_{1}`.
template <class Style, class Sink>
constexpr void put_name(Sink& out, std::string_view name) noexcept {
  if constexpr (Style::latex)
    put_latex_name(out, name);
  else
    out.put(name);
}
/// A function's name and its opening bracket: `conv(`, or in LaTeX
/// `\operatorname{conv}\left(` (underscores escaped).
template <class Style, class Sink>
constexpr void put_function(Sink& out, std::string_view name) noexcept {
  if constexpr (Style::latex) {
    out.put("\\operatorname{");
    for (std::size_t i = 0; i != name.size(); ++i) out.put(name[i] == '_' ? "\\_" : name.substr(i, 1));
    out.put("}");
  } else {
    out.put(name);
  }
  put_open<Style>(out);
}

template <class A>
using log_softmax_t = decltype(log_softmax(A{}));

/// X, if T is logsumexp(X), broadcast or not; else void.
template <class T>
struct logsumexp_argument : std::type_identity<void> {};
template <class X>
struct logsumexp_argument<tnodes::logsumexp<X>> : std::type_identity<X> {};
template <class X, class S>
struct logsumexp_argument<tnodes::broadcast<tnodes::logsumexp<X>, S>> : std::type_identity<X> {};

/// The argument A if T is softmax(A) (resp. log_softmax) for one of T's operands, else void.
/// Both are elementwise nodes of A and logsumexp(A): only a node of that
/// form is compared with Of<A> (building Of<A> for every node of a deep
/// kernel's listing was most of its compile time).
template <template <class> class Of, class T>
struct recognised_s : std::type_identity<void> {};
template <template <class> class Of, class F, class S, class A, class B>
struct recognised_s<Of, tnodes::ew<F, S, A, B>> {
  template <class X, class Other>
  struct try_one : std::type_identity<void> {};
  template <class X, class Other>
  requires std::is_same_v<typename logsumexp_argument<Other>::type, X> &&
      std::is_same<Of<X>, tnodes::ew<F, S, A, B>>::value struct try_one<X, Other> : std::type_identity<X> {
  };
  using type = std::conditional_t<std::is_void_v<typename try_one<A, B>::type>, typename try_one<B, A>::type,
                                  typename try_one<A, B>::type>;
};

/// The two parts of an elementwise node that is concat(X, Y) (embed(X) +
/// embed(Y), expr/slice.hpp), as mp_list<X, Y>; else void.
template <class T>
struct concat_parts : std::type_identity<void> {};
template <class F, class S, class A, class B>
struct concat_parts<tnodes::ew<F, S, A, B>> {
  template <class P, class Q>
  struct try_one : std::type_identity<void> {};
  template <class X, class Y, std::size_t At, std::size_t N>
  requires(At == shape_of<X>::dims.back() &&
           std::is_same_v<decltype(concat(X{}, Y{})), tnodes::ew<F, S, A, B>>) struct try_one<tnodes::embed<X, 0, N>,
                                                                                              tnodes::embed<Y, At, N>>
      : std::type_identity<mp::mp_list<X, Y>> {
  };
  using type = std::conditional_t<std::is_void_v<typename try_one<A, B>::type>, typename try_one<B, A>::type,
                                  typename try_one<A, B>::type>;
};

template <class T>
struct tensor_precedence : std::integral_constant<int, 5> {};  // leaves, sums, transposes
template <class C, class S>
struct tensor_precedence<tnodes::fill<C, S>> : std::integral_constant<int, precedence<text_style<>, C>()> {};
template <class F, class S, class... A>
struct tensor_precedence<tnodes::ew<F, S, A...>>
    : std::integral_constant<int, (!std::is_void_v<typename recognised_s<softmax_t, tnodes::ew<F, S, A...>>::type> ||
                                           !std::is_void_v<typename concat_parts<tnodes::ew<F, S, A...>>::type>
                                       ? 5
                                       : precedence<text_style<>, F>())> {};
template <class A, class S>
struct tensor_precedence<tnodes::broadcast<A, S>> : tensor_precedence<A> {};
template <class A, class S>
struct tensor_precedence<tnodes::reshape<A, S>> : tensor_precedence<A> {};
template <class A, class B>
struct tensor_precedence<tnodes::matmul<A, B>> : std::integral_constant<int, 2> {};
/// The gradient of a scan's weight is a sum over time (see tprint_other).
template <class Scan, class G, std::size_t Begin, std::size_t Count>
struct tensor_precedence<tnodes::slice<tnodes::scan_grad<Scan, G>, Begin, Count>>
    : std::integral_constant<int, scan_step<Scan>::template operand_at<Begin> >= 2 ? 1 : 5> {};

/// A tensor expression that is a negative multiple of another (-2*X, an
/// elementwise node whose formula is negative, or a negative constant),
/// and that other as a type (-X), for "A - 2*X" where "A + -2*X" would print.
template <class T>
struct negated_tensor : std::type_identity<void> {};
template <class F, class S, class... A>
requires is_negative<F>
struct negated_tensor<tnodes::ew<F, S, A...>> : std::type_identity<tnodes::ew<decltype(make_neg(F{})), S, A...>> {
};
template <class C, class S>
requires is_negative<C>
struct negated_tensor<tnodes::fill<C, S>> : std::type_identity<tnodes::fill<decltype(make_neg(C{})), S>> {
};
template <class A, class S>
struct negated_tensor<tnodes::broadcast<A, S>> : negated_tensor<A> {};

/// The scalar printer's style for an elementwise node's formula: its
/// placeholders _0, _1, ... print as the node's operands.
template <class Style, class Operands>
struct formula_style {
  using labels = mp::mp_list<>;
  static constexpr bool latex = Style::latex;
  static constexpr std::string_view product = latex ? " \\odot " : " \u2299 ";  // ⊙
  template <class V, class Sink>
  requires(placeholder_index<V>::value <
           mp::mp_size<Operands>::value) static constexpr void put_variable(Sink& sink, int min_precedence) noexcept {
    using operand = mp::mp_at_c<Operands, placeholder_index<V>::value>;
    // A matrix product inside an elementwise one reads better bracketed.
    tprint<Style, operand>(sink, tensor_precedence<operand>::value == 2 && min_precedence >= 2 ? 3 : min_precedence);
  }
  /// An operand that is a negative multiple of another, unless the style
  /// prints it by name.
  template <class V>
  static constexpr bool negative_variable = [] {
    if constexpr (requires { placeholder_index<V>::value; })
      if constexpr (placeholder_index<V>::value < mp::mp_size<Operands>::value) {
        using operand = mp::mp_at_c<Operands, placeholder_index<V>::value>;
        return !names_node<Style, operand> && !std::is_void_v<typename negated_tensor<operand>::type>;
      }
    return false;
  }();
  template <class V, class Sink>
  static constexpr void put_negated_variable(Sink& sink, int min_precedence) noexcept {
    using operand = typename negated_tensor<mp::mp_at_c<Operands, placeholder_index<V>::value>>::type;
    tprint<Style, operand>(sink, min_precedence);
  }
};

// Views, products and reductions.
template <class Style, class T>
struct tprint_other;
template <class Style, class A, class S>
struct tprint_other<Style, tnodes::broadcast<A, S>> {
  template <class Sink>
  static constexpr void run(Sink& out, int min) noexcept {
    tprint<Style, A>(out, min);
  }
};
template <class Style, class A, class S>
struct tprint_other<Style, tnodes::reshape<A, S>> : tprint_other<Style, tnodes::broadcast<A, S>> {};
template <class Style, class A>
struct tprint_other<Style, tnodes::transpose<A>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    tprint<Style, A>(out, 5);
    out.put(Style::latex ? "^{\\top}" : "^T");
  }
};
template <class Style, class A>
struct tprint_other<Style, tnodes::logsumexp<A>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_function<Style>(out, "logsumexp");
    tprint<Style, A>(out, 0);
    put_close<Style>(out);
  }
};
template <class Style, class A, class B>
struct tprint_other<Style, tnodes::matmul<A, B>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    tprint<Style, A>(out, 3);
    out.put(Style::latex ? " " : "*");  // LaTeX: juxtaposed, as in print
    tprint<Style, B>(out, 3);
  }
};
template <class Style, class A, class S>
struct tprint_other<Style, tnodes::reduce_sum<A, S>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    using from = shape_of<A>;
    if constexpr (S::rank == 0) {
      if constexpr (Style::latex)
        out.put("\\sum\\left(");
      else
        out.put("sum(");
    } else if constexpr (S::rank == from::rank && S::dims.back() == 1) {
      put_function<Style>(out, "rowsum");
    } else if constexpr (S::rank == 3 && from::rank == 4 && S::dims[1] == 1 && S::dims[2] == 1) {
      put_function<Style>(out, "channelsum");  // a convolution's bias: over batch and positions
    } else {
      put_function<Style>(out, "colsum");
    }
    tprint<Style, A>(out, 0);
    put_close<Style>(out);
  }
};

// Convolution and pooling.  Geometry other than the default is spelled
// out: `conv(x, W, stride 2)`, `maxpool(h, 3x3, stride 2)`.
template <class Style, class Sink>
constexpr void put_pair(Sink& out, std::string_view what, std::size_t h, std::size_t w) noexcept {
  if (!what.empty()) {
    out.put(", ");
    out.put(Style::latex ? "\\text{" : "");
    out.put(what);
    out.put(Style::latex ? " }" : " ");
  } else {
    out.put(", ");
  }
  put_integer(out, static_cast<std::intmax_t>(h));
  if (h != w) {
    out.put(Style::latex ? " \\times " : "x");
    put_integer(out, static_cast<std::intmax_t>(w));
  }
}
template <class Style, class G, class Sink>
constexpr void put_conv_geometry(Sink& out) noexcept {
  if (G::stride_h != 1 || G::stride_w != 1) put_pair<Style>(out, "stride", G::stride_h, G::stride_w);
  if (G::dilation_h != 1 || G::dilation_w != 1) put_pair<Style>(out, "dilation", G::dilation_h, G::dilation_w);
}
template <class Style, class P, class Sink>
constexpr void put_pool_geometry(Sink& out) noexcept {
  out.put(", ");
  put_integer(out, static_cast<std::intmax_t>(P::window_h));
  out.put(Style::latex ? " \\times " : "x");
  put_integer(out, static_cast<std::intmax_t>(P::window_w));
  if (P::stride_h != P::window_h || P::stride_w != P::window_w)
    put_pair<Style>(out, "stride", P::stride_h, P::stride_w);
}
/// name(A, B<geometry>), left open for the geometry
template <class Style, class A, class B, class Sink>
constexpr void put_call(Sink& out, std::string_view name) noexcept {
  put_function<Style>(out, name);
  tprint<Style, A>(out, 0);
  if constexpr (!std::is_void_v<B>) {
    out.put(", ");
    tprint<Style, B>(out, 0);
  }
}
template <class Style, class X, class W, class G>
struct tprint_other<Style, tnodes::conv<X, W, G>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, X, W>(out, "conv");
    put_conv_geometry<Style, G>(out);
    put_close<Style>(out);
  }
};
template <class Style, class X, class Y, class S, class G>
struct tprint_other<Style, tnodes::conv_kernel_grad<X, Y, S, G>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, X, Y>(out, "correlate");
    put_conv_geometry<Style, G>(out);
    put_close<Style>(out);
  }
};
template <class Style, class Y, class W, class S, class G>
struct tprint_other<Style, tnodes::conv_input_grad<Y, W, S, G>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    if constexpr (G::stride_h == 1 && G::stride_w == 1 && G::dilation_h == 1 && G::dilation_w == 1) {
      put_call<Style, Y, void>(out, "full_conv");
      out.put(", ");
      put_function<Style>(out, "flip");
      tprint<Style, W>(out, 0);
      put_close<Style>(out);
    } else {
      put_call<Style, Y, W>(out, "conv_transpose");
      put_conv_geometry<Style, G>(out);
    }
    put_close<Style>(out);
  }
};
template <class Style, class X, std::size_t PH, std::size_t PW>
struct tprint_other<Style, tnodes::pad<X, PH, PW>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, X, void>(out, "pad");
    put_pair<Style>(out, "", PH, PW);
    put_close<Style>(out);
  }
};
template <class Style, class X, std::size_t PH, std::size_t PW>
struct tprint_other<Style, tnodes::crop<X, PH, PW>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, X, void>(out, "crop");
    put_pair<Style>(out, "", PH, PW);
    put_close<Style>(out);
  }
};
/// slice(x, b:e): columns b to e - 1 of the last axis.
template <class Style, class X, std::size_t Begin, std::size_t Count>
struct tprint_other<Style, tnodes::slice<X, Begin, Count>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, X, void>(out, "slice");
    out.put(", ");
    put_integer(out, static_cast<std::intmax_t>(Begin));
    out.put(":");
    put_integer(out, static_cast<std::intmax_t>(Begin + Count));
    put_close<Style>(out);
  }
};
/// Step t of a sequence [B, T, H] (time_step<t>, last_step: a slice of
/// its rows seen as [B, T * H]), as Python indexes it: s[:, t].
template <class Style, class X, std::size_t B, std::size_t N, std::size_t Begin, std::size_t Count>
requires(shape_of<X>::rank == 3 && shape_of<X>::dims[2] == Count &&
         Begin % Count == 0) struct tprint_other<Style, tnodes::slice<tnodes::reshape<X, shape<B, N>>, Begin, Count>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    tprint<Style, X>(out, 5);
    out.put("[:, ");
    put_integer(out, static_cast<std::intmax_t>(Begin / Count));
    out.put("]");
  }
};
/// embed(g, b:e of n): g at columns b to e - 1 of zeros with n columns.
template <class Style, class X, std::size_t Begin, std::size_t N>
struct tprint_other<Style, tnodes::embed<X, Begin, N>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, X, void>(out, "embed");
    out.put(", ");
    put_integer(out, static_cast<std::intmax_t>(Begin));
    out.put(":");
    put_integer(out, static_cast<std::intmax_t>(Begin + shape_of<X>::dims.back()));
    out.put(Style::latex ? " \\text{ of } " : " of ");
    put_integer(out, static_cast<std::intmax_t>(N));
    put_close<Style>(out);
  }
};
/// scan(x, h0, h[t] = body): the body as the step function returned it,
/// of the placeholders x[t] and h[t-1].
template <class Style, class X, class H0, class Body, class... Free>
struct tprint_other<Style, tnodes::scan<X, H0, Body, Free...>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, X, H0>(out, "scan");
    out.put(", ");
    put_name<Style>(out, "h[t]");
    out.put(" = ");
    tprint<Style, Body>(out, 0);
    put_close<Style>(out);
  }
};
/// The reverse scan as a whole (its parts print below): bptt(scan, G).
template <class Style, class Scan, class G>
struct tprint_other<Style, tnodes::scan_grad<Scan, G>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, Scan, G>(out, "bptt");
    put_close<Style>(out);
  }
};
/// A scan's VJP by one of its operands, as backpropagation through time
/// is written: by a weight W, `Σ_t <d/dW of one step>`; by the input,
/// `stack_t(<d/dx[t]>)`; by the initial state, `δ[0]`.  A step's
/// derivative reads h[t] (the body's value), x[t], h[t-1] and δ[t], the
/// adjoint of h[t] (dL/dh[t] through every later step).
template <class Style, class X, class H0, class Body, class... Free, class G, std::size_t Begin, std::size_t Count>
struct tprint_other<Style, tnodes::slice<tnodes::scan_grad<tnodes::scan<X, H0, Body, Free...>, G>, Begin, Count>> {
  using step = scan_step<tnodes::scan<X, H0, Body, Free...>>;
  static constexpr std::size_t k = step::template operand_at<Begin>;
  using step_style = tensor_style<Style::latex, expression_label<"h[t]", Body>>;
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    if constexpr (k == 1) {
      put_name<Style>(out, "δ[0]");
    } else if constexpr (k == 0) {
      put_function<Style>(out, "stack_t");
      tprint<step_style, mp::mp_at_c<typename step::gradients, 0>>(out, 0);
      put_close<Style>(out);
    } else {
      out.put(Style::latex ? "\\sum_{t} " : "Σ_t ");
      tprint<step_style, mp::mp_at_c<typename step::gradients, k>>(out, 2);
    }
  }
};
template <class Style, class X, class V, class P>
struct tprint_other<Style, tnodes::max_select<X, V, P>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    if constexpr (std::is_same_v<X, V>)
      put_call<Style, X, void>(out, "maxpool");
    else
      put_call<Style, X, V>(out, "select_at_max");
    put_pool_geometry<Style, P>(out);
    put_close<Style>(out);
  }
};
template <class Style, class X, class G, class P>
struct tprint_other<Style, tnodes::max_route<X, G, P>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, X, G>(out, "route_to_max");
    put_pool_geometry<Style, P>(out);
    put_close<Style>(out);
  }
};
template <class Style, class X, class P>
struct tprint_other<Style, tnodes::avg_pool<X, P>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, X, void>(out, "avgpool");
    put_pool_geometry<Style, P>(out);
    put_close<Style>(out);
  }
};
template <class Style, class G, class S, class P>
struct tprint_other<Style, tnodes::avg_unpool<G, S, P>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Style, G, void>(out, "spread_over_windows");
    put_pool_geometry<Style, P>(out);
    put_close<Style>(out);
  }
};

/// T as its operation, its operands as the style prints them.
template <class Style, class T, class Sink>
constexpr void tprint_node(Sink& sink, int min_precedence) noexcept {
  if constexpr (is_tensor_leaf<T>) {
    put_name<Style>(sink, T::name.view());
  } else if constexpr (is_fill<T>) {
    print_constant<constant_style<Style>, typename fill_constant<T>::type>(sink);
  } else if constexpr (is_ew<T>) {
    using sm = typename recognised_s<softmax_t, T>::type;
    using lsm = typename recognised_s<log_softmax_t, T>::type;
    using parts = typename concat_parts<T>::type;
    if constexpr (!std::is_void_v<parts>) {
      put_call<Style, mp::mp_first<parts>, mp::mp_second<parts>>(sink, "concat");
      put_close<Style>(sink);
    } else if constexpr (!std::is_void_v<sm>) {
      put_function<Style>(sink, "softmax");
      tprint<Style, sm>(sink, 0);
      put_close<Style>(sink);
    } else if constexpr (!std::is_void_v<lsm>) {
      put_function<Style>(sink, "log_softmax");
      tprint<Style, lsm>(sink, 0);
      put_close<Style>(sink);
    } else {
      []<class F, class S, class... A>(Sink& out, tnodes::ew<F, S, A...>*) {
        print_node<formula_style<Style, mp::mp_list<A...>>, F>(out);
      }(sink, static_cast<T*>(nullptr));
    }
  } else {
    tprint_other<Style, T>::run(sink, min_precedence);
  }
}

template <class Style, class T, class Sink>
constexpr void tprint(Sink& sink, int min_precedence) noexcept {
  using labels = typename Style::list;
  constexpr std::size_t label = mp::mp_find_if_q<labels, labelled_as<T>>::value;
  if constexpr (label != mp::mp_size<labels>::value) {
    put_name<Style>(sink, mp::mp_at_c<labels, label>::name.view());
  } else if constexpr (requires { requires Style::template names<T>; }) {
    Style::template put_node_name<T>(sink);
  } else if (tensor_precedence<T>::value < min_precedence) {
    put_open<Style>(sink);
    tprint_node<Style, T>(sink, 0);
    put_close<Style>(sink);
  } else {
    tprint_node<Style, T>(sink, min_precedence);
  }
}

template <class Style, class E>
struct tensor_printer {
  template <class Sink>
  static constexpr void run(Sink& sink) noexcept {
    tprint<Style, E>(sink, 0);
  }
};

}  // namespace detail

/// A tensor expression as maths (constexpr: usable in static_assert).
/// Labels name subexpressions: `to_string(grad(L, W1), label<"z1">(z1))`.
template <Tensor E, class... Labels>
requires(detail::is_label<Labels>&&...) constexpr auto to_string(E, Labels...) noexcept {
  return detail::render<detail::tensor_printer<detail::tensor_style<false, Labels...>, E>>();
}

/// A tensor expression as LaTeX maths (constexpr), in the notation at the
/// top of this file: `x^{\top} \left(x W - t\right)`.
template <Tensor E, class... Labels>
requires(detail::is_label<Labels>&&...) constexpr auto to_latex(E, Labels...) noexcept {
  return detail::render<detail::tensor_printer<detail::tensor_style<true, Labels...>, E>>();
}

/// A stream prints a tensor expression as to_string does (see the scalar
/// one in to_string.hpp): `BOOST_TEST(grad(L, W) == expected)` shows both.
template <class Traits, Tensor E>
std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& os, E e) {
  return os << to_string(e);
}
namespace tnodes {
using ctgrad::operator<<;  // found by argument-dependent lookup for the node types
}  // namespace tnodes

}  // namespace ctgrad
