// ctgrad/nn/embed.hpp — a trained model's parameters compiled into the
// program: no file system, no heap, no copy.
//
//   nn::save_parameters_header(model, "sine_parameters.hpp", "sine");   // once, after training
//
//   #include "sine_parameters.hpp"                                        // in the deployed program
//   nn::predictor<sine_model> predict(sine::parameters);
//   auto y = predict(x);
//
// The header is self-contained C++ (it includes nothing): the parameters
// as one `alignas(64) inline constexpr` array of hexadecimal floating-point
// literals, which are exact, so the deployed program's parameters are
// bit for bit those of the trained model, and its predictions too (same
// kernel, same instruction set).  The array is read in place (it may live
// in read-only memory or flash); a predictor holds a pointer to it and
// the prediction workspace, nothing else.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io.hpp"

namespace ctgrad::nn {

namespace detail {

/// `value` as a hexadecimal floating-point literal of type T: exact.
template <std::floating_point T>
std::string hex_literal(T value) {
  char text[64];
  if constexpr (std::is_same_v<T, long double>)
    std::snprintf(text, sizeof text, "%LaL", value);
  else if constexpr (std::is_same_v<T, double>)
    std::snprintf(text, sizeof text, "%a", value);
  else  // a float is exactly a double: printed as one, read back as a float literal
    std::snprintf(text, sizeof text, "%af", static_cast<double>(value));
  return text;
}

inline constexpr std::string_view element_type_name(float*) noexcept { return "float"; }
inline constexpr std::string_view element_type_name(double*) noexcept { return "double"; }
inline constexpr std::string_view element_type_name(long double*) noexcept { return "long double"; }

/// Whether `name` is a C++ namespace name: identifiers joined by "::", none
/// reserved (leading underscore and capital, or a double underscore).
inline bool namespace_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(name.find("::", start), name.size());
    const std::string_view id = name.substr(start, end - start);
    if (id.empty() || (id[0] >= '0' && id[0] <= '9') || id.find("__") != std::string_view::npos ||
        (id.size() > 1 && id[0] == '_' && id[1] >= 'A' && id[1] <= 'Z'))
      return false;
    for (char c : id)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    if (end == name.size()) return true;
    start = end + 2;
  }
}

/// The body of an array initialiser holding m's parameters as exact
/// literals, a comment per tensor (name, shape, offset); throws
/// weights_error (naming `function`) if a parameter is not finite: a
/// literal cannot spell a NaN or an infinity.
template <class Model>
std::string parameter_literals(const Model& m, const char* function) {
  std::string out;
  std::size_t offset = 0;
  m.for_each_parameter([&](auto p, auto values) {
    using P = decltype(p);
    std::string dims;
    for (std::size_t d : shape_of<P>::dims) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    out += "    // " + std::string(P::name.view()) + " [" + dims + "] at " + std::to_string(offset) + "\n";
    for (std::size_t i = 0; i != values.size(); ++i) {
      if (!std::isfinite(values[i]))
        throw weights_error(std::string(function) + ": parameter " + std::string(P::name.view()) + "[" +
                            std::to_string(i) + "] is not finite");
      out += (i % 4 == 0 ? "    " : " ") + hex_literal(values[i]) + ",";
      if (i % 4 == 3 || i + 1 == values.size()) out += "\n";
    }
    offset += values.size();
  });
  return out;
}

}  // namespace detail

/// The text save_parameters_header writes: a header defining, in namespace
/// `name`, `parameter_count` and `parameters` (the model's parameters() as
/// an array of exact literals, one comment per tensor with its name, shape
/// and offset).  Throws weights_error if `name` is no namespace name or a
/// parameter is not finite (a literal cannot spell a NaN or an infinity,
/// and a model that holds one is not worth deploying).
template <class Model>
std::string parameters_header_text(const Model& m, std::string_view name) {
  using T = typename Model::scalar_type;
  constexpr const char* function = "ctgrad::nn::save_parameters_header";
  if (!detail::namespace_name(name))
    throw weights_error(std::string(function) + ": \"" + std::string(name) +
                        "\" is not a C++ namespace name (identifiers joined by ::)");
  std::string out;
  out += "// The parameters of a ctgrad model (" + std::to_string(Model::parameter_count) + " " +
         std::string(detail::element_type_name(static_cast<T*>(nullptr))) +
         "), written by ctgrad::nn::save_parameters_header.\n"
         "// Hexadecimal literals: the bits are the trained model's.  Self-contained.\n"
         "//   ctgrad::nn::predictor<model_t> predict(" +
         std::string(name) + "::parameters);\n#pragma once\n\nnamespace " + std::string(name) +
         " {\n\ninline constexpr decltype(sizeof 0) parameter_count = " + std::to_string(Model::parameter_count) +
         ";\n\nalignas(64) inline constexpr " + std::string(detail::element_type_name(static_cast<T*>(nullptr))) +
         " parameters[parameter_count] = {\n";
  out += detail::parameter_literals(m, function);
  out += "};\n\n}  // namespace " + std::string(name) + "\n";
  return out;
}

/// Write the model's parameters as a C++ header (parameters_header_text)
/// to path, atomically as save_weights does: an existing file is replaced
/// whole or left as it was.
template <class Model, detail::weights_path Path>
void save_parameters_header(const Model& m, const Path& path, std::string_view name) {
  const std::string text = parameters_header_text(m, name);
  detail::save_bytes_atomically(std::vector<unsigned char>(text.begin(), text.end()), detail::path_text(path),
                                "ctgrad::nn::save_parameters_header");
}

/// Predictions of a Model on parameters held elsewhere (an array a header
/// of save_parameters_header defines, or any span laid out as
/// Model::parameters()), at batch B: the parameters are read in place,
/// never copied; the predictor holds a pointer to them and its workspace
/// (sizeof: the workspace, one array, no heap).  `operator()` is
/// Model::predict_with on them.
template <class Model, std::size_t B = 1>
class predictor {
 public:
  using scalar_type = typename Model::scalar_type;
  static constexpr std::size_t inputs = B * Model::inputs;
  static constexpr std::size_t outputs = B * Model::outputs;

  explicit constexpr predictor(std::span<const scalar_type, Model::parameter_count> parameters) noexcept
      : parameters_(parameters) {}

  /// The network's output for B rows (row-major [B, inputs] in, [B, outputs]
  /// out; the span points into the predictor).
  std::span<const scalar_type, outputs> operator()(std::span<const scalar_type, inputs> x) noexcept {
    return Model::predict_with(parameters_, ws_, x);
  }

  std::span<const scalar_type, Model::parameter_count> parameters() const noexcept { return parameters_; }

 private:
  std::span<const scalar_type, Model::parameter_count> parameters_;
  typename Model::template prediction_workspace<B> ws_;
};

}  // namespace ctgrad::nn
