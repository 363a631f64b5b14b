// ctgrad/nn/c99.hpp — a model's kernels as standalone C99: prediction, loss
// and gradients, and whole training steps with SGD or Adam, for programs
// without a C++20 compiler (microcontroller toolchains, C code bases).
//
//   nn::save_c99(model, "out", "sine", {.embed_parameters = true});  // out/sine.h, out/sine.c
//   // (nn::to_c99 gives the text), then in C:
//   //   static float parameters[SINE_PARAMETER_COUNT];   /* a copy of sine_parameters */
//   //   static sine_workspace ws;
//   //   sine_predict(parameters, x, y, &ws);
//   //   sine_train_step_adam(parameters, x, t, config, &adam_state, &ws, &loss);
//
// Each function is the model's C++ kernel written out by ctgrad::to_c99
// (c99.hpp: the same program, the same operation order, ctgrad's own
// exp/tanh/sigmoid in C), and each optimizer update is the model's, value
// by value: the predictions, gradients and parameters after any number of
// steps are the C++ model's bits (tests/c99/).  Like model::train_step, a
// step whose loss or a gradient is not finite changes nothing and returns 0.
// Fixed-size arrays, no allocation, no dependency beyond <math.h> and
// <stdint.h>.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../c99.hpp"
#include "embed.hpp"
#include "model.hpp"

// GCC 12 at -O2/-O3 may warn -Wrestrict inside libstdc++ where a string
// literal is prepended to a std::string (a false positive: GCC bug 105329);
// this file builds text that way throughout.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace ctgrad::nn {

struct c99_options {
  /// Also define NAME_parameters[], the model's parameters now (exact
  /// literals), for a program that starts from them.
  bool embed_parameters = false;
};

