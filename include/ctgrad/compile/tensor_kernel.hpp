// ctgrad/compile/tensor_kernel.hpp — `compile(loss, wrt(params...))`: the forward
// and backward pass of a tensor DAG as one straight-line sequence of
// fixed-extent loops over one fixed-size workspace.
//
// The plan is made in plan.hpp and run by runner.hpp; here are what users
// hold: the kernel, its workspace (and the layout it reads results by),
// compile() and compile_forward().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "runner.hpp"

namespace ctgrad {

namespace error {
template <class Tensor>
struct gradient_not_requested {
  static_assert(detail::always_false<Tensor>,
                "ctgrad workspace::gradient(p): p is not one of the tensors passed to wrt(...); add it there. "
                "Its name is spelled out in error::tensor<...> above");
};
}  // namespace error

/// A tensor leaf's key in a kernel's layout, its structural hash and shape:
/// `K::layout::gradient_offset(tensor_key<P>::value)` is where the
/// workspace of kernel K holds the gradient by P (graph::none if P is not
/// among wrt(...)).  A class, not a variable template: a variable per
/// tensor would be a symbol spelling the tensor out.
template <class P>
struct tensor_key : std::integral_constant<std::uint64_t, detail::hash_mix(detail::tensor_hash<P>::value,
                                                                           detail::shape_hash(shape_of<P>{}))> {};

namespace detail::tk {

template <class P, std::size_t Offset>
struct gradient_at {
  static constexpr std::uint64_t key = tensor_key<P>::value;
  static constexpr std::size_t offset = Offset;
  static constexpr std::size_t size = shape_of<P>::size;
};
template <std::size_t Elements, std::size_t LossOffset, std::size_t ValueSize, class... Gradients>
struct layout {
  static constexpr std::size_t workspace_elements = Elements;
  static constexpr std::size_t loss_offset = LossOffset;
  static constexpr std::size_t value_size = ValueSize;
  /// Every gradient, one after the other in the order of wrt(...) from
  /// the workspace's start: this many elements.
  static constexpr std::size_t gradient_elements = (std::size_t{0} + ... + Gradients::size);
  /// The offset of the gradient by the leaf with this key (none if not requested).
  static constexpr std::size_t gradient_offset(std::uint64_t key) noexcept {
    const std::uint64_t keys[] = {Gradients::key..., 0};
    const std::size_t offsets[] = {Gradients::offset..., graph::none};
    for (std::size_t k = 0; k != sizeof...(Gradients); ++k)
      if (keys[k] == key) return offsets[k];
    return graph::none;
  }
};

template <class Plan, class Loss, class Params, class = std::make_index_sequence<mp::mp_size<Params>::value>>
struct layout_of_s;
template <class Plan, class Loss, class... Params, std::size_t... K>
struct layout_of_s<Plan, Loss, mp::mp_list<Params...>, std::index_sequence<K...>>
    : std::type_identity<layout<Plan::workspace_size, Plan::template offset_of<Loss>::value, shape_of<Loss>::size,
                                gradient_at<Params, Plan::packed.offset[K]>...>> {};
/// The layout of a kernel planned as Plan.
template <class Plan, class Loss, class Params>
using layout_of = typename layout_of_s<Plan, Loss, Params>::type;

/// The types of the kernel of Loss by Params..., in a class of their own.
/// g++ 12 does not reuse a member typedef of a class template when a
/// member's declaration names it: it substitutes the typedef's definition
/// again.  Written in tensor_kernel, `layout` (a pack expansion over every
/// parameter's gradient) was rebuilt for each member function that takes a
/// workspace: at 100 layers 1 GB and ~6 s of a 2.6 GB compile.  Here each
/// is built once, and tensor_kernel's members name them through this class.
template <class Loss, class... Params>
struct kernel_types {
  using gradient_types = mp::mp_list<tensor_adjoint_t<Loss, Params>...>;
  using outputs = mp::mp_push_front<gradient_types, Loss>;
  using graph = mp::mp_apply<tensor_graph, outputs>;
  using plan = tk::plan<graph, outputs, gradient_types>;
  using program = tk::program_runner<typename plan::program>;
  using layout = layout_of<plan, Loss, mp::mp_list<Params...>>;
};

}  // namespace detail::tk

template <Tensor... Ps>
struct wrt_t {};
/// The tensors to differentiate by: `compile(loss, wrt(W1, b1))`.
template <Tensor... Ps>
constexpr wrt_t<Ps...> wrt(Ps...) noexcept {
  return {};
}

template <class Layout, class T>
class basic_workspace;
/// The workspace of kernel type K for element type T (`decltype(k)` may be const).
template <class K, class T>
using workspace = basic_workspace<typename std::remove_cvref_t<K>::layout, T>;

/// A compiled forward + backward pass: see `compile`.
template <class Loss, class... Params>
class tensor_kernel {
 public:
  using loss_type = Loss;
  using parameters = detail::mp::mp_list<Params...>;
  using types = detail::tk::kernel_types<Loss, Params...>;
  using gradient_types = typename types::gradient_types;
  using outputs = typename types::outputs;
  using graph = typename types::graph;
  using plan = typename types::plan;
  using program = typename types::program;
  using layout = typename types::layout;

