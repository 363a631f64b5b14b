// ctgrad/nn/model.hpp — a model: a network, its loss, its parameters.
//
//   using net = nn::sequential<2, nn::dense<4, nn::tanh>, nn::dense<1, nn::sigmoid>>;
//   nn::model<net, nn::mse, float, 4> m;         // batch of 4
//   m.initialize(42);
//   auto opt = m.make_optimizer(nn::adam{.learning_rate = 0.05});
//   float loss = m.train_step(opt, x, t).loss;   // skipped if not finite
//
// The layer types only *build* a tensor expression (dense layer k is
// `act(matmul(h, Wk) + bk)`); the model compiles one kernel for the loss and
// its gradients, one for prediction, and owns the parameters (aligned, one
// contiguous block) and the workspaces.  Nothing is virtual, nothing is
// allocated.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "../compile/constant_eval.hpp"
#include "../tensor.hpp"
#include "activations.hpp"
#include "init.hpp"
#include "layers.hpp"
#include "losses.hpp"
#include "nonfinite.hpp"
#include "optim.hpp"
#include "parameter_block.hpp"

CTGRAD_DETAIL_NO_CONTRACTION_BEGIN

namespace ctgrad::nn {

/// What one train_step did.
template <std::floating_point T>
struct step_result {
  T loss;        ///< the loss before the update (computed either way)
  bool updated;  ///< false: skipped (the loss or a gradient was not finite); nothing changed
};

/// Targets outside the loss's contract (model::check_targets).
class target_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace error {
template <std::size_t N>
struct expected {};
template <std::size_t N>
struct given {};
struct not_a_fixed_size_array {};
/// A model's function called with inputs x or targets t of the wrong size
/// or element type.
template <class XExpected, class XGiven, class TExpected, class TGiven>
struct wrong_argument_sizes {
  static_assert(ctgrad::detail::always_false<XExpected>,
                "ctgrad::nn::model: x must hold Batch * inputs numbers and t Batch * outputs, each as "
                "std::span<const T, N> or std::array<T, N> of the model's element type T (or t as Batch integer "
                "class labels, for losses that take them). The numbers expected and given are in "
                "error::wrong_argument_sizes<expected<x>, given<x>, expected<t>, given<t>>");
};
}  // namespace error

namespace detail {

/// How many numbers an argument holds, for the error about a wrong size.
template <class A>
struct numbers_given {
  using type = error::not_a_fixed_size_array;
};
template <class U, std::size_t N>
struct numbers_given<std::span<U, N>> {
  using type = std::conditional_t<N == std::dynamic_extent, error::not_a_fixed_size_array, error::given<N>>;
};
template <class U, std::size_t N>
struct numbers_given<std::array<U, N>> {
  using type = error::given<N>;
};
template <class U, std::size_t N>
struct numbers_given<U[N]> {
  using type = error::given<N>;
};
/// Class labels as train_step takes them: Batch integers.
template <class A, std::size_t Batch>
inline constexpr bool class_labels = false;
template <std::integral L, std::size_t Batch>
inline constexpr bool class_labels<std::span<const L, Batch>, Batch> = true;
template <std::integral L, std::size_t Batch>
inline constexpr bool class_labels<std::array<L, Batch>, Batch> = true;

template <class Loss, class Parameters>
struct training_kernel_of;
template <class Loss, class... P>
struct training_kernel_of<Loss, ctgrad::detail::mp::mp_list<P...>> {
  using type = decltype(compile(Loss{}, wrt(P{}...)));
};
/// After an error reported in the loss: no parameters (so it stays one error).
template <class... P>
struct training_kernel_of<ctgrad::detail::shape_error_result, ctgrad::detail::mp::mp_list<P...>> {
  using type = decltype(compile(ctgrad::detail::shape_error_result{}, wrt()));
};

/// The loss expression (after a shape error in the network, or for a
/// struct that is no loss: nothing, so that it stays one error).
template <bool WellFormed, class L, class Output, class Target>
struct loss_of : std::type_identity<decltype(L::apply(Output{}, Target{}))> {};
template <class L, class Output, class Target>
struct loss_of<false, L, Output, Target> : std::type_identity<ctgrad::detail::shape_error_result> {};
template <class L, class Output, class Target>
requires(!Loss<L>) struct loss_of<true, L, Output, Target> : std::type_identity<ctgrad::detail::shape_error_result> {
  static_assert(sizeof(error::not_a_loss<L>) > 0);
};

}  // namespace detail

/// A network Net trained with Loss, in element type T, on batches of Batch
/// rows.  Owns its parameters and workspaces (it can be large: allocate it
/// where you like, e.g. static or std::make_unique).
template <class Model, std::size_t Shards>
class data_parallel;

template <class Net, class Loss, std::floating_point T = float, std::size_t Batch = 1>
class model {
  template <std::size_t B>
  using x_of = input<"x", typename detail::batch_of<B, typename detail::input_shape_of<Net>::type>::type>;
  using net = detail::build<Net, x_of<Batch>>;

