// ctgrad/tensor/kernel.hpp — `compile(loss, wrt(params...))`: the forward
// and backward pass of a tensor DAG as one straight-line sequence of
// fixed-extent loops over one fixed-size workspace.
//
// Planning (all at compile time):
//   1. the distinct nodes of {loss, d loss/d p...} in topological order;
//   2. which nodes get a slot in the workspace: products, reductions and
//      outputs always; an elementwise node unless its one user is
//      elementwise too (then it is computed inside its user's loop: chains
//      of elementwise nodes fuse into one loop); views (broadcast,
//      transpose, reshape) and literals never;
//   3. each node becomes a *reference* (how to read element i: from a slot,
//      from a bound input, a literal, a formula over other references, an
//      index mapping) and each slotted node an *instruction* (map, reduce,
//      matmul, logsumexp).  References and instructions are small types of
//      numbers and formulas, so no emitted symbol spells out the graph.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

#include <boost/mp11/bind.hpp>

#include "adjoint.hpp"
#include "instructions.hpp"
#include "window_instructions.hpp"

namespace ctgrad {

namespace error {
template <class Tensor>
struct no_values_bound_for {
  static_assert(detail::always_false<Tensor>,
                "ctgrad kernel call: a parameter or input of the loss has no values; pass it as name = array. "
                "Its name is spelled out in error::tensor<...> above");
};
template <class Tensor>
struct bound_tensor_does_not_occur {
  static_assert(detail::always_false<Tensor>,
                "ctgrad kernel call: a binding names a tensor that does not occur in the loss; remove it. "
                "Its name is spelled out in error::tensor<...> above");
};
template <class Tensor>
struct gradient_not_requested {
  static_assert(detail::always_false<Tensor>,
                "ctgrad workspace::gradient(p): p is not one of the tensors passed to wrt(...); add it there. "
                "Its name is spelled out in error::tensor<...> above");
};
}  // namespace error

namespace detail::tk {

// ---------------------------------------------------------------------------
// The plan.

template <class T>
struct kind_s : std::integral_constant<int, 0> {};  // leaf
template <class C, class S>
struct kind_s<tnodes::fill<C, S>> : std::integral_constant<int, 1> {};
template <class F, class S, class... A>
struct kind_s<tnodes::ew<F, S, A...>> : std::integral_constant<int, 2> {};
template <class A, class S>
struct kind_s<tnodes::broadcast<A, S>> : std::integral_constant<int, 3> {};
template <class A>
struct kind_s<tnodes::transpose<A>> : std::integral_constant<int, 3> {};
template <class A, class S>
struct kind_s<tnodes::reshape<A, S>> : std::integral_constant<int, 3> {};
template <class A, class S>
struct kind_s<tnodes::reduce_sum<A, S>> : std::integral_constant<int, 4> {};
template <class A>
struct kind_s<tnodes::logsumexp<A>> : std::integral_constant<int, 4> {};
template <class A, class B>
struct kind_s<tnodes::matmul<A, B>> : std::integral_constant<int, 5> {};
template <class X, std::size_t PH, std::size_t PW>
struct kind_s<tnodes::pad<X, PH, PW>> : std::integral_constant<int, 3> {};
template <class X, std::size_t PH, std::size_t PW>
struct kind_s<tnodes::crop<X, PH, PW>> : std::integral_constant<int, 3> {};
template <class X, class W, class G>
struct kind_s<tnodes::conv<X, W, G>> : std::integral_constant<int, 6> {};
template <class X, class Y, class S, class G>
struct kind_s<tnodes::conv_kernel_grad<X, Y, S, G>> : std::integral_constant<int, 6> {};
template <class Y, class W, class S, class G>
struct kind_s<tnodes::conv_input_grad<Y, W, S, G>> : std::integral_constant<int, 6> {};
template <class X, class V, class P>
struct kind_s<tnodes::max_select<X, V, P>> : std::integral_constant<int, 6> {};
template <class X, class G, class P>
struct kind_s<tnodes::max_route<X, G, P>> : std::integral_constant<int, 6> {};
template <class X, class P>
struct kind_s<tnodes::avg_pool<X, P>> : std::integral_constant<int, 6> {};
template <class G, class S, class P>
struct kind_s<tnodes::avg_unpool<G, S, P>> : std::integral_constant<int, 6> {};
enum kind : int { k_leaf = 0, k_fill = 1, k_ew = 2, k_view = 3, k_reduce = 4, k_matmul = 5, k_window = 6 };

/// Workspace a convolution needs after its output (a plane of scratch).
template <class T>
struct scratch_s : std::integral_constant<std::size_t, 0> {};
template <class X, class W, class G>
struct scratch_s<tnodes::conv<X, W, G>>
    : std::integral_constant<std::size_t, conv_extents<shape_of<X>, shape_of<W>, G>::scratch> {};
template <class X, class Y, class S, class G>
struct scratch_s<tnodes::conv_kernel_grad<X, Y, S, G>>
    : std::integral_constant<std::size_t, conv_extents<shape_of<X>, S, G>::scratch> {};
template <class Y, class W, class S, class G>
struct scratch_s<tnodes::conv_input_grad<Y, W, S, G>>
    : std::integral_constant<std::size_t, conv_extents<S, shape_of<W>, G>::scratch> {};

/// Whether node U routes a gradient through the windows of max-pooling X by P.
template <class X, class P, class U>
struct routes_through : std::false_type {};
template <class X, class P, class G>
struct routes_through<X, P, tnodes::max_route<X, G, P>> : std::true_type {};

/// Whether U is a max-pooling whose arg-maxes a later node of Nodes routes
/// through (then it keeps them, after its value).
template <class Nodes, class U>
struct keeps_taps_s : std::false_type {};
template <class Nodes, class X, class P>
struct keeps_taps_s<Nodes, tnodes::max_select<X, X, P>>
    : mp::mp_any_of_q<Nodes, mp::mp_bind_front<routes_through, X, P>> {};

template <class T>
struct is_pad_s : std::false_type {};
template <class X, std::size_t PH, std::size_t PW>
struct is_pad_s<tnodes::pad<X, PH, PW>> : std::true_type {};

template <class T>
struct is_transpose_s : std::false_type {};
template <class A>
struct is_transpose_s<tnodes::transpose<A>> : std::true_type {};

/// A product A * Y^T with at least this many rows in A packs Y^T first;
/// below, it takes dot products of rows of A and Y (no copy).
inline constexpr std::size_t pack_rows = 8;

template <class Nodes, class Outputs>
struct plan {
  static constexpr std::size_t n = mp::mp_size<Nodes>::value;