  /// Distinct nodes in the pass, and how many own a slot.
  static constexpr std::size_t node_count = plan::n;
  static constexpr std::size_t slot_count = detail::mp::mp_size<typename plan::program>::value;
  /// Elements of the workspace (its sizeof is this times sizeof(T), aligned).
  static constexpr std::size_t workspace_elements = plan::workspace_size;

  /// The gradient with respect to P, as an expression.
  template <Tensor P>
  static constexpr auto gradient(P) noexcept {
    return grad(Loss{}, P{});
  }

  /// Run the pass: returns the loss (for a forward-only kernel of a
  /// tensor, a span over its value); gradients are in `ws`.
  template <class T, class... Bindings>
  CTGRAD_DETAIL_ALWAYS_INLINE auto operator()(basic_workspace<layout, T>& ws,
                                              const Bindings&... bindings) const noexcept {
    // (The kernel of an error already reported: nothing to run, and no
    // second error about its bindings.)
    if constexpr (!std::is_same_v<Loss, detail::shape_error_result>)
      detail::tk::run_program<program>(typename plan::leaves{}, ws.data(), detail::tk::context<T>{}, bindings...);
    if constexpr (shape_of<Loss>::rank == 0)
      return ws.loss();
    else
      return std::as_const(ws).value();
  }

  /// The value of node E of the pass as the last call left it in `ws`,
  /// for a node that has a slot of its own in this kernel (a product, a
  /// reduction, a scan, an output): a scan's states h[1..T], to carry the
  /// last one into the next window of a long sequence.  (After train_sgd,
  /// a gradient folded into its parameter is not in the workspace.)
  template <Tensor E, class T>
  static std::span<const T, shape_of<E>::size> value_of(const basic_workspace<layout, T>& ws, E) noexcept {
    constexpr std::size_t j = plan::template index<E>::value;  // (none if E is not a node)
    static_assert(j != ::ctgrad::graph::none && plan::slotted[j == ::ctgrad::graph::none ? 0 : j],
                  "ctgrad kernel::value_of(ws, e): e is not kept in this kernel's workspace (nodes with a slot of "
                  "their own are: products, reductions, scans, outputs); evaluate it with compile_forward(e)");
    return std::span<const T, shape_of<E>::size>(ws.data() + plan::offsets[j == ::ctgrad::graph::none ? 0 : j],
                                                 shape_of<E>::size);
  }

  using fused_sgd = typename plan::template fused<gradient_types, parameters>;
  /// For each parameter (in wrt order): whether train_sgd folds its update
  /// into the instruction producing its gradient (else its gradient is in
  /// the workspace as usual, and the caller updates it).
  static constexpr std::array<bool, sizeof...(Params)> sgd_fused = fused_sgd::flags;

