// ctgrad/nn/safetensors.hpp — a model's weights in the safetensors format:
// nn::save_safetensors and nn::load_safetensors.
//
//   nn::save_safetensors(model, "net.safetensors");
//   nn::load_safetensors(model, "torch.safetensors", {.prefixes = {"0", "2", "4"}});
//
// Names, layouts and element types: exchange.hpp.  The format: an 8-byte
// little-endian header length N, N bytes of JSON (each tensor's "dtype",
// "shape" and "data_offsets" [begin, end) into the bytes after the header;
// an optional "__metadata__" of strings), then the data, little-endian,
// row-major.  load_safetensors reads F16, BF16, F32 and F64 tensors and
// refuses a header over 100 MB, offsets outside the file and overlapping
// or mis-sized tensors.  save_safetensors writes F32 or F64 (the model's
// type), the header padded with spaces to a multiple of 8 bytes.
//
// Loading checks everything before it writes to the model; on any error it
// throws nn::weights_error naming the file and the tensor, and the model is
// unchanged.  Saving is atomic (io.hpp).
//
// The header is parsed with nlohmann/json (Debian: nlohmann-json3-dev);
// link the CMake target ctgrad::interop.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "exchange.hpp"

namespace ctgrad::nn {

namespace detail::safetensors {

inline constexpr std::uint64_t header_limit = 100'000'000;  // as the reference implementation

/// A tensor in the header: element type, shape and where its data is.
struct entry {
  std::string name;
  element_type type = element_type::float32;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0, end = 0;
};

inline std::optional<element_type> element_type_named(const std::string& dtype) {
  if (dtype == "F16") return element_type::float16;
  if (dtype == "BF16") return element_type::bfloat16;
  if (dtype == "F32") return element_type::float32;
  if (dtype == "F64") return element_type::float64;
  return std::nullopt;
}
inline const char* dtype_name(element_type type) noexcept {
  switch (type) {
    case element_type::float16:
      return "F16";
    case element_type::bfloat16:
      return "BF16";
    case element_type::float32:
      return "F32";
    case element_type::float64:
      return "F64";
  }
  return "?";
}

/// A safetensors file open for reading: its header, checked.
class file {
 public:
  file(const std::string& path, const std::string& where) : file_(path, where) {
    const std::uint64_t length = get_le<8>(file_.read(0, 8, "the header length").data());
    if (length > header_limit)
      throw weights_error(where + "header length " + std::to_string(length) +
                          " exceeds 100 MB (not a safetensors file?)");
    const std::vector<unsigned char> text = file_.read(8, length, "the JSON header");
    data_at_ = 8 + length;
    const nlohmann::json header = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (header.is_discarded() || !header.is_object())
      throw weights_error(where + "the header is not a JSON object (not a safetensors file, or corrupt)");
    const std::uint64_t data_size = file_.size() - data_at_;
    for (const auto& [name, value] : header.items()) {
      if (name == "__metadata__") continue;
      const std::string tensor = where + "tensor \"" + name + "\"";
      if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") ||
          !value.contains("data_offsets") || !value["dtype"].is_string() || !value["shape"].is_array() ||
          !value["data_offsets"].is_array() || value["data_offsets"].size() != 2)
        throw weights_error(tensor + ": malformed header entry (needs \"dtype\", \"shape\", \"data_offsets\"): " +
                            value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 200));
      entry e;
      e.name = name;
      const std::string dtype = value["dtype"].get<std::string>();
      const std::optional<element_type> type = element_type_named(dtype);
      if (!type) throw weights_error(tensor + " has dtype " + dtype + "; ctgrad reads F16, BF16, F32 and F64");
      e.type = *type;
      for (const auto& d : value["shape"]) {
        if (!d.is_number_unsigned()) throw weights_error(tensor + ": a dimension is not a non-negative integer");
        e.shape.push_back(d.get<std::uint64_t>());
      }
      const auto& offsets = value["data_offsets"];
      if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
        throw weights_error(tensor + ": data_offsets are not non-negative integers");
      e.begin = offsets[0].get<std::uint64_t>();
      e.end = offsets[1].get<std::uint64_t>();
      if (e.begin > e.end || e.end > data_size)
        throw weights_error(tensor + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                            ") point outside the file's " + std::to_string(data_size) +
                            " bytes of data (truncated or corrupt)");
      const std::optional<std::uint64_t> count = element_count(e.shape);
      if (!count || e.end - e.begin != *count * element_size(e.type))
        throw weights_error(tensor + ": " + std::to_string(e.end - e.begin) + " bytes of data for shape " +
                            shape_text(e.shape) + " of " + dtype + " (corrupt)");
      entries_.push_back(std::move(e));
    }
    // Tensors must not overlap.
    std::vector<const entry*> by_offset;
    for (const entry& e : entries_) by_offset.push_back(&e);
    std::sort(by_offset.begin(), by_offset.end(), [](const entry* a, const entry* b) { return a->begin < b->begin; });
    for (std::size_t i = 1; i < by_offset.size(); ++i)
      if (by_offset[i]->begin < by_offset[i - 1]->end)
        throw weights_error(where + "tensors \"" + by_offset[i - 1]->name + "\" and \"" + by_offset[i]->name +
                            "\" overlap (corrupt)");
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const entry& e : entries_) out.push_back(e.name);
    return out;
  }
  std::optional<stored_tensor> read(const std::string& name) const {
    for (const entry& e : entries_)
      if (e.name == name) {
        stored_tensor t;
        t.type = e.type;
        t.shape = e.shape;
        t.bytes = file_.read(data_at_ + e.begin, e.end - e.begin, "the data of \"" + name + "\"");
        return t;
      }
    return std::nullopt;
  }

 private:
  input_file file_;
  std::uint64_t data_at_ = 0;
  std::vector<entry> entries_;
};

