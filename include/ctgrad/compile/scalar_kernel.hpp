// ctgrad/compile/scalar_kernel.hpp — straight-line evaluation of a DAG.
//
// Every distinct node gets one slot in a local std::array, in topological
// order; each slot is written once by code specialised for that node
// (the op is a template argument, never a runtime switch).  The array stays
// local so the optimiser keeps it in registers; no heap, no tape, no graph
// object at run time.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../expression.hpp"
#include "../functions.hpp"
#include "../numeric/math.hpp"
#include "../rules/scalar.hpp"
#include "../var.hpp"

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

template <fixed_string Name>
constexpr auto spelled_out() noexcept {
  return spelled<Name, error::variable>();
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
requires(is_binding_v<B>&& detail::all_of<is_binding_v<Bs>...>) struct scalar_of<void, B, Bs...> {
  using type = std::common_type_t<decltype(B::value), decltype(Bs::value)...>;
};
template <class Scalar, class... Bs>
using scalar_of_t = typename scalar_of<Scalar, Bs...>::type;

// Kernel code.  Each node becomes one `step<Op, A, B>`: Op a tiny tag for the
// operation, A and B its operands as slot numbers or literal constants.  No
// node type appears in the name of an emitted function: when they did, every
// helper's symbol spelled out large parts of the DAG and g++ spent most of a
// large kernel's compile time building those names.  Only the two functions
// that expand the steps are named after the kernel (Key: `Key::graph` is the
// DAG, `Key::roots` the expressions returned).

namespace op {
struct add {};
struct mul {};
struct div {};
template <class F>
struct unary {};
template <std::intmax_t N, std::intmax_t D>
struct pow {};
}  // namespace op

/// An operand in slot S (a literal operand is its own constant type).
template <std::size_t S>
struct in_slot {};
template <class Ref>
inline constexpr std::size_t slot_of = 0;
template <std::size_t S>
inline constexpr std::size_t slot_of<in_slot<S>> = S;

template <class Op>
inline constexpr bool is_unary_op = false;
template <class F>
inline constexpr bool is_unary_op<op::unary<F>> = true;
template <class Op>
struct unary_function_of;
template <class F>
struct unary_function_of<op::unary<F>> : F {};
template <class Op>
struct pow_exponent;
template <std::intmax_t N, std::intmax_t D>
struct pow_exponent<op::pow<N, D>> {
  static constexpr std::intmax_t num = N, den = D;
};

template <class G, class T, bool = is_constant<T>>
struct operand_ref {
  using type = T;
};
template <class G, class T>
struct operand_ref<G, T, false> {
  using type = in_slot<graph::index_of<G, T>::value>;
};
template <class G, class T>
using operand_ref_t = typename operand_ref<G, T>::type;

/// The operation of node type Node, as a small tag.
template <class Node>
struct op_of;
template <class A, class B>
struct op_of<nodes::add<A, B>> {
  using type = op::add;
};
template <class A, class B>
struct op_of<nodes::mul<A, B>> {
  using type = op::mul;
};
template <class A, class B>
struct op_of<nodes::div<A, B>> {
  using type = op::div;
};
template <class A, std::intmax_t N, std::intmax_t D>
struct op_of<nodes::pow<A, nodes::constant<N, D>>> {
  using type = op::pow<N, D>;
};
template <class F, class A>
struct op_of<nodes::unary<F, A>> {
  using type = op::unary<F>;
};

template <class Ref, class Scalar, std::size_t N>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr Scalar read(const std::array<Scalar, N>& v) noexcept {
  if constexpr (is_constant<Ref>)
    return Ref::template value<Scalar>();
  else
    return v[slot_of<Ref>];
}

template <class Op, class A, class B, class Scalar, std::size_t N>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr Scalar step(const std::array<Scalar, N>& v) noexcept {
  const Scalar a = read<A>(v);
  if constexpr (detail::same_as<Op, op::add>) {
    return a + read<B>(v);
  } else if constexpr (detail::same_as<Op, op::mul>) {
    return a * read<B>(v);
  } else if constexpr (detail::same_as<Op, op::div>) {
    return a / read<B>(v);
  } else if constexpr (is_unary_op<Op>) {
    return unary_function_of<Op>::value(a);
  } else {  // op::pow<N, D>
    constexpr std::intmax_t n = pow_exponent<Op>::num, d = pow_exponent<Op>::den;
    if constexpr (d == 1)
      return math::ipow(a, n);
    else if constexpr (d == 2)
      return math::ipow(math::sqrt(a), n);
    else
      return math::pow(a, static_cast<Scalar>(n) / static_cast<Scalar>(d));
  }
}

template <class Key, class Scalar, std::size_t N, class Bindings, std::size_t... J>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr void load_variables(std::array<Scalar, N>& v, const Bindings& bindings,
                                                          std::index_sequence<J...>) noexcept {
  using G = typename Key::graph;
  using tables = graph::tables<G>;
  // A braced list, not a fold: no nesting limit, cheaper to compile.  And no
  // lambda capturing v: that stopped clang from keeping v in registers.
  [[maybe_unused]] const int sequence[] = {
      0, (v[tables::leaf_slots[J]] =
              static_cast<Scalar>(bound_value<G::template node<tables::leaf_slots[J]>::name>(bindings)),
          0)...};
}

/// Operand K of node I as a reference: its slot, from the graph's operand
/// table (no second lookup), or the literal constant itself.
template <class G, std::size_t I, std::size_t K, bool Exists = (K < mp::mp_size<graph::operands_at<G, I>>::value)>
struct table_ref {
  using type = void;  // no operand K
};
// The slot is a template argument, not a static member: a member would be
// a variable named after the graph, and g++ spells every such name out
// (this one doubled the 8-8-4 scalar MLP's compile time).
template <class G, std::size_t I, std::size_t K,
          std::size_t Slot = graph::tables<G>::operand_slots[graph::tables<G>::operand_offsets[I] + K]>
struct operand_ref_at {
  using type = in_slot<Slot>;
};
template <class G, std::size_t I, std::size_t K>
struct operand_ref_at<G, I, K, graph::none> {
  using type = mp::mp_at_c<graph::operands_at<G, I>, K>;  // a literal
};
template <class G, std::size_t I, std::size_t K>
struct table_ref<G, I, K, true> : operand_ref_at<G, I, K> {};

template <class Key, class Scalar, std::size_t N, std::size_t... J>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr void compute_nodes(std::array<Scalar, N>& v, std::index_sequence<J...>) noexcept {
  using G = typename Key::graph;
  using tables = graph::tables<G>;
  [[maybe_unused]] const int sequence[] = {
      0,
      (v[tables::computed_slots[J]] = step<typename op_of<typename G::template node<tables::computed_slots[J]>>::type,
                                           typename table_ref<G, tables::computed_slots[J], 0>::type,
                                           typename table_ref<G, tables::computed_slots[J], 1>::type>(v),
       0)...};
}

/// Evaluate every node of Key's graph: variables from the bindings, then the
/// rest in topological order.
template <class Key, class Scalar, class Bindings>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr auto run(const Bindings& bindings) noexcept {
  using G = typename Key::graph;
  std::array<Scalar, G::size> v;  // every slot is written before it is read
  load_variables<Key>(v, bindings, std::make_index_sequence<graph::tables<G>::leaf_count>{});
  compute_nodes<Key>(v, std::make_index_sequence<G::size - graph::tables<G>::leaf_count>{});
  return v;
}

/// The value of root R of Key, after run.
template <class Key, std::size_t R, class Scalar, std::size_t N>
CTGRAD_DETAIL_ALWAYS_INLINE constexpr Scalar root_value(const std::array<Scalar, N>& v) noexcept {
  return read<operand_ref_t<typename Key::graph, mp::mp_at_c<typename Key::roots, R>>>(v);
}

/// The key of eval(E): one root.
template <class E>
struct eval_key {
  using roots = mp::mp_list<E>;
  using graph = scalar_graph<E>;
};

template <class T>
using is_var_q = std::bool_constant<is_var<T>>;

// Checking bindings by name without comparing strings (O(n^2) string
// compares exceed clang's constexpr step limit at a few hundred bindings):
// each binding sits in an index-tagged base, and a name is looked up by
// deduction, which fails when the name is absent or held twice.
template <std::size_t I, class B>
struct indexed : B {};

template <class Seq, class... Bs>
struct indexed_bindings;
template <std::size_t... Is, class... Bs>
struct indexed_bindings<std::index_sequence<Is...>, Bs...> : indexed<Is, Bs>... {};

// Declared only: used in requires-expressions.
template <fixed_string Name, std::size_t I, class T>
void look_up(const indexed<I, binding<Name, T>>&) noexcept;

template <fixed_string Name, class Holder>
concept finds_exactly_one = requires(const Holder& h) {
  look_up<Name>(h);
};

/// Index of the first false, or the size.
template <bool... Bs>
inline constexpr std::size_t first_false = [] {
  std::size_t i = 0;
  for (bool b : std::initializer_list<bool>{Bs...}) {
    if (!b) return i;
    ++i;
  }
  return i;
}();

/// What is wrong with the bindings of a call, found without instantiating
/// anything that fails: which binding is doubled, which variable has no
/// value, which binding names no variable of the expression.
struct binding_problems {
  std::size_t twice, missing, extra;  // an index, or the end when none
  std::size_t bound_count, variable_count;
  constexpr bool ok() const noexcept {
    return twice == bound_count && missing == variable_count && extra == bound_count;
  }
};

template <class G>
using variables_of = mp::mp_copy_if<typename G::nodes, is_var_q>;

template <class G, bool AllowUnused, class Holder, class... Vs, class... Bs>
consteval binding_problems find_binding_problems(mp::mp_list<Vs...>*, mp::mp_list<Bs...>*) {
  constexpr std::size_t twice = first_false<finds_exactly_one<Bs::name, Holder>...>;
  constexpr std::size_t missing = first_false<finds_exactly_one<Vs::name, Holder>...>;
  constexpr std::size_t extra = AllowUnused ? sizeof...(Bs) : first_false<graph::contains<G, var<Bs::name>>...>;
  return {twice, missing, extra, sizeof...(Bs), sizeof...(Vs)};
}

template <class G, bool AllowUnused, class... Bs>
consteval binding_problems find_binding_problems() {
  if constexpr (!detail::all_of<is_binding_v<Bs>...>) {
    return {0, 0, 0, 1, 1};
  } else {
    using holder = indexed_bindings<std::index_sequence_for<Bs...>, Bs...>;
    return find_binding_problems<G, AllowUnused, holder>(static_cast<variables_of<G>*>(nullptr),
                                                         static_cast<mp::mp_list<Bs...>*>(nullptr));
  }
}

/// Instantiated only when find_binding_problems is not ok(): one error,
/// naming the variable.
template <class G, bool AllowUnused, class... Bs>
constexpr void report_binding_problem() noexcept {
  if constexpr (detail::all_of<is_binding_v<Bs>...>) {
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
