// A user's program with the data-parallel components: found with
// find_package(ctgrad CONFIG COMPONENTS openmp mpi), linking ctgrad::openmp
// (threads) and ctgrad::mpi (processes; run here as one process).
#include <ctgrad/nn.hpp>
#include <ctgrad/nn/mpi.hpp>
#include <ctgrad/nn/parallel.hpp>

#include <array>
#include <memory>

using net = ctgrad::nn::sequential<2, ctgrad::nn::dense<3, ctgrad::nn::tanh>, ctgrad::nn::dense<1>>;
using model = ctgrad::nn::model<net, ctgrad::nn::mse, float, 2>;

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  auto m = std::make_unique<model>();
  m->initialize(1);
  ctgrad::nn::mpi::broadcast_parameters(*m);
  ctgrad::nn::data_parallel<model, 2> trainer(*m, 2);
  auto opt = m->make_optimizer(ctgrad::nn::sgd{.learning_rate = 0.1});
  const std::array<float, 8> x{0, 0, 0, 1, 1, 0, 1, 1};
  const std::array<float, 4> t{0, 1, 1, 0};
  const auto r = ctgrad::nn::mpi::train_step(trainer, opt, x, t);
  const bool ok = r.updated && ctgrad::nn::mpi::parameters_agree(*m);
  MPI_Finalize();
  return ok ? 0 : 1;
}
