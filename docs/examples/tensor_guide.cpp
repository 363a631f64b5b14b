// The snippets of docs/tensor.md and docs/nn.md, compiled and run.
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/nn.hpp>
#include <ctgrad/print/tree.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>

using namespace ctgrad;
using namespace ctgrad::literals;

namespace guide {
// [leaves]
constexpr input<"x", shape<8, 3>> x;  // a batch of 8 rows of 3 features
constexpr input<"t", shape<8, 2>> t;  // one-hot targets
constexpr param<"W", shape<3, 2>> W;  // weights: [in, out]
constexpr param<"b", shape<2>> b;     // bias, broadcast over the batch
// [leaves]

// [expressions]
constexpr auto z = matmul(x, W) + b;                   // [8, 2]
constexpr auto L = loss::softmax_cross_entropy(z, t);  // a scalar
// [expressions]

// [grad]
static_assert(to_string(grad(L, W), label<"z">(z)) == "x^T*(softmax(z)/8 - t/8)");
static_assert(to_string(grad(L, b), label<"z">(z)) == "colsum(softmax(z)/8 - t/8)");
static_assert(to_string(grad(L, z), label<"z">(z)) == "softmax(z)/8 - t/8");  // by any subexpression
// [grad]

// [latex]
static_assert(to_latex(grad(L, W), label<"z">(z)) ==
              "x^{\\top} \\left(\\frac{\\operatorname{softmax}\\left(z\\right)}{8} - \\frac{t}{8}\\right)");
// [latex]

// [formula]
using namespace ctgrad::placeholders;
constexpr auto swish = map(_0 * sigmoid(_0), z);  // any scalar formula of _0, _1, ...
static_assert(to_string(grad(sum(swish), z), label<"z">(z)) ==
              "sigmoid(z) + z \u2299 sigmoid(z) \u2299 (1 - sigmoid(z))");  // derived, not written
// [formula]

// [kernel]
constexpr auto kernel = compile(L, wrt(W, b));  // forward + backward, one pass
// [kernel]

// [listing]
static_assert(listing(kernel) ==
              "t0 [8, 2] = x*W\n"
              "t1 [8, 2] = b + t0\n"
              "t2 [8, 1] = logsumexp(t1)\n"
              "t3 [8, 1] = rowsum(t \u2299 finite(t1))\n"
              "t4 [] = sum(t2 - t3)\n"
              "t5 [] = t4/8\n"
              "t6 [8, 2] = softmax(t1)/8 - t/8\n"  // shared by both gradients
              "t7 [3, 2] = x^T*t6\n"
              "t8 [2] = colsum(t6)\n"
              "loss = t5\n"
              "d/dW = t7\n"
              "d/db = t8\n");
// [listing]
// [scan]
constexpr input<"seq", shape<8, 16, 3>> seq;    // 8 sequences of 16 steps of 3 features (batch first)
constexpr param<"W_ih", shape<3 * 5, 3>> W_ih;  // a GRU of 5: gates r, z, n, as torch.nn.GRU
constexpr param<"W_hh", shape<3 * 5, 5>> W_hh;
constexpr param<"b_ih", shape<3 * 5>> b_ih;
constexpr param<"b_hh", shape<3 * 5>> b_hh;
constexpr auto states = scan(seq, zeros<shape<8, 5>>, [](auto x_t, auto h) {
  return cell::gru(x_t, h, W_ih, W_hh, b_ih, b_hh);  // one step: h[t] from x[t] and h[t-1]
});                                                  // [8, 16, 5]: h[1..16]
constexpr auto last = last_step(states);             // [8, 5]
// [scan]
static_assert(std::is_same_v<shape_of<decltype(states)>, shape<8, 16, 5>> &&
              std::is_same_v<shape_of<decltype(last)>, shape<8, 5>>);

// [bptt]
constexpr param<"Wx", shape<5, 3>> Wx;  // an Elman RNN: h[t] = tanh(x[t] Wx^T + bx + h[t-1] U^T + bh)
constexpr param<"U", shape<5, 5>> U;
constexpr param<"bx", shape<5>> bx;
constexpr param<"bh", shape<5>> bh;
constexpr auto rnn = scan(seq, zeros<shape<8, 5>>, [](auto x_t, auto h) { return cell::rnn(x_t, h, Wx, U, bx, bh); });
static_assert(to_string(grad(sum(rnn), U)) == "\u03a3_t (h[t-1]^T*(\u03b4[t] \u2299 (1 - h[t]^2)))^T");
// [bptt]
}  // namespace guide