 public:
  using scalar_type = T;
  using loss_type = Loss;
  using network = Net;
  static constexpr std::size_t batch = Batch;
  /// Numbers per example in and out.
  static constexpr std::size_t inputs = detail::input_shape_of<Net>::type::size;
  static constexpr bool well_formed = !std::is_same_v<typename net::output, ctgrad::detail::shape_error_result>;
  static constexpr std::size_t outputs = well_formed ? shape_of<typename net::output>::size / Batch : 1;

  /// Numbers in a batch of outputs and of targets (any number after a shape
  /// error in the network, so that a call adds no second error to the one
  /// reported).
  static constexpr std::size_t output_elements = well_formed ? Batch * outputs : std::dynamic_extent;

  using x_type = x_of<Batch>;
  /// Targets have the output's shape ([Batch, outputs]; a sequence's
  /// [Batch, T, features] for a network ending in a per-step layer).
  using target_type = input<"t", std::conditional_t<well_formed && shape_of<typename net::output>::rank == 3,
                                                    shape_of<typename net::output>, shape<Batch, outputs>>>;
  /// Whether train_step and loss_and_gradient take class labels.
  static constexpr bool takes_labels = requires { requires Loss::takes_class_labels; };
  /// Whether train_step and loss_and_gradient take x and t.
  template <class X, class Tt>
  static constexpr bool accepts = std::is_convertible_v<const X&, std::span<const T, Batch * inputs>> &&
                                  (std::is_convertible_v<const Tt&, std::span<const T, output_elements>> ||
                                   (takes_labels && detail::class_labels<Tt, Batch>));
  /// The network's output and the loss, as expressions.
  using output_expression = typename net::output;
  using loss_expression = typename detail::loss_of<well_formed, Loss, output_expression, target_type>::type;

  using parameter_list = typename detail::parameters_of<typename net::parameters>::type;
  static constexpr std::size_t parameter_tensors = ctgrad::detail::mp::mp_size<parameter_list>::value;
  /// Parameter tensor I (W1, b1, W2, ... in layer order), as an expression.
  template <std::size_t I>
  using parameter_type = typename ctgrad::graph::indexed<parameter_list>::template at<I>;

  using training_kernel = typename detail::training_kernel_of<loss_expression, parameter_list>::type;
  using prediction_kernel = decltype(compile_forward(output_expression{}));
  /// The prediction kernel at batch B: the same parameters serve any batch.
  template <std::size_t B>
  using prediction_kernel_at = decltype(compile_forward(typename detail::build<Net, x_of<B>>::output{}));

  /// Caller-owned memory for predict at batch B: `model_t::prediction_workspace<1> ws;`
  /// then `m.predict(ws, x)` (its size: sizeof, one array, no heap).
  template <std::size_t B = Batch>
  struct prediction_workspace {
    static_assert(B > 0, "ctgrad::nn::model::prediction_workspace<B>: B is a batch size, at least 1");
    workspace<prediction_kernel_at<B>, T> values;
  };
  /// Caller-owned memory for loss_and_gradient(ws, x, t): every value of
  /// the training kernel, the gradients first (ws.gradients(), laid out as
  /// parameters()).  Large: allocate it where you like.
  using training_workspace = workspace<training_kernel, T>;

