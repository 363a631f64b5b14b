// ctgrad/print/tensor_printer.hpp — tensor expressions printed as maths, at
// compile time:
//   to_string(grad(L, W2), label<"h">(h), label<"z2">(z2))
//     == "h^T*(softmax(z2)/4 - t/4)"
// Notation: `A*B` is the matrix product, `A ⊙ B` the elementwise product,
// `A^T` the transpose, `sum(A)` the sum of all elements, `colsum(A)` the
// sum over leading (batch) dimensions, `rowsum(A)` over the last one.
// Broadcasts and reshapes are implicit.  Elementwise formulas print with
// the scalar printer; softmax and log_softmax are recognised by type.
#pragma once

#include "../expr/conv.hpp"
#include "../expr/tensor_ops.hpp"
#include "../to_string.hpp"

namespace ctgrad {

/// A name for a tensor subexpression, used by `to_string`.
template <fixed_string Name, Tensor E>
constexpr expression_label<Name, E> label(E) noexcept {
  return {};
}

namespace detail {

template <class... Labels>
struct tensor_labels {
  using list = mp::mp_list<Labels...>;
};

template <class Labels, class T, class Sink>
constexpr void tprint(Sink& sink, int min_precedence) noexcept;

template <class A>
using log_softmax_t = decltype(log_softmax(A{}));

/// The argument A if T is softmax(A) (resp. log_softmax) for one of T's operands, else void.
template <template <class> class Of, class T>
struct recognised_s : std::type_identity<void> {};
template <template <class> class Of, class F, class S, class A, class B>
struct recognised_s<Of, tnodes::ew<F, S, A, B>> {
  template <class X>
  struct try_one : std::type_identity<void> {};
  template <class X>
  requires Tensor<X> &&(shape_of<X>::rank >= 1) && std::is_same<Of<X>, tnodes::ew<F, S, A, B>>::value
      struct try_one<X> : std::type_identity<X> {
  };
  using type = std::conditional_t<std::is_void_v<typename try_one<A>::type>, typename try_one<B>::type,
                                  typename try_one<A>::type>;
};

template <class T>
struct tensor_precedence : std::integral_constant<int, 5> {};  // leaves, sums, transposes
template <class C, class S>
struct tensor_precedence<tnodes::fill<C, S>> : std::integral_constant<int, precedence<text_style<>, C>()> {};
template <class F, class S, class... A>
struct tensor_precedence<tnodes::ew<F, S, A...>>
    : std::integral_constant<int, (!std::is_void_v<typename recognised_s<softmax_t, tnodes::ew<F, S, A...>>::type>
                                       ? 5
                                       : precedence<text_style<>, F>())> {};
template <class A, class S>
struct tensor_precedence<tnodes::broadcast<A, S>> : tensor_precedence<A> {};
template <class A, class S>
struct tensor_precedence<tnodes::reshape<A, S>> : tensor_precedence<A> {};
template <class A, class B>
struct tensor_precedence<tnodes::matmul<A, B>> : std::integral_constant<int, 2> {};

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

template <class Labels, class Operands>
struct formula_style {
  using labels = mp::mp_list<>;
  static constexpr std::string_view product = " \u2299 ";  // ⊙
  template <class V, class Sink>
  requires(placeholder_index<V>::value <
           mp::mp_size<Operands>::value) static constexpr void put_variable(Sink& sink, int min_precedence) noexcept {
    using operand = mp::mp_at_c<Operands, placeholder_index<V>::value>;
    // A matrix product inside an elementwise one reads better bracketed.
    tprint<Labels, operand>(sink, tensor_precedence<operand>::value == 2 && min_precedence >= 2 ? 3 : min_precedence);
  }
  template <class V>
  static constexpr bool negative_variable = [] {
    if constexpr (requires { placeholder_index<V>::value; })
      if constexpr (placeholder_index<V>::value < mp::mp_size<Operands>::value)
        return !std::is_void_v<typename negated_tensor<mp::mp_at_c<Operands, placeholder_index<V>::value>>::type>;
    return false;
  }();
  template <class V, class Sink>
  static constexpr void put_negated_variable(Sink& sink, int min_precedence) noexcept {
    using operand = typename negated_tensor<mp::mp_at_c<Operands, placeholder_index<V>::value>>::type;
    tprint<Labels, operand>(sink, min_precedence);
  }
};

// Views, products and reductions.
template <class Labels, class T>
struct tprint_other;
template <class Labels, class A, class S>
struct tprint_other<Labels, tnodes::broadcast<A, S>> {
  template <class Sink>
  static constexpr void run(Sink& out, int min) noexcept {
    tprint<Labels, A>(out, min);
  }
};
template <class Labels, class A, class S>
struct tprint_other<Labels, tnodes::reshape<A, S>> : tprint_other<Labels, tnodes::broadcast<A, S>> {};
template <class Labels, class A>
struct tprint_other<Labels, tnodes::transpose<A>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    tprint<Labels, A>(out, 5);
    out.put("^T");
  }
};
template <class Labels, class A>
struct tprint_other<Labels, tnodes::logsumexp<A>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    out.put("logsumexp(");
    tprint<Labels, A>(out, 0);
    out.put(")");
  }
};
template <class Labels, class A, class B>
struct tprint_other<Labels, tnodes::matmul<A, B>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    tprint<Labels, A>(out, 3);
    out.put("*");
    tprint<Labels, B>(out, 3);
  }
};
template <class Labels, class A, class S>
struct tprint_other<Labels, tnodes::reduce_sum<A, S>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    using from = shape_of<A>;
    if constexpr (S::rank == 0)
      out.put("sum(");
    else if constexpr (S::rank == from::rank && S::dims.back() == 1)
      out.put("rowsum(");
    else if constexpr (S::rank == 3 && from::rank == 4 && S::dims[1] == 1 && S::dims[2] == 1)
      out.put("channelsum(");  // a convolution's bias: over batch and positions
    else
      out.put("colsum(");
    tprint<Labels, A>(out, 0);
    out.put(")");
  }
};

