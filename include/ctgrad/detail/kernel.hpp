// ctgrad/detail/kernel.hpp — straight-line evaluation of a DAG.
//
// Every distinct node gets one slot in a local std::array, in topological
// order; each slot is written once by code specialised for that node
// (the op is a template argument, never a runtime switch).  The array stays
// local so the optimiser keeps it in registers; no heap, no tape, no graph
// object at run time.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../expression.hpp"
#include "../functions.hpp"
#include "../var.hpp"
#include "graph.hpp"
#include "math.hpp"

namespace ctgrad {

/// Compile errors name the offending variable through these types: a
/// variable's name spelled out as characters reads the same in every
/// compiler's diagnostics (`variable<'w', '5'>`), unlike a string template
/// argument.
namespace error {
template <char... Name>
struct variable {};

template <class Variable>
struct no_value_bound_for {
  static_assert(detail::always_false<Variable>,
                "ctgrad::eval / ctgrad::gradient: a variable of the expression has no value; "
                "pass it as a binding (name = value). Its name is spelled out in error::variable<...> above");
};
template <class Variable>
struct bound_variable_does_not_occur {
  static_assert(detail::always_false<Variable>,
                "ctgrad::eval / ctgrad::gradient: a binding names a variable that does not occur in the "
                "expression; remove it, or pass the values as ctgrad::point(...) to allow unused ones. "
                "Its name is spelled out in error::variable<...> above");
};
template <class Variable>
struct variable_bound_twice {
  static_assert(detail::always_false<Variable>,
                "ctgrad::eval / ctgrad::gradient: a variable is bound twice; keep one binding. "
                "Its name is spelled out in error::variable<...> above");
};
}  // namespace error

namespace detail {

// The kernel is straight-line code by design: its pieces must inline into
// one function so the workspace lives in registers (clang 14 otherwise
// keeps a 75-node kernel out of line and its workspace in memory: 1.45x
// slower on W1).
#define CTGRAD_DETAIL_ALWAYS_INLINE [[gnu::always_inline]] inline

template <fixed_string Name>
constexpr auto spelled_out() noexcept {
  return []<std::size_t... I>(std::index_sequence<I...>) { return error::variable<Name.data[I]...>{}; }
  (std::make_index_sequence<Name.size()>{});
}

template <fixed_string Name, class T>
constexpr T bound_value(const binding<Name, T>& b) noexcept {
  return b.value;
}

/// The scalar type of a call: the one asked for, else the common type of the
/// bound values (double when nothing is bound).
template <class Scalar, class... Bs>
struct scalar_of {
  using type = Scalar;
};
template <class... Bs>
struct scalar_of<void, Bs...> {
  using type = double;
};
template <class B, class... Bs>
requires(is_binding_v<B> && (is_binding_v<Bs> && ...)) struct scalar_of<void, B, Bs...> {
  using type = std::common_type_t<decltype(B::value), decltype(Bs::value)...>;
};
template <class Scalar, class... Bs>
using scalar_of_t = typename scalar_of<Scalar, Bs...>::type;

// The value of an operand: a literal from its type, anything else from its slot.
template <class G, class Operand, class Scalar, std::size_t N>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr Scalar operand(const std::array<Scalar, N>& v) noexcept {
  if constexpr (is_constant<Operand>)
    return Operand::template value<Scalar>();
  else
    return v[G::template index<Operand>];
}

template <class G, class Node, class Scalar, std::size_t N, class Bindings>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr Scalar evaluate(const std::array<Scalar, N>& v,
                                                      const Bindings& bindings) noexcept {
  if constexpr (is_var<Node>) {
    return static_cast<Scalar>(bound_value<Node::name>(bindings));
  } else if constexpr (is_unary<Node>) {
    using s = split_unary<Node>;
    return s::function::value(operand<G, typename s::argument>(v));
  } else if constexpr (is_pow<Node>) {
    using e = typename split_power<Node>::exponent;
    const Scalar a = operand<G, typename split_power<Node>::base>(v);
    if constexpr (e::den == 1)
      return math::ipow(a, e::num);
    else if constexpr (e::den == 2)
      return math::ipow(math::sqrt(a), e::num);
    else
      return math::pow(a, e::template value<Scalar>());
  } else {
    const Scalar a = operand<G, typename operands_of<Node>::first>(v);
    const Scalar b = operand<G, typename operands_of<Node>::second>(v);
    if constexpr (is_add<Node>)
      return a + b;
    else if constexpr (is_mul<Node>)
      return a * b;
    else
      return a / b;
  }
}

template <class G, class Scalar, class Bindings, std::size_t... I>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr void evaluate_all(std::array<Scalar, G::size>& v, const Bindings& bindings,
                                                        std::index_sequence<I...>) noexcept {
  // A braced list, not a fold: no nesting limit, cheaper to compile.  And no
  // lambda capturing v: that stopped clang from keeping v in registers.
  [[maybe_unused]] const int sequence[] = {0, (v[I] = evaluate<G, typename G::template node<I>>(v, bindings), 0)...};
}

/// Evaluate every node of G in topological order.
template <class G, class Scalar, class Bindings>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr std::array<Scalar, G::size> run(const Bindings& bindings) noexcept {
  std::array<Scalar, G::size> v;  // every slot is written before it is read
  evaluate_all<G>(v, bindings, std::make_index_sequence<G::size>{});
  return v;
}

template <class G, class Root, class Scalar>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr Scalar value_of(const std::array<Scalar, G::size>& v) noexcept {
  return operand<G, Root>(v);
}

template <class T>
using is_var_q = std::bool_constant<is_var<T>>;

template <class... Vs>
consteval auto names_of(mp::mp_list<Vs...>*) {
  return std::array<std::string_view, sizeof...(Vs)>{Vs::name.view()...};
}

/// Whether name is among the first `end` names.
template <std::size_t N>
constexpr bool contains_name(const std::array<std::string_view, N>& names, std::string_view name, std::size_t end = N) {
  for (std::size_t i = 0; i != end; ++i)
    if (names[i] == name) return true;
  return false;
}

/// What is wrong with the bindings of a call, found without instantiating
/// anything that fails: which binding is doubled, which variable has no
/// value, which binding names no variable of the expression.
struct binding_problems {
  bool all_bindings;
  std::size_t twice, missing, extra;  // an index, or the end when none
  std::size_t bound_count, variable_count;
  constexpr bool ok() const noexcept {
    return all_bindings && twice == bound_count && missing == variable_count && extra == bound_count;
  }
};

template <class G>
using variables_of = mp::mp_copy_if<typename G::nodes, is_var_q>;

template <class G, bool AllowUnused, class... Bs>
consteval binding_problems find_binding_problems() {
  if constexpr (!(is_binding_v<Bs> && ...)) {
    return {false, 0, 0, 0, 0, 0};
  } else {
    constexpr auto vars = names_of(static_cast<variables_of<G>*>(nullptr));
    constexpr std::array<std::string_view, sizeof...(Bs)> bound{Bs::name.view()...};
    constexpr std::size_t n = bound.size();
    binding_problems p{true, n, vars.size(), n, n, vars.size()};
    for (std::size_t i = n; i-- != 0;) {
      if (contains_name(bound, bound[i], i)) p.twice = i;
      if (!AllowUnused && !contains_name(vars, bound[i])) p.extra = i;
    }
    for (std::size_t i = vars.size(); i-- != 0;)
      if (!contains_name(bound, vars[i])) p.missing = i;
    return p;
  }
}

/// Instantiated only when find_binding_problems is not ok(): one error,
/// naming the variable.
template <class G, bool AllowUnused, class... Bs>
constexpr void report_binding_problem() noexcept {
  if constexpr ((is_binding_v<Bs> && ...)) {
    constexpr binding_problems p = find_binding_problems<G, AllowUnused, Bs...>();
    using bindings = mp::mp_list<Bs...>;
    if constexpr (p.twice != p.bound_count)
      (void)error::variable_bound_twice<decltype(spelled_out<mp::mp_at_c<bindings, p.twice>::name>())>{};
    else if constexpr (p.missing != p.variable_count)
      (void)error::no_value_bound_for<decltype(spelled_out<mp::mp_at_c<variables_of<G>, p.missing>::name>())>{};
    else if constexpr (p.extra != p.bound_count)
      (void)error::bound_variable_does_not_occur<decltype(spelled_out<mp::mp_at_c<bindings, p.extra>::name>())>{};
  }
}

}  // namespace detail
}  // namespace ctgrad