 private:
  using table = detail::parameter_table<parameter_list>;
  static constexpr std::array<std::size_t, parameter_tensors + 1> offsets_ =
      detail::packed_offsets<parameter_tensors>(table::sizes);
  static constexpr detail::size_classes<parameter_tensors> classes_ = detail::classify_by_size(table::sizes);

  /// The position of parameter P (parameter_tensors if it is none).
  template <Tensor P>
  struct index_s : std::integral_constant<std::size_t, detail::position_of(table::keys, tensor_key<P>::value)> {};

 public:
  /// Trainable numbers: the size of parameters() and of gradients().
  static constexpr std::size_t parameter_count = offsets_[parameter_tensors];
  /// The same (the size of storage()).
  static constexpr std::size_t storage_size = parameter_count;

  /// Fill every parameter from its layer's initialiser (biases zero), seeded:
  /// the same seed gives the same weights everywhere.
  void initialize(std::uint64_t seed) noexcept {
    random_bits bits(seed);
    [&]<class... I>(ctgrad::detail::mp::mp_list<I...>) {  // a braced list: no fold limit
      [[maybe_unused]] const int sequence[] = {
          0, (typename I::initialiser{}.fill(
                  std::span<T>(storage_.data() + offsets_[index_s<typename I::parameter>::value],
                               shape_of<typename I::parameter>::size),
                  I::fan_in, I::fan_out, bits),
              0)...};
    }(typename net::parameters{});
  }

  /// Every parameter as one flat span: parameter<0>(), parameter<1>(), ...
  /// one after the other with no padding (the block starts 64-byte
  /// aligned).  gradients() has the same layout.
  std::span<T, parameter_count> parameters() noexcept { return storage_; }
  std::span<const T, parameter_count> parameters() const noexcept { return storage_; }
  /// The same as parameters().
  std::span<T, storage_size> storage() noexcept { return storage_; }
  std::span<const T, storage_size> storage() const noexcept { return storage_; }