// Convolution and pooling.  Geometry other than the default is spelled
// out: `conv(x, W, stride 2)`, `maxpool(h, 3x3, stride 2)`.
template <class Sink>
constexpr void put_pair(Sink& out, std::string_view what, std::size_t h, std::size_t w) noexcept {
  out.put(what);
  put_integer(out, static_cast<std::intmax_t>(h));
  if (h != w) {
    out.put("x");
    put_integer(out, static_cast<std::intmax_t>(w));
  }
}
template <class Sink, class G>
constexpr void put_conv_geometry(Sink& out) noexcept {
  if (G::stride_h != 1 || G::stride_w != 1) put_pair(out, ", stride ", G::stride_h, G::stride_w);
  if (G::dilation_h != 1 || G::dilation_w != 1) put_pair(out, ", dilation ", G::dilation_h, G::dilation_w);
}
template <class Sink, class P>
constexpr void put_pool_geometry(Sink& out) noexcept {
  out.put(", ");
  put_integer(out, static_cast<std::intmax_t>(P::window_h));
  out.put("x");
  put_integer(out, static_cast<std::intmax_t>(P::window_w));
  if (P::stride_h != P::window_h || P::stride_w != P::window_w) put_pair(out, ", stride ", P::stride_h, P::stride_w);
}
/// name(A, B<geometry>)
template <class Labels, class A, class B, class Sink>
constexpr void put_call(Sink& out, std::string_view name) noexcept {
  out.put(name);
  out.put("(");
  tprint<Labels, A>(out, 0);
  if constexpr (!std::is_void_v<B>) {
    out.put(", ");
    tprint<Labels, B>(out, 0);
  }
}
template <class Labels, class X, class W, class G>
struct tprint_other<Labels, tnodes::conv<X, W, G>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Labels, X, W>(out, "conv");
    put_conv_geometry<Sink, G>(out);
    out.put(")");
  }
};
template <class Labels, class X, class Y, class S, class G>
struct tprint_other<Labels, tnodes::conv_kernel_grad<X, Y, S, G>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Labels, X, Y>(out, "correlate");
    put_conv_geometry<Sink, G>(out);
    out.put(")");
  }
};
template <class Labels, class Y, class W, class S, class G>
struct tprint_other<Labels, tnodes::conv_input_grad<Y, W, S, G>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    if constexpr (G::stride_h == 1 && G::stride_w == 1 && G::dilation_h == 1 && G::dilation_w == 1) {
      put_call<Labels, Y, void>(out, "full_conv");
      out.put(", flip(");
      tprint<Labels, W>(out, 0);
      out.put("))");
    } else {
      put_call<Labels, Y, W>(out, "conv_transpose");
      put_conv_geometry<Sink, G>(out);
      out.put(")");
    }
  }
};
template <class Labels, class X, std::size_t PH, std::size_t PW>
struct tprint_other<Labels, tnodes::pad<X, PH, PW>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Labels, X, void>(out, "pad");
    put_pair(out, ", ", PH, PW);
    out.put(")");
  }
};
template <class Labels, class X, std::size_t PH, std::size_t PW>
struct tprint_other<Labels, tnodes::crop<X, PH, PW>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Labels, X, void>(out, "crop");
    put_pair(out, ", ", PH, PW);
    out.put(")");
  }
};
template <class Labels, class X, class V, class P>
struct tprint_other<Labels, tnodes::max_select<X, V, P>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    if constexpr (std::is_same_v<X, V>)
      put_call<Labels, X, void>(out, "maxpool");
    else
      put_call<Labels, X, V>(out, "select_at_max");
    put_pool_geometry<Sink, P>(out);
    out.put(")");
  }
};
template <class Labels, class X, class G, class P>
struct tprint_other<Labels, tnodes::max_route<X, G, P>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Labels, X, G>(out, "route_to_max");
    put_pool_geometry<Sink, P>(out);
    out.put(")");
  }
};
template <class Labels, class X, class P>
struct tprint_other<Labels, tnodes::avg_pool<X, P>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Labels, X, void>(out, "avgpool");
    put_pool_geometry<Sink, P>(out);
    out.put(")");
  }
};
template <class Labels, class G, class S, class P>
struct tprint_other<Labels, tnodes::avg_unpool<G, S, P>> {
  template <class Sink>
  static constexpr void run(Sink& out, int) noexcept {
    put_call<Labels, G, void>(out, "spread_over_windows");
    put_pool_geometry<Sink, P>(out);
    out.put(")");
  }
};