  using tables = tensor_tables<Nodes>;
  static constexpr std::array<int, n> kinds = []<class... U>(mp::mp_list<U...>) {
    return std::array<int, n>{kind_s<U>::value...};
  }(Nodes{});
  /// For a matrix product, the rows of its left operand (else 0).
  template <class U>
  struct product_rows : std::integral_constant<std::size_t, 0> {};
  template <class A, class B>
  struct product_rows<tnodes::matmul<A, B>> : std::integral_constant<std::size_t, shape_of<A>::dims[0]> {};
  static constexpr std::array<std::size_t, n> rows = []<class... U>(mp::mp_list<U...>) {
    return std::array<std::size_t, n>{product_rows<U>::value...};
  }(Nodes{});

  /// Whether node j is read element by element by its only user (so an
  /// elementwise j can be computed inside that user's loop).
  static constexpr bool fused_into_user(std::size_t j) {
    if (tables::user_count(j) != 1) return false;
    const int user_kind = kinds[tables::users.edges[tables::users.offsets[j]] / 4];
    return user_kind == k_ew || user_kind == k_reduce;
  }
  /// Whether node j is the right operand of a product with at least
  /// pack_rows rows: then it is packed (copied transposed) once, so that
  /// the product streams contiguous rows.
  static constexpr bool packed_right_operand(std::size_t j) {
    for (std::size_t e = tables::users.offsets[j]; e != tables::users.offsets[j + 1]; ++e) {
      const std::size_t user = tables::users.edges[e] / 4, position = tables::users.edges[e] % 4;
      if (kinds[user] == k_matmul && position == 1 && rows[user] >= pack_rows) return true;
    }
    return false;
  }

