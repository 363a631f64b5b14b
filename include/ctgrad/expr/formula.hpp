// ctgrad/expr/formula.hpp — scalar formulas over numbered placeholders.
//
// An elementwise tensor node carries its per-element mathematics as a
// scalar-level expression of placeholders `_0, _1, ...`, one per operand:
// `tanh(a) + b` is the formula `tanh(_0) + _1` over (a, b).  The scalar
// level then does the calculus: the local derivative of an elementwise node
// with respect to operand k is `d(formula, _k)`, so a user-defined
// activation gets its derivative derived, not written.
#pragma once

#include <cstddef>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "../arithmetic.hpp"
#include "../config.hpp"
#include "../numeric/vmath.hpp"
#include "../functions.hpp"
#include "../var.hpp"

namespace ctgrad::detail {

namespace mp = boost::mp11;

consteval fixed_string<2> placeholder_name(std::size_t i) {
  const char text[3] = {'_', static_cast<char>('0' + i), '\0'};
  return fixed_string<2>(text);
}

/// The placeholder for operand I of an elementwise node.
template <std::size_t I>
using ph = var<placeholder_name(I)>;

template <class T>
struct placeholder_index : std::integral_constant<std::size_t, std::size_t(-1)> {};
template <fixed_string N>
requires(N.size() == 2 && N.data[0] == '_') struct placeholder_index<var<N>>
    : std::integral_constant<std::size_t, std::size_t(N.data[1] - '0')> {
};

// ---------------------------------------------------------------------------
// Rewriting a formula.  Rebuilt with the canonicalising constructors, so a
// substitution folds constants and collects terms like user code does.

template <class E, class Rule>
struct rewrite;

template <class E, class Rule>
using rewrite_t = typename rewrite<E, Rule>::type;

template <class E, class Rule>
struct rewrite_children {
  using type = E;  // constants and variables
};
template <class A, class B, class Rule>
struct rewrite_children<nodes::add<A, B>, Rule> {
  using type = decltype(make_add(rewrite_t<A, Rule>{}, rewrite_t<B, Rule>{}));
};
template <class A, class B, class Rule>
struct rewrite_children<nodes::mul<A, B>, Rule> {
  using type = decltype(make_mul(rewrite_t<A, Rule>{}, rewrite_t<B, Rule>{}));
};
template <class A, class B, class Rule>
struct rewrite_children<nodes::div<A, B>, Rule> {
  using type = decltype(make_div(rewrite_t<A, Rule>{}, rewrite_t<B, Rule>{}));
};
template <class A, class E, class Rule>
struct rewrite_children<nodes::pow<A, E>, Rule> {
  using type = decltype(make_pow(rewrite_t<A, Rule>{}, E{}));
};
template <class F, class A, class Rule>
struct rewrite_children<nodes::unary<F, A>, Rule> {
  using type = decltype(make_unary<F>(rewrite_t<A, Rule>{}));
};

/// A Rule has `template <class E> using apply = <replacement or void>`.
template <class E, class Rule>
struct rewrite {
  using replacement = typename Rule::template apply<E>;
  using type = typename std::conditional_t<std::is_void_v<replacement>, rewrite_children<E, Rule>,
                                           std::type_identity<replacement>>::type;
};

/// Placeholder _i becomes the i-th type of Replacements (mp_list).
template <class Replacements>
struct substitute_rule {
  template <class E, std::size_t I = placeholder_index<E>::value>
  struct pick : std::type_identity<void> {};
  template <class E, std::size_t I>
  requires(I < mp::mp_size<Replacements>::value) struct pick<E, I> : std::type_identity<mp::mp_at_c<Replacements, I>> {
  };
  template <class E>
  using apply = typename pick<E>::type;
};

/// Every occurrence of the subexpression From becomes To.
template <class From, class To>
struct replace_rule {
  template <class E>
  using apply = std::conditional_t<std::is_same<E, From>::value, To, void>;
};

template <class E, class Replacements>
using substitute_t = rewrite_t<E, substitute_rule<Replacements>>;

template <class E, class From, class To>
using replace_t = rewrite_t<E, replace_rule<From, To>>;

/// Whether placeholder _I occurs in E.
template <class E, std::size_t I>
struct uses_placeholder : std::false_type {};
template <fixed_string N, std::size_t I>
struct uses_placeholder<var<N>, I> : std::bool_constant<placeholder_index<var<N>>::value == I> {};
template <template <class, class> class Node, class A, class B, std::size_t I>
requires(!is_constant<Node<A, B>>) struct uses_placeholder<Node<A, B>, I>
    : std::bool_constant<uses_placeholder<A, I>::value || uses_placeholder<B, I>::value> {
};

// ---------------------------------------------------------------------------
// Evaluating a formula: operand values in, one value out.  Class templates
// with static functions (named after the small formula, never the graph).

template <class E>
struct apply_formula;

template <std::intmax_t N, std::intmax_t D>
struct apply_formula<nodes::constant<N, D>> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T run(const T*) noexcept {
    return static_cast<T>(N) / static_cast<T>(D);
  }
};
template <fixed_string Name>
struct apply_formula<var<Name>> {
  static_assert(placeholder_index<var<Name>>::value != std::size_t(-1),
                "ctgrad: an elementwise formula may only use the placeholders _0, _1, ...");
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T run(const T* v) noexcept {
    return v[placeholder_index<var<Name>>::value];
  }
};
template <class A, class B>
struct apply_formula<nodes::add<A, B>> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T run(const T* v) noexcept {
    return apply_formula<A>::run(v) + apply_formula<B>::run(v);
  }
};
template <class A, class B>
struct apply_formula<nodes::mul<A, B>> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T run(const T* v) noexcept {
    return apply_formula<A>::run(v) * apply_formula<B>::run(v);
  }
};
template <class A, class B>
struct apply_formula<nodes::div<A, B>> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T run(const T* v) noexcept {
    return apply_formula<A>::run(v) / apply_formula<B>::run(v);
  }
};
template <class A, std::intmax_t N, std::intmax_t D>
struct apply_formula<nodes::pow<A, nodes::constant<N, D>>> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T run(const T* v) noexcept {
    const T a = apply_formula<A>::run(v);
    if constexpr (D == 1 && N == 2)
      return a * a;
    else if constexpr (D == 1)
      return math::ipow(a, N);
    else if constexpr (D == 2)
      return math::ipow(math::sqrt(a), N);
    else
      return math::pow(a, static_cast<T>(N) / static_cast<T>(D));
  }
};
/// An elementwise function in a tensor kernel: the vectorisable vmath::
/// version for float and double at run time (unless CTGRAD_EXACT_MATH),
/// the function's own value() otherwise.
template <class F>
struct kernel_function {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T value(T x) noexcept {
    return F::value(x);
  }
};
#ifndef CTGRAD_EXACT_MATH
#define CTGRAD_DETAIL_VECTORISED(NAME)                                     \
  template <>                                                              \
  struct kernel_function<fn::NAME> {                                       \
    template <class T>                                                     \
    CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T value(T x) noexcept {  \
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) \
        if (!std::is_constant_evaluated()) return vmath::NAME(x);          \
      return fn::NAME::value(x);                                           \
    }                                                                      \
  };
