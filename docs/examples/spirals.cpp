// Two interleaved spirals, a classic non-linear classification: a 2-32-32-2
// tanh network with softmax cross-entropy.  Trains on 512 points, reports
// accuracy on 512 others.
#include <ctgrad/nn.hpp>

#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>
#include <vector>

using namespace ctgrad;

namespace {
struct sample {
  float x, y;
  int label;
};

/// Point i of n on spiral `label` (0 or 1), with a little noise.
std::vector<sample> spirals(std::size_t n, nn::random_bits& bits) {
  std::vector<sample> s;
  for (std::size_t i = 0; i != n; ++i) {
    const int label = static_cast<int>(i % 2);
    const double r = bits.uniform(0.05, 1.0);
    const double angle = 3 * std::numbers::pi * r + label * std::numbers::pi;
    s.push_back({static_cast<float>(r * std::cos(angle) + 0.02 * bits.normal()),
                 static_cast<float>(r * std::sin(angle) + 0.02 * bits.normal()), label});
  }
  return s;
}
}  // namespace

// [spirals]
constexpr std::size_t batch = 32;
using net = nn::sequential<2, nn::dense<32, nn::tanh>, nn::dense<32, nn::tanh>, nn::dense<2>>;
using spiral_model = nn::model<net, nn::softmax_cross_entropy, float, batch>;

int main() {
  nn::random_bits bits(3);
  const auto train = spirals(512, bits), test = spirals(512, bits);
  auto model = std::make_unique<spiral_model>();
  model->initialize(5);
  auto adam = model->make_optimizer(nn::adam{.learning_rate = 0.02});

  std::array<float, batch * 2> x{}, t{};
  const auto fill = [&](const std::vector<sample>& data, std::size_t first) {
    for (std::size_t i = 0; i != batch; ++i) {
      const sample& s = data[(first + i) % data.size()];
      x[2 * i] = 3 * s.x, x[2 * i + 1] = 3 * s.y;            // inputs scaled to about [-3, 3]
      t[2 * i] = s.label == 0, t[2 * i + 1] = s.label == 1;  // one-hot
    }
  };
  const auto accuracy = [&](const std::vector<sample>& data) {
    std::size_t right = 0;
    for (std::size_t first = 0; first < data.size(); first += batch) {
      fill(data, first);
      const auto logits = model->predict(x);
      for (std::size_t i = 0; i != batch; ++i)
        right += (logits[2 * i + 1] > logits[2 * i]) == (data[first + i].label == 1);
    }
    return double(right) / double(data.size());
  };

  for (int epoch = 0; epoch != 400; ++epoch) {
    float loss = 0;
    for (std::size_t first = 0; first < train.size(); first += batch) {
      fill(train, first);
      loss += model->train_step(adam, x, t).loss / (train.size() / batch);
    }
    if (epoch % 40 == 0 || epoch == 399)
      std::printf("epoch %3d  loss %.4f  train accuracy %.3f\n", epoch, loss, accuracy(train));
  }
  const double test_accuracy = accuracy(test);
  std::printf("test accuracy %.3f\n", test_accuracy);
  // [spirals]
  return test_accuracy >= 0.95 ? 0 : 1;
}