  /// Whether a convolution or pooling reads node j (a padded input is then
  /// materialised once, so that the loops read rows without bounds checks).
  static constexpr bool read_by_window(std::size_t j) {
    for (std::size_t e = tables::users.offsets[j]; e != tables::users.offsets[j + 1]; ++e)
      if (kinds[tables::users.edges[e] / 4] == k_window) return true;
    return false;
  }

  template <class X>
  static constexpr bool has_slot() {
    constexpr int k = kind_s<X>::value;
    constexpr std::size_t j = mp::mp_find<Nodes, X>::value;
    if (mp::mp_contains<Outputs, X>::value) return true;
    if (is_transpose_s<X>::value && packed_right_operand(j)) return true;
    if (is_pad_s<X>::value && read_by_window(j)) return true;
    if (k == k_reduce || k == k_matmul || k == k_window) return true;
    if (k != k_ew) return false;
    return !fused_into_user(j);
  }

  static constexpr std::size_t aligned(std::size_t size) {
    return (size + slot_alignment - 1) / slot_alignment * slot_alignment;
  }
  /// A max-pooling that the backward pass routes through keeps the arg-max
  /// of each window after its value (the tap, as bits), so that routing
  /// does not compare again; a forward-only pass does not store them.
  template <class X>
  static constexpr bool keeps_taps = keeps_taps_s<Nodes, X>::value;
  template <class X>
  static constexpr std::size_t slot_elements() {
    return aligned(shape_of<X>::size) * (keeps_taps<X> ? 2 : 1) + aligned(scratch_s<X>::value);
  }

  template <std::size_t... I>
  static constexpr std::array<std::size_t, n + 1> make_offsets(std::index_sequence<I...>) {
    constexpr std::array<std::size_t, n> sizes{
        (has_slot<mp::mp_at_c<Nodes, I>>() ? slot_elements<mp::mp_at_c<Nodes, I>>() : 0)...};
    std::array<std::size_t, n + 1> offsets{};
    for (std::size_t i = 0; i != n; ++i) offsets[i + 1] = offsets[i] + sizes[i];
    return offsets;
  }
  static constexpr auto offsets = make_offsets(std::make_index_sequence<n>{});
  static constexpr std::size_t workspace_size = offsets[n];

  using leaves = mp::mp_copy_if<Nodes, is_leaf_s>;

  template <class X>
  static constexpr std::size_t offset_of = offsets[mp::mp_find<Nodes, X>::value];

  // How to read a node.
  template <class X, bool Slotted = has_slot<X>()>
  struct ref;
  template <class X>
  using ref_t = typename ref<X>::type;

  template <class X>
  struct ref<X, true> : std::type_identity<r_slot<offset_of<X>>> {};
  template <class X>
  requires(kind_s<X>::value == k_leaf) struct ref<X, false>
      : std::type_identity<r_leaf<mp::mp_find<leaves, X>::value>> {
  };
  template <class C, class S>
  struct ref<tnodes::fill<C, S>, false> : std::type_identity<r_const<C>> {};
  template <class F, class S, class... A>
  struct ref<tnodes::ew<F, S, A...>, false> : std::type_identity<r_ew<F, ref_t<A>...>> {};
  template <class A, class S>
  struct ref<tnodes::broadcast<A, S>, false> : std::type_identity<r_bcast<ref_t<A>, shape_of<A>, S>> {};
  template <class A>
  struct ref<tnodes::transpose<A>, false>
      : std::type_identity<r_transpose<ref_t<A>, shape_of<A>::dims[0], shape_of<A>::dims[1]>> {};
  template <class A, class S>
  struct ref<tnodes::reshape<A, S>, false> : ref<A> {};
  template <class X, std::size_t PH, std::size_t PW>
  struct ref<tnodes::pad<X, PH, PW>, false>
      : std::type_identity<r_pad<ref_t<X>, shape_of<X>::dims[2], shape_of<X>::dims[3], PH, PW>> {};
  template <class X, std::size_t PH, std::size_t PW>
  struct ref<tnodes::crop<X, PH, PW>, false>
      : std::type_identity<r_crop<ref_t<X>, shape_of<X>::dims[2], shape_of<X>::dims[3], PH, PW>> {};

