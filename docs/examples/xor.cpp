// XOR with a 2-4-1 network: the smallest thing that needs a hidden layer.
// Trains with Adam until the loss is below 0.01, printing progress.
#include <ctgrad/nn.hpp>

#include <cstdio>
#include <memory>

using namespace ctgrad;

// [xor_model]
using net = nn::sequential<2, nn::dense<4, nn::tanh>, nn::dense<1, nn::sigmoid>>;
using xor_model = nn::model<net, nn::mse, float, 4>;  // the 4 cases as one batch
// [xor_model]

int main() {
  // [xor_train]
  auto model = std::make_unique<xor_model>();
  model->initialize(/*seed=*/1);
  auto adam = model->make_optimizer(nn::adam{.learning_rate = 0.05});

  const std::array<float, 8> x{0, 0, 0, 1, 1, 0, 1, 1};
  const std::array<float, 4> t{0, 1, 1, 0};
  float loss = 1;
  int step = 0;
  for (; step != 5000 && loss >= 0.01f; ++step) {
    loss = model->train_step(adam, x, t).loss;
    if (step % 50 == 0) std::printf("step %4d  loss %.5f\n", step, loss);
  }
  const auto y = model->predict(x);
  std::printf("step %4d  loss %.5f  outputs %.3f %.3f %.3f %.3f\n", step, loss, y[0], y[1], y[2], y[3]);
  // [xor_train]
  return loss < 0.01f && y[0] < 0.5f && y[1] > 0.5f && y[2] > 0.5f && y[3] < 0.5f ? 0 : 1;
}