CTGRAD_DETAIL_VECTORISED(exp)
CTGRAD_DETAIL_VECTORISED(tanh)
CTGRAD_DETAIL_VECTORISED(sigmoid)
#undef CTGRAD_DETAIL_VECTORISED
// gelu and its derivatives: math's code with the vectorised sigmoid.
#define CTGRAD_DETAIL_VECTORISED_GELU(NAME)                                                \
  template <>                                                                              \
  struct kernel_function<fn::NAME> {                                                       \
    template <class T>                                                                     \
    CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T value(T x) noexcept {                  \
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)                 \
        if (!std::is_constant_evaluated()) return math::NAME##_with(x, vectorised_sigmoid{}); \
      return fn::NAME::value(x);                                                           \
    }                                                                                      \
  };
struct vectorised_sigmoid {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE T operator()(T x) const noexcept {
    return vmath::sigmoid(x);
  }
};
CTGRAD_DETAIL_VECTORISED_GELU(gelu)
CTGRAD_DETAIL_VECTORISED_GELU(gelu_derivative)
CTGRAD_DETAIL_VECTORISED_GELU(gelu_second_derivative)
#undef CTGRAD_DETAIL_VECTORISED_GELU
#endif

template <class F, class A>
struct apply_formula<nodes::unary<F, A>> {
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static constexpr T run(const T* v) noexcept {
    return kernel_function<F>::value(apply_formula<A>::run(v));
  }
};

}  // namespace ctgrad::detail
