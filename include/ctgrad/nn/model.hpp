// ctgrad/nn/model.hpp — layers, sequential networks and models.
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
#include "init.hpp"
#include "optim.hpp"

namespace ctgrad::nn {

// ---------------------------------------------------------------------------
// Activations: how a layer applies them, and the initialiser that suits them.

struct identity {
  static constexpr std::string_view name = "identity";
  using default_init = init::xavier_uniform;
  template <Tensor A>
  static constexpr auto apply(A a) noexcept {
    return a;
  }
};
#define CTGRAD_DETAIL_ACTIVATION(NAME, INIT)        \
  struct NAME {                                     \
    static constexpr std::string_view name = #NAME; \
    using default_init = INIT;                      \
    template <Tensor A>                             \
    static constexpr auto apply(A a) noexcept {     \
      return ::ctgrad::NAME(a);                     \
    }                                               \
  };
CTGRAD_DETAIL_ACTIVATION(tanh, init::xavier_uniform)
CTGRAD_DETAIL_ACTIVATION(sigmoid, init::xavier_uniform)
CTGRAD_DETAIL_ACTIVATION(softplus, init::xavier_uniform)
CTGRAD_DETAIL_ACTIVATION(relu, init::he_uniform)
CTGRAD_DETAIL_ACTIVATION(gelu, init::he_uniform)
CTGRAD_DETAIL_ACTIVATION(elu, init::he_uniform)
CTGRAD_DETAIL_ACTIVATION(leaky_relu, init::he_uniform)
#undef CTGRAD_DETAIL_ACTIVATION

/// softmax over the last axis, as an output layer for prediction.  (Train
/// with the logits and nn::softmax_cross_entropy instead.)
struct softmax {
  static constexpr std::string_view name = "softmax";
  using default_init = init::xavier_uniform;
  template <Tensor A>
  static constexpr auto apply(A a) noexcept {
    return ::ctgrad::softmax(a);
  }
};

// ---------------------------------------------------------------------------
// Layers.

/// A fully connected layer: act(h * W + b), W of shape [in, Out] (so the
/// product vectorises along Out), b of shape [Out].  Parameters are named
/// W1, b1, W2, b2, ... in order.
template <std::size_t Out, class Activation = identity, class WeightInit = typename Activation::default_init>
struct dense {};

/// An activation on its own.
template <class Activation>
struct activation {};

// Convolution and pooling options (types): nn::padding<1>, nn::stride<2>,
// nn::dilation<2>; two numbers are (height, width).
template <std::size_t H, std::size_t W = H>
using stride = ctgrad::stride_t<H, W>;
template <std::size_t H, std::size_t W = H>
using padding = ctgrad::padding_t<H, W>;
template <std::size_t H, std::size_t W = H>
using dilation = ctgrad::dilation_t<H, W>;

/// A 2-D convolution layer: act(conv2d(h, W, b, options...)) with W of
/// shape [Out, in channels, Kernel, Kernel] and b of shape [Out], on
/// [batch, channels, height, width] input.  Options: nn::padding<n>,
/// nn::stride<n>, nn::dilation<n>, and an initialiser (default: the
/// activation's).
template <std::size_t Out, std::size_t Kernel, class Activation = identity, class... Options>
struct conv2d {};
/// A 1-D convolution layer on [batch, channels, length]: W [Out, in channels, Kernel].
template <std::size_t Out, std::size_t Kernel, class Activation = identity, class... Options>
struct conv1d {};
/// Pooling layers: windows of K (K x K in 2-D), stride K unless nn::stride<n> is given.
template <std::size_t K, class... Options>
struct max_pool2d {};
template <std::size_t K, class... Options>
struct avg_pool2d {};
template <std::size_t K, class... Options>
struct max_pool1d {};
template <std::size_t K, class... Options>
struct avg_pool1d {};
/// [batch, ...] to [batch, features], for a dense layer after convolutions.
struct flatten {};

/// The shape of one example, for a network whose input is not a vector:
/// `nn::sequential<nn::input_shape<1, 28, 28>, nn::conv2d<8, 3>, ...>`.
template <std::size_t... Dims>
inline constexpr shape<Dims...> input_shape{};

/// A network: its input width (or nn::input_shape<...>), then its layers.
template <auto In, class... Layers>
struct sequential {};

/// Layers repeated N times inside nn::sequential, a deep net in one line:
/// `nn::sequential<64, nn::repeat<40, nn::dense<64, nn::tanh>>, nn::dense<10>>`.
/// Each copy has parameters of its own (numbered on as if written out).
template <std::size_t N, class... Layers>
struct repeat {
  static_assert(sizeof...(Layers) > 0, "nn::repeat<N, Layers...>: give at least one layer to repeat");
};

namespace error {
template <class InputShape>
struct dense_needs_flat_input {
  static_assert(ctgrad::detail::always_false<InputShape>,
                "nn::dense: its input must be [batch, features]; put nn::flatten before it. The input's shape is in "
                "error::dense_needs_flat_input<...>");
};
}  // namespace error

// Losses for a model: (network output, target) -> scalar.
struct mse {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::mse(p, t);
  }
};
struct half_sse {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::half_sse(p, t);
  }
};
struct binary_cross_entropy_with_logits {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::binary_cross_entropy_with_logits(p, t);
  }
};
struct softmax_cross_entropy {
  template <Tensor P, Tensor T>
  static constexpr auto apply(P p, T t) noexcept {
    return loss::softmax_cross_entropy(p, t);
  }
};

