// The C++ half of tests/interop/torch_parity.py: loads the weights PyTorch
// wrote (.npz and .safetensors), runs predict and loss_and_gradient on the
// batch in batch_*.txt, and writes back what PyTorch checks: predictions and
// loss as text, gradients and the weights themselves as .npz/.safetensors
// (so they come back in PyTorch's names and layouts), for an MLP, a CNN and
// three recurrent nets (GRU, LSTM, Elman RNN, a dense layer per step).  Then it trains each
// net from the same weights for the steps in train_*.txt with SGD, momentum,
// Nesterov, Adam, AdamW, RMSProp (plain; centered with momentum), Adagrad and
// two schedules, and saves the parameters after training; and evaluates
// softmax cross-entropy from integer class labels.
#include <ctgrad/nn.hpp>
#include <ctgrad/nn/npz.hpp>
#include <ctgrad/nn/safetensors.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace ctgrad;

namespace {
using mlp = nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<2>>;
using cnn = nn::sequential<nn::input_shape<2, 6, 6>, nn::conv2d<3, 3, nn::relu>, nn::flatten, nn::dense<2>>;
using gru = nn::sequential<nn::input_shape<6, 2>, nn::gru<5>, nn::dense<2>>;
using lstm = nn::sequential<nn::input_shape<6, 2>, nn::lstm<4>, nn::dense<2>>;
using elman = nn::sequential<nn::input_shape<6, 2>, nn::rnn<4>, nn::dense<2>>;
constexpr std::size_t batch = 4;

std::vector<double> numbers(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::vector<double> v;
  for (double x; in >> x;) v.push_back(x);
  return v;
}

/// Load `name`.{npz,safetensors} into a Model, evaluate, write the results.
template <class Model>
void run(const std::filesystem::path& dir, const std::string& name, const std::string& type,
         const std::vector<std::string>& prefixes) {
  using T = typename Model::scalar_type;
  const std::vector<double> x = numbers(dir / ("batch_" + name + "_x.txt")),
                            t = numbers(dir / ("batch_" + name + "_t.txt"));
  if (x.size() != batch * Model::inputs || t.size() != batch * Model::outputs)
    throw std::runtime_error("batch files of the wrong size for " + name);
  std::array<T, batch * Model::inputs> xs{};
  std::array<T, batch * Model::outputs> ts{};
  std::copy(x.begin(), x.end(), xs.begin());
  std::copy(t.begin(), t.end(), ts.begin());
  const nn::exchange_options options{.prefixes = prefixes};
  for (const std::string format : {"npz", "safetensors"}) {
    auto m = std::make_unique<Model>();
    const std::filesystem::path in = dir / (name + "." + format);
    if (format == "npz")
      nn::load_npz(*m, in, options);
    else
      nn::load_safetensors(*m, in, options);
    const std::string tag = name + "_" + type + "_" + format;
    std::ofstream out(dir / ("out_" + tag + ".txt"));
    char text[40];
    for (T v : m->predict(xs)) std::snprintf(text, sizeof text, "%.17g\n", static_cast<double>(v)), out << text;
    std::snprintf(text, sizeof text, "%.17g\n", static_cast<double>(m->loss_and_gradient(xs, ts)));
    out << text;
    auto gradients = std::make_unique<Model>();
    gradients->for_each_parameter([&](auto p, auto values) {
      const auto g = m->gradient(p);
      std::copy(g.begin(), g.end(), values.begin());
    });
    if (format == "npz") {
      nn::save_npz(*gradients, dir / ("grad_" + tag + ".npz"), options);
      nn::save_npz(*m, dir / ("back_" + tag + ".npz"), options);
    } else {
      nn::save_safetensors(*gradients, dir / ("grad_" + tag + ".safetensors"), options);
      nn::save_safetensors(*m, dir / ("back_" + tag + ".safetensors"), options);
    }
  }
}
/// Softmax cross-entropy from integer labels (labels_ce.txt) on ce.npz:
/// the loss (out_ce_`type`.txt) and the gradients (grad_ce_`type`.npz).
template <class Model>
void classify(const std::filesystem::path& dir, const std::string& type) {
  using T = typename Model::scalar_type;
  const std::vector<double> x = numbers(dir / "batch_ce_x.txt"), labels = numbers(dir / "labels_ce.txt");
  std::array<T, batch * Model::inputs> xs{};
  std::array<long, batch> ls{};
  std::copy(x.begin(), x.end(), xs.begin());
  std::transform(labels.begin(), labels.end(), ls.begin(), [](double l) { return static_cast<long>(l); });
  const nn::exchange_options options{.prefixes = {"0", "2"}};
  auto m = std::make_unique<Model>(), gradients = std::make_unique<Model>();
  nn::load_npz(*m, dir / "ce.npz", options);
  std::ofstream out(dir / ("out_ce_" + type + ".txt"));
  char text[40];
  std::snprintf(text, sizeof text, "%.17g\n", static_cast<double>(m->loss_and_gradient(xs, ls)));
  out << text;
  gradients->for_each_parameter([&](auto p, auto values) {
    const auto g = m->gradient(p);
    std::copy(g.begin(), g.end(), values.begin());
  });
  nn::save_npz(*gradients, dir / ("grad_ce_" + type + ".npz"), options);
}

/// Each activation in an MLP 3 -> 6 (Act) -> 2, double, from act_`name`.npz
/// (torch_parity.py puts kinks and large pre-activations in it): the
/// predictions and loss (out_act_`name`.txt) and gradients (grad_act_`name`.npz).
template <class Act>
void activation(const std::filesystem::path& dir) {
  using Model = nn::model<nn::sequential<3, nn::dense<6, Act>, nn::dense<2>>, nn::mse, double, batch>;
  const std::string name(Act::name);
  const std::vector<double> x = numbers(dir / "batch_mlp_x.txt"), t = numbers(dir / "batch_mlp_t.txt");
  std::array<double, batch * 3> xs{};
  std::array<double, batch * 2> ts{};
  std::copy(x.begin(), x.end(), xs.begin());
  std::copy(t.begin(), t.end(), ts.begin());
  const nn::exchange_options options{.prefixes = {"0", "2"}};
  auto m = std::make_unique<Model>(), gradients = std::make_unique<Model>();
  nn::load_npz(*m, dir / ("act_" + name + ".npz"), options);
  std::ofstream out(dir / ("out_act_" + name + ".txt"));
  char text[40];
  for (double v : m->predict(xs)) std::snprintf(text, sizeof text, "%.17g\n", v), out << text;
  std::snprintf(text, sizeof text, "%.17g\n", m->loss_and_gradient(xs, ts));
  out << text;
  gradients->for_each_parameter([&](auto p, auto values) {
    const auto g = m->gradient(p);
    std::copy(g.begin(), g.end(), values.begin());
  });
  nn::save_npz(*gradients, dir / ("grad_act_" + name + ".npz"), options);
}

/// A loss on the MLP's weights (mlp.npz) and batch: loss and gradients into
/// out_loss_`tag`.txt and grad_loss_`tag`.npz.  With Labels, targets are the
/// class labels of labels_ce.txt on ce.npz's network ending in log_softmax.
template <class Model, bool Labels = false>
void check_loss(const std::filesystem::path& dir, const std::string& tag) {
  using T = typename Model::scalar_type;
  const nn::exchange_options options{.prefixes = {"0", "2"}};
  auto m = std::make_unique<Model>(), gradients = std::make_unique<Model>();
  std::array<T, batch * Model::inputs> xs{};
  T value;
  if constexpr (Labels) {
    const std::vector<double> x = numbers(dir / "batch_ce_x.txt"), labels = numbers(dir / "labels_ce.txt");
    std::copy(x.begin(), x.end(), xs.begin());
    std::array<int, batch> ls{};
    std::transform(labels.begin(), labels.end(), ls.begin(), [](double l) { return static_cast<int>(l); });
    nn::load_npz(*m, dir / "ce.npz", options);
    value = m->loss_and_gradient(xs, ls);
  } else {
    const std::vector<double> x = numbers(dir / "batch_mlp_x.txt"), t = numbers(dir / "batch_mlp_t.txt");
    std::array<T, batch * Model::outputs> ts{};
    std::copy(x.begin(), x.end(), xs.begin());
    std::copy(t.begin(), t.end(), ts.begin());
    nn::load_npz(*m, dir / "mlp.npz", options);
    value = m->loss_and_gradient(xs, ts);
  }
  std::ofstream out(dir / ("out_loss_" + tag + ".txt"));
  char text[40];
  std::snprintf(text, sizeof text, "%.17g\n", static_cast<double>(value));
  out << text;
  gradients->for_each_parameter([&](auto p, auto values) {
    const auto g = m->gradient(p);
    std::copy(g.begin(), g.end(), values.begin());
  });
  nn::save_npz(*gradients, dir / ("grad_loss_" + tag + ".npz"), options);
}

/// Train from `name`.npz with each optimizer over the batches in
/// train_`name`_{x,t}.txt; save the parameters as trained_`name`_`type`_`optimizer`.npz.
template <class Model>
void train(const std::filesystem::path& dir, const std::string& name, const std::string& type,
           const std::vector<std::string>& prefixes) {
  using T = typename Model::scalar_type;
  const std::vector<double> x = numbers(dir / ("train_" + name + "_x.txt")),
                            t = numbers(dir / ("train_" + name + "_t.txt"));
  const std::size_t steps = x.size() / (batch * Model::inputs);
  if (x.size() != steps * batch * Model::inputs || t.size() != steps * batch * Model::outputs)
    throw std::runtime_error("training files of the wrong size for " + name);
  const nn::exchange_options options{.prefixes = prefixes};
  const auto no_schedule = [](std::size_t) { return -1.0; };  // keep the configured rate
  const auto run_with = [&](const std::string& optimizer, auto config, auto schedule) {
    auto m = std::make_unique<Model>();
    nn::load_npz(*m, dir / (name + ".npz"), options);
    auto opt = Model::make_optimizer(config);
    std::array<T, batch * Model::inputs> xs{};
    std::array<T, batch * Model::outputs> ts{};
    for (std::size_t step = 0; step != steps; ++step) {
      if (schedule(step) >= 0) opt.set_learning_rate(schedule(step));
      std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(step * xs.size()), xs.size(), xs.begin());
      std::copy_n(t.begin() + static_cast<std::ptrdiff_t>(step * ts.size()), ts.size(), ts.begin());
      m->train_step(opt, xs, ts);
    }
    nn::save_npz(*m, dir / ("trained_" + name + "_" + type + "_" + optimizer + ".npz"), options);
  };
  // The same settings as torch_parity.py's torch.optim (PyTorch's definitions).
  run_with("sgd", nn::sgd{.learning_rate = 0.1, .weight_decay = 0.01}, no_schedule);
  run_with("momentum", nn::momentum{.learning_rate = 0.05, .beta = 0.9, .weight_decay = 0.01}, no_schedule);
  run_with("nesterov", nn::momentum{.learning_rate = 0.05, .beta = 0.9, .weight_decay = 0.01, .nesterov = true},
           no_schedule);
  run_with("adam", nn::adam{.learning_rate = 0.01}, no_schedule);
  run_with("adamw", nn::adam{.learning_rate = 0.01, .weight_decay = 0.01}, no_schedule);
  run_with("rmsprop", nn::rmsprop{.learning_rate = 0.01}, no_schedule);
  run_with("rmsprop_centered",
           nn::rmsprop{.learning_rate = 0.005, .weight_decay = 0.01, .momentum = 0.5, .centered = true}, no_schedule);
  run_with("adagrad",
           nn::adagrad{.learning_rate = 0.05, .lr_decay = 0.01, .weight_decay = 0.01, .initial_accumulator_value = 0.1},
           no_schedule);
  run_with("sgd_cosine", nn::sgd{.learning_rate = 0.1}, nn::cosine_annealing_lr{.initial = 0.1, .period = 100});
  run_with("adam_warmup", nn::adam{.learning_rate = 0.01},
           nn::linear_lr{.initial = 0.01, .start_factor = 0.1, .total = 20});
}
}  // namespace

