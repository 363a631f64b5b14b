// Writes each test model's kernels as C99 (nn::to_c99, with its initial
// parameters embedded) and, beside them, what the C++ model computes from
// those parameters on fixed data: predictions, loss and gradients, and
// the loss and parameters after every step of SGD and of Adam training.
// check_model.c, compiled as C99 by gcc and clang (run.cmake), must
// reproduce all of it bit for bit.
//
//   emit_models <output directory>
#include <ctgrad/nn.hpp>
#include <ctgrad/nn/c99.hpp>

#include "worked_example.hpp"

#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace ctgrad;
using namespace ctgrad::literals;

inline constexpr int steps = 12;

/// Deterministic data in [-2, 2) (SplitMix64).
struct data_source {
  std::uint64_t state;
  double next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    z ^= z >> 31U;
    return static_cast<double>(z >> 11U) * 0x1p-53 * 4.0 - 2.0;
  }
};

template <class T>
std::string array(const std::string& name, const std::vector<T>& values) {
  std::string s = "static const REAL " + name + "[" + std::to_string(values.size()) + "] = {\n";
  for (std::size_t i = 0; i != values.size(); ++i)
    s += std::string(i % 4 == 0 ? "    " : " ") + nn::detail::hex_literal(values[i]) +
         (i + 1 == values.size() ? "\n" : (i % 4 == 3 ? ",\n" : ","));
  return s + "};\n";
}

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("emit_models: cannot write " + path);
}

template <class Model>
void emit(const std::string& dir, const std::string& name, std::uint64_t seed, bool class_targets) {
  using T = typename Model::scalar_type;
  constexpr std::size_t B = Model::batch, in = Model::inputs, out = Model::outputs;
  auto model = std::make_unique<Model>();
  model->initialize(seed);
  const ctgrad::c99_code code = nn::to_c99(*model, name, {.embed_parameters = true});
  write(dir + "/" + name + ".h", code.header);
  write(dir + "/" + name + ".c", code.source);

  data_source source{seed};
  std::vector<T> x(steps * B * in), t(steps * B * out);
  for (T& v : x) v = static_cast<T>(source.next());
  for (std::size_t r = 0; r != steps * B; ++r)
    for (std::size_t j = 0; j != out; ++j)
      t[r * out + j] = class_targets ? T(j == r % out ? 1 : 0) : static_cast<T>(source.next());

  std::string ref = "/* " + name + ": what the C++ model computes (emit_models.cpp). */\n";
  ref += std::string("#define REAL ") + (std::is_same_v<T, float> ? "float" : "double") + "\n";
  ref += "#define STEPS " + std::to_string(steps) + "\n";
  ref += array("reference_x", x) + array("reference_t", t);

  // Predictions of the first batch's rows, one row at a time.
  std::vector<T> predictions;
  typename Model::template prediction_workspace<1> pws;
  for (std::size_t r = 0; r != B; ++r) {
    const auto y = model->predict(pws, std::span<const T, in>(x.data() + r * in, in));
    predictions.insert(predictions.end(), y.begin(), y.end());
  }
  ref += array("reference_predictions", predictions);

  const T loss0 = model->loss_and_gradient(std::span<const T, B * in>(x.data(), B * in),
                                           std::span<const T, B * out>(t.data(), B * out));
  ref += array("reference_loss", std::vector<T>{loss0});
  ref += array("reference_gradients", std::vector<T>(model->gradients().begin(), model->gradients().end()));

  const std::vector<T> initial(model->parameters().begin(), model->parameters().end());
  const auto train = [&](auto config, const char* which) {
    std::copy(initial.begin(), initial.end(), model->parameters().begin());
    auto opt = Model::make_optimizer(config);
    std::vector<T> losses, parameters;
    for (int s = 0; s != steps; ++s) {
      const auto r = model->train_step(opt, std::span<const T, B * in>(x.data() + s * B * in, B * in),
                                       std::span<const T, B * out>(t.data() + s * B * out, B * out));
      if (!r.updated) throw std::runtime_error("emit_models: a step was skipped");
      losses.push_back(r.loss);
      parameters.insert(parameters.end(), model->parameters().begin(), model->parameters().end());
    }
    ref += array(std::string("reference_") + which + "_losses", losses);
    ref += array(std::string("reference_") + which + "_parameters", parameters);
  };
  train(nn::sgd{.learning_rate = 0.05, .weight_decay = 0.01}, "sgd");
  ref += "#define SGD_LEARNING_RATE 0.05\n#define SGD_WEIGHT_DECAY 0.01\n";
  train(nn::adam{.learning_rate = 0.01, .weight_decay = 0.001}, "adam");
  ref += "#define ADAM_LEARNING_RATE 0.01\n#define ADAM_WEIGHT_DECAY 0.001\n";
  write(dir + "/" + name + "_reference.h", ref);
}

