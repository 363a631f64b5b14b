// ctgrad/nn/model.hpp — a model: a network, its loss, its parameters.
//
//   using net = nn::sequential<2, nn::dense<4, nn::tanh>, nn::dense<1, nn::sigmoid>>;
//   nn::model<net, nn::mse, float, 4> m;         // batch of 4
//   m.initialize(42);
//   auto opt = m.make_optimizer(nn::adam{.learning_rate = 0.05});
//   float loss = m.train_step(opt, x, t);
//
// The layer types only *build* a tensor expression (dense layer k is
// `act(matmul(h, Wk) + bk)`); the model compiles one kernel for the loss and
// its gradients, one for prediction, and owns the parameters (aligned, one
// contiguous block) and the workspaces.  Nothing is virtual, nothing is
// allocated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../tensor.hpp"
#include "activations.hpp"
#include "init.hpp"
#include "layers.hpp"
#include "losses.hpp"
#include "optim.hpp"

namespace ctgrad::nn {

namespace detail {

template <class Loss, class Parameters>
struct training_kernel_of;
template <class Loss, class... P>
struct training_kernel_of<Loss, ctgrad::detail::mp::mp_list<P...>> {
  using type = decltype(compile(Loss{}, wrt(P{}...)));
};

/// The loss expression (after a shape error in the network: nothing, so that it stays one error).
template <bool WellFormed, class Loss, class Output, class Target>
struct loss_of : std::type_identity<decltype(Loss::apply(Output{}, Target{}))> {};
template <class Loss, class Output, class Target>
struct loss_of<false, Loss, Output, Target> : std::type_identity<ctgrad::detail::shape_error_result> {};

inline constexpr std::size_t parameter_alignment = 16;  // elements

}  // namespace detail

/// A network Net trained with Loss, in element type T, on batches of Batch
/// rows.  Owns its parameters and workspaces (it can be large: allocate it
/// where you like, e.g. static or std::make_unique).
template <class Net, class Loss, std::floating_point T = float, std::size_t Batch = 1>
class model {
  template <std::size_t B>
  using x_of = input<"x", typename detail::batch_of<B, typename detail::input_shape_of<Net>::type>::type>;
  using net = detail::build<Net, x_of<Batch>>;

 public:
  using scalar_type = T;
  static constexpr std::size_t batch = Batch;
  /// Numbers per example in and out.
  static constexpr std::size_t inputs = detail::input_shape_of<Net>::type::size;
  static constexpr bool well_formed = !std::is_same_v<typename net::output, ctgrad::detail::shape_error_result>;
  static constexpr std::size_t outputs = well_formed ? shape_of<typename net::output>::size / Batch : 1;

  using x_type = x_of<Batch>;
  using target_type = input<"t", shape<Batch, outputs>>;
  /// The network's output and the loss, as expressions.
  using output_expression = typename net::output;
  using loss_expression = typename detail::loss_of<well_formed, Loss, output_expression, target_type>::type;

  using parameter_list = typename detail::parameters_of<typename net::parameters>::type;
  static constexpr std::size_t parameter_tensors = ctgrad::detail::mp::mp_size<parameter_list>::value;
  /// Parameter tensor I (W1, b1, W2, ... in layer order), as an expression.
  template <std::size_t I>
  using parameter_type = ctgrad::detail::mp::mp_at_c<parameter_list, I>;

  using training_kernel = typename detail::training_kernel_of<loss_expression, parameter_list>::type;
  using prediction_kernel = decltype(compile_forward(output_expression{}));

 private:
  static constexpr auto make_offsets() {
    std::array<std::size_t, parameter_tensors + 1> offsets{};
    std::size_t i = 0;
    ctgrad::detail::mp::mp_for_each<parameter_list>([&](auto p) {
      constexpr std::size_t size = shape_of<decltype(p)>::size;
      offsets[i + 1] = offsets[i] + (size + detail::parameter_alignment - 1) / detail::parameter_alignment *
                                        detail::parameter_alignment;
      ++i;
    });
    return offsets;
  }
  static constexpr auto offsets_ = make_offsets();