  // What computes a slotted node.  Outputs that are leaves, literals or
  // views are copied through their (unslotted) reference.
  template <class X>
  struct instruction : std::type_identity<i_map<offset_of<X>, shape_of<X>::size, typename ref<X, false>::type>> {};
  template <class F, class S, class... A>
  struct instruction<tnodes::ew<F, S, A...>>
      : std::type_identity<i_map<offset_of<tnodes::ew<F, S, A...>>, S::size, r_ew<F, ref_t<A>...>>> {};
  template <class A, class S>
  struct instruction<tnodes::reduce_sum<A, S>>
      : std::type_identity<i_reduce<offset_of<tnodes::reduce_sum<A, S>>, S, shape_of<A>, ref_t<A>>> {};
  template <class A>
  struct instruction<tnodes::logsumexp<A>>
      : std::type_identity<i_logsumexp<offset_of<tnodes::logsumexp<A>>, shape_of<A>::size / shape_of<A>::dims.back(),
                                       shape_of<A>::dims.back(), ref_t<A>>> {};
  template <class A>
  struct instruction<tnodes::transpose<A>>
      : std::type_identity<
            i_transpose<offset_of<tnodes::transpose<A>>, shape_of<A>::dims[0], shape_of<A>::dims[1], ref_t<A>>> {};
  template <class A, class B>
  struct instruction<tnodes::matmul<A, B>>
      : std::type_identity<i_matmul<offset_of<tnodes::matmul<A, B>>, shape_of<A>::dims[0], shape_of<A>::dims[1],
                                    shape_of<B>::dims[1], ref_t<A>, ref_t<B>>> {};

