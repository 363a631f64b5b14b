// ctgrad/print/tensor_listing.hpp — the program a tensor kernel runs, one
// line per instruction, as text:
//
//   constexpr auto kernel = compile(loss::softmax_cross_entropy(x*W + b, t), wrt(W, b));
//   std::cout << ctgrad::listing(kernel);
//   t0 [8, 2] = x*W
//   t1 [8, 2] = b + t0
//   t2 [8, 1] = logsumexp(t1)
//   t3 [8, 1] = rowsum(t ⊙ finite(t1))
//   t4 [] = sum(t2 - t3)
//   t5 [] = t4/8
//   t6 [8, 2] = softmax(t1)/8 - t/8
//   t7 [3, 2] = x^T*t6
//   t8 [2] = colsum(t6)
//   loss = t5
//   d/dW = t7
//   d/db = t8
//
// Each line is a node that owns a slot in the workspace (t0, t1, ... in the
// order they are computed), its shape, and its operation in the notation of
// to_string.  Its operands are leaves, earlier slots, or what the kernel
// computes inline where it is read, never stored: elementwise nodes used
// once, broadcasts, views (above, `t2 - t3` is summed in one loop, and
// `t/8` is part of t6's loop).  constexpr, like the scalar level's listing:
// compare it in a static_assert, or print it to see what the kernel
// computes and shares.
#pragma once

#include <cstddef>
#include <utility>

#include "../compile/tensor_kernel.hpp"
#include "tensor_printer.hpp"

namespace ctgrad {
namespace detail::tensor_listing {

/// Prints every node with a slot by its slot's name, t<k>.
template <class Plan>
struct style {
  using list = mp::mp_list<>;
  static constexpr bool latex = false;
  template <class T>
  static constexpr bool names = [] {
    if constexpr (constexpr std::size_t j = Plan::template index<T>::value; j != graph::none)
      return Plan::slotted[j];
    else
      return false;
  }();
  template <class T, class Sink>
  static constexpr void put_node_name(Sink& sink) noexcept {
    sink.put("t");
    put_integer(sink, static_cast<std::intmax_t>(Plan::slot_rank[Plan::template index<T>::value]));
  }
};

template <class Shape, class Sink>
constexpr void put_shape(Sink& sink) noexcept {
  sink.put(" [");
  for (std::size_t d = 0; d != Shape::rank; ++d) {
    if (d != 0) sink.put(", ");
    put_integer(sink, static_cast<std::intmax_t>(Shape::dims[d]));
  }
  sink.put("]");
}

template <class Graph, class Plan, std::size_t S, class Sink>
constexpr int line(Sink& sink) noexcept {
  using node = typename Graph::template node<Plan::slotted_nodes[S]>;
  sink.put("t");
  put_integer(sink, static_cast<std::intmax_t>(S));
  put_shape<shape_of<node>>(sink);
  sink.put(" = ");
  tprint_node<style<Plan>, node>(sink, 0);  // the node itself, its operands by name
  sink.put("\n");
  return 0;
}

template <class Plan, class Output, class Sink>
constexpr int result(Sink& sink, std::string_view what, std::string_view name) noexcept {
  sink.put(what);
  sink.put(name);
  sink.put(" = ");
  tprint<style<Plan>, Output>(sink, 0);
  sink.put("\n");
  return 0;
}

template <class Kernel>
struct printer;
template <class Loss, class... Params>
struct printer<tensor_kernel<Loss, Params...>> {
  using kernel = tensor_kernel<Loss, Params...>;
  using plan = typename kernel::plan;
  template <class Sink, std::size_t... S>
  static constexpr void lines(Sink& sink, std::index_sequence<S...>) noexcept {
    // Braced lists, not folds: no nesting limit.
    [[maybe_unused]] const int lines[] = {0, line<typename kernel::graph, plan, S>(sink)...};
  }
  template <class Sink>
  static constexpr void run(Sink& sink) noexcept {
    lines(sink, std::make_index_sequence<plan::slot_count>{});
    result<plan, Loss>(sink, shape_of<Loss>::rank == 0 ? "loss" : "value", "");
    [[maybe_unused]] const int gradients[] = {
        0, result<plan, tensor_adjoint_t<Loss, Params>>(sink, "d/d", Params::name.view())...};
  }
};

}  // namespace detail::tensor_listing

/// The program a tensor kernel runs, one line per slot (see the top of
/// this file).
template <class Loss, class... Params>
constexpr auto listing(tensor_kernel<Loss, Params...>) noexcept {
  return detail::render<detail::tensor_listing::printer<tensor_kernel<Loss, Params...>>>();
}

}  // namespace ctgrad