namespace detail {

consteval std::size_t decimal_digits(std::size_t k) {
  std::size_t n = 1;
  while (k >= 10) k /= 10, ++n;
  return n;
}
/// "W3", "b12", ...
template <char Letter, std::size_t K>
consteval auto indexed_name() {
  constexpr std::size_t n = decimal_digits(K);
  char text[n + 2]{};
  text[0] = Letter;
  std::size_t k = K;
  for (std::size_t i = n; i != 0; --i, k /= 10) text[i] = static_cast<char>('0' + k % 10);
  return fixed_string<n + 1>(text);
}

/// How a parameter is initialised: initialiser and fans.
template <class P, class Init, std::size_t FanIn, std::size_t FanOut>
struct initialised {
  using parameter = P;
  using initialiser = Init;
  static constexpr std::size_t fan_in = FanIn, fan_out = FanOut;
};

/// Layer K onwards applied to X: the output expression and the parameters.
template <std::size_t K, class X, class... Layers>
struct chain {
  using output = X;
  using parameters = ctgrad::detail::mp::mp_list<>;
};

/// After a layer reported a shape error: nothing more (one error).
struct failed_chain {
  using output = ctgrad::detail::shape_error_result;
  using parameters = ctgrad::detail::mp::mp_list<>;
};
template <std::size_t K, class X, class... Rest>
struct next_chain_s : std::type_identity<chain<K, X, Rest...>> {};
template <std::size_t K, class... Rest>
struct next_chain_s<K, ctgrad::detail::shape_error_result, Rest...> : std::type_identity<failed_chain> {};
/// The rest of the network after a layer's output X.
template <std::size_t K, class X, class... Rest>
using next_chain = typename next_chain_s<K, X, Rest...>::type;

template <std::size_t K, class X, std::size_t Out, class Act, class Init, class... Rest>
struct chain<K, X, dense<Out, Act, Init>, Rest...> {
  static constexpr std::size_t width = shape_of<X>::dims.back();
  using W = param<indexed_name<'W', K>(), shape<width, Out>>;
  using b = param<indexed_name<'b', K>(), shape<Out>>;
  using next = next_chain<K + 1, decltype(Act::apply(matmul(X{}, W{}) + b{})), Rest...>;
  using output = typename next::output;
  using parameters = ctgrad::detail::mp::mp_push_front<typename next::parameters, initialised<W, Init, width, Out>,
                                                       initialised<b, init::zeros, width, Out>>;
};

/// A dense layer on an unflattened input: one error, then the layer as if
/// nn::flatten came first (so that nothing downstream reports more).
template <std::size_t K, class X, std::size_t Out, class Act, class Init, class... Rest>
requires(shape_of<X>::rank > 2) struct chain<K, X, dense<Out, Act, Init>, Rest...>
    : next_chain<K, decltype(ctgrad::flatten(X{})), dense<Out, Act, Init>, Rest...> {
  static_assert(sizeof(error::dense_needs_flat_input<shape_of<X>>) > 0);
};

/// The initialiser among a layer's options, else the activation's.
template <class Act, class... Options>
struct initialiser_of {
  template <class O>
  using is_init = std::bool_constant<(ctgrad::detail::option_s<O>::kind < 0)>;
  using inits = ctgrad::detail::mp::mp_copy_if<ctgrad::detail::mp::mp_list<Options...>, is_init>;
  using type = ctgrad::detail::mp::mp_eval_if_c<ctgrad::detail::mp::mp_empty<inits>::value, typename Act::default_init,
                                                ctgrad::detail::mp::mp_front, inits>;
};
template <class O>
using window_options_only = std::bool_constant<(ctgrad::detail::option_s<O>::kind >= 0)>;

/// conv2d or conv1d layer K: W [Out, C, Kernel(, Kernel)], b [Out].
template <std::size_t K, class X, std::size_t Rank, std::size_t Out, std::size_t Kernel, class Act, class... Options>
struct convolution_layer {
  static constexpr std::size_t channels = shape_of<X>::rank >= 3 ? shape_of<X>::dims[1] : 1;
  using W = param<indexed_name<'W', K>(),
                  std::conditional_t<Rank == 2, shape<Out, channels, Kernel, Kernel>, shape<Out, channels, Kernel>>>;
  using b = param<indexed_name<'b', K>(), shape<Out>>;
  template <class... O>
  static auto apply(ctgrad::detail::mp::mp_list<O...>) {
    if constexpr (Rank == 2)
      return ctgrad::conv2d(X{}, W{}, b{}, O{}...);
    else
      return ctgrad::conv1d(X{}, W{}, b{}, O{}...);
  }
  using h = decltype(Act::apply(
      apply(ctgrad::detail::mp::mp_copy_if<ctgrad::detail::mp::mp_list<Options...>, window_options_only>{})));
  static constexpr std::size_t receptive = Rank == 2 ? Kernel * Kernel : Kernel;
  using initialiser = typename initialiser_of<Act, Options...>::type;
  using weights = initialised<W, initialiser, channels * receptive, Out * receptive>;
  using bias = initialised<b, init::zeros, channels * receptive, Out * receptive>;
};
template <std::size_t K, class X, std::size_t Out, std::size_t Kernel, class Act, class... Options, class... Rest>
struct chain<K, X, conv2d<Out, Kernel, Act, Options...>, Rest...> {
  using layer = convolution_layer<K, X, 2, Out, Kernel, Act, Options...>;
  using next = next_chain<K + 1, typename layer::h, Rest...>;
  using output = typename next::output;
  using parameters =
      ctgrad::detail::mp::mp_push_front<typename next::parameters, typename layer::weights, typename layer::bias>;
};
template <std::size_t K, class X, std::size_t Out, std::size_t Kernel, class Act, class... Options, class... Rest>
struct chain<K, X, conv1d<Out, Kernel, Act, Options...>, Rest...> {
  using layer = convolution_layer<K, X, 1, Out, Kernel, Act, Options...>;
  using next = next_chain<K + 1, typename layer::h, Rest...>;
  using output = typename next::output;
  using parameters =
      ctgrad::detail::mp::mp_push_front<typename next::parameters, typename layer::weights, typename layer::bias>;
};

template <std::size_t K, class X, std::size_t N, class... Layers, class... Rest>
struct chain<K, X, repeat<N, Layers...>, Rest...> : chain<K, X, Layers..., repeat<N - 1, Layers...>, Rest...> {};
template <std::size_t K, class X, class... Layers, class... Rest>
struct chain<K, X, repeat<0, Layers...>, Rest...> : chain<K, X, Rest...> {};

template <std::size_t K, class X, class Act, class... Rest>
struct chain<K, X, activation<Act>, Rest...> : next_chain<K, decltype(Act::apply(X{})), Rest...> {};
template <std::size_t K, class X, class... Rest>
struct chain<K, X, flatten, Rest...> : next_chain<K, decltype(ctgrad::flatten(X{})), Rest...> {};
template <std::size_t K, class X, std::size_t W, class... Options, class... Rest>
struct chain<K, X, max_pool2d<W, Options...>, Rest...>
    : next_chain<K, decltype(ctgrad::max_pool2d<W>(X{}, Options{}...)), Rest...> {};
template <std::size_t K, class X, std::size_t W, class... Options, class... Rest>
struct chain<K, X, avg_pool2d<W, Options...>, Rest...>
    : next_chain<K, decltype(ctgrad::avg_pool2d<W>(X{}, Options{}...)), Rest...> {};
template <std::size_t K, class X, std::size_t W, class... Options, class... Rest>
struct chain<K, X, max_pool1d<W, Options...>, Rest...>
    : next_chain<K, decltype(ctgrad::max_pool1d<W>(X{}, Options{}...)), Rest...> {};
template <std::size_t K, class X, std::size_t W, class... Options, class... Rest>
struct chain<K, X, avg_pool1d<W, Options...>, Rest...>
    : next_chain<K, decltype(ctgrad::avg_pool1d<W>(X{}, Options{}...)), Rest...> {};

/// The shape of one example: [In] for a width, else the given shape.
template <auto In>
struct example_shape : std::type_identity<shape<In>> {};
template <auto In>
requires is_shape_v<std::remove_cv_t<decltype(In)>>
struct example_shape<In> : std::type_identity<std::remove_cv_t<decltype(In)>> {
};
template <std::size_t B, class S>
struct batch_of;
template <std::size_t B, std::size_t... D>
struct batch_of<B, shape<D...>> : std::type_identity<shape<B, D...>> {};

template <class Net, class X>
struct build;
template <auto In, class... Layers, class X>
struct build<sequential<In, Layers...>, X> : chain<1, X, Layers...> {};

template <class Net>
struct input_shape_of;
template <auto In, class... Layers>
struct input_shape_of<sequential<In, Layers...>> : example_shape<In> {};

template <class L>
struct parameters_of;
template <class... I>
struct parameters_of<ctgrad::detail::mp::mp_list<I...>> {
  using type = ctgrad::detail::mp::mp_list<typename I::parameter...>;
};

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

  template <Tensor P>
  static constexpr std::size_t index_of = ctgrad::detail::mp::mp_find<parameter_list, P>::value;

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
    if (ctgrad::detail::tk::cpu_has_avx2) {
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