  template <class X, std::size_t PH, std::size_t PW>
  struct instruction<tnodes::pad<X, PH, PW>>
      : std::type_identity<i_pad<offset_of<tnodes::pad<X, PH, PW>>, shape_of<X>::dims[0] * shape_of<X>::dims[1],
                                 shape_of<X>::dims[2], shape_of<X>::dims[3], PH, PW, ref_t<X>>> {};
  template <class X, class W, class G>
  struct instruction<tnodes::conv<X, W, G>>
      : std::type_identity<i_conv<offset_of<tnodes::conv<X, W, G>>, shape_of<X>, shape_of<W>, G, ref_t<X>, ref_t<W>>> {
  };
  template <class X, class Y, class S, class G>
  struct instruction<tnodes::conv_kernel_grad<X, Y, S, G>>
      : std::type_identity<i_conv_kernel_grad<offset_of<tnodes::conv_kernel_grad<X, Y, S, G>>, shape_of<X>, S, G,
                                              ref_t<X>, ref_t<Y>>> {};
  template <class Y, class W, class S, class G>
  struct instruction<tnodes::conv_input_grad<Y, W, S, G>>
      : std::type_identity<
            i_conv_input_grad<offset_of<tnodes::conv_input_grad<Y, W, S, G>>, S, shape_of<W>, G, ref_t<Y>, ref_t<W>>> {
  };
  template <class X, class V, class P>
  struct instruction<tnodes::max_select<X, V, P>>
      : std::type_identity<i_max_select<offset_of<tnodes::max_select<X, V, P>>, shape_of<X>, P, ref_t<X>, ref_t<V>,
                                        keeps_taps<tnodes::max_select<X, V, P>>
                                            ? offset_of<tnodes::max_select<X, V, P>> +
                                                  aligned(shape_of<tnodes::max_select<X, V, P>>::size)
                                            : no_taps>> {};
  /// Where the arg-maxes of X's windows are kept, if the max-pooling of X
  /// runs before node `At` (it does when it is part of the loss).
  template <class X, class P, class At, class Pool = tnodes::max_select<X, X, P>>
  static constexpr std::size_t taps_before() {
    if constexpr (mp::mp_find<Nodes, Pool>::value < mp::mp_find<Nodes, At>::value)
      return offset_of<Pool> + aligned(shape_of<Pool>::size);
    else
      return no_taps;
  }
  template <class X, class G, class P>
  struct instruction<tnodes::max_route<X, G, P>>
      : std::type_identity<i_max_route<offset_of<tnodes::max_route<X, G, P>>, shape_of<X>, P, ref_t<X>, ref_t<G>,
                                       taps_before<X, P, tnodes::max_route<X, G, P>>()>> {};
  template <class X, class P>
  struct instruction<tnodes::avg_pool<X, P>>
      : std::type_identity<i_avg_pool<offset_of<tnodes::avg_pool<X, P>>, shape_of<X>, P, ref_t<X>>> {};
  template <class G, class S, class P>
  struct instruction<tnodes::avg_unpool<G, S, P>>
      : std::type_identity<i_avg_unpool<offset_of<tnodes::avg_unpool<G, S, P>>, S, P, ref_t<G>>> {};

  template <class X>
  using slotted = std::bool_constant<has_slot<X>()>;
  template <class X>
  using instruction_t = typename instruction<X>::type;
  using slotted_nodes = mp::mp_copy_if<Nodes, slotted>;
  using program = mp::mp_transform<instruction_t, slotted_nodes>;

  /// Whether the gradient G of parameter P (update target k) can be folded
  /// into P by the instruction producing it: that instruction kind allows
  /// it, nothing reads G, and neither it nor any later instruction reads P.
  template <class G, class P, std::size_t Target>
  static constexpr bool fusable() {
    constexpr std::size_t at = mp::mp_find<slotted_nodes, G>::value;
    constexpr std::size_t leaf = mp::mp_find<leaves, P>::value;
    if constexpr (at == mp::mp_size<slotted_nodes>::value || leaf == mp::mp_size<leaves>::value) {
      return false;
    } else {
      using I = mp::mp_at_c<program, at>;
      if (!can_update<I, Target> || tables::user_count(mp::mp_find<Nodes, G>::value) != 0) return false;
      if (mp::mp_count<Outputs, G>::value != 1) return false;  // another output is the same node
      return ![]<class... Later>(mp::mp_list<Later...>) {
        return (instruction_reads<Later, leaf>::value || ...);
      }(mp::mp_drop_c<program, at>{});
    }
  }

