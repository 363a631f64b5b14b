// ctgrad/nn/parallel.hpp — data-parallel training on the cores of one
// machine: a batch split into Shards parts, each part's loss and gradients
// computed by the model's own kernel in a workspace of its own (OpenMP
// threads when the program is compiled with -fopenmp: link ctgrad::openmp),
// the gradients combined in a fixed order, one optimizer update.
//
//   nn::model<net, nn::mse, float, 32> m;            // 32 rows per shard
//   nn::data_parallel<decltype(m), 4> trainer(m);      // batches of 128 rows
//   auto opt = m.make_optimizer(nn::adam{});
//   trainer.train_step(opt, x, t);                     // x: 128 rows, t: 128 rows
//
// The result does not depend on the number of threads: shard s always
// computes rows [s B, (s + 1) B), and gradient element i is always
// (g_0[i] + g_1[i] + ... + g_{S-1}[i]) / S in that order (mean losses; a
// loss that sums over the batch, such as nn::half_sse, is the plain sum):
// the same bits with 1, 2 or 16 threads, or without OpenMP.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "model.hpp"

#if defined(_OPENMP)
#define CTGRAD_DETAIL_OMP(directive) _Pragma(directive)
#else
#define CTGRAD_DETAIL_OMP(directive)
#endif

namespace ctgrad::nn {

/// Whether a loss sums over the batch (nn::half_sse; a user loss says so
/// with `static constexpr bool sums_over_batch = true`) rather than taking
/// the mean (every other built-in loss, and PyTorch's default reduction):
/// how the losses and gradients of the parts of a batch combine.
template <class Loss>
inline constexpr bool sums_over_batch = requires {
  requires Loss::sums_over_batch;
};

/// The number of threads OpenMP would use (1 without OpenMP).
inline int available_threads() noexcept {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Trains `model` on batches of Shards * Model::batch rows, Shards parts at
/// a time in parallel.  Part 0 runs in the model's own workspace, every
/// other part in one of the trainer's (allocated once, by the
/// constructor); a step allocates nothing.  The model's own gradients()
/// receive the combined gradients, so that model.gradient(p) and
/// model.apply_gradients(opt) work as after model.loss_and_gradient.
template <class Model, std::size_t Shards>
class data_parallel {
  static_assert(Shards > 0, "ctgrad::nn::data_parallel<Model, Shards>: Shards is the number of parts, at least 1");
  using T = typename Model::scalar_type;
  static constexpr std::size_t rows = Model::batch;

 public:
  static constexpr std::size_t shards = Shards;
  /// Rows of a batch, and numbers per row in and out.
  static constexpr std::size_t batch = Shards * rows;
  static constexpr std::size_t inputs = Model::inputs;
  static constexpr std::size_t outputs = Model::outputs;

  /// threads: how many threads run the parts (0: OpenMP's default,
  /// available_threads()); more than Shards are not used.
  explicit data_parallel(Model& model, int threads = 0)
      : model_(model), parts_(std::make_unique<parts>()), threads_(threads > 0 ? threads : available_threads()) {}

  int threads() const noexcept { return threads_; }
  /// The model trained (whose gradients() receive the combined gradients).
  Model& model() noexcept { return model_; }
  const Model& model() const noexcept { return model_; }

  /// The loss of a batch (rows of x and t, row-major) and its gradients,
  /// in model.gradients().
  T loss_and_gradient(std::span<const T, batch * inputs> x, std::span<const T, batch * outputs> t) noexcept {
    // Part 0 in the model's own workspace (its gradients are where the
    // sum goes), the others in theirs, all reading the same parameters.
    const Model& shared = model_;
    parts& p = *parts_;
    [[maybe_unused]] const int threads = threads_;
    CTGRAD_DETAIL_OMP("omp parallel for schedule(static) num_threads(threads)")
    for (std::ptrdiff_t s = 0; s < static_cast<std::ptrdiff_t>(Shards); ++s) {
      const auto part = static_cast<std::size_t>(s);
      p.loss[part] = part == 0 ? model_.loss_and_gradient(span_in(x, 0), span_out(t, 0))
                               : shared.loss_and_gradient(p.workspace[part - 1], span_in(x, part), span_out(t, part));
    }
    reduce();
    T loss = p.loss[0];
    for (std::size_t s = 1; s != Shards; ++s) loss += p.loss[s];
    return sums_over_batch<typename Model::loss_type> ? loss : loss / T(Shards);
  }

  /// loss_and_gradient, then one optimizer update of every parameter (as
  /// model::train_step, with the same policy for a loss or gradient that
  /// is not finite).
  template <class Config, nonfinite_policy Policy = skip_nonfinite_t>
  step_result<T> train_step(optimizer<Config, T, Model::storage_size>& opt, std::span<const T, batch * inputs> x,
                            std::span<const T, batch * outputs> t,
                            Policy = {}) noexcept(!std::is_same_v<Policy, throw_on_nonfinite_t>) {
    const T loss = loss_and_gradient(x, t);
    return {loss, model_.update(opt, loss, Policy{}, "data_parallel::train_step")};
  }

 private:
  static std::span<const T, rows * inputs> span_in(std::span<const T, batch * inputs> x, std::size_t part) noexcept {
    return std::span<const T, rows * inputs>(x.data() + part * rows * inputs, rows * inputs);
  }
  static std::span<const T, rows * outputs> span_out(std::span<const T, batch * outputs> t, std::size_t part) noexcept {
    return std::span<const T, rows * outputs>(t.data() + part * rows * outputs, rows * outputs);
  }

  /// model.gradients()[i] = (g_0[i] + ... + g_{S-1}[i]) (/ S): blocks of
  /// elements in parallel, the parts always in order.
  void reduce() noexcept {
    constexpr std::size_t n = Model::parameter_count, full = n / block, tail = n % block;
    [[maybe_unused]] const int threads = threads_;
    CTGRAD_DETAIL_OMP("omp parallel for schedule(static) num_threads(threads)")
    for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(full + (tail != 0)); ++b) {
      const auto begin = static_cast<std::size_t>(b) * block;
      if (begin + block <= n)
        reduce_range<block>(begin);
      else
        reduce_range<tail>(begin);
    }
  }
  static constexpr std::size_t block = 1024;
  /// The combined gradients [begin, begin + length): loops of a constant
  /// length (GCC -O2 vectorises only those).
  template <std::size_t length>
  void reduce_range(std::size_t begin) noexcept {
    T* __restrict const out = model_.gradients().data() + begin;  // part 0's, to begin with
    const parts& p = *parts_;
    for (std::size_t s = 1; s != Shards; ++s) {
      const T* __restrict const g = p.workspace[s - 1].gradients().data() + begin;
      for (std::size_t i = 0; i != length; ++i) out[i] += g[i];
    }
    if constexpr (!sums_over_batch<typename Model::loss_type>)
      for (std::size_t i = 0; i != length; ++i) out[i] /= T(Shards);
  }

  struct parts {
    std::array<typename Model::training_workspace, Shards - 1> workspace;  // of parts 1, 2, ...
    std::array<T, Shards> loss{};
  };
  Model& model_;
  std::unique_ptr<parts> parts_;
  int threads_;
};

}  // namespace ctgrad::nn

#undef CTGRAD_DETAIL_OMP
