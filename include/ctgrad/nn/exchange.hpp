// ctgrad/nn/exchange.hpp — what the weights-exchange formats (.npz in
// npz.hpp, .safetensors in safetensors.hpp) share: the names and layouts a
// model's tensors have in a file, conversion from the file's element type,
// and loading that checks everything before it writes to the model.
//
// Names: parameterised layers are numbered k = 0, 1, 2, ... in order; their
// tensors are "{k}.weight" and "{k}.bias" (the model's W{k+1} and b{k+1}),
// a recurrent layer's "{k}.weight_ih_l0", "{k}.weight_hh_l0",
// "{k}.bias_ih_l0" and "{k}.bias_hh_l0" (torch.nn.GRU's names in a module
// whose attribute is the prefix).
// exchange_options::prefixes replaces "{k}": a torch.nn.Sequential with
// activation modules between its Linear layers has keys "0.weight",
// "2.weight", "4.weight", ..., so pass {"0", "2", "4"}.
//
// Layouts are PyTorch's: a dense weight is [out, in] in the file (as
// torch.nn.Linear keeps it) although ctgrad keeps [in, out] in memory; a
// recurrent layer's weights [G*H, in] and [G*H, H] in both; a
// conv2d weight is [out, in, kh, kw], a conv1d weight [out, in, k], a bias
// [out], the same in memory and in files.
//
// Element types: float16, bfloat16, float32 and float64 tensors load into a
// float or a double model, converted exactly except float64 to float, which
// rounds to nearest.  A value that is not finite (in the file, or after
// rounding to float) is an error.  Saving writes the model's own type.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io.hpp"

