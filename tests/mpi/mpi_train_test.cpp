// nn::mpi under mpirun -np 2 and -np 4: every rank ends with the same
// parameters, bit for bit, and they match one process training on the
// whole global batch within rounding; save_weights by rank 0 is what every
// rank holds.  Exit status 0 on every rank when all holds.
#include <ctgrad/nn.hpp>
#include <ctgrad/nn/mpi.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

using namespace ctgrad;

namespace {
using net = nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<2>>;
constexpr std::size_t rows = 3;  // per rank
template <std::size_t Batch>
using model = nn::model<net, nn::mse, double, Batch>;
constexpr int steps = 50;

int failures = 0;
int rank = 0, ranks = 1;
void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "rank %d: FAILED: %s\n", rank, what.c_str());
    ++failures;
  }
}

/// Row r of the global batch: the same on every rank.
void global_row(std::size_t r, double* x, double* t) {
  for (std::size_t k = 0; k != 3; ++k) x[k] = std::sin(0.7 * double(3 * r + k) + 0.2);
  t[0] = 0.5 * std::tanh(x[0] - x[1]);
  t[1] = 0.25 * x[2];
}

/// The same training in one process on the whole global batch.
template <std::size_t Global>
std::vector<double> reference(const std::vector<double>& start, nn::adam config) {
  auto m = std::make_unique<model<Global>>();
  std::ranges::copy(start, m->parameters().begin());
  auto opt = m->make_optimizer(config);
  std::array<double, Global * 3> x{};
  std::array<double, Global * 2> t{};
  for (std::size_t r = 0; r != Global; ++r) global_row(r, x.data() + 3 * r, t.data() + 2 * r);
  for (int step = 0; step != steps; ++step) m->train_step(opt, x, t);
  return {m->parameters().begin(), m->parameters().end()};
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  try {
    auto m = std::make_unique<model<rows>>();
    m->initialize(100 + static_cast<std::uint64_t>(rank));  // a different start on each rank...
    if (ranks > 1) check(!nn::mpi::parameters_agree(*m), "different seeds agree?");
    // [broadcast]
    nn::mpi::broadcast_parameters(*m);  // rank 0's parameters on every rank
    // [broadcast]
    check(nn::mpi::parameters_agree(*m), "after broadcast_parameters");
    const std::vector<double> start(m->parameters().begin(), m->parameters().end());

    // This rank's rows of the global batch.
    std::array<double, rows * 3> x{};
    std::array<double, rows * 2> t{};
    for (std::size_t r = 0; r != rows; ++r)
      global_row(static_cast<std::size_t>(rank) * rows + r, x.data() + 3 * r, t.data() + 2 * r);
    const nn::adam config{.learning_rate = 0.01};
    auto opt = m->make_optimizer(config);
    for (int step = 0; step != steps; ++step) {
      // [train_step]
      // This rank's rows: loss_and_gradient, one MPI_Allreduce over the flat
      // gradients, the same update on every rank.
      const auto r = nn::mpi::train_step(*m, opt, x, t);
      // [train_step]
      check(r.updated, "a step was skipped");
    }
    check(nn::mpi::parameters_agree(*m), "after training: the ranks differ");

    const std::vector<double> expected = ranks == 2   ? reference<2 * rows>(start, config)
                                         : ranks == 4 ? reference<4 * rows>(start, config)
                                                      : reference<rows>(start, config);
    double largest = 0;
    for (std::size_t i = 0; i != expected.size(); ++i)
      largest = std::max(largest, std::fabs(m->parameters()[i] - expected[i]));
    check(ranks == 1 || ranks == 2 || ranks == 4, "run with 1, 2 or 4 ranks");
    check(largest <= 1e-12, "one process on the global batch differs by " + std::to_string(largest));

    // Threads within each rank: a data_parallel trainer of 2 parts per rank.
    auto d = std::make_unique<model<rows>>();
    std::ranges::copy(start, d->parameters().begin());
    nn::data_parallel<model<rows>, 2> trainer(*d);
    std::array<double, 2 * rows * 3> x2{};
    std::array<double, 2 * rows * 2> t2{};
    for (std::size_t r = 0; r != 2 * rows; ++r)
      global_row(static_cast<std::size_t>(rank) * 2 * rows + r, x2.data() + 3 * r, t2.data() + 2 * r);
    auto opt2 = d->make_optimizer(config);
    for (int step = 0; step != steps; ++step) nn::mpi::train_step(trainer, opt2, x2, t2);
    check(nn::mpi::parameters_agree(*d), "threads and ranks: the ranks differ");
    const std::vector<double> expected2 = ranks == 2   ? reference<4 * rows>(start, config)
                                          : ranks == 4 ? reference<8 * rows>(start, config)
                                                       : reference<2 * rows>(start, config);
    double largest2 = 0;
    for (std::size_t i = 0; i != expected2.size(); ++i)
      largest2 = std::max(largest2, std::fabs(d->parameters()[i] - expected2[i]));
    check(largest2 <= 1e-12, "threads and ranks: one process differs by " + std::to_string(largest2));

    // A checkpoint by rank 0 holds what every rank holds.
    const auto file =
        std::filesystem::temp_directory_path() / ("ctgrad-mpi-test-" + std::to_string(::getpid()) + ".bin");
    std::string name = file.string();
    int length = static_cast<int>(name.size());
    MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD);  // rank 0's name, everywhere
    name.resize(static_cast<std::size_t>(length));
    MPI_Bcast(name.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD);
    nn::mpi::save_weights(*m, name);
    auto loaded = std::make_unique<model<rows>>();
    nn::load_weights(*loaded, name);
    check(std::ranges::equal(loaded->parameters(), m->parameters()), "the checkpoint differs from this rank");
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) std::filesystem::remove(name);
    if (rank == 0)
      std::printf(
          "%d ranks, %d Adam steps: ranks agree bit for bit; vs one process on the global batch: %.3g "
          "(ranks), %.3g (ranks x 2 threads' parts)\n",
          ranks, steps, largest, largest2);
  } catch (const std::exception& e) {
    check(false, e.what());
  }
  int any = failures;
  MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Finalize();
  return any == 0 ? 0 : 1;
}