namespace detail {

/// The C declarations that point a kernel's leaves (names[k], the tensor
/// leaf_keys[k]) at the parameters, laid out as model::parameters()
/// (parameter j, parameter_keys[j], at parameter_offsets[j]); the leaves
/// that are not parameters (x, t) are the function's own arguments.
[[gnu::noinline]] inline std::string bind_parameters(const std::vector<std::string>& names,
                                                     std::span<const std::string_view> tensor_names,
                                                     std::span<const std::uint64_t> leaf_keys,
                                                     std::span<const std::span<const std::size_t>> leaf_dims,
                                                     std::span<const std::uint64_t> parameter_keys,
                                                     std::span<const std::size_t> parameter_offsets,
                                                     std::string_view type) {
  std::string out;
  for (std::size_t k = 0; k != names.size(); ++k) {
    std::size_t j = 0;
    while (j != parameter_keys.size() && parameter_keys[j] != leaf_keys[k]) ++j;
    if (j == parameter_keys.size()) continue;
    std::string dims;
    for (std::size_t d : leaf_dims[k]) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    out += "  const " + std::string(type) + " *const " + names[k] + " = parameters + " +
           std::to_string(parameter_offsets[j]) + "; /* " + std::string(tensor_names[k]) + " [" + dims + "] */\n";
  }
  return out;
}

/// What the C of a model is made of: to_c99 (a template per model) gathers
/// it, model_c99 (not a template) writes the text.
struct model_c99_facts {
  std::string id;
  std::string_view type, suffix, bits;
  std::size_t parameters, inputs, outputs, batch, workspace;
  std::size_t predict_value, train_value;  // where each kernel leaves its output
  std::string predict_body, train_body;    // each kernel's bindings and statements
  std::string embedded;                    // the parameters' literals, or nothing
  bool embed;
};

[[gnu::noinline]] inline c99_code model_c99(const model_c99_facts& f) {
  using std::to_string;
  const std::string& id = f.id;
  const std::string type(f.type), sfx(f.suffix), bits(f.bits), n = to_string(f.parameters);
  const std::string up = ctgrad::detail::c99::macro_prefix(id);
  const std::string ptr = " *restrict ", in = "const " + type + ptr;
  const std::string predict_signature = "void " + id + "_predict(" + in + "parameters, " + in + "x, " + type + ptr +
                                        "y, " + id + "_workspace" + ptr + "workspace)";
  const std::string gradient_signature = type + " " + id + "_loss_and_gradient(" + in + "parameters, " + in + "x, " +
                                         in + "t, " + id + "_workspace" + ptr + "workspace)";
  const std::string step_arguments = "(" + type + ptr + "parameters, " + in + "x, " + in + "t, ";
  const std::string sgd_signature = "int " + id + "_train_step_sgd" + step_arguments + id + "_sgd config, " + id +
                                    "_workspace" + ptr + "workspace, " + type + ptr + "loss)";
  const std::string adam_signature = "int " + id + "_train_step_adam" + step_arguments + id + "_adam config, " + id +
                                     "_adam_state" + ptr + "state, " + id + "_workspace" + ptr + "workspace, " + type +
                                     ptr + "loss)";
  // The header's prototypes leave restrict out, so that C++ can include
  // it: a qualifier of a parameter itself is not part of the function's type.
  const auto prototype = [](const std::string& signature) {
    return ctgrad::detail::c99::replace_all(signature, "restrict ", "") + ";\n";
  };

  c99_code code;
  std::string& h = code.header;
  h = "/* " + id + ": a ctgrad model as C99 (ctgrad::nn::to_c99). */\n#ifndef " + up + "_H\n#define " + up + "_H\n\n";
  h += "#define " + up + "_PARAMETER_COUNT " + n + "\n";
  h += "#define " + up + "_INPUTS " + to_string(f.inputs) + "  /* numbers per row of x */\n";
  h += "#define " + up + "_OUTPUTS " + to_string(f.outputs) + "  /* numbers per row of y and t */\n";
  h += "#define " + up + "_BATCH " + to_string(f.batch) + "  /* rows of x and t per training step */\n\n";
  h += "/* Every value a kernel computes (caller-owned: static, or on a stack that has room). */\n";
  h += "typedef struct {\n  " + type + " values[" + to_string(f.workspace) + "];\n} " + id + "_workspace;\n\n";
  h += "/* nn::sgd: p -= learning_rate * (g + weight_decay * p). */\n";
  h += "typedef struct {\n  double learning_rate, weight_decay;\n} " + id + "_sgd;\n\n";
  h += "/* nn::adam (AdamW's decoupled weight decay); the state starts zeroed. */\n";
  h += "typedef struct {\n  double learning_rate, beta1, beta2, epsilon, weight_decay;\n} " + id + "_adam;\n";
  h += "typedef struct {\n  " + type + " m[" + up + "_PARAMETER_COUNT], v[" + up +
       "_PARAMETER_COUNT];\n  long steps;\n} " + id + "_adam_state;\n\n";
  if (f.embed)
    h += "/* The trained parameters (exact). */\nextern const " + type + " " + id + "_parameters[" + up +
         "_PARAMETER_COUNT];\n\n";
  h += "/* No two arrays passed to one call may overlap (the definitions declare them restrict). */\n\n";
  h += "/* y[OUTPUTS] = the network's output for one row x[INPUTS]. */\n" + prototype(predict_signature);
  h += "/* The loss of a batch; its gradients are then " + id +
       "_gradients(workspace)[0 .. PARAMETER_COUNT),\n   laid out as the parameters. */\n" +
       prototype(gradient_signature);
  h += "const " + type + " *" + id + "_gradients(const " + id + "_workspace *workspace);\n";
  h += "/* One training step on a batch: 1 if the parameters were updated, 0 if the loss or a gradient\n"
       "   was not finite (then nothing changed).  *loss: the loss before the update. */\n" +
       prototype(sgd_signature) + prototype(adam_signature) + "\n#endif\n";

  std::string c;
  if (f.embed)
    c += "const " + type + " " + id + "_parameters[" + up + "_PARAMETER_COUNT] = {\n" + f.embedded + "};\n\n";
  c += predict_signature + " {\n  " + type + " *const ws = workspace->values;\n" + f.predict_body;
  c += "  for (int i = 0; i != " + to_string(f.outputs) + "; ++i) y[i] = ws[" + to_string(f.predict_value) +
       " + i];\n}\n\n";
  c += gradient_signature + " {\n  " + type + " *const ws = workspace->values;\n" + f.train_body;
  c += "  return ws[" + to_string(f.train_value) + "];\n}\n\n";
  c += "const " + type + " *" + id + "_gradients(const " + id +
       "_workspace *workspace) { return workspace->values; }\n\n";

  // model::update's check (nn::skip_nonfinite), on the bits and with no
  // early exit so that it vectorises: a value is not finite when its
  // exponent bits are all ones.  Then the optimizers' updates, value by
  // value as nn/optim.hpp computes them.
  const std::string exponent = f.type == "float" ? "0x7f800000" : "0x7ff0000000000000LL";
  c += "static int " + id + "_finite_step(" + type + " loss, const " + type + " *restrict g) {\n";
  c += "  " + bits + " bad = 0;\n";
  c += "  for (int i = 0; i != " + n + "; ++i)\n    bad |= (ctgrad_to_bits" + sfx + "(g[i]) & " + exponent +
       ") == " + exponent + ";\n";
  c += "  return isfinite(loss) && !bad;\n}\n\n";
  const std::string begin_step = "  const " + type + " *const g = workspace->values;\n  *loss = " + id +
                                 "_loss_and_gradient(parameters, x, t, workspace);\n  if (!" + id +
                                 "_finite_step(*loss, g)) return 0;\n";

  c += sgd_signature + " {\n" + begin_step;
  c += "  {\n    const " + type + " alpha = (" + type + ")(-config.learning_rate);\n";
  c += "    const " + type + " beta = (" + type + ")(1 - config.learning_rate * config.weight_decay);\n";
  c += "    for (int i = 0; i != " + n + "; ++i) parameters[i] = beta * parameters[i] + alpha * g[i];\n";
  c += "  }\n  return 1;\n}\n\n";

  c += adam_signature + " {\n" + begin_step;
  c += "  ++state->steps;\n  {\n";
  c += "    const double correction1 = 1 - pow(config.beta1, (double)state->steps);\n";
  c += "    const double correction2 = 1 - pow(config.beta2, (double)state->steps);\n";
  c += "    const " + type + " b1 = (" + type + ")config.beta1, b2 = (" + type + ")config.beta2, eps = (" + type +
       ")config.epsilon;\n";
  c += "    const " + type + " step = (" + type + ")(config.learning_rate / correction1);\n";
  c += "    const " + type + " inv_sqrt_c2 = (" + type + ")(1 / sqrt(correction2));\n";
  c += "    const " + type + " decay = (" + type + ")(config.learning_rate * config.weight_decay);\n";
  c += "    " + type + " *const m = state->m;\n    " + type + " *const v = state->v;\n";
  c += "    for (int i = 0; i != " + n + "; ++i) {\n";
  c += "      m[i] = b1 * m[i] + (1 - b1) * g[i];\n";
  c += "      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];\n";
  c += "      parameters[i] -= step * m[i] / (sqrt" + sfx + "(v[i]) * inv_sqrt_c2 + eps) + decay * parameters[i];\n";
  c += "    }\n  }\n  return 1;\n}\n";
  code.source = std::move(c);
  return code;
}

/// A kernel's leaf bindings and statements, for a function of a model.
template <class Model, class Text>
std::string model_body() {
  using leaves = typename Text::leaves;
  using parameters = parameter_table<typename Model::parameter_list>;
  static constexpr auto offsets = packed_offsets<Model::parameter_tensors>(parameters::sizes);
  const std::vector<std::string> names = Text::leaf_names();
  return bind_parameters(names, leaves::names, leaves::keys, leaves::dims, parameters::keys, offsets,
                         ctgrad::detail::c99::scalar<typename Model::scalar_type>::type) +
         Text::statements(names.data(), "  ");
}

}  // namespace detail