  /// One parameter tensor, by its expression (`model_t::parameter_list`) or index.
  template <Tensor P>
  std::span<T, shape_of<P>::size> parameter(P) noexcept {
    static_assert(index_s<P>::value != parameter_tensors,
                  "ctgrad::nn::model::parameter(p): p is not a parameter of this model");
    return std::span<T, shape_of<P>::size>(storage_.data() + offsets_[index_s<P>::value], shape_of<P>::size);
  }
  template <Tensor P>
  std::span<const T, shape_of<P>::size> parameter(P) const noexcept {
    static_assert(index_s<P>::value != parameter_tensors,
                  "ctgrad::nn::model::parameter(p): p is not a parameter of this model");
    return std::span<const T, shape_of<P>::size>(storage_.data() + offsets_[index_s<P>::value], shape_of<P>::size);
  }
  template <std::size_t I>
  auto parameter() noexcept {
    return parameter(parameter_type<I>{});
  }
  template <std::size_t I>
  auto parameter() const noexcept {
    return parameter(parameter_type<I>{});
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
  std::span<const T, output_elements> predict(std::span<const T, Batch * inputs> x) noexcept {
    if constexpr (!well_formed)
      return {};  // (as loss_and_gradient)
    else
      return run_with_parameters(prediction_kernel{}, predict_ws_, x_type{} = x);
  }

  /// Any other x: one error with the sizes expected and given.
  template <class X>
  requires(!std::is_convertible_v<const X&, std::span<const T, Batch * inputs>>) std::span<const T> predict(
      const X&) noexcept {
    report_wrong_arguments<X, std::span<const T, output_elements>>();
    return {};
  }

  /// The network's output for B rows (any batch, 1 included), computed in
  /// the caller's workspace on this model's parameters: const and
  /// re-entrant, so threads may share one model, each with its own
  /// workspace.  The span points into ws.
  template <std::size_t B>
  std::span<const T, B * outputs> predict(prediction_workspace<B>& ws,
                                          std::span<const T, B * inputs> x) const noexcept {
    return predict_with(storage_, ws, x);
  }
  /// The same on parameters held elsewhere, laid out as parameters() (an
  /// array written by nn::save_parameters_header, nn/embed.hpp): read in
  /// place, no model object needed.
  template <std::size_t B>
  static std::span<const T, B * outputs> predict_with(std::span<const T, parameter_count> parameters,
                                                      prediction_workspace<B>& ws,
                                                      std::span<const T, B * inputs> x) noexcept {
    return run_on(parameters.data(), prediction_kernel_at<B>{}, ws.values, x_of<B>{} = x);
  }
  /// The network's output for B rows as a constant expression: `constexpr
  /// auto y = model_t::evaluate(params, x);` with params an array a header
  /// of nn::save_parameters_header defines.  Evaluated node by node with
  /// the functions' constexpr code (compile/constant_eval.hpp): a few ulps
  /// from predict's kernel, not its bits; dense networks only (not
  /// convolutions or pooling).  At run time it works too, slowly.
  template <std::size_t B = 1>
  static constexpr std::array<T, B * outputs> evaluate(std::span<const T, parameter_count> parameters,
                                                       std::span<const T, B * inputs> x) noexcept {
    using E = typename detail::build<Net, x_of<B>>::output;
    return ctgrad::detail::ce::value<T, E>([&]<class Leaf>(Leaf) -> const T* {
      if constexpr (std::is_same_v<Leaf, x_of<B>>)
        return x.data();
      else
        return parameters.data() + offsets_[index_s<Leaf>::value];
    });
  }

  /// The loss for a batch, and its gradient with respect to every
  /// parameter (read them with gradient(p), gradient<I>() or gradients()).
  T loss_and_gradient(std::span<const T, Batch * inputs> x, std::span<const T, output_elements> t) noexcept {
    debug_check_targets(t);
    if constexpr (!well_formed)
      return T{};  // (after the network's shape error: nothing to run, and no second error)
    else
      return run_with_parameters(training_kernel{}, train_ws_, x_type{} = x, target_type{} = t);
  }
  /// The same in the caller's workspace, on this model's parameters: const
  /// and re-entrant (threads share one model, each with its own workspace;
  /// nn::data_parallel does).  The gradients are ws.gradients().
  T loss_and_gradient(training_workspace& ws, std::span<const T, Batch * inputs> x,
                      std::span<const T, output_elements> t) const noexcept {
    debug_check_targets(t);
    if constexpr (!well_formed)
      return T{};
    else
      return run_on(storage_.data(), training_kernel{}, ws, x_type{} = x, target_type{} = t);
  }
  template <Tensor P>
  std::span<const T, shape_of<P>::size> gradient(P p) const noexcept {
    return train_ws_.gradient(p);
  }
  /// The gradient of parameter I (the order of parameter<I>()).
  template <std::size_t I>
  auto gradient() const noexcept {
    return gradient(parameter_type<I>{});
  }
  /// Every gradient of the last loss_and_gradient as one flat span, laid out
  /// as parameters(): gradients()[i] is d loss / d parameters()[i].
  /// Writable, so that they can be changed in place (averaged across
  /// threads or processes, clipped) before apply_gradients.  (After a
  /// train_step with nn::sgd and nn::unchecked, the gradients that the
  /// kernel folded into their parameters are not kept.)
  std::span<T, parameter_count> gradients() noexcept { return train_ws_.gradients(); }
  std::span<const T, parameter_count> gradients() const noexcept { return train_ws_.gradients(); }

  /// An optimizer with state for this model: `make_optimizer(nn::adam{})`.
  /// Throws nn::config_error if the configuration is out of range.
  template <class Config>
  static optimizer<Config, T, storage_size> make_optimizer(Config config) {
    return optimizer<Config, T, storage_size>(config);
  }

  /// loss_and_gradient, then one optimizer update of every parameter, unless
  /// the loss or a gradient is not finite (see nn::skip_nonfinite; the
  /// policy is the last argument).  `.loss` is the loss before the update.
  template <class Config, nonfinite_policy Policy = skip_nonfinite_t>
  step_result<T> train_step(optimizer<Config, T, storage_size>& opt, std::span<const T, Batch * inputs> x,
                            std::span<const T, output_elements> t,
                            Policy = {}) noexcept(!std::is_same_v<Policy, throw_on_nonfinite_t>) {
    if constexpr (std::is_same_v<Config, sgd> && std::is_same_v<Policy, unchecked_t>) {
      debug_check_targets(t);
      return {train_step_fused_sgd(opt, x, t), true};
    } else {
      const T loss = loss_and_gradient(x, t);
      return {loss, update(opt, loss, Policy{}, "train_step")};
    }
  }

  /// One optimizer update of every parameter from gradients() as they are
  /// now: train_step is loss_and_gradient, then this.  Between the two,
  /// the caller may change the gradients (average them across processes,
  /// clip them).  Returns false if it skipped the update because a
  /// gradient is not finite (see nn::skip_nonfinite; the policy is the
  /// last argument).
  template <class Config, nonfinite_policy Policy = skip_nonfinite_t>
  bool apply_gradients(optimizer<Config, T, storage_size>& opt,
                       Policy = {}) noexcept(!std::is_same_v<Policy, throw_on_nonfinite_t>) {
    return update(opt, T(0), Policy{}, "apply_gradients");
  }

  /// Losses over class distributions (softmax_cross_entropy, nll) from
  /// integer class labels, one per row in
  /// [0, outputs): the same numbers as one-hot targets (which it builds in
  /// the model, no heap).  Throws nn::target_error for a label out of range
  /// (before anything changes).
  template <class Config, std::integral Label, nonfinite_policy Policy = skip_nonfinite_t>
  requires takes_labels step_result<T> train_step(optimizer<Config, T, storage_size>& opt,
                                                  std::span<const T, Batch * inputs> x,
                                                  std::span<const Label, Batch> labels, Policy policy = {}) {
    return train_step(opt, x, one_hot(labels, "train_step"), policy);
  }
  template <class Config, std::integral Label, nonfinite_policy Policy = skip_nonfinite_t>
  requires takes_labels step_result<T> train_step(optimizer<Config, T, storage_size>& opt,
                                                  std::span<const T, Batch * inputs> x,
                                                  const std::array<Label, Batch>& labels, Policy policy = {}) {
    return train_step(opt, x, std::span<const Label, Batch>(labels), policy);
  }
  /// loss_and_gradient from integer class labels (see train_step).
  template <std::integral Label>
  requires takes_labels T loss_and_gradient(std::span<const T, Batch * inputs> x,
                                            std::span<const Label, Batch> labels) {
    return loss_and_gradient(x, one_hot(labels, "loss_and_gradient"));
  }
  template <std::integral Label>
  requires takes_labels T loss_and_gradient(std::span<const T, Batch * inputs> x,
                                            const std::array<Label, Batch>& labels) {
    return loss_and_gradient(x, std::span<const Label, Batch>(labels));
  }

  /// Any other x or t (a wrong size, element type or container): one error
  /// with the sizes expected and given, instead of "no matching function".
  template <class Config, class X, class Tt, class... Policy>
  requires(!accepts<X, Tt>) step_result<T> train_step(optimizer<Config, T, storage_size>&, const X&, const Tt&,
                                                      Policy...) noexcept {
    report_wrong_arguments<X, Tt>();
    return {};
  }
  template <class X, class Tt>
  requires(!accepts<X, Tt>) T loss_and_gradient(const X&, const Tt&) noexcept {
    report_wrong_arguments<X, Tt>();
    return {};
  }

  /// Throws nn::target_error if t breaks the loss's contract on its targets
  /// (softmax_cross_entropy: each row a distribution; binary cross-entropy:
  /// entries in [0, 1]; nothing for losses without one).  Builds without
  /// NDEBUG check every batch (see losses.hpp).
  void check_targets(std::span<const T, output_elements> t) const {
    if constexpr (requires { Loss::template target_problem<T>(std::span<const T>(t), outputs); }) {
      const std::string problem = Loss::template target_problem<T>(std::span<const T>(t), outputs);
      if (!problem.empty()) throw target_error(problem);
    }
  }

  /// How many train_step calls skipped their update (loss or a gradient not finite).
  std::uint64_t skipped_steps() const noexcept { return skipped_; }

 private:
  template <class, std::size_t>
  friend class data_parallel;

  /// Labels as one-hot rows, in one_hot_ (checked first).
  template <class Label>
  std::span<const T, Batch * outputs> one_hot(std::span<const Label, Batch> labels, const char* function) {
    for (std::size_t row = 0; row != Batch; ++row)
      if (std::cmp_less(labels[row], 0) || std::cmp_greater_equal(labels[row], outputs))
        throw target_error("ctgrad::nn::model::" + std::string(function) + ": label " + std::to_string(row) + " is " +
                           std::to_string(labels[row]) + " (class labels are 0 to " + std::to_string(outputs - 1) +
                           ")");
    one_hot_.fill(T(0));
    for (std::size_t row = 0; row != Batch; ++row) one_hot_[row * outputs + static_cast<std::size_t>(labels[row])] = 1;
    return one_hot_;
  }

  // The training kernel keeps the gradients one after the other in the
  // order of the parameters (compile(loss, wrt(params...))): laid out as
  // parameters(), at the start of its workspace.
  static_assert(std::is_same_v<loss_expression, ctgrad::detail::shape_error_result> ||  // (reported already)
                detail::gradients_mirror<typename training_kernel::layout, parameter_list>::value);

  static void debug_check_targets([[maybe_unused]] std::span<const T, output_elements> t) noexcept {
#if !defined(NDEBUG) && !defined(CTGRAD_NO_TARGET_CHECKS)
    if constexpr (requires { Loss::template target_problem<T>(std::span<const T>(t), outputs); }) {
      const std::string problem = Loss::template target_problem<T>(std::span<const T>(t), outputs);
      if (!problem.empty()) {
        std::fprintf(stderr, "%s\n(checked because NDEBUG is not defined; see nn::model::check_targets)\n",
                     problem.c_str());
        std::abort();
      }
    }
#endif
  }

  /// The update after a loss (finite, if it comes from apply_gradients).
  template <class Config, class Policy>
  bool update(optimizer<Config, T, storage_size>& opt, T loss, Policy,
              [[maybe_unused]] const char* function) noexcept(!std::is_same_v<Policy, throw_on_nonfinite_t>) {
    if constexpr (!std::is_same_v<Policy, unchecked_t>) {
      if (!finite_step(loss)) {
        ++skipped_;
        if constexpr (std::is_same_v<Policy, throw_on_nonfinite_t>)
          throw nonfinite_error(nonfinite_message(loss, function));
        return false;
      }
    }
    opt.begin_step();
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
    switch (ctgrad::detail::active_instruction_set()) {
#if CTGRAD_DETAIL_DISPATCH_AVX512
      case instruction_set::avx512:
        update_avx512(opt);
        return true;
#else
      case instruction_set::avx512:  // (not compiled in: never active)
#endif
      case instruction_set::avx2:
        update_avx2(opt);
        return true;
      case instruction_set::baseline:
        break;
    }
#endif
    update_all(opt);
    return true;
  }

  /// SGD fused into the kernel: each gradient is folded into its parameter
  /// as it is produced (gradient(p) is not kept for those).
  T train_step_fused_sgd(optimizer<sgd, T, storage_size>& opt, std::span<const T, Batch * inputs> x,
                         std::span<const T, output_elements> t) noexcept {
    if constexpr (!well_formed) {
      return T{};  // (as loss_and_gradient)
    } else {
      const T loss = [&]<class... P>(ctgrad::detail::mp::mp_list<P...>) {
        const std::array<T*, parameter_tensors> targets{(storage_.data() + offsets_[index_s<P>::value])...};
        return training_kernel{}.train_sgd(train_ws_, opt.alpha(), opt.beta(), targets, x_type{} = x, target_type{} = t,
                                           (P{} = std::span<const T, shape_of<P>::size>(
                                                storage_.data() + offsets_[index_s<P>::value], shape_of<P>::size))...);
      }(parameter_list{});
      update_unfused(opt, std::make_index_sequence<classes_.count>{});  // the rest, if any, as usual
      return loss;
    }
  }

  /// The loss and every gradient finite (one pass over the flat
  /// gradients, in the widest copy the CPU runs, in its vectors).
  template <std::size_t Bytes = CTGRAD_DETAIL_VECTOR_BYTES>
  [[gnu::always_inline]] inline bool finite_gradients() const noexcept {
    return detail::all_finite<parameter_count, Bytes>(train_ws_.gradients().data());
  }
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
  [[gnu::target("avx2")]] bool finite_gradients_avx2() const noexcept { return finite_gradients<32>(); }
#endif
#if CTGRAD_DETAIL_DISPATCH_AVX512
  [[CTGRAD_DETAIL_AVX512]] bool finite_gradients_avx512() const noexcept { return finite_gradients<64>(); }
#endif
  bool finite_step(T loss) const noexcept {
    if (!std::isfinite(loss)) return false;
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
    switch (ctgrad::detail::active_instruction_set()) {
#if CTGRAD_DETAIL_DISPATCH_AVX512
      case instruction_set::avx512:
        return finite_gradients_avx512();
#else
      case instruction_set::avx512:  // (not compiled in: never active)
#endif
      case instruction_set::avx2:
        return finite_gradients_avx2();
      case instruction_set::baseline:
        break;
    }
#endif
    return finite_gradients();
  }
  std::string nonfinite_message(T loss, const char* function) const {
    std::string text = "ctgrad::nn::model::" + std::string(function) + ": ";
    if (!std::isfinite(loss)) text += "the loss is " + std::to_string(loss) + "; ";
    for (std::size_t i = 0; i != parameter_tensors; ++i) {
      const T* const g = train_ws_.gradients().data() + offsets_[i];
      std::size_t k = 0;
      while (k != table::sizes[i] && std::isfinite(g[k])) ++k;
      if (k != table::sizes[i]) {
        text +=
            "d loss/d " + std::string(table::names[i]) + "[" + std::to_string(k) + "] = " + std::to_string(g[k]) + "; ";
        break;
      }
    }
    return text + "the update was skipped (parameters and optimizer state unchanged)";
  }

  /// The flat parameters as a multiple of 16 elements and the rest: GCC -O2
  /// vectorises only loops without a remainder (1,732 floats are no whole
  /// number of 8-float AVX2 vectors, and ran 10% slower as one loop).
  static constexpr std::size_t body_ = parameter_count / 16 * 16;

  /// One optimizer update of every parameter: one loop over the flat
  /// parameters and gradients, unrolled and vectorised for their size, and
  /// one over the rest.
  template <class Config>
  [[gnu::always_inline]] inline void update_all(optimizer<Config, T, storage_size>& opt) noexcept {
    T* const p = storage_.data();
    const T* const g = train_ws_.gradients().data();
    opt.template update<body_>(p, g, 0);
    opt.template update<parameter_count - body_>(p + body_, g + body_, body_);
  }
#if CTGRAD_DETAIL_RUNTIME_DISPATCH
  // The AVX2 and AVX-512 copies.  Every function on the way to an
  // optimizer's own AVX2 code (Adam's 32-byte vectors) carries the target:
  // GCC will not inline an AVX2 function into one without it, always_inline
  // or not; an AVX2 function inlines into an AVX-512 one.  (The AVX-512
  // copy runs Adam's 32-byte form too: the update is bound by memory, not
  // by the width of its arithmetic.)
  template <class Config>
  [[gnu::target("avx2"), gnu::always_inline]] inline void update_wide(
      optimizer<Config, T, storage_size>& opt) noexcept {
    T* const p = storage_.data();
    const T* const g = train_ws_.gradients().data();
    if constexpr (requires { opt.template update_avx2<body_>(p, g, 0); }) {
      opt.template update_avx2<body_>(p, g, 0);
      opt.template update_avx2<parameter_count - body_>(p + body_, g + body_, body_);
    } else {
      opt.template update<body_>(p, g, 0);
      opt.template update<parameter_count - body_>(p + body_, g + body_, body_);
    }
  }
  template <class Config>
  [[gnu::target("avx2")]] void update_avx2(optimizer<Config, T, storage_size>& opt) noexcept {
    update_wide(opt);
  }
#endif
#if CTGRAD_DETAIL_DISPATCH_AVX512
  template <class Config>
  [[CTGRAD_DETAIL_AVX512]] void update_avx512(optimizer<Config, T, storage_size>& opt) noexcept {
    update_wide(opt);
  }
#endif

  /// The update of the tensors the fused SGD kernel left out: for each
  /// distinct size, a loop over that size's tensors, each update unrolled
  /// and vectorised for its size (see detail::size_classes).
  template <std::size_t c>
  [[gnu::always_inline]] inline void update_unfused_class(optimizer<sgd, T, storage_size>& opt) noexcept {
    for (std::size_t j = classes_.begin[c]; j != classes_.begin[c + 1]; ++j) {
      const std::size_t i = classes_.member[j];
      if (training_kernel::sgd_fused[i]) continue;
      opt.template update<classes_.size[c]>(storage_.data() + offsets_[i], train_ws_.gradients().data() + offsets_[i],
                                            offsets_[i]);
    }
  }
  template <std::size_t... C>
  [[gnu::always_inline]] inline void update_unfused(optimizer<sgd, T, storage_size>& opt,
                                                    std::index_sequence<C...>) noexcept {
    [[maybe_unused]] const int sequence[] = {0, (update_unfused_class<C>(opt), 0)...};  // no fold limit
  }

  template <class X, class Tt>
  static void report_wrong_arguments() noexcept {
    (void)error::wrong_argument_sizes<error::expected<Batch * inputs>, typename detail::numbers_given<X>::type,
                                      error::expected<Batch * outputs>, typename detail::numbers_given<Tt>::type>{};
  }

  /// Run a kernel on parameters at `parameters` (laid out as storage_).
  template <class K, class W, class... Bindings>
  static auto run_on(const T* parameters, K kernel, W& ws, const Bindings&... bindings) noexcept {
    return [&]<class... P>(ctgrad::detail::mp::mp_list<P...>) {
      return kernel(ws, bindings...,
                    (P{} = std::span<const T, shape_of<P>::size>(parameters + offsets_[index_s<P>::value],
                                                                 shape_of<P>::size))...);
    }(parameter_list{});
  }
  template <class K, class W, class... Bindings>
  auto run_with_parameters(K kernel, W& ws, const Bindings&... bindings) noexcept {
    return run_on(storage_.data(), kernel, ws, bindings...);
  }

  alignas(64) std::array<T, storage_size> storage_{};
  std::uint64_t skipped_ = 0;
  /// Targets built from class labels (losses that take them only).
  struct no_labels {};
  using one_hot_rows = std::conditional_t<takes_labels, std::array<T, Batch * outputs>, no_labels>;
  [[no_unique_address]] one_hot_rows one_hot_{};
  workspace<training_kernel, T> train_ws_;
  workspace<prediction_kernel, T> predict_ws_;
};

}  // namespace ctgrad::nn

CTGRAD_DETAIL_NO_CONTRACTION_END
