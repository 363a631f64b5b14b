// What tests/c99's emitters share: deterministic data, the reference
// arrays as C, and emitting a model (nn::to_c99), a tensor kernel or a
// scalar kernel (ctgrad::to_c99) with what the C++ code computes beside it.
// emit_models.cpp (dense models, kernels of every function, scalar
// kernels) and emit_windows.cpp (convolutional models, window kernels)
// build one program, in two translation units (compiled in parallel).
#pragma once

#include <ctgrad/nn.hpp>
#include <ctgrad/nn/c99.hpp>

#include <cstdint>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace c99_test {

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

inline void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("emit_models: cannot write " + path);
}

/// A model's C (its initial parameters embedded) and what the C++ model
/// computes: predictions, loss and gradients, and the loss and parameters
/// after every step of SGD and of Adam.
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

/// A tensor kernel as C (ctgrad::to_c99 directly, no model), and its loss
/// and gradients at random values of its leaves as the C++ kernel computes
/// them.
template <class T, class Kernel, class... Leaves>
void emit_tensor_kernel(const std::string& dir, const std::string& name, std::uint64_t seed, Kernel kernel,
                        Leaves... leaves) {
  const ctgrad::c99_code code = to_c99<T>(kernel, name);
  write(dir + "/" + name + ".h", code.header);
  write(dir + "/" + name + ".c", code.source);

  data_source source{seed};
  std::vector<std::vector<T>> values{std::vector<T>(shape_of<Leaves>::size)...};
  for (std::vector<T>& v : values)
    for (T& e : v) e = static_cast<T>(source.next());
  workspace<Kernel, T> ws;
  const T loss = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return kernel(ws, (leaves = std::span<const T, shape_of<Leaves>::size>(values[I]))...);
  }
  (std::index_sequence_for<Leaves...>{});
  std::string ref = "/* " + name + ": what the C++ kernel computes (emit_models.cpp). */\n";
  ref += std::string("#define REAL ") + (std::is_same_v<T, float> ? "float" : "double") + "\n";
  std::size_t k = 0;
  ((ref += array("reference_" + ctgrad::detail::c99::identifier(Leaves::name.view()), values[k++])), ...);
  ref += array("reference_loss", std::vector<T>{loss});
  ref += array("reference_gradients", std::vector<T>(ws.gradients().begin(), ws.gradients().end()));
  // The call, its leaves in the order the header declares them.
  std::string call = "#define RUN_KERNEL(ws) " + name + "_run(ws";
  for (const std::string& leaf : ctgrad::detail::c99::program_text<T, Kernel>::leaf_names())
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

/// The convolutional models and window kernels (emit_windows.cpp).
void emit_windows(const std::string& dir);

}  // namespace c99_test
