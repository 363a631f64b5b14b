// A small CNN that learns to tell bars, crosses and squares apart: 8x8
// noisy images generated here, conv 3x3 (8 channels) -> ReLU -> 2x2
// max-pool -> dense -> softmax cross-entropy.  Trains on 12000 images,
// reports accuracy on 1500 others (the exit code says whether it reached
// 95%), and prints what the kernel gradient is.
#include <ctgrad/nn.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

using namespace ctgrad;

namespace {
constexpr std::size_t side = 8, classes = 3;
using image = std::array<float, side * side>;
struct example {
  image pixels;
  std::size_t label;  // 0 bar, 1 cross, 2 square
};

std::size_t below(nn::random_bits& bits, std::size_t n) { return static_cast<std::size_t>(bits.next() % n); }

/// One image of class `label` at a random place and size, plus Gaussian noise.
example draw(std::size_t label, nn::random_bits& bits) {
  example e{{}, label};
  const auto ink = [&](std::size_t r, std::size_t c) { e.pixels[r * side + c] = 1; };
  if (label == 0) {  // a horizontal or vertical bar, 4 to 8 long
    const std::size_t length = 4 + below(bits, 5), along = below(bits, side - length + 1), across = below(bits, side);
    const bool vertical = bits.next() % 2 != 0;
    for (std::size_t k = 0; k != length; ++k) vertical ? ink(along + k, across) : ink(across, along + k);
  } else if (label == 1) {  // a plus sign, arms 1 to 3 long
    const std::size_t arm = 1 + below(bits, 3);
    const std::size_t r = arm + below(bits, side - 2 * arm), c = arm + below(bits, side - 2 * arm);
    for (std::size_t k = 0; k != 2 * arm + 1; ++k) ink(r - arm + k, c), ink(r, c - arm + k);
  } else {  // the outline of a square, 3 to 6 wide
    const std::size_t n = 3 + below(bits, 4), r = below(bits, side - n + 1), c = below(bits, side - n + 1);
    for (std::size_t k = 0; k != n; ++k) ink(r, c + k), ink(r + n - 1, c + k), ink(r + k, c), ink(r + k, c + n - 1);
  }
  for (float& p : e.pixels) p += static_cast<float>(0.25 * bits.normal());
  return e;
}

std::vector<example> dataset(std::size_t n, nn::random_bits& bits) {
  std::vector<example> d;
  for (std::size_t i = 0; i != n; ++i) d.push_back(draw(i % classes, bits));
  return d;
}
}  // namespace

// [cnn]
constexpr std::size_t batch = 16;
using net = nn::sequential<nn::input_shape<1, side, side>,              // one channel, 8x8
                           nn::conv2d<8, 3, nn::relu, nn::padding<1>>,  // -> [8, 8, 8]
                           nn::max_pool2d<2>,                           // -> [8, 4, 4]
                           nn::flatten,                                 // -> [128]
                           nn::dense<classes>>;                         // -> logits [3]
using cnn = nn::model<net, nn::softmax_cross_entropy, float, batch>;
// [cnn]

int main() {
  // [train]
  nn::random_bits bits(2024);
  const auto train = dataset(12000, bits), test = dataset(1500, bits);
  auto model = std::make_unique<cnn>();
  model->initialize(7);
  auto adam = model->make_optimizer(nn::adam{.learning_rate = 0.01});

  std::array<float, batch * side * side> x{};
  std::array<float, batch * classes> t{};
  const auto fill = [&](const std::vector<example>& data, std::size_t first) {
    t.fill(0);
    for (std::size_t i = 0; i != batch; ++i) {
      const example& e = data[(first + i) % data.size()];
      std::copy(e.pixels.begin(), e.pixels.end(), x.begin() + static_cast<std::ptrdiff_t>(i * side * side));
      t[i * classes + e.label] = 1;
    }
  };
  const auto accuracy = [&](const std::vector<example>& data) {
    std::size_t right = 0;
    for (std::size_t first = 0; first < data.size(); first += batch) {
      fill(data, first);
      const auto logits = model->predict(x);
      for (std::size_t i = 0; i != batch && first + i != data.size(); ++i) {
        std::size_t best = 0;
        for (std::size_t k = 1; k != classes; ++k)
          best = logits[i * classes + k] > logits[i * classes + best] ? k : best;
        right += best == data[first + i].label;
      }
    }
    return double(right) / double(data.size());
  };

  const auto start = std::chrono::steady_clock::now();
  for (int epoch = 1; epoch <= 20; ++epoch) {
    float loss = 0;
    for (std::size_t first = 0; first < train.size(); first += batch) {
      fill(train, first);
      loss += model->train_step(adam, x, t).loss / float(train.size() / batch);
    }
    if (epoch % 4 == 0 || epoch == 1)
      std::printf("epoch %2d  loss %.4f  test accuracy %.3f\n", epoch, loss, accuracy(test));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double test_accuracy = accuracy(test);
  std::printf("test accuracy %.3f after %.2f s of training\n", test_accuracy, seconds);
  // [train]

  // The model's loss is an ordinary expression: the same type as the
  // network written out by hand, and its derivative prints as maths.
  using W1 = cnn::parameter_type<0>;
  using b1 = cnn::parameter_type<1>;
  using W2 = cnn::parameter_type<2>;
  using b2 = cnn::parameter_type<3>;
  constexpr auto z1 = conv2d(cnn::x_type{}, W1{}, b1{}, padding<1>);
  constexpr auto h1 = flatten(max_pool2d<2>(relu(z1)));
  constexpr auto z2 = matmul(h1, W2{}) + b2{};
  static_assert(std::is_same_v<decltype(loss::softmax_cross_entropy(z2, cnn::target_type{})), cnn::loss_expression>);
  std::printf("dL/dW1 = %s\n", to_string(grad(cnn::loss_expression{}, W1{}), label<"z1">(z1), label<"z2">(z2)).c_str());
  std::printf("dL/db1 = %s\n", to_string(grad(cnn::loss_expression{}, b1{}), label<"z1">(z1), label<"z2">(z2)).c_str());
  return test_accuracy >= 0.95 ? 0 : 1;
}
