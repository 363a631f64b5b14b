// docs/interop.md: weights trained in PyTorch, loaded into ctgrad, checked,
// fine-tuned and handed back.  Run from docs/examples/interop.py, which
// writes net.npz, net.safetensors, x.txt and torch_prediction.txt.
#include <ctgrad/nn.hpp>
#include <ctgrad/nn/npz.hpp>
#include <ctgrad/nn/safetensors.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

using namespace ctgrad;

namespace {
std::array<float, 4> read4(const char* path) {
  std::array<float, 4> v{};
  std::ifstream in(path);
  for (float& x : v) in >> x;
  return v;
}
}  // namespace

int main() {
  // [load]
  // torch.nn.Sequential(Linear(4, 16), ReLU(), Linear(16, 3)): its Linear
  // layers are modules 0 and 2.
  using net = nn::sequential<4, nn::dense<16, nn::relu>, nn::dense<3>>;
  using model = nn::model<net, nn::mse>;
  auto m = std::make_unique<model>();
  nn::load_npz(*m, "net.npz", {.prefixes = {"0", "2"}});
  nn::load_safetensors(*m, "net.safetensors", {.prefixes = {"0", "2"}});  // the same weights
  // [load]

  const std::array<float, 4> x = read4("x.txt"), expected = read4("torch_prediction.txt");
  const auto y = m->predict(x);
  for (std::size_t i = 0; i != 3; ++i)
    if (std::fabs(y[i] - expected[i]) > 1e-5f) {
      std::printf("prediction %zu: ctgrad %.9g, PyTorch %.9g\n", i, double(y[i]), double(expected[i]));
      return 1;
    }

  // [save]
  auto opt = model::make_optimizer(nn::adam{.learning_rate = 1e-2});
  const std::array<float, 3> target{0.5f, -0.5f, 0.25f};
  for (int step = 0; step != 20; ++step) m->train_step(opt, x, target);
  nn::save_safetensors(*m, "tuned.safetensors", {.prefixes = {"0", "2"}});
  nn::save_npz(*m, "tuned.npz", {.prefixes = {"0", "2"}});
  // [save]

  std::FILE* out = std::fopen("ctgrad_tuned_prediction.txt", "w");
  for (float v : m->predict(x)) std::fprintf(out, "%.9g\n", double(v));
  std::fclose(out);
  return 0;
}