namespace ctgrad::nn {

/// How a model's tensors are named and matched in an exchange file.
struct exchange_options {
  /// Layer k's name prefix in place of "k" (one per parameterised layer).
  std::vector<std::string> prefixes{};
  /// load: ignore tensors in the file that the model does not have.
  bool allow_extra_tensors = false;
  /// save_npz: deflate every member, as numpy.savez_compressed does.
  bool compress = false;
};

namespace detail {

/// The element types a weights file may hold.
enum class element_type : std::uint8_t { float16, bfloat16, float32, float64 };

inline constexpr std::size_t element_size(element_type type) noexcept {
  return type == element_type::float64 ? 8 : type == element_type::float32 ? 4 : 2;
}
inline constexpr const char* element_name(element_type type) noexcept {
  switch (type) {
    case element_type::float16:
      return "float16";
    case element_type::bfloat16:
      return "bfloat16";
    case element_type::float32:
      return "float32";
    case element_type::float64:
      return "float64";
  }
  return "?";
}
template <class T>
inline constexpr element_type element_type_of = sizeof(T) == 8 ? element_type::float64 : element_type::float32;

/// IEEE binary16 to float, exactly (subnormals, infinities, NaN included).
inline float half_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}
inline float bfloat16_to_float(std::uint16_t b) noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

/// One tensor as a file stores it: element type, byte order, dimension
/// order, PyTorch shape and the raw bytes of its values.
struct stored_tensor {
  element_type type = element_type::float32;
  bool big_endian = false;
  bool fortran_order = false;  // .npy only: first index fastest
  std::vector<std::uint64_t> shape;
  std::vector<unsigned char> bytes;
};

inline std::string shape_text(const std::vector<std::uint64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i != dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}
/// The number of elements, or nullopt if it overflows.
inline std::optional<std::uint64_t> element_count(const std::vector<std::uint64_t>& dims) noexcept {
  std::uint64_t n = 1;
  for (std::uint64_t d : dims) {
    if (d != 0 && n > std::numeric_limits<std::uint64_t>::max() / d) return std::nullopt;
    n *= d;
  }
  return n;
}

/// How parameter P of a model appears in exchange files.  Relies on the
/// names nn::sequential gives (layers.hpp: W{k} and b{k}, k from 1; a
/// recurrent layer's Wih{k}, Whh{k}, bih{k}, bhh{k}).
template <class P>
struct exchange_entry {
  static constexpr std::string_view model_name = P::name.view();
  /// The letters before the layer's number, and what they are in files.
  static constexpr std::string_view kind = model_name.substr(0, model_name.find_first_of("0123456789"));
  static constexpr std::string_view suffix = kind == "W"     ? ".weight"
                                             : kind == "b"   ? ".bias"
                                             : kind == "Wih" ? ".weight_ih_l0"
                                             : kind == "Whh" ? ".weight_hh_l0"
                                             : kind == "bih" ? ".bias_ih_l0"
                                             : kind == "bhh" ? ".bias_hh_l0"
                                                             : "";
  static_assert(!suffix.empty(),
                "ctgrad::nn exchange: parameters must be named W{k} and b{k}, or Wih{k}, Whh{k}, bih{k}, bhh{k} "
                "(nn::sequential's names)");
  static constexpr bool is_weight = kind == "W";
  static constexpr std::size_t layer = [] {
    std::size_t k = 0;
    for (char c : model_name.substr(kind.size())) k = k * 10 + static_cast<std::size_t>(c - '0');
    return k - 1;
  }();
  /// A dense weight: [in, out] in memory, [out, in] in files (a recurrent
  /// layer's are PyTorch's layout in both).
  static constexpr bool transposed = is_weight && shape_of<P>::rank == 2;
  static std::vector<std::uint64_t> file_shape() {
    std::vector<std::uint64_t> dims(shape_of<P>::dims.begin(), shape_of<P>::dims.end());
    if constexpr (transposed) std::swap(dims[0], dims[1]);
    return dims;
  }
};

/// The number of parameterised layers of a model.
template <class Model>
constexpr std::size_t exchange_layers() {
  std::size_t layers = 0;
  ctgrad::detail::mp::mp_for_each<typename Model::parameter_list>([&](auto p) {
    const std::size_t k = exchange_entry<decltype(p)>::layer + 1;
    layers = k > layers ? k : layers;
  });
  return layers;
}

/// Every tensor name of the model in the file, in parameter order.
template <class Model>
std::vector<std::string> exchange_names(const exchange_options& options, const std::string& where) {
  constexpr std::size_t layers = exchange_layers<Model>();
  if (!options.prefixes.empty() && options.prefixes.size() != layers)
    throw weights_error(where + std::to_string(options.prefixes.size()) + " prefixes given, the model has " +
                        std::to_string(layers) + " layers with parameters (give one prefix per such layer)");
  std::vector<std::string> names;
  ctgrad::detail::mp::mp_for_each<typename Model::parameter_list>([&](auto p) {
    using entry = exchange_entry<decltype(p)>;
    const std::string prefix = options.prefixes.empty() ? std::to_string(entry::layer) : options.prefixes[entry::layer];
    names.push_back(prefix + std::string(entry::suffix));
  });
  return names;
}

/// Element i of t, exactly (every stored type is a subset of double).
inline double stored_value(const stored_tensor& t, std::size_t i) noexcept {
  const std::size_t size = element_size(t.type);
  unsigned char bytes[8];
  std::memcpy(bytes, t.bytes.data() + i * size, size);
  if (t.big_endian)
    for (std::size_t a = 0, b = size - 1; a < b; ++a, --b) std::swap(bytes[a], bytes[b]);
  std::uint16_t half = 0;
  float f = 0;
  double d = 0;
  switch (t.type) {
    case element_type::float16:
      std::memcpy(&half, bytes, 2);
      return half_to_float(half);
    case element_type::bfloat16:
      std::memcpy(&half, bytes, 2);
      return bfloat16_to_float(half);
    case element_type::float32:
      std::memcpy(&f, bytes, 4);
      return f;
    case element_type::float64:
      std::memcpy(&d, bytes, 8);
      return d;
  }
  return 0;
}

/// The values of t in row-major (C) order of its shape, as T; throws if
/// one is not finite or beyond T's range.
template <class T>
std::vector<T> row_major_values(const stored_tensor& t, std::size_t count, const std::string& where) {
  std::vector<T> out(count);
  const std::size_t rank = t.shape.size();
  std::vector<std::size_t> index(rank, 0), stride(rank, 1);  // stride: in the file's order
  if (t.fortran_order)
    for (std::size_t k = 1; k < rank; ++k) stride[k] = stride[k - 1] * t.shape[k - 1];
  else
    for (std::size_t k = rank; k-- > 1;) stride[k - 1] = stride[k] * t.shape[k];
  for (std::size_t c = 0; c != count; ++c) {
    std::size_t at = 0;
    for (std::size_t k = 0; k != rank; ++k) at += index[k] * stride[k];
    const double v = stored_value(t, at);
    if (!std::isfinite(v) || std::fabs(v) > static_cast<double>(std::numeric_limits<T>::max())) {
      std::string position;
      for (std::size_t k = 0; k != rank; ++k) position += (k ? ", " : "") + std::to_string(index[k]);
      throw weights_error(where + "[" + position + "] is " +
                          (std::isfinite(v) ? number_text(v) + ", beyond float's range" : "not finite"));
    }
    out[c] = static_cast<T>(v);
    for (std::size_t k = rank; k-- > 0;) {  // next index, last dimension fastest
      if (++index[k] != t.shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

/// Load a model's tensors from `source`, which has
///   std::vector<std::string> names() const;   // every tensor in the file
///   std::optional<stored_tensor> read(const std::string& name);
/// Every check passes before the model is written; otherwise weights_error
/// (messages start with `where`, "function: path: ").
template <class Model, class Source>
void load_exchange(Model& m, Source& source, const exchange_options& options, const std::string& where) {
  using T = typename Model::scalar_type;
  const std::vector<std::string> wanted = exchange_names<Model>(options, where);
  const std::vector<std::string> present = source.names();
  const auto list = [](const std::vector<std::string>& names) {
    std::string s;
    for (std::size_t i = 0; i != names.size() && i != 8; ++i) s += (i ? ", \"" : "\"") + names[i] + "\"";
    return names.size() > 8 ? s + ", ... (" + std::to_string(names.size()) + " in all)" : s;
  };
  const auto contains = [](const std::vector<std::string>& names, const std::string& name) {
    for (const std::string& n : names)
      if (n == name) return true;
    return false;
  };
  for (const std::string& name : wanted)
    if (!contains(present, name))
      throw weights_error(where + "no tensor \"" + name + "\" (the file has " +
                          (present.empty() ? std::string("no tensors") : list(present)) + ")");
  if (!options.allow_extra_tensors) {
    std::vector<std::string> extra;
    for (const std::string& name : present)
      if (!contains(wanted, name)) extra.push_back(name);
    if (!extra.empty())
      throw weights_error(where + "tensors the model does not have: " + list(extra) +
                          " (set exchange_options::allow_extra_tensors to ignore them)");
  }

  std::vector<std::vector<T>> staged;
  std::size_t i = 0;
  m.for_each_parameter([&](auto p, auto) {
    using entry = exchange_entry<decltype(p)>;
    const std::string& name = wanted[i++];
    const std::string tensor = where + "tensor \"" + name + "\"";
    std::optional<stored_tensor> t = source.read(name);
    if (!t) throw weights_error(tensor + ": missing");
    const std::vector<std::uint64_t> expected = entry::file_shape();
    if (t->shape != expected)
      throw weights_error(tensor + " has shape " + shape_text(t->shape) + ", the model's " +
                          std::string(entry::model_name) + " needs " + shape_text(expected) +
                          (entry::transposed ? " ([out, in], as torch.nn.Linear)" : ""));
    constexpr std::size_t count = shape_of<decltype(p)>::size;
    if (t->bytes.size() != count * element_size(t->type))
      throw weights_error(tensor + ": " + std::to_string(t->bytes.size()) + " bytes of data for " +
                          std::to_string(count) + " " + element_name(t->type) + " values (corrupt)");
    std::vector<T> values = row_major_values<T>(*t, count, tensor);
    if constexpr (entry::transposed) {  // [out, in] in the file, [in, out] in memory
      constexpr std::size_t in = shape_of<decltype(p)>::dims[0], out = shape_of<decltype(p)>::dims[1];
      std::vector<T> memory(count);
      for (std::size_t o = 0; o != out; ++o)
        for (std::size_t k = 0; k != in; ++k) memory[k * out + o] = values[o * in + k];
      values = std::move(memory);
    }
    staged.push_back(std::move(values));
  });
  i = 0;
  m.for_each_parameter([&](auto, auto target) {
    const std::vector<T>& values = staged[i++];
    for (std::size_t k = 0; k != target.size(); ++k) target[k] = values[k];
  });
}

/// One tensor to save: its name, PyTorch shape, and values in row-major order.
template <class T>
struct exchange_tensor {
  std::string name;
  std::vector<std::uint64_t> shape;
  std::vector<T> values;
};

/// The model's tensors as they go into a file.
template <class Model>
std::vector<exchange_tensor<typename Model::scalar_type>> exchange_tensors(const Model& m,
                                                                           const exchange_options& options,
                                                                           const std::string& where) {
  using T = typename Model::scalar_type;
  const std::vector<std::string> names = exchange_names<Model>(options, where);
  std::vector<exchange_tensor<T>> out;
  m.for_each_parameter([&](auto p, auto values) {
    using entry = exchange_entry<decltype(p)>;
    exchange_tensor<T> t{names[out.size()], entry::file_shape(), std::vector<T>(values.begin(), values.end())};
    if constexpr (entry::transposed) {
      constexpr std::size_t in = shape_of<decltype(p)>::dims[0], o_count = shape_of<decltype(p)>::dims[1];
      for (std::size_t o = 0; o != o_count; ++o)
        for (std::size_t k = 0; k != in; ++k) t.values[o * in + k] = values[k * o_count + o];
    }
    out.push_back(std::move(t));
  });
  return out;
}

/// Appends a little-endian unsigned integer of `bytes` bytes.
inline void put_le(std::vector<unsigned char>& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i != bytes; ++i) out.push_back(static_cast<unsigned char>(value >> (8 * i)));
}
template <class T>
void put_values(std::vector<unsigned char>& out, const std::vector<T>& values) {
  const std::size_t at = out.size();
  out.resize(at + values.size() * sizeof(T));
  std::memcpy(out.data() + at, values.data(), values.size() * sizeof(T));
}

/// Little-endian unsigned integer of N bytes at p.
template <std::size_t N>
std::uint64_t get_le(const unsigned char* p) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = N; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

}  // namespace detail
}  // namespace ctgrad::nn
