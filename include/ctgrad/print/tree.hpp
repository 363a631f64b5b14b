// ctgrad/print/tree.hpp — an expression of either level as a tree, one
// node per line, children indented under their node:
//
//   std::cout << ctgrad::to_tree(grad(L, W));
//   matmul [3, 2]                  d/dW sum((x*W - t) ⊙ (x*W - t))
//     transpose [3, 4]
//       x [4, 3]
//     2*_0 [4, 2]
//       _0 - _1 [4, 2]
//         matmul [4, 2]
//           x [4, 3]
//           W [3, 2]
//         t [4, 2]
//
// A computed node used more than once in the expression (shared, as
// backpropagation shares it) is printed in full where it first appears,
// marked (#k), and as "(#k, above)" wherever it appears again; leaves and
// constants simply repeat.  Scalar nodes print as their
// operator (+, *, /, ^, a function's name), variables and constants as
// themselves; a tensor elementwise node prints as its formula over its
// operands _0, _1, ..., every tensor node with its shape.  Built at run
// time (std::string): for reading in tests and logs, not in kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "../expr/conv.hpp"
#include "../rules/scalar.hpp"
#include "../rules/tensor.hpp"
#include "../to_string.hpp"

namespace ctgrad {
namespace detail::tree {

template <class E>
using rules_for = std::conditional_t<Tensor<E>, tensor_rules, scalar_rules>;

/// What a node prints as, without its operands.
template <class T>
struct name_of {
  static std::string text() { return std::string(to_string(T{}).view()); }  // leaves, constants
};
template <fixed_string Name>
struct named {
  static std::string text() { return std::string(Name.view()); }
};
template <class A, class B>
struct name_of<nodes::add<A, B>> : named<"+"> {};
template <class A, class B>
struct name_of<nodes::mul<A, B>> : named<"*"> {};
template <class A, class B>
struct name_of<nodes::div<A, B>> : named<"/"> {};
template <class A, class B>
struct name_of<nodes::pow<A, B>> : named<"^"> {};
template <class F, class X>
struct name_of<nodes::unary<F, X>> {
  static std::string text() { return std::string(F::name); }
};
template <class F, class S, class... A>
struct name_of<tnodes::ew<F, S, A...>> {
  static std::string text() { return std::string(to_string(F{}).view()); }
};
template <class C, class S>
struct name_of<tnodes::fill<C, S>> {
  static std::string text() { return std::string(to_string(C{}).view()); }
};
template <class A, class S>
struct name_of<tnodes::broadcast<A, S>> : named<"broadcast"> {};
template <class A, class S>
struct name_of<tnodes::reduce_sum<A, S>> : named<"sum"> {};
template <class A, class B>
struct name_of<tnodes::matmul<A, B>> : named<"matmul"> {};
template <class A>
struct name_of<tnodes::transpose<A>> : named<"transpose"> {};
template <class A, class S>
struct name_of<tnodes::reshape<A, S>> : named<"reshape"> {};
template <class A>
struct name_of<tnodes::logsumexp<A>> : named<"logsumexp"> {};
template <class X, class W, class G>
struct name_of<tnodes::conv<X, W, G>> : named<"conv"> {};
template <class X, class Y, class S, class G>
struct name_of<tnodes::conv_kernel_grad<X, Y, S, G>> : named<"conv_kernel_grad"> {};
template <class Y, class W, class S, class G>
struct name_of<tnodes::conv_input_grad<Y, W, S, G>> : named<"conv_input_grad"> {};
template <class X, std::size_t PH, std::size_t PW>
struct name_of<tnodes::pad<X, PH, PW>> : named<"pad"> {};
template <class X, std::size_t PH, std::size_t PW>
struct name_of<tnodes::crop<X, PH, PW>> : named<"crop"> {};
template <class X, std::size_t Begin, std::size_t Count>
struct name_of<tnodes::slice<X, Begin, Count>> : named<"slice"> {};
template <class X, std::size_t Begin, std::size_t N>
struct name_of<tnodes::embed<X, Begin, N>> : named<"embed"> {};
template <class X, class H0, class Body, class... Free>
struct name_of<tnodes::scan<X, H0, Body, Free...>> : named<"scan"> {};
template <class Scan, class G>
struct name_of<tnodes::scan_grad<Scan, G>> : named<"scan_grad"> {};
template <class X, class V, class P>
struct name_of<tnodes::max_select<X, V, P>> : named<"max_pool"> {};
template <class X, class G, class P>
struct name_of<tnodes::max_route<X, G, P>> : named<"max_route"> {};
template <class X, class P>
struct name_of<tnodes::avg_pool<X, P>> : named<"avg_pool"> {};
template <class G, class S, class P>
struct name_of<tnodes::avg_unpool<G, S, P>> : named<"avg_unpool"> {};

/// A node's line: its name, and a tensor's shape.
template <class T>
std::string line_of() {
  std::string text = name_of<T>::text();
  if constexpr (Tensor<T>) {
    text += " [";
    for (std::size_t d = 0; d != shape_of<T>::rank; ++d) {
      if (d != 0) text += ", ";
      text += std::to_string(shape_of<T>::dims[d]);
    }
    text += "]";
  }
  return text;
}

/// The walk's state: how often each node (by structural hash) is an
/// operand, and the mark of each shared node printed so far.
struct state {
  std::map<std::uint64_t, int> uses;
  std::map<std::uint64_t, int> marks;
  int next_mark = 1;
  std::string out;
};

template <class Rules, class T>
inline constexpr std::uint64_t hash_of = Rules::template hash<T>::value;

template <class Rules, class T>
void count(state& s) {
  [&]<class... O>(mp::mp_list<O...>) {
    // Each operand once per use; its own operands only at its first use.
    ((++s.uses[hash_of<Rules, O>] == 1 ? count<Rules, O>(s) : void()), ...);
  }(typename Rules::template operands<T>{});
}

template <class Rules, class T>
void print(state& s, std::size_t depth) {
  s.out.append(2 * depth, ' ');
  s.out += line_of<T>();
  constexpr std::uint64_t h = hash_of<Rules, T>;
  constexpr bool computed = Rules::template is_node<T>::value && !Rules::template is_leaf<T>::value;
  const auto shared = s.uses.find(h);
  if (computed && shared != s.uses.end() && shared->second > 1) {
    if (const auto seen = s.marks.find(h); seen != s.marks.end()) {
      s.out += "  (#" + std::to_string(seen->second) + ", above)\n";
      return;
    }
    s.marks[h] = s.next_mark;
    s.out += "  (#" + std::to_string(s.next_mark++) + ")";
  }
  s.out += "\n";
  [&]<class... O>(mp::mp_list<O...>) { (print<Rules, O>(s, depth + 1), ...); }(typename Rules::template operands<T>{});
}

}  // namespace detail::tree

/// The expression as an indented tree, one node per line, shared nodes
/// marked (#k) (see the top of this file).
template <class E>
requires(Expression<E> || Tensor<E>) std::string to_tree(E) {
  using rules = detail::tree::rules_for<E>;
  detail::tree::state s;
  detail::tree::count<rules, E>(s);
  detail::tree::print<rules, E>(s, 0);
  return std::move(s.out);
}

}  // namespace ctgrad