  /// The position of the parameter with this key (parameter_tensors if none): a loop, not a list search (a
  /// fold over the parameters stops at 256 in clang 14).
  static constexpr std::size_t find_parameter(std::uint64_t key) noexcept {
    constexpr auto keys = []<class... P>(ctgrad::detail::mp::mp_list<P...>) {
      return std::array<std::uint64_t, parameter_tensors>{ctgrad::detail::tk::leaf_key<P>::value...};
    }(parameter_list{});
    for (std::size_t i = 0; i != parameter_tensors; ++i)
      if (keys[i] == key) return i;
    return parameter_tensors;
  }
  template <Tensor P>
  static constexpr std::size_t index_of = find_parameter(ctgrad::detail::tk::leaf_key<P>::value);

 public:
  /// Elements of the parameter block (each tensor starts 64-byte aligned).
  static constexpr std::size_t storage_size = offsets_[parameter_tensors];
  /// Trainable numbers.
  static constexpr std::size_t parameter_count = [] {
    std::size_t n = 0;
    ctgrad::detail::mp::mp_for_each<parameter_list>([&](auto p) { n += shape_of<decltype(p)>::size; });
    return n;
  }();

  /// Fill every parameter from its layer's initialiser (biases zero), seeded:
  /// the same seed gives the same weights everywhere.
  void initialize(std::uint64_t seed) noexcept {
    random_bits bits(seed);
    ctgrad::detail::mp::mp_for_each<typename net::parameters>([&](auto item) {
      using I = decltype(item);
      typename I::initialiser{}.fill(std::span<T>(parameter(typename I::parameter{})), I::fan_in, I::fan_out, bits);
    });
  }

  /// All parameters, one contiguous aligned block (with padding between tensors).
  std::span<T, storage_size> storage() noexcept { return storage_; }
  std::span<const T, storage_size> storage() const noexcept { return storage_; }

  /// One parameter tensor, by its expression (`model_t::parameter_list`) or index.
  template <Tensor P>
  std::span<T, shape_of<P>::size> parameter(P) noexcept {
    static_assert(index_of<P> != parameter_tensors,
                  "ctgrad::nn::model::parameter(p): p is not a parameter of this model");
    return std::span<T, shape_of<P>::size>(storage_.data() + offsets_[index_of<P>], shape_of<P>::size);
  }
  template <Tensor P>
  std::span<const T, shape_of<P>::size> parameter(P) const noexcept {
    static_assert(index_of<P> != parameter_tensors,
                  "ctgrad::nn::model::parameter(p): p is not a parameter of this model");
    return std::span<const T, shape_of<P>::size>(storage_.data() + offsets_[index_of<P>], shape_of<P>::size);
  }
  template <std::size_t I>
  auto parameter() noexcept {
    return parameter(ctgrad::detail::mp::mp_at_c<parameter_list, I>{});
  }
  /// Call f(p, values) for every parameter p (an expression with ::name and a shape) in order.
  template <class F>
  void for_each_parameter(F f) {
    ctgrad::detail::mp::mp_for_each<parameter_list>([&](auto p) { f(p, parameter(p)); });
  }
  template <class F>
  void for_each_parameter(F f) const {
    ctgrad::detail::mp::mp_for_each<parameter_list>([&](auto p) { f(p, parameter(p)); });
  }

  /// The network's output for a batch (row-major [Batch, inputs] in,
  /// [Batch, outputs] out; the span points into the model).
  std::span<const T, Batch * outputs> predict(std::span<const T, Batch * inputs> x) noexcept {
    return run_with_parameters(prediction_kernel{}, predict_ws_, x_type{} = x);
  }

  /// The loss for a batch, and its gradient with respect to every
  /// parameter (read them with gradient(p)).
  T loss_and_gradient(std::span<const T, Batch * inputs> x, std::span<const T, Batch * outputs> t) noexcept {
    return run_with_parameters(training_kernel{}, train_ws_, x_type{} = x, target_type{} = t);
  }
  template <Tensor P>
  std::span<const T, shape_of<P>::size> gradient(P p) const noexcept {
    return train_ws_.gradient(p);
  }

  /// An optimizer with state for this model: `make_optimizer(nn::adam{})`.
  template <class Config>
  static optimizer<Config, T, storage_size> make_optimizer(Config config) noexcept {
    return optimizer<Config, T, storage_size>(config);
  }

