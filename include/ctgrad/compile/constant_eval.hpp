// ctgrad/compile/constant_eval.hpp — a tensor expression's value as a
// constant expression: what `nn::model::evaluate` runs, so that a
// prediction of a model whose parameters are compiled in (nn/embed.hpp)
// can be a `constexpr` value or a `static_assert`.
//
// Not the kernel: the kernels' vector code and run-time instruction-set
// choice cannot run in a constant expression.  This walks the expression
// tree, node by node, in plain loops, with the elementwise formulas'
// constexpr code (the same formulas the kernels run, but the functions'
// constexpr versions, and sums in another order): values agree with the
// kernel's to a few ulps, not bit for bit (tests/embed_test.cpp states
// the bound it checks).  A shared subexpression is evaluated once per use:
// meant for the forward pass of small networks, not for training.
#pragma once

#include <array>
#include <cstddef>

#include "../expr/formula.hpp"
#include "../expr/tensor_nodes.hpp"

namespace ctgrad::detail::ce {

template <class Node>
struct evaluator {
  static_assert(always_false<Node>,
                "ctgrad constant evaluation (nn::model::evaluate): this expression has a node it cannot evaluate "
                "yet (dense networks are supported: leaves, elementwise functions, broadcasts, sums, matmul, "
                "transpose, reshape, logsumexp; not convolutions or pooling); use predict at run time");
  template <class T, class Leaves>
  static constexpr std::array<T, shape_of<Node>::size> run(const Leaves&) noexcept {
    return {};
  }
};

/// The value of Node, each leaf's values read from `leaves(leaf{})` (a
/// pointer to shape_of<leaf>::size numbers, row-major).
template <class T, class Node, class Leaves>
constexpr std::array<T, shape_of<Node>::size> value(const Leaves& leaves) noexcept {
  return evaluator<Node>::template run<T>(leaves);
}

template <class Leaf>
struct leaf_evaluator {
  template <class T, class Leaves>
  static constexpr std::array<T, shape_of<Leaf>::size> run(const Leaves& leaves) noexcept {
    std::array<T, shape_of<Leaf>::size> out{};
    const T* values = leaves(Leaf{});
    for (std::size_t i = 0; i != out.size(); ++i) out[i] = values[i];
    return out;
  }
};
template <fixed_string N, class S>
struct evaluator<param<N, S>> : leaf_evaluator<param<N, S>> {};
template <fixed_string N, class S>
struct evaluator<input<N, S>> : leaf_evaluator<input<N, S>> {};

template <class C, class S>
struct evaluator<tnodes::fill<C, S>> {
  template <class T, class Leaves>
  static constexpr std::array<T, S::size> run(const Leaves&) noexcept {
    std::array<T, S::size> out{};
    out.fill(apply_formula<C>::template run<T>(nullptr));
    return out;
  }
};

template <class F, class S, class... A>
struct evaluator<tnodes::ew<F, S, A...>> {
  template <class T, class Leaves>
  static constexpr std::array<T, S::size> run(const Leaves& leaves) noexcept {
    static_assert(((shape_of<A>::size == S::size) && ...), "ctgrad: an elementwise node's operands have its shape");
    const std::array<std::array<T, S::size>, sizeof...(A)> operands{value<T, A>(leaves)...};
    std::array<T, S::size> out{};
    for (std::size_t i = 0; i != S::size; ++i) {
      std::array<T, sizeof...(A)> at{};
      for (std::size_t k = 0; k != sizeof...(A); ++k) at[k] = operands[k][i];
      out[i] = apply_formula<F>::template run<T>(at.data());
    }
    return out;
  }
};

template <class A, class S>
struct evaluator<tnodes::broadcast<A, S>> {
  template <class T, class Leaves>
  static constexpr std::array<T, S::size> run(const Leaves& leaves) noexcept {
    const auto a = value<T, A>(leaves);
    std::array<T, S::size> out{};
    for (std::size_t i = 0; i != S::size; ++i) out[i] = a[broadcast_source_index<shape_of<A>, S>(i)];
    return out;
  }
};

template <class A, class S>
struct evaluator<tnodes::reduce_sum<A, S>> {
  template <class T, class Leaves>
  static constexpr std::array<T, S::size> run(const Leaves& leaves) noexcept {
    const auto a = value<T, A>(leaves);
    std::array<T, S::size> out{};
    for (std::size_t i = 0; i != a.size(); ++i) out[broadcast_source_index<S, shape_of<A>>(i)] += a[i];
    return out;
  }
};

template <class A, class B>
struct evaluator<tnodes::matmul<A, B>> {
  template <class T, class Leaves>
  static constexpr std::array<T, shape_of<tnodes::matmul<A, B>>::size> run(const Leaves& leaves) noexcept {
    constexpr std::size_t rows = shape_of<A>::dims[0], inner = shape_of<A>::dims[1], cols = shape_of<B>::dims[1];
    const auto a = value<T, A>(leaves);
    const auto b = value<T, B>(leaves);
    std::array<T, rows * cols> out{};
    for (std::size_t r = 0; r != rows; ++r)
      for (std::size_t k = 0; k != inner; ++k)
        for (std::size_t c = 0; c != cols; ++c) out[r * cols + c] += a[r * inner + k] * b[k * cols + c];
    return out;
  }
};

template <class A>
struct evaluator<tnodes::transpose<A>> {
  template <class T, class Leaves>
  static constexpr std::array<T, shape_of<A>::size> run(const Leaves& leaves) noexcept {
    constexpr std::size_t rows = shape_of<A>::dims[0], cols = shape_of<A>::dims[1];
    const auto a = value<T, A>(leaves);
    std::array<T, rows * cols> out{};
    for (std::size_t r = 0; r != rows; ++r)
      for (std::size_t c = 0; c != cols; ++c) out[c * rows + r] = a[r * cols + c];
    return out;
  }
};

template <class A, class S>
struct evaluator<tnodes::reshape<A, S>> {
  template <class T, class Leaves>
  static constexpr std::array<T, S::size> run(const Leaves& leaves) noexcept {
    return value<T, A>(leaves);
  }
};

/// Over the last axis: m + log(sum(exp(x - m))), m the row's maximum (as
/// the kernel's i_logsumexp computes it).
template <class A>
struct evaluator<tnodes::logsumexp<A>> {
  template <class T, class Leaves>
  static constexpr std::array<T, shape_of<tnodes::logsumexp<A>>::size> run(const Leaves& leaves) noexcept {
    constexpr std::size_t length = shape_of<A>::dims[shape_of<A>::rank - 1], rows = shape_of<A>::size / length;
    const auto a = value<T, A>(leaves);
    std::array<T, rows> out{};
    for (std::size_t r = 0; r != rows; ++r) {
      T m = a[r * length];
      for (std::size_t j = 1; j != length; ++j) m = a[r * length + j] > m ? a[r * length + j] : m;
      T sum = 0;
      for (std::size_t j = 0; j != length; ++j) sum += fn::exp::value(a[r * length + j] - m);
      out[r] = m + fn::log::value(sum);
    }
    return out;
  }
};

}  // namespace ctgrad::detail::ce