template <class Labels, class T, class Sink>
constexpr void tprint_node(Sink& sink, int min_precedence) noexcept {
  if constexpr (is_tensor_leaf<T>) {
    sink.put(T::name.view());
  } else if constexpr (is_fill<T>) {
    print_constant<text_style<>, typename fill_constant<T>::type>(sink);
  } else if constexpr (is_ew<T>) {
    using sm = typename recognised_s<softmax_t, T>::type;
    using lsm = typename recognised_s<log_softmax_t, T>::type;
    if constexpr (!std::is_void_v<sm>) {
      sink.put("softmax(");
      tprint<Labels, sm>(sink, 0);
      sink.put(")");
    } else if constexpr (!std::is_void_v<lsm>) {
      sink.put("log_softmax(");
      tprint<Labels, lsm>(sink, 0);
      sink.put(")");
    } else {
      []<class F, class S, class... A>(Sink& out, tnodes::ew<F, S, A...>*) {
        print_node<formula_style<Labels, mp::mp_list<A...>>, F>(out);
      }(sink, static_cast<T*>(nullptr));
    }
  } else {
    tprint_other<Labels, T>::run(sink, min_precedence);
  }
}

template <class Labels, class T, class Sink>
constexpr void tprint(Sink& sink, int min_precedence) noexcept {
  using labels = typename Labels::list;
  constexpr std::size_t label = mp::mp_find_if_q<labels, labelled_as<T>>::value;
  if constexpr (label != mp::mp_size<labels>::value) {
    sink.put(mp::mp_at_c<labels, label>::name.view());
  } else if (tensor_precedence<T>::value < min_precedence) {
    sink.put("(");
    tprint_node<Labels, T>(sink, 0);
    sink.put(")");
  } else {
    tprint_node<Labels, T>(sink, min_precedence);
  }
}

template <class Labels, class E>
struct tensor_printer {
  template <class Sink>
  static constexpr void run(Sink& sink) noexcept {
    tprint<Labels, E>(sink, 0);
  }
};

}  // namespace detail

/// A tensor expression as maths (constexpr: usable in static_assert).
/// Labels name subexpressions: `to_string(grad(L, W1), label<"z1">(z1))`.
template <Tensor E, class... Labels>
requires(detail::is_label<Labels>&&...) constexpr auto to_string(E, Labels...) noexcept {
  return detail::render<detail::tensor_printer<detail::tensor_labels<Labels...>, E>>();
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