/// A kernel of every elementwise function to_c99 spells (ctgrad::to_c99
/// directly, no model), its loss and gradients on random values.
template <class T>
void emit_kernel(const std::string& dir, const std::string& name, std::uint64_t seed) {
  constexpr param<"A", shape<4, 5>> A;
  constexpr param<"B", shape<5, 3>> B;
  constexpr input<"x", shape<4, 3>> x;
  constexpr auto z = matmul(A, B) + x;
  constexpr auto mix = tanh(z) * sigmoid(z) + sqrt(abs(z) + 1_c) + log(softplus(z)) + pow(z, 3_c) / 10_c +
                       sin(z) * cos(z) + relu(z) * step(z) + sign(z) * gelu(z) + exp(negative_part(z)) +
                       pow(abs(z) + 1_c, c<3, 2>) + pow(abs(z) + 1_c, c<-5>);
  constexpr auto kernel = compile(sum(mix) + sum(logsumexp(z)), wrt(A, B, x));
  const ctgrad::c99_code code = to_c99<T>(kernel, name);
  write(dir + "/" + name + ".h", code.header);
  write(dir + "/" + name + ".c", code.source);

  data_source source{seed};
  std::vector<T> a(20), b(15), xs(12);
  for (auto* v : {&a, &b, &xs})
    for (T& e : *v) e = static_cast<T>(source.next());
  workspace<decltype(kernel), T> ws;
  const T loss =
      kernel(ws, A = std::span<const T, 20>(a), B = std::span<const T, 15>(b), x = std::span<const T, 12>(xs));
  std::string ref = "/* " + name + ": what the C++ kernel computes (emit_models.cpp). */\n";
  ref += std::string("#define REAL ") + (std::is_same_v<T, float> ? "float" : "double") + "\n";
  ref += array("reference_A", a) + array("reference_B", b) + array("reference_x", xs);
  ref += array("reference_loss", std::vector<T>{loss});
  ref += array("reference_gradients", std::vector<T>(ws.gradients().begin(), ws.gradients().end()));
  // The call, its leaves in the order the header declares them.
  std::string call = "#define RUN_KERNEL(ws) " + name + "_run(ws";
  for (const std::string& leaf :
       ctgrad::detail::c99::program_text<T, std::remove_const_t<decltype(kernel)>>::leaf_names())
    call += ", reference_" + leaf;
  ref += call + ")\n";
  write(dir + "/" + name + "_reference.h", ref);
}

/// A scalar gradient kernel (ctgrad::to_c99 of ctgrad::gradient), and its
/// value and partials at the bindings as the C++ kernel computes them.
template <class T, class Kernel, class... Bindings>
void emit_scalar(const std::string& dir, const std::string& name, Kernel kernel, Bindings... bindings) {
  const ctgrad::c99_code code = to_c99<T>(kernel, name);
  write(dir + "/" + name + ".h", code.header);
  write(dir + "/" + name + ".c", code.source);
  const auto r = kernel.template operator()<T>(bindings...);
  std::string ref = "/* " + name + ": what the C++ kernel computes (emit_models.cpp). */\n";
  ref += std::string("#define REAL ") + (std::is_same_v<T, float> ? "float" : "double") + "\n";
  ref += "static const " + name + "_variables reference_in = {";
  ((ref += "." + ctgrad::detail::c99::identifier(Bindings::name.view()) + " = " +
           nn::detail::hex_literal(static_cast<T>(bindings.value)) + ", "),
   ...);
  ref += "};\n";
  std::vector<T> out{r.value};
  out.insert(out.end(), r.partials.begin(), r.partials.end());
  ref += array("reference_out", out);
  ref += "typedef " + name + "_result result;\n#define RUN(in, out) " + name + "_run(in, out)\n";
  write(dir + "/" + name + "_reference.h", ref);
}

// Products by the row (dot products: fewer than 8 rows) and by the
// register-blocked path; tanh, sigmoid; mean squared error.
using small_net = nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<4, nn::sigmoid>, nn::dense<2>>;
using small_model = nn::model<small_net, nn::mse, float, 4>;
// Batch 16: transposes packed for the products; relu, gelu; softmax cross
// entropy (logsumexp); double.
using class_net = nn::sequential<5, nn::dense<16, nn::relu>, nn::dense<12, nn::gelu>, nn::dense<3>>;
using class_model = nn::model<class_net, nn::softmax_cross_entropy, double, 16>;
// A wider float net: block reductions of 16 partial sums (a bias gradient
// over 40 rows).
using wide_net = nn::sequential<7, nn::dense<24, nn::tanh>, nn::dense<1>>;
using wide_model = nn::model<wide_net, nn::mse, float, 40>;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: emit_models <output directory>\n");
    return 2;
  }
  try {
    emit<small_model>(argv[1], "small", 1, false);
    emit<class_model>(argv[1], "classifier", 2, true);
    emit<wide_model>(argv[1], "wide", 3, false);
    emit_kernel<double>(argv[1], "functions", 4);
    emit_kernel<float>(argv[1], "functions_float", 5);
    {
      using namespace worked_example;
      emit_scalar<double>(argv[1], "worked", dE, w1 = 0.15, w2 = 0.20, w3 = 0.25, w4 = 0.30, w5 = 0.40, w6 = 0.45,
                          w7 = 0.50, w8 = 0.55, i1 = 0.05, i2 = 0.10, t1 = 0.01, t2 = 0.99, b1 = 0.35, b2 = 0.60);
    }
    {
      // Every function the scalar level spells in C, each where it is smooth.
      constexpr var<"x"> x;
      constexpr var<"y"> y;
      constexpr auto e = sin(x) * cos(y) + exp(x * y / 4_c) + log(1_c + x * x) + sqrt(abs(y) + 1_c) + tanh(x) +
                         sigmoid(y) + pow(x, 3_c) + pow(abs(y) + 1_c, c<3, 2>) + pow(abs(x) + 2_c, c<1, 3>) +
                         pow(abs(x) + 1_c, c<-2>) + gelu(x) + relu(y) + softplus(x) + step(x) * y + sign(y) * x;
      constexpr auto g = gradient(e, x, y);
      emit_scalar<double>(argv[1], "scalar_functions", g, x = 0.7, y = -1.3);
      emit_scalar<float>(argv[1], "scalar_functions_float", g, x = 0.7, y = -1.3);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