  /// A training step with SGD fused into the pass: for each parameter k
  /// with sgd_fused[k], p = beta * p + alpha * dL/dp is applied to
  /// targets[k] (the memory the parameter's binding points to) as the
  /// gradient is produced, and the gradient is not stored.  Returns the loss.
  template <class T, class... Bindings>
  CTGRAD_DETAIL_ALWAYS_INLINE T train_sgd(basic_workspace<layout, T>& ws, T alpha, T beta,
                                          const std::array<T*, sizeof...(Params)>& targets,
                                          const Bindings&... bindings) const noexcept {
    detail::tk::context<T> c{};
    c.updates = targets.data();
    c.alpha = alpha;
    c.beta = beta;
    if constexpr (!std::is_same_v<Loss, detail::shape_error_result>)
      detail::tk::run_program<detail::tk::program_runner<typename fused_sgd::program>>(typename plan::leaves{},
                                                                                       ws.data(), c, bindings...);
    return ws.loss();
  }
};

/// The workspace of a kernel for element type T: every intermediate value
/// and every gradient; `sizeof` is a compile-time constant.  Own it where
/// the kernel runs (it can be large: it holds a copy of every gradient).
template <class Layout, class T>
class basic_workspace {
 public:
  T* data() noexcept { return storage_.data(); }
  const T* data() const noexcept { return storage_.data(); }

  /// The loss computed by the last call.
  T loss() const noexcept { return storage_[Layout::loss_offset]; }

  /// The value of the kernel's expression computed by the last call.
  auto value() const noexcept {
    return std::span<const T, Layout::value_size>(storage_.data() + Layout::loss_offset, Layout::value_size);
  }

  /// Every gradient computed by the last call as one flat span: the
  /// gradients by the tensors of wrt(...), in that order, one after the
  /// other (gradient(p) are parts of it).  Writable, so that they can be
  /// reduced in place (averaged across threads or processes) before an update.
  std::span<T, Layout::gradient_elements> gradients() noexcept {
    return std::span<T, Layout::gradient_elements>(storage_.data(), Layout::gradient_elements);
  }
  std::span<const T, Layout::gradient_elements> gradients() const noexcept {
    return std::span<const T, Layout::gradient_elements>(storage_.data(), Layout::gradient_elements);
  }

  /// The gradient with respect to P computed by the last call.
  template <Tensor P>
  auto gradient(P) const noexcept {
    constexpr std::size_t offset = Layout::gradient_offset(tensor_key<P>::value);
    if constexpr (offset == graph::none) {
      (void)error::gradient_not_requested<decltype(detail::spelled_tensor<P::name>())>{};
      return std::span<const T, shape_of<P>::size>(storage_.data(), shape_of<P>::size);
    } else {
      return std::span<const T, shape_of<P>::size>(storage_.data() + offset, shape_of<P>::size);
    }
  }

 private:
  alignas(64) std::array<T, Layout::workspace_elements> storage_{};
};

namespace detail::tk {
template <class Loss, class P>
concept differentiable_by = is_tensor_leaf<P> && graph::contains<tensor_graph<Loss>, P>;

/// One error per tensor of wrt(...) the loss cannot be differentiated by.
template <class Loss, class P>
constexpr int report_wrt() noexcept {
  if constexpr (!is_tensor_leaf<P>)
    (void)error::differentiate_by_leaf<P>{};
  else if constexpr (!graph::contains<tensor_graph<Loss>, P>)
    (void)error::not_in_the_loss<decltype(spelled_tensor<P::name>())>{};
  return 0;
}
}  // namespace detail::tk

/// Compile the forward and backward pass of a scalar loss with respect to
/// the given parameters (and/or inputs).
template <Tensor Loss, Tensor... Params>
constexpr auto compile(Loss, wrt_t<Params...>) noexcept {
  if constexpr (shape_of<Loss>::rank != 0) {
    (void)error::not_a_scalar_loss<Loss>{};
    return tensor_kernel<detail::shape_error_result>{};
  } else if constexpr (!detail::all_of<detail::tk::differentiable_by<Loss, Params>...>) {
    (void)std::array<int, sizeof...(Params)>{detail::tk::report_wrt<Loss, Params>()...};
    return tensor_kernel<detail::shape_error_result>{};
  } else {
    return tensor_kernel<Loss, Params...>{};
  }
}

/// Compile the evaluation of a tensor expression of any shape (no
/// gradients): `predict`.  Call it like a kernel; it returns a span over
/// the value, which lives in the workspace.
template <Tensor E>
constexpr auto compile_forward(E) noexcept {
  return tensor_kernel<E>{};
}

}  // namespace ctgrad
