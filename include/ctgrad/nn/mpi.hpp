// ctgrad/nn/mpi.hpp — data-parallel training across processes with MPI
// (link ctgrad::mpi).  Every rank holds the whole model and trains on its
// own part of each global batch; one MPI_Allreduce over the flat gradients
// per step makes every rank's gradients the global batch's, and every rank
// applies the same update, so that the parameters stay identical.
//
//   MPI_Init(&argc, &argv);
//   nn::model<net, nn::mse, float, 32> m;              // 32 rows per rank
//   m.initialize(seed);
//   nn::mpi::broadcast_parameters(m);                  // rank 0's, everywhere
//   auto opt = m.make_optimizer(nn::adam{});
//   for (...) nn::mpi::train_step(m, opt, my_x, my_t); // this rank's rows
//   nn::mpi::save_weights(m, "model.bin");             // rank 0 writes
//
// The model may also be an nn::data_parallel trainer (threads within each
// rank): nn::mpi::train_step(trainer, opt, x, t).
#pragma once

// The C API only (MPI's deprecated C++ bindings do not build warning-free).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "io.hpp"
#include "model.hpp"
#include "parallel.hpp"

namespace ctgrad::nn::mpi {

/// An MPI call that did not return MPI_SUCCESS.
class mpi_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class T>
MPI_Datatype datatype() noexcept {
  if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else
    return MPI_LONG_DOUBLE;
}
inline void check(int status, const char* call) {
  if (status != MPI_SUCCESS) throw mpi_error(std::string("ctgrad::nn::mpi: ") + call + " failed");
}
inline int size_of(MPI_Comm comm) {
  int size = 0;
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  return size;
}
inline int rank_of(MPI_Comm comm) {
  int rank = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  return rank;
}
/// The model behind a model or a data_parallel trainer.
template <class M>
struct model_of : std::type_identity<M> {
  static M& get(M& m) noexcept { return m; }
};
template <class Model, std::size_t Shards>
struct model_of<data_parallel<Model, Shards>> : std::type_identity<Model> {
  static Model& get(data_parallel<Model, Shards>& d) noexcept { return d.model(); }
};
}  // namespace detail

/// Root's parameters on every rank (call once, after initialize or load,
/// before training).
template <class Model>
void broadcast_parameters(Model& m, MPI_Comm comm = MPI_COMM_WORLD, int root = 0) {
  using T = typename Model::scalar_type;
  detail::check(
      MPI_Bcast(m.parameters().data(), static_cast<int>(Model::parameter_count), detail::datatype<T>(), root, comm),
      "MPI_Bcast");
}

/// Every rank's gradients() made the global batch's: summed over the
/// ranks by one MPI_Allreduce, and divided by their number unless the loss
/// sums over the batch (nn::sums_over_batch).  Every rank gets the same
/// bits (Open MPI reduces in the same order on every rank; train_step
/// relies on it, and the tests check it).
template <class Model>
void allreduce_gradients(Model& m, MPI_Comm comm = MPI_COMM_WORLD) {
  using T = typename Model::scalar_type;
  const std::span<T, Model::parameter_count> g = m.gradients();
  detail::check(MPI_Allreduce(MPI_IN_PLACE, g.data(), static_cast<int>(g.size()), detail::datatype<T>(), MPI_SUM, comm),
                "MPI_Allreduce");
  if constexpr (!sums_over_batch<typename Model::loss_type>) {
    const int ranks = detail::size_of(comm);
    if (ranks != 1)
      for (T& v : g) v /= static_cast<T>(ranks);
  }
}

/// One training step on this rank's rows of the global batch:
/// loss_and_gradient (of a model, or of a data_parallel trainer over
/// threads), allreduce_gradients, then the optimizer update on every rank
/// (skipped on every rank alike if a combined gradient is not finite;
/// `policy` as model::train_step).  `.loss` is this rank's loss (average
/// them yourself if you log the global one: that would be a second
/// collective per step).
template <class Trainer, class Opt, class X, class Tt, nonfinite_policy Policy = skip_nonfinite_t>
auto train_step(Trainer& trainer, Opt& opt, const X& x, const Tt& t, MPI_Comm comm = MPI_COMM_WORLD,
                Policy policy = {}) {
  using model_t = typename detail::model_of<Trainer>::type;
  model_t& m = detail::model_of<Trainer>::get(trainer);
  const auto loss = trainer.loss_and_gradient(x, t);
  allreduce_gradients(m, comm);
  return step_result<typename model_t::scalar_type>{loss, m.apply_gradients(opt, policy)};
}

/// Whether every rank holds the same parameters, bit for bit (a hash of
/// their bytes, compared by two MPI_Allreduce calls).
template <class Model>
bool parameters_agree(const Model& m, MPI_Comm comm = MPI_COMM_WORLD) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a over the bytes
  const auto p = m.parameters();
  const auto* bytes = reinterpret_cast<const unsigned char*>(p.data());
  for (std::size_t i = 0; i != p.size_bytes(); ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  unsigned long long low = hash, high = hash;
  detail::check(MPI_Allreduce(MPI_IN_PLACE, &low, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, comm), "MPI_Allreduce");
  detail::check(MPI_Allreduce(MPI_IN_PLACE, &high, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm), "MPI_Allreduce");
  return low == high;
}

/// nn::save_weights by rank `root` (atomic: a temporary file, then a
/// rename), collective: every rank returns once the file is written, and
/// every rank throws nn::weights_error if writing failed.
template <class Model, ctgrad::nn::detail::weights_path Path>
void save_weights(const Model& m, const Path& path, MPI_Comm comm = MPI_COMM_WORLD, int root = 0) {
  int failed = 0;
  std::string what;
  if (detail::rank_of(comm) == root) {
    try {
      nn::save_weights(m, path);
    } catch (const std::exception& e) {
      failed = 1;
      what = e.what();
    }
  }
  detail::check(MPI_Bcast(&failed, 1, MPI_INT, root, comm), "MPI_Bcast");
  if (failed != 0)
    throw weights_error(
        what.empty() ? "ctgrad::nn::mpi::save_weights: rank " + std::to_string(root) + " failed to write" : what);
}

}  // namespace ctgrad::nn::mpi