int main() {
  using namespace guide;
  int failures = 0;
  const auto check = [&](bool ok, const char* what) {
    if (!ok) std::printf("FAILED: %s\n", what), ++failures;
  };

  // [tree]
  // One node per line (#include <ctgrad/print/tree.hpp>); the node that
  // backpropagation shares, z, is marked (#1) and referred to below.
  const std::string tree = to_tree(grad(L, b));
  check(tree ==
            "sum [2]\n"
            "  _0/8 - _1/8 [8, 2]\n"
            "    exp(_0 - _1) [8, 2]\n"
            "      _0 + _1 [8, 2]  (#1)\n"
            "        broadcast [8, 2]\n"
            "          b [2]\n"
            "        matmul [8, 2]\n"
            "          x [8, 3]\n"
            "          W [3, 2]\n"
            "      broadcast [8, 2]\n"
            "        logsumexp [8, 1]\n"
            "          _0 + _1 [8, 2]  (#1, above)\n"
            "    t [8, 2]\n",
        "tree");
  // [tree]

  // [run]
  static workspace<decltype(kernel), float> ws;  // every intermediate and gradient; sizeof is a constant
  std::array<float, 24> xs{};
  std::array<float, 16> ts{};
  std::array<float, 6> w{0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
  std::array<float, 2> bias{};
  for (std::size_t i = 0; i != 8; ++i) xs[3 * i] = float(i) / 8, ts[2 * i + i % 2] = 1;
  const float loss = kernel(ws, x = xs, t = ts, W = w, b = bias);  // bind by name
  std::span<const float, 6> dW = ws.gradient(W);
  // [run]
  check(std::isfinite(loss) && loss > 0, "loss");
  check(std::fabs(dW[0]) > 0, "gradient");
  std::printf("loss %.6f, dL/dW[0] %.6f\n", loss, dW[0]);

  // [model]
  using net = nn::sequential<3, nn::dense<16, nn::relu>, nn::dense<2>>;
  using model_t = nn::model<net, nn::softmax_cross_entropy, float, 8>;
  auto model = std::make_unique<model_t>();  // owns parameters and workspaces: large, so on the heap
  model->initialize(/*seed=*/42);            // He for relu layers, Xavier otherwise, biases zero
  auto adam = model->make_optimizer(nn::adam{.learning_rate = 1e-2});
  for (int step = 0; step != 100; ++step) model->train_step(adam, xs, ts);
  std::span<const float, 16> logits = model->predict(xs);
  // [model]
  check(std::isfinite(logits[0]), "predict");

  // [parameters]
  std::span<float, 3 * 16> W1 = model->parameter<0>();  // by position, or by expression:
  model->for_each_parameter([](auto p, auto values) { std::printf("%s: %zu values\n", p.name.data, values.size()); });
  // [parameters]
  check(W1.size() == 48, "parameter view");

  // [predict_batch]
  // Trained at batch 8, predicting one example on the same parameters: a
  // small workspace of the caller's, one per thread (predict(ws, x) is const).
  model_t::prediction_workspace<1> one;
  const model_t& trained = *model;
  std::span<const float, 2> scores = trained.predict(one, std::span<const float, 3>(xs.data(), 3));
  // [predict_batch]
  check(std::fabs(scores[1] - logits[1]) <= 1e-5f * std::max(1.0f, std::fabs(logits[1])), "batch-1 predict");

  // [schedule]
  const nn::cosine_annealing_lr schedule{.initial = 1e-2, .period = 100};
  for (std::size_t step = 0; step != 100; ++step) {
    adam.set_learning_rate(schedule(step));
    model->train_step(adam, xs, ts);
  }
  // [schedule]
  check(adam.learning_rate() == schedule(99) && adam.steps() == 200, "schedule");

  // [labels]
  // Softmax cross-entropy from class indices, the same as one-hot rows:
  // (ts above, row by row; a label outside [0, 2) throws nn::target_error)
  const std::array<int, 8> labels{0, 1, 0, 1, 0, 1, 0, 1};
  model->train_step(adam, xs, labels);
  // [labels]
  check(model->loss_and_gradient(xs, ts) == model->loss_and_gradient(xs, std::span<const int, 8>(labels)), "labels");

  // [repeat]
  // 64 -> (64, tanh) x 12 -> 10: the twelve layers written once, each with its own W and b
  using deep_net = nn::sequential<64, nn::repeat<12, nn::dense<64, nn::tanh>>, nn::dense<10>>;
  using deep_model = nn::model<deep_net, nn::softmax_cross_entropy, float, 1>;
  static_assert(deep_model::parameter_tensors == 26);  // W1, b1, ..., W13, b13
  // [repeat]
  check(std::is_same_v<deep_model::parameter_type<24>, param<"W13", shape<64, 10>>>, "repeat names");

  // [flat]
  // Every parameter and every gradient as one flat span, in the same
  // layout: here, a step with the gradients clipped to a global norm of 1.
  std::span<float, model_t::parameter_count> all = model->parameters();
  model->loss_and_gradient(xs, ts);
  std::span<float, model_t::parameter_count> g = model->gradients();
  float squares = 0;
  for (float v : g) squares += v * v;
  if (squares > 1)
    for (float& v : g) v /= std::sqrt(squares);
  model->apply_gradients(adam);  // the optimizer's update from g as it is now
  // [flat]
  check(all.data() == model->parameter<0>().data() && g.data() == model->gradient<0>().data(), "flat views");

  // [weights]
  const auto file = std::filesystem::temp_directory_path() / "ctgrad-guide-weights.bin";
  nn::save_weights(*model, file);  // temporary file + rename: never a half-written file
  auto copy = std::make_unique<model_t>();
  try {
    nn::load_weights(*copy, file);  // checks magic, version, names, shapes, checksum, finiteness
  } catch (const nn::weights_error& e) {
    std::printf("cannot load: %s\n", e.what());  // and *copy is unchanged
  }
  // [weights]
  check(std::equal(model->storage().begin(), model->storage().end(), copy->storage().begin()), "weights round trip");
  std::filesystem::remove(file);
  return failures == 0 ? 0 : 1;
}