  /// loss_and_gradient, then one optimizer update of every parameter.
  /// Returns the loss before the update.  With nn::sgd the update is fused
  /// into the kernel (no gradient is stored; call loss_and_gradient to
  /// inspect gradients).
  template <class Config>
  T train_step(optimizer<Config, T, storage_size>& opt, std::span<const T, Batch * inputs> x,
               std::span<const T, Batch * outputs> t) noexcept {
    if constexpr (std::is_same_v<Config, sgd>) {
      // SGD is fused into the kernel: each gradient is folded into its
      // parameter as it is produced (gradient(p) is not kept for those).
      const T loss = [&]<class... P>(ctgrad::detail::mp::mp_list<P...>) {
        const std::array<T*, parameter_tensors> targets{(storage_.data() + offsets_[index_of<P>])...};
        return training_kernel{}.train_sgd(train_ws_, opt.alpha(), opt.beta(), targets, x_type{} = x, target_type{} = t,
                                           (P{} = std::as_const(*this).parameter(P{}))...);
      }(parameter_list{});
      [&]<std::size_t... I>(std::index_sequence<I...>) {  // the rest, if any, as usual (a braced list: no fold limit)
        [[maybe_unused]] const int sequence[] = {
            0, (training_kernel::sgd_fused[I]
                    ? 0
                    : (opt.template update<shape_of<ctgrad::detail::mp::mp_at_c<parameter_list, I>>::size>(
                           storage_.data() + offsets_[I], train_ws_.data() + gradient_offsets[I], offsets_[I]),
                       0))...};
      }
      (std::make_index_sequence<parameter_tensors>{});
      return loss;
    }
    const T loss = loss_and_gradient(x, t);
    opt.begin_step();
#if CTGRAD_DETAIL_DISPATCH_AVX2
    if (ctgrad::detail::cpu_has_avx2) {
      update_avx2(opt);
      return loss;
    }
#endif
    update_all(opt);
    return loss;
  }

 private:
  /// Where each parameter's gradient is in the training workspace.
  static constexpr auto gradient_offsets = []<class... P>(ctgrad::detail::mp::mp_list<P...>) {
    using layout = typename training_kernel::layout;
    return std::array<std::size_t, parameter_tensors>{
        layout::gradient_offset(ctgrad::detail::tk::leaf_key<P>::value)...};
  }(parameter_list{});

  /// One optimizer update of every parameter, written out over the
  /// parameter indices (a braced list: no fold limit), so that each update
  /// inlines (and vectorises for AVX2 in the copy below).
  template <class Config, std::size_t... I>
  [[gnu::always_inline]] inline void update_each(optimizer<Config, T, storage_size>& opt,
                                                 std::index_sequence<I...>) noexcept {
    [[maybe_unused]] const int sequence[] = {
        0, (opt.template update<shape_of<ctgrad::detail::mp::mp_at_c<parameter_list, I>>::size>(
                storage_.data() + offsets_[I], train_ws_.data() + gradient_offsets[I], offsets_[I]),
            0)...};
  }
  template <class Config>
  [[gnu::always_inline]] inline void update_all(optimizer<Config, T, storage_size>& opt) noexcept {
    update_each(opt, std::make_index_sequence<parameter_tensors>{});
  }
#if CTGRAD_DETAIL_DISPATCH_AVX2
  template <class Config>
  [[gnu::target("avx2")]] void update_avx2(optimizer<Config, T, storage_size>& opt) noexcept {
    update_each(opt, std::make_index_sequence<parameter_tensors>{});
  }
#endif

  template <class K, class W, class... Bindings>
  auto run_with_parameters(K kernel, W& ws, const Bindings&... bindings) noexcept {
    return [&]<class... P>(ctgrad::detail::mp::mp_list<P...>) {
      return kernel(ws, bindings..., (P{} = std::as_const(*this).parameter(P{}))...);
    }(parameter_list{});
  }

  alignas(64) std::array<T, storage_size> storage_{};
  workspace<training_kernel, T> train_ws_;
  workspace<prediction_kernel, T> predict_ws_;
};

}  // namespace ctgrad::nn
