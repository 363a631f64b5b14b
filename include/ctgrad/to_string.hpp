// ctgrad/to_string.hpp — expressions printed as maths, at compile time.
//
//   static_assert(ctgrad::to_string(d(x*x, x)) == "2*x");
//   ctgrad::to_latex(d(sigmoid(x), x))   // \sigma\left(x\right) \cdot \left(1 - \sigma\left(x\right)\right)
//
// One printer, two styles.  It runs twice in a constant expression: once to
// measure, once to write into a `static_string<N>` of exactly that length.
// Parentheses appear only where precedence needs them; `a + (-1)*b` prints
// as `a - b`, `(1/2)*x` as `x/2`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string_view>

#include "arithmetic.hpp"
#include "expression.hpp"
#include "fixed_string.hpp"

namespace ctgrad {
namespace detail {

template <class... Labels>
struct text_style {
  using labels = mp::mp_list<Labels...>;
  static constexpr bool latex = false;
};
template <class... Labels>
struct latex_style {
  using labels = mp::mp_list<Labels...>;
  static constexpr bool latex = true;
};
template <class Style>
inline constexpr bool is_latex = Style::latex;

struct length_sink {
  std::size_t size = 0;
  constexpr void put(std::string_view s) noexcept { size += s.size(); }
};

template <std::size_t N>
struct buffer_sink {
  static_string<N> out{};
  std::size_t size = 0;
  constexpr void put(std::string_view s) noexcept {
    for (char ch : s) out.data[size++] = ch;
  }
};

template <class Sink>
constexpr void put_integer(Sink& sink, std::intmax_t v) noexcept {
  char digits[24]{};
  std::size_t n = 0;
  std::uintmax_t u = v < 0 ? std::uintmax_t(0) - static_cast<std::uintmax_t>(v) : static_cast<std::uintmax_t>(v);
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) sink.put("-");
  while (n != 0) sink.put(std::string_view(&digits[--n], 1));
}

// `w1` -> `w_{1}`, `out_h1` -> `out_{h1}`.
template <class Sink>
constexpr void put_latex_name(Sink& sink, std::string_view name) noexcept {
  const std::size_t underscore = name.find('_');
  std::size_t split = name.size();
  if (underscore != std::string_view::npos && underscore != 0 && underscore + 1 < name.size()) {
    sink.put(name.substr(0, underscore));
    split = underscore + 1;
  } else {
    while (split != 0 && name[split - 1] >= '0' && name[split - 1] <= '9') --split;
    if (split == 0 || split == name.size()) return sink.put(name);
    sink.put(name.substr(0, split));
  }
  sink.put("_{");
  sink.put(name.substr(split));
  sink.put("}");
}

template <class T>
inline constexpr bool is_fraction = false;
template <std::intmax_t N, std::intmax_t D>
inline constexpr bool is_fraction<nodes::constant<N, D>> = (D != 1);

// Binding strength: 1 sums, 2 products/quotients/negatives, 4 powers, 5 atoms.
template <class Style, class T>
constexpr int precedence() noexcept {
  if constexpr (is_constant<T>)
    return (T::den == 1 && T::num >= 0) ? 5 : 2;
  else if constexpr (is_var<T> || is_unary<T>)
    return 5;
  else if constexpr (is_pow<T>)
    return 4;
  else if constexpr (is_add<T>)
    return 1;
  else if constexpr (is_div<T> && is_latex<Style>)
    return 3;                                       // \frac is a block
  else if constexpr (is_mul<T> && is_latex<Style>)  // (1/2)*x prints as \frac{x}{2}
    return split_coefficient<T>::coefficient::den != 1 ? 3 : 2;
  else
    return 2;
}

template <class Style, class T, class Sink>
constexpr void print_node(Sink& sink) noexcept;

template <class Expr>
struct labelled_as {
  template <class Label>
  using fn = std::is_same<typename Label::expression, Expr>;
};

template <class Style, class T, class Sink>
constexpr void print(Sink& sink, int min_precedence) noexcept {
  constexpr bool latex = is_latex<Style>;
  using labels = typename Style::labels;
  constexpr std::size_t label = mp::mp_find_if_q<labels, labelled_as<T>>::value;
  if constexpr (requires { Style::template put_variable<T>(sink, min_precedence); }) {
    Style::template put_variable<T>(sink, min_precedence);  // a tensor operand
  } else if constexpr (label != mp::mp_size<labels>::value) {
    constexpr auto name = mp::mp_at_c<labels, label>::name;
    if constexpr (latex)
      put_latex_name(sink, name.view());
    else
      sink.put(name.view());
  } else if (precedence<Style, T>() < min_precedence) {
    sink.put(latex ? "\\left(" : "(");
    print_node<Style, T>(sink);
    sink.put(latex ? "\\right)" : ")");
  } else {
    print_node<Style, T>(sink);
  }
}

template <class Style, class C, class Sink>
constexpr void print_constant(Sink& sink) noexcept {
  if constexpr (C::den == 1) {
    put_integer(sink, C::num);
  } else if constexpr (is_latex<Style>) {
    if (C::num < 0) sink.put("-");
    sink.put("\\frac{");
    put_integer(sink, C::num < 0 ? -C::num : C::num);
    sink.put("}{");
    put_integer(sink, C::den);
    sink.put("}");
  } else {
    put_integer(sink, C::num);
    sink.put("/");
    put_integer(sink, C::den);
  }
}

/// A term that prints as "- |T|" after another: a negative expression, or
/// a variable the style says stands for one (a tensor operand -2*X).
template <class Style, class T>
concept negative_term = is_negative<T> || requires {
  requires Style::template negative_variable<T>;
};
template <class Style, class T, class Sink>
constexpr void print_negated(Sink& sink) noexcept {
  if constexpr (is_negative<T>)
    print<Style, decltype(make_neg(T{}))>(sink, 2);
  else
    Style::template put_negated_variable<T>(sink, 2);
}

template <class Style, class T, class Sink>
constexpr void print_node(Sink& sink) noexcept {
  constexpr bool latex = is_latex<Style>;
  if constexpr (is_constant<T>) {
    print_constant<Style, T>(sink);
  } else if constexpr (is_var<T>) {
    if constexpr (latex)
      put_latex_name(sink, T::name.view());
    else
      sink.put(T::name.view());
  } else if constexpr (is_add<T>) {
    using a = typename operands_of<T>::first;
    using b = typename operands_of<T>::second;
    if constexpr (is_negative<a> && is_negative<b> && before<decltype(make_neg(b{})), decltype(make_neg(a{}))>()) {
      print<Style, b>(sink, 1);  // -|b| - |a|, in reading order
      sink.put(" - ");
      print<Style, decltype(make_neg(a{}))>(sink, 2);
    } else if constexpr (negative_term<Style, b>) {  // a - |b|
      print<Style, a>(sink, 1);
      sink.put(" - ");
      print_negated<Style, b>(sink);
    } else if constexpr (negative_term<Style, a>) {  // b - |a|
      print<Style, b>(sink, 1);
      sink.put(" - ");
      print_negated<Style, a>(sink);
    } else {
      print<Style, a>(sink, 1);
      sink.put(" + ");
      print<Style, b>(sink, 1);
    }
  } else if constexpr (is_mul<T>) {
    using a = typename operands_of<T>::first;
    using b = typename operands_of<T>::second;
    if constexpr (is_constant<a>) {  // a coefficient: -x, 2*x, x/2, 3*x/2
      if constexpr (a::den != 1 && latex) sink.put("\\frac{");
      if constexpr (a::num == -1)
        sink.put("-");
      else if constexpr (a::num != 1) {
        put_integer(sink, a::num);
        sink.put(latex ? " " : "*");
      }
      print<Style, b>(sink, a::den != 1 && latex ? 0 : 2);
      if constexpr (a::den != 1) {
        sink.put(latex ? "}{" : "/");
        put_integer(sink, a::den);
        if constexpr (latex) sink.put("}");
      }
    } else {
      print<Style, a>(sink, 2);
      if constexpr (requires { Style::product; })
        sink.put(Style::product);  // a tensor formula: the elementwise product
      else
        sink.put(latex ? " \\cdot " : "*");
      print<Style, b>(sink, 2);
    }
  } else if constexpr (is_div<T>) {
    using a = typename operands_of<T>::first;
    using b = typename operands_of<T>::second;
    if constexpr (is_fraction<a>) {  // (p/q)/b prints as p/(q*b)
      sink.put(latex ? "\\frac{" : "");
      put_integer(sink, a::num);
      sink.put(latex ? "}{" : "/(");
      put_integer(sink, a::den);
      sink.put(latex ? " " : "*");
      print<Style, b>(sink, 2);
      sink.put(latex ? "}" : ")");
    } else if constexpr (latex) {
      sink.put("\\frac{");
      print<Style, a>(sink, 0);
      sink.put("}{");
      print<Style, b>(sink, 0);
      sink.put("}");
    } else {
      print<Style, a>(sink, 2);
      sink.put("/");
      print<Style, b>(sink, 3);
    }
  } else if constexpr (is_pow<T>) {
    using a = typename split_power<T>::base;
    using e = typename split_power<T>::exponent;
    print<Style, a>(sink, 5);
    if constexpr (latex) {
      sink.put("^{");
      print_constant<Style, e>(sink);
      sink.put("}");
    } else {
      sink.put("^");
      print<Style, e>(sink, 5);
    }
  } else if constexpr (is_unary<T>) {
    using f = typename split_unary<T>::function;
    using a = typename split_unary<T>::argument;
    if constexpr (latex) {
      sink.put(f::latex_open);
      print<Style, a>(sink, 0);
      sink.put(f::latex_close);
    } else {
      sink.put(f::name);
      sink.put("(");
      print<Style, a>(sink, 0);
      sink.put(")");
    }
  }
}

/// Runs Printer::run(sink) twice in a constant expression: once to
/// measure, once to write into a static_string of exactly that length.
template <class Printer>
consteval auto render() noexcept {
  constexpr std::size_t n = [] {
    length_sink s;
    Printer::run(s);
    return s.size;
  }();
  buffer_sink<n> b;
  Printer::run(b);
  return b.out;
}

template <class Style, class E>
struct expression_printer {
  template <class Sink>
  static constexpr void run(Sink& sink) noexcept {
    print<Style, E>(sink, 0);
  }
};

template <class Style, class E>
consteval auto print_to_string() noexcept {
  return render<expression_printer<Style, E>>();
}

}  // namespace detail