template <class T>
std::vector<unsigned char> file_bytes(const std::vector<exchange_tensor<T>>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::uint64_t at = 0;
  for (const exchange_tensor<T>& t : tensors) {
    const std::uint64_t size = t.values.size() * sizeof(T);
    header[t.name] = {{"dtype", dtype_name(element_type_of<T>)}, {"shape", t.shape}, {"data_offsets", {at, at + size}}};
    at += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<unsigned char> out;
  out.reserve(8 + text.size() + at);
  put_le(out, text.size(), 8);
  out.insert(out.end(), text.begin(), text.end());
  for (const exchange_tensor<T>& t : tensors) put_values(out, t.values);
  return out;
}

}  // namespace detail::safetensors

/// The bytes save_safetensors writes for a model.
template <class Model>
std::vector<unsigned char> safetensors_bytes(const Model& m, const exchange_options& options = {}) {
  return detail::safetensors::file_bytes(detail::exchange_tensors(m, options, "ctgrad::nn::save_safetensors: "));
}

/// Write the model's weights to path in the safetensors format, atomically
/// (io.hpp); PyTorch's names and layouts (exchange.hpp), the model's type.
template <class Model, detail::weights_path Path>
void save_safetensors(const Model& m, const Path& path, const exchange_options& options = {}) {
  const std::string p = detail::path_text(path);
  detail::save_bytes_atomically(detail::safetensors::file_bytes(
                                    detail::exchange_tensors(m, options, "ctgrad::nn::save_safetensors: " + p + ": ")),
                                p, "ctgrad::nn::save_safetensors");
}

/// Read a safetensors file into m.  Every check passes before anything is
/// written to m; otherwise weights_error.
template <class Model, detail::weights_path Path>
void load_safetensors(Model& m, const Path& path, const exchange_options& options = {}) {
  const std::string where = "ctgrad::nn::load_safetensors: " + detail::path_text(path) + ": ";
  const detail::safetensors::file source(detail::path_text(path), where);
  detail::load_exchange(m, source, options, where);
}

}  // namespace ctgrad::nn