/// Every schedule at t = 0 .. 29, one line each, into schedules.txt.
void schedules(const std::filesystem::path& dir) {
  std::ofstream out(dir / "schedules.txt");
  const auto line = [&](auto schedule) {
    char text[40];
    for (std::size_t t = 0; t != 30; ++t) std::snprintf(text, sizeof text, "%.17g ", schedule(t)), out << text;
    out << "\n";
  };
  line(nn::step_lr{.initial = 0.1, .step_size = 7, .gamma = 0.5});
  line(nn::exponential_lr{.initial = 0.1, .gamma = 0.9});
  line(nn::cosine_annealing_lr{.initial = 0.1, .period = 12, .minimum = 0.001});
  line(nn::linear_lr{.initial = 0.1, .start_factor = 0.25, .end_factor = 1.0, .total = 8});
}

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY (run by torch_parity.py)\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  run<nn::model<mlp, nn::mse, double, batch>>(dir, "mlp", "double", {"0", "2"});
  run<nn::model<mlp, nn::mse, float, batch>>(dir, "mlp", "float", {"0", "2"});
  run<nn::model<cnn, nn::mse, double, batch>>(dir, "cnn", "double", {"0", "3"});
  run<nn::model<cnn, nn::mse, float, batch>>(dir, "cnn", "float", {"0", "3"});
  run<nn::model<gru, nn::mse, double, batch>>(dir, "gru", "double", {"rnn", "out"});
  run<nn::model<gru, nn::mse, float, batch>>(dir, "gru", "float", {"rnn", "out"});
  run<nn::model<lstm, nn::mse, double, batch>>(dir, "lstm", "double", {"rnn", "out"});
  run<nn::model<lstm, nn::mse, float, batch>>(dir, "lstm", "float", {"rnn", "out"});
  run<nn::model<elman, nn::mse, double, batch>>(dir, "rnn", "double", {"rnn", "out"});
  run<nn::model<elman, nn::mse, float, batch>>(dir, "rnn", "float", {"rnn", "out"});
  schedules(dir);
  activation<nn::tanh>(dir);
  activation<nn::sigmoid>(dir);
  activation<nn::relu>(dir);
  activation<nn::leaky_relu>(dir);
  activation<nn::elu>(dir);
  activation<nn::gelu>(dir);
  activation<nn::softplus>(dir);
  using ce_net = nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<5>>;
  classify<nn::model<ce_net, nn::softmax_cross_entropy, double, batch>>(dir, "double");
  classify<nn::model<ce_net, nn::softmax_cross_entropy, float, batch>>(dir, "float");
  check_loss<nn::model<mlp, nn::l1, double, batch>>(dir, "l1");
  check_loss<nn::model<mlp, nn::huber<1, 2>, double, batch>>(dir, "huber");
  check_loss<
      nn::model<nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<5, nn::log_softmax>>, nn::nll, double, batch>,
      true>(dir, "nll");
  train<nn::model<mlp, nn::mse, double, batch>>(dir, "mlp", "double", {"0", "2"});
  train<nn::model<mlp, nn::mse, float, batch>>(dir, "mlp", "float", {"0", "2"});
  train<nn::model<cnn, nn::mse, double, batch>>(dir, "cnn", "double", {"0", "3"});
  train<nn::model<cnn, nn::mse, float, batch>>(dir, "cnn", "float", {"0", "3"});
  train<nn::model<gru, nn::mse, double, batch>>(dir, "gru", "double", {"rnn", "out"});
  train<nn::model<gru, nn::mse, float, batch>>(dir, "gru", "float", {"rnn", "out"});
  train<nn::model<lstm, nn::mse, double, batch>>(dir, "lstm", "double", {"rnn", "out"});
  train<nn::model<lstm, nn::mse, float, batch>>(dir, "lstm", "float", {"rnn", "out"});
  train<nn::model<elman, nn::mse, double, batch>>(dir, "rnn", "double", {"rnn", "out"});
  train<nn::model<elman, nn::mse, float, batch>>(dir, "rnn", "float", {"rnn", "out"});
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