  /// The program of a training step with SGD fused: Gradients[k] of
  /// Params[k] folded into parameter k where fusable.
  template <class Gradients, class Params>
  struct fused {
    static constexpr std::size_t n = mp::mp_size<Params>::value;
    static constexpr auto flags = []<std::size_t... K>(std::index_sequence<K...>) {
      return std::array<bool, n>{fusable<mp::mp_at_c<Gradients, K>, mp::mp_at_c<Params, K>, K>()...};
    }
    (std::make_index_sequence<n>{});
    template <class X, std::size_t K = mp::mp_find<Gradients, X>::value, bool Fuse = (K < n && flags[K])>
    struct pick : std::type_identity<instruction_t<X>> {};
    template <class X, std::size_t K>
    struct pick<X, K, true> : std::type_identity<i_update<instruction_t<X>, K>> {};
    template <class X>
    using pick_t = typename pick<X>::type;
    using program = mp::mp_transform<pick_t, slotted_nodes>;
  };
};

/// Between two instructions: each loop reads its operands from memory.
/// Without it clang 14 forwards values across loops and then declines to
/// vectorise them ("value ... used outside the loop"); the workspace lives
/// in memory anyway.
CTGRAD_DETAIL_TK_INLINE void boundary() noexcept {
#if defined(__GNUC__)
  asm volatile("" ::: "memory");
#endif
}

template <class... Instructions>
struct program_runner {
  /// The program with matrix products in vectors of Bytes.
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run_with(context<T> c) noexcept {
    // Braced-list expansion: no fold-expression nesting limit.
    [[maybe_unused]] const int sequence[] = {0, (Instructions::template run<Bytes>(c), boundary(), 0)...};
  }
#if CTGRAD_DETAIL_DISPATCH_AVX2
  /// The same program compiled for AVX2 (without FMA, so every result is
  /// bit-identical to the SSE2 path: same operations, same order, wider).
  template <class T>
  [[gnu::target("avx2")]] static void run_avx2(context<T> c) noexcept {
    run_with<32>(c);
  }
#endif
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
#if CTGRAD_DETAIL_DISPATCH_AVX2
    if (cpu_has_avx2) return run_avx2(c);
#endif
    run_with<default_vector_bytes>(c);
  }
};

/// Position of the binding named Name among Bindings (their count if none).
template <fixed_string Name, class... Bindings>
consteval std::size_t index_of_name() {
  const std::string_view names[] = {std::string_view(Bindings::name)..., std::string_view{}};
  for (std::size_t i = 0; i != sizeof...(Bindings); ++i)
    if (names[i] == Name.view()) return i;
  return sizeof...(Bindings);
}
template <fixed_string Name>
struct index_of_leaf {
  template <class... Leaves>
  using in = std::integral_constant<std::size_t, index_of_name<Name, Leaves...>()>;
};

}  // namespace detail::tk

template <Tensor... Ps>
struct wrt_t {};
/// The tensors to differentiate by: `compile(loss, wrt(W1, b1))`.
template <Tensor... Ps>
constexpr wrt_t<Ps...> wrt(Ps...) noexcept {
  return {};
}

template <class Kernel, class T>
class basic_workspace;
/// The workspace of kernel type K for element type T (`decltype(k)` may be const).
template <class K, class T>
using workspace = basic_workspace<std::remove_cvref_t<K>, T>;

