// ctgrad/functions.hpp — elementwise functions and their derivative rules.
//
// Each function is a small tag type in `ctgrad::fn` holding, in one place:
//   name      how to_string prints it;
//   latex     how to_latex opens and closes it;
//   value(x)  its value (constexpr-capable, numerically stable);
//   derivative(a, self)  f'(a) as an *expression*, written through the
//             forward node `self = f(a)` where that is what backprop reuses
//             (sigmoid' = s*(1 - s), tanh' = 1 - t^2, exp' = exp).
//   fold(c)   optional: f of a literal constant, where exact.
// The free functions (`ctgrad::sigmoid(e)`, ...) build `nodes::unary<fn, e>`.
#pragma once

#include <string_view>

#include "arithmetic.hpp"
#include "numeric/math.hpp"

namespace ctgrad {

namespace detail {
struct no_fold {};

/// For fold(): Result when the literal argument C is At, else no folding.
template <class C, class At, class Result>
consteval auto exact_at(Result result) noexcept {
  if constexpr (detail::same_as<C, At>)
    return result;
  else
    return no_fold{};
}

template <class F, class A>
consteval auto make_unary(A) noexcept {
  // Only a literal argument is offered to fold(), so fold's body may use
  // C::num and C::den freely.
  if constexpr (is_constant<A>) {
    if constexpr (requires { F::fold(A{}); }) {
      if constexpr (!detail::same_as<decltype(F::fold(A{})), no_fold>)
        return F::fold(A{});
      else
        return nodes::unary<F, A>{};
    } else {
      return nodes::unary<F, A>{};
    }
  } else {
    return nodes::unary<F, A>{};
  }
}
}  // namespace detail

namespace fn {

struct exp {
  static constexpr std::string_view name = "exp", latex_open = "e^{", latex_close = "}";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::exp(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A, Self self) noexcept {
    return self;
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return detail::exact_at<C, nodes::constant<0>>(nodes::constant<1>{});
  }
};

struct log {
  static constexpr std::string_view name = "log", latex_open = "\\log\\left(", latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::log(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A a, Self) noexcept {
    return nodes::constant<1>{} / a;
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return detail::exact_at<C, nodes::constant<1>>(nodes::constant<0>{});
  }
};

struct sqrt {
  static constexpr std::string_view name = "sqrt", latex_open = "\\sqrt{", latex_close = "}";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::sqrt(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A, Self self) noexcept {
    return nodes::constant<1>{} / (nodes::constant<2>{} * self);
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    if constexpr (detail::is_constant_equal_to<C, 0> || detail::is_constant_equal_to<C, 1>)
      return C{};
    else
      return detail::no_fold{};
  }
};

struct sin;
struct cos;

struct sin {
  static constexpr std::string_view name = "sin", latex_open = "\\sin\\left(", latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::sin(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A a, Self) noexcept {
    return detail::make_unary<cos>(a);
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return detail::exact_at<C, nodes::constant<0>>(C{});
  }
};

struct cos {
  static constexpr std::string_view name = "cos", latex_open = "\\cos\\left(", latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::cos(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A a, Self) noexcept {
    return -detail::make_unary<sin>(a);
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return detail::exact_at<C, nodes::constant<0>>(nodes::constant<1>{});
  }
};

struct tanh {
  static constexpr std::string_view name = "tanh", latex_open = "\\tanh\\left(", latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::tanh(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A, Self self) noexcept {
    return nodes::constant<1>{} - pow(self, nodes::constant<2>{});
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return detail::exact_at<C, nodes::constant<0>>(C{});
  }
};

struct sigmoid {
  static constexpr std::string_view name = "sigmoid", latex_open = "\\sigma\\left(", latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::sigmoid(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A, Self self) noexcept {
    return self * (nodes::constant<1>{} - self);
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return detail::exact_at<C, nodes::constant<0>>(nodes::constant<1, 2>{});
  }
};

/// The Heaviside step, relu's derivative: 1 for x > 0, 0 for x <= 0.
struct step {
  static constexpr std::string_view name = "step", latex_open = "\\operatorname{step}\\left(", latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::step(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A, Self) noexcept {
    return nodes::constant<0>{};
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return nodes::constant<(C::num > 0 ? 1 : 0)>{};
  }
};

/// The sign function, abs's derivative: -1, 0 or 1.
struct sign {
  static constexpr std::string_view name = "sign", latex_open = "\\operatorname{sgn}\\left(", latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::sign(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A, Self) noexcept {
    return nodes::constant<0>{};
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return nodes::constant<(C::num > 0) - (C::num < 0)>{};
  }
};

/// max(x, 0).  Its derivative at 0 is taken as 0 (the usual convention).
struct relu {
  static constexpr std::string_view name = "relu", latex_open = "\\operatorname{relu}\\left(", latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::relu(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A a, Self) noexcept {
    return detail::make_unary<step>(a);
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    if constexpr (C::num > 0)
      return C{};
    else
      return nodes::constant<0>{};
  }
};

/// max(-x, 0) (relu(-x) as one function).  Its derivative is step(x) - 1:
/// -1 for x <= 0, so that leaky_relu and elu, written with it, have the
/// negative side's slope at 0 (as PyTorch; docs/numerics.md).
struct negative_part {
  static constexpr std::string_view name = "negpart", latex_open = "\\operatorname{negpart}\\left(",
                                    latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::negative_part(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A a, Self) noexcept {
    return detail::make_unary<step>(a) - nodes::constant<1>{};
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    if constexpr (C::num < 0)
      return nodes::constant<-C::num, C::den>{};
    else
      return nodes::constant<0>{};
  }
};

/// x with -inf and +inf replaced by the lowest and the largest finite
/// number, so that 0 * x is 0 (the cross-entropies' t * z with a masked
/// logit z = -inf).  Its derivative is 1: exact wherever x is finite.
struct finite {
  static constexpr std::string_view name = "finite", latex_open = "\\operatorname{finite}\\left(",
                                    latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::finite(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A, Self) noexcept {
    return nodes::constant<1>{};
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return C{};
  }
};

struct gelu_derivative;
struct gelu_second_derivative;

/// gelu, tanh form (PyTorch's approximate='tanh'): x/2 (1 + tanh(sqrt(2/pi)
/// (x + 0.044715 x^3))), computed without overflow (numeric/math.hpp);
/// differentiable twice.
struct gelu {
  static constexpr std::string_view name = "gelu", latex_open = "\\operatorname{gelu}\\left(",
                                    latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::gelu(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A a, Self) noexcept {
    return detail::make_unary<gelu_derivative>(a);
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return detail::exact_at<C, nodes::constant<0>>(C{});
  }
};
struct gelu_derivative {
  static constexpr std::string_view name = "gelu'", latex_open = "\\operatorname{gelu}'\\left(",
                                    latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::gelu_derivative(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A a, Self) noexcept {
    return detail::make_unary<gelu_second_derivative>(a);
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return detail::exact_at<C, nodes::constant<0>>(nodes::constant<1, 2>{});
  }
};
struct gelu_second_derivative {
  static constexpr std::string_view name = "gelu''", latex_open = "\\operatorname{gelu}''\\left(",
                                    latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::gelu_second_derivative(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A, Self) noexcept {
    static_assert(detail::always_false<A>, "ctgrad: gelu is differentiable twice; its third derivative is not implemented");
    return nodes::constant<0>{};
  }
};

/// log(1 + e^x), computed without overflow.
struct softplus {
  static constexpr std::string_view name = "softplus", latex_open = "\\operatorname{softplus}\\left(",
                                    latex_close = "\\right)";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::softplus(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A a, Self) noexcept {
    return detail::make_unary<sigmoid>(a);
  }
};

/// |x|.  Its derivative at 0 is taken as 0 (sign(0) = 0).
struct abs {
  static constexpr std::string_view name = "abs", latex_open = "\\left|", latex_close = "\\right|";
  template <class T>
  static constexpr T value(T x) noexcept {
    return detail::math::abs(x);
  }
  template <class A, class Self>
  static consteval auto derivative(A a, Self) noexcept {
    return detail::make_unary<sign>(a);
  }
  template <class C>
  static consteval auto fold(C) noexcept {
    return nodes::constant<(C::num < 0 ? -C::num : C::num), C::den>{};
  }
};

}  // namespace fn

namespace nodes {
template <class A>
using exp = unary<fn::exp, A>;
template <class A>
using log = unary<fn::log, A>;
template <class A>
using sqrt = unary<fn::sqrt, A>;
template <class A>
using sin = unary<fn::sin, A>;
template <class A>
using cos = unary<fn::cos, A>;
template <class A>
using tanh = unary<fn::tanh, A>;
template <class A>
using sigmoid = unary<fn::sigmoid, A>;
template <class A>
using relu = unary<fn::relu, A>;
template <class A>
using softplus = unary<fn::softplus, A>;
template <class A>
using abs = unary<fn::abs, A>;
template <class A>
using step = unary<fn::step, A>;
template <class A>
using sign = unary<fn::sign, A>;
template <class A>
using negative_part = unary<fn::negative_part, A>;
template <class A>
using finite = unary<fn::finite, A>;
template <class A>
using gelu = unary<fn::gelu, A>;
}  // namespace nodes

template <Expression A>
constexpr auto exp(A a) noexcept {
  return detail::make_unary<fn::exp>(a);
}
template <Expression A>
constexpr auto log(A a) noexcept {
  return detail::make_unary<fn::log>(a);
}
template <Expression A>
constexpr auto sqrt(A a) noexcept {
  return detail::make_unary<fn::sqrt>(a);
}
template <Expression A>
constexpr auto sin(A a) noexcept {
  return detail::make_unary<fn::sin>(a);
}
template <Expression A>
constexpr auto cos(A a) noexcept {
  return detail::make_unary<fn::cos>(a);
}
template <Expression A>
constexpr auto tanh(A a) noexcept {
  return detail::make_unary<fn::tanh>(a);
}
template <Expression A>
constexpr auto sigmoid(A a) noexcept {
  return detail::make_unary<fn::sigmoid>(a);
}
template <Expression A>
constexpr auto relu(A a) noexcept {
  return detail::make_unary<fn::relu>(a);
}
template <Expression A>
constexpr auto softplus(A a) noexcept {
  return detail::make_unary<fn::softplus>(a);
}
template <Expression A>
constexpr auto abs(A a) noexcept {
  return detail::make_unary<fn::abs>(a);
}
template <Expression A>
constexpr auto step(A a) noexcept {
  return detail::make_unary<fn::step>(a);
}
template <Expression A>
constexpr auto sign(A a) noexcept {
  return detail::make_unary<fn::sign>(a);
}
template <Expression A>
constexpr auto negative_part(A a) noexcept {
  return detail::make_unary<fn::negative_part>(a);
}
template <Expression A>
constexpr auto finite(A a) noexcept {
  return detail::make_unary<fn::finite>(a);
}
template <Expression A>
constexpr auto gelu(A a) noexcept {
  return detail::make_unary<fn::gelu>(a);
}

}  // namespace ctgrad