/// A name for a subexpression, used by the printers: wherever the labelled
/// expression occurs, its name is printed instead.  Make one with
/// `label<"out_h1">(sigmoid(w1*i1 + w2*i2 + b1))`.  (Tensor expressions
/// are labelled the same way, see print/tensor_printer.hpp.)
template <fixed_string Name, class E>
struct expression_label {
  using expression = E;
  static constexpr auto name = Name;
};

template <fixed_string Name, Expression E>
constexpr expression_label<Name, E> label(E) noexcept {
  return {};
}

namespace detail {
template <class T>
inline constexpr bool is_label = false;
template <fixed_string N, class E>
inline constexpr bool is_label<expression_label<N, E>> = true;
}  // namespace detail

/// The expression as a person writes it: `sigmoid(x)*(1 - sigmoid(x))`.
/// `constexpr`: compare it in a `static_assert`.  Labels name
/// subexpressions: `to_string(d(E, w5), label<"out_o1">(out_o1))`.
template <Expression E, class... Labels>
requires(detail::is_label<Labels>&&...) constexpr auto to_string(E, Labels...) noexcept {
  return detail::print_to_string<detail::text_style<Labels...>, E>();
}

/// The expression as LaTeX maths: `\sigma\left(x\right) \cdot ...`.
template <Expression E, class... Labels>
requires(detail::is_label<Labels>&&...) constexpr auto to_latex(E, Labels...) noexcept {
  return detail::print_to_string<detail::latex_style<Labels...>, E>();
}

/// A stream prints an expression as to_string does, so that test
/// frameworks show both sides of a failed comparison:
/// `BOOST_TEST(d(E, w5) == expected)` reports `[... != ...]` as maths.
/// (A template over the stream: this header needs only <iosfwd>.)
template <class Traits, Expression E>
std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& os, E e) {
  return os << to_string(e);
}
namespace nodes {
using ctgrad::operator<<;  // found by argument-dependent lookup for the node types
}  // namespace nodes

}  // namespace ctgrad
