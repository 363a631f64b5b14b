// Data-parallel throughput over MPI ranks: W3 (784-128-10, 32 rows per
// rank) and C1 (the small CNN, 8 rows per rank), SGD, in training samples
// per second over all ranks, with the share of a step spent in the
// gradients' MPI_Allreduce.  Not a Google Benchmark (it runs under mpirun):
//   mpirun -np 2 build/release/bench/ctgrad_mpi_scaling [steps]
// (bench/mpi_scaling.sh runs 1, 2 and 4 ranks).
#include <ctgrad/nn.hpp>
#include <ctgrad/nn/mpi.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "mlp_data.hpp"
#include "workloads.hpp"

using namespace ctgrad;

namespace {
template <class Model>
void run(const char* name, int steps, int rank, int ranks) {
  auto m = std::make_unique<Model>();
  m->initialize(1);
  nn::mpi::broadcast_parameters(*m);
  auto opt = m->make_optimizer(nn::sgd{.learning_rate = 0.01});
  const auto data = std::make_unique<mlp_batch<Model::batch, Model::inputs, Model::outputs>>(2024 + rank);
  double compute = 0, communicate = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  for (int step = 0; step != steps; ++step) {
    const double t0 = MPI_Wtime();
    m->loss_and_gradient(data->x, data->t);
    const double t1 = MPI_Wtime();
    nn::mpi::allreduce_gradients(*m);
    const double t2 = MPI_Wtime();
    m->apply_gradients(opt);
    compute += (t1 - t0) + (MPI_Wtime() - t2);
    communicate += t2 - t1;
  }
  const double elapsed = MPI_Wtime() - start;
  if (!nn::mpi::parameters_agree(*m)) std::fprintf(stderr, "%s: the ranks differ\n", name);
  if (rank == 0)
    std::printf("%-3s ranks %d  %8.0f samples/s  step %7.1f us  allreduce %5.1f%% of a step (%zu floats)\n", name,
                ranks, double(steps) * Model::batch * ranks / elapsed, elapsed / steps * 1e6,
                100 * communicate / (compute + communicate), Model::parameter_count);
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int steps = argc > 1 ? std::atoi(argv[1]) : 500;
  run<w3_model>("W3", steps, rank, ranks);
  run<c1_model>("C1", steps, rank, ranks);
  MPI_Finalize();
}