/// A compiled forward + backward pass: see `compile`.
template <class Loss, class... Params>
class tensor_kernel {
 public:
  using loss_type = Loss;
  using parameters = detail::mp::mp_list<Params...>;
  using gradient_types =
      detail::mp::mp_list<typename detail::tensor_adjoint<detail::tensor_topo_t<Loss>, Params>::type...>;
  using outputs = detail::mp::mp_push_front<gradient_types, Loss>;
  using nodes = detail::mp::mp_apply<detail::tensor_topo_t, outputs>;
  using plan = detail::tk::plan<nodes, outputs>;
  using program = detail::mp::mp_apply<detail::tk::program_runner, typename plan::program>;

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
  auto operator()(basic_workspace<tensor_kernel, T>& ws, const Bindings&... bindings) const noexcept {
    return run_program<program>(ws, detail::tk::context<T>{}, bindings...);
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
  T train_sgd(basic_workspace<tensor_kernel, T>& ws, T alpha, T beta, const std::array<T*, sizeof...(Params)>& targets,
              const Bindings&... bindings) const noexcept {
    detail::tk::context<T> c{};
    c.updates = targets.data();
    c.alpha = alpha;
    c.beta = beta;
    return run_program<detail::mp::mp_apply<detail::tk::program_runner, typename fused_sgd::program>>(ws, c,
                                                                                                      bindings...);
  }

 private:
  template <class Program, class T, class... Bindings>
  auto run_program(basic_workspace<tensor_kernel, T>& ws, detail::tk::context<T> c,
                   const Bindings&... bindings) const noexcept {
    using leaves = typename plan::leaves;
    constexpr std::size_t n_leaves = detail::mp::mp_size<leaves>::value;
    static_assert(detail::all_of<std::is_same<Bindings, tensor_binding<Bindings::name, T>>::value...>,
                  "ctgrad kernel call: pass tensors as name = values, in the workspace's element type");
    const std::array<const T*, sizeof...(Bindings) + 1> pointers{bindings.data..., nullptr};
    const T* leaf_pointers[n_leaves + 1]{};
    detail::mp::mp_for_each<detail::mp::mp_iota_c<n_leaves>>([&](auto j) {
      using leaf = detail::mp::mp_at_c<leaves, j>;
      constexpr std::size_t k = detail::tk::index_of_name<leaf::name, Bindings...>();
      if constexpr (k == sizeof...(Bindings))
        (void)error::no_values_bound_for<decltype(detail::spelled_tensor<leaf::name>())>{};
      else
        leaf_pointers[j] = pointers[k];
    });
    detail::mp::mp_for_each<detail::mp::mp_iota_c<sizeof...(Bindings)>>([&](auto j) {
      using binding = detail::mp::mp_at_c<detail::mp::mp_list<Bindings...>, j>;
      if constexpr (detail::mp::mp_apply<detail::tk::index_of_leaf<binding::name>::template in, leaves>::value ==
                    n_leaves)
        (void)error::bound_tensor_does_not_occur<decltype(detail::spelled_tensor<binding::name>())>{};
    });
    c.ws = ws.data();
    c.leaves = leaf_pointers;
    Program::run(c);
    if constexpr (shape_of<Loss>::rank == 0)
      return ws.data()[plan::template offset_of<Loss>];
    else
      return std::as_const(ws).value();
  }
};

/// The workspace of a kernel for element type T: every intermediate value
/// and every gradient; `sizeof` is a compile-time constant.  Own it where
/// the kernel runs (it can be large: it holds a copy of every gradient).
template <class Kernel, class T>
class basic_workspace {
 public:
  T* data() noexcept { return storage_.data(); }
  const T* data() const noexcept { return storage_.data(); }

  /// The loss computed by the last call.
  T loss() const noexcept { return storage_[Kernel::plan::template offset_of<typename Kernel::loss_type>]; }

  /// The value of the kernel's expression computed by the last call.
  auto value() const noexcept {
    using E = typename Kernel::loss_type;
    return std::span<const T, shape_of<E>::size>(storage_.data() + Kernel::plan::template offset_of<E>,
                                                 shape_of<E>::size);
  }

  /// The gradient with respect to P computed by the last call.
  template <Tensor P>
  auto gradient(P) const noexcept {
    if constexpr (!detail::mp::mp_contains<typename Kernel::parameters, P>::value) {
      (void)error::gradient_not_requested<decltype(detail::spelled_tensor<P::name>())>{};
      return std::span<const T, shape_of<P>::size>(storage_.data(), shape_of<P>::size);
    } else {
      using G = typename detail::tensor_adjoint<detail::tensor_topo_t<typename Kernel::loss_type>, P>::type;
      return std::span<const T, shape_of<P>::size>(storage_.data() + Kernel::plan::template offset_of<G>,
                                                   shape_of<P>::size);
    }
  }

 private:
  alignas(64) std::array<T, Kernel::workspace_elements> storage_{};
};

namespace detail::tk {
template <class Loss, class P>
inline constexpr bool differentiable_by = is_tensor_leaf<P>&& mp::mp_contains<tensor_topo_t<Loss>, P>::value;

/// One error per tensor of wrt(...) the loss cannot be differentiated by.
template <class Loss, class P>
constexpr int report_wrt() noexcept {
  if constexpr (!is_tensor_leaf<P>)
    (void)error::differentiate_by_leaf<P>{};
  else if constexpr (!mp::mp_contains<tensor_topo_t<Loss>, P>::value)
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