/// The model's predict (one row), loss and gradients and training steps
/// (a batch of model::batch rows) as C99; see the top of this file.
/// Throws weights_error if a parameter to embed is not finite.
template <class Net, class Loss, class T, std::size_t Batch>
c99_code to_c99(const model<Net, Loss, T, Batch>& m, std::string_view name, c99_options options = {}) {
  using model_t = model<Net, Loss, T, Batch>;
  static_assert(ctgrad::detail::c99::has_c_type<T>, "ctgrad::nn::to_c99: the model's element type is float or double");
  using train = typename model_t::training_kernel;
  using predict = typename model_t::template prediction_kernel_at<1>;
  using train_text = ctgrad::detail::c99::program_text<T, train>;
  using predict_text = ctgrad::detail::c99::program_text<T, predict>;
  if constexpr (!model_t::well_formed || !ctgrad::detail::c99::has_c_type<T>) {
    return {};  // (reported)
  } else {
    using scalar = ctgrad::detail::c99::scalar<T>;
    c99_code code = detail::model_c99(
        {.id = ctgrad::detail::c99::identifier(name),
         .type = scalar::type,
         .suffix = scalar::suffix,
         .bits = scalar::bits,
         .parameters = model_t::parameter_count,
         .inputs = model_t::inputs,
         .outputs = model_t::outputs,
         .batch = Batch,
         .workspace = std::max(train::layout::workspace_elements, predict::layout::workspace_elements),
         .predict_value = predict::layout::loss_offset,
         .train_value = train::layout::loss_offset,
         .predict_body = detail::model_body<model_t, predict_text>(),
         .train_body = detail::model_body<model_t, train_text>(),
         .embedded = options.embed_parameters ? detail::parameter_literals(m, "ctgrad::nn::to_c99") : std::string(),
         .embed = options.embed_parameters});
    const std::string id = ctgrad::detail::c99::identifier(name);
    code.source = "/* " + id + ": a ctgrad model as C99 (ctgrad::nn::to_c99). */\n" +
                  ctgrad::detail::c99::preamble<T>(code.source) + "\n#include \"" + id + ".h\"\n\n" + code.source;
    return code;
  }
}

/// Write code (from nn::to_c99 or ctgrad::to_c99) as directory/NAME.h and
/// directory/NAME.c, NAME being `name` as a C identifier (the name given to
/// to_c99: the source includes "NAME.h"), each atomically as save_weights
/// writes: an existing file is replaced whole or left as it was.
template <detail::weights_path Path>
void save_c99(const c99_code& code, const Path& directory, std::string_view name) {
  const std::string stem = detail::path_text(directory) + "/" + ctgrad::detail::c99::identifier(name);
  detail::save_bytes_atomically(std::vector<unsigned char>(code.header.begin(), code.header.end()), stem + ".h",
                                "ctgrad::nn::save_c99");
  detail::save_bytes_atomically(std::vector<unsigned char>(code.source.begin(), code.source.end()), stem + ".c",
                                "ctgrad::nn::save_c99");
}
/// The model as C99 (nn::to_c99), written as directory/NAME.h and NAME.c.
template <class Net, class Loss, class T, std::size_t Batch, detail::weights_path Path>
void save_c99(const model<Net, Loss, T, Batch>& m, const Path& directory, std::string_view name,
              c99_options options = {}) {
  save_c99(to_c99(m, name, options), directory, name);
}

}  // namespace ctgrad::nn

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
