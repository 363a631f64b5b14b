// ctgrad/nn/io.hpp — a model's weights on disk.
//
// Format (little-endian; docs/reference/weights-format.md):
//   magic     8 bytes  "\x89ctgrad\n"
//   version   u32      1
//   scalar    u32      bytes per value: 4 (float) or 8 (double)
//   count     u32      number of tensors
//   reserved  u32      0
//   count x { name_length u32, name bytes, rank u32, dims u64 x rank }
//   count x { values: product(dims) scalars }
//   checksum  u64      FNV-1a of every byte before it
//
// load_weights checks everything (length, checksum, magic, version, scalar
// type, names, shapes, finite values) before it touches the model: on any
// error it throws nn::weights_error and the model is unchanged.
// save_weights writes a temporary file next to the target, flushes it to
// disk, and renames it over the target, so a crash never leaves a half
// file under the real name.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#define CTGRAD_DETAIL_HAVE_FSYNC 1
#endif

#include "model.hpp"

namespace ctgrad::nn {

static_assert(std::endian::native == std::endian::little, "ctgrad weights I/O assumes a little-endian machine");

/// Why weights could not be loaded or saved.
class weights_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

inline constexpr char weights_magic[8] = {'\x89', 'c', 't', 'g', 'r', 'a', 'd', '\n'};
inline constexpr std::uint32_t weights_version = 1;

inline std::uint64_t fnv1a(const unsigned char* data, std::size_t n) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i != n; ++i) h = (h ^ data[i]) * 0x100000001b3ULL;
  return h;
}

template <class U>
void put(std::vector<unsigned char>& out, U value) {
  unsigned char bytes[sizeof(U)];
  std::memcpy(bytes, &value, sizeof(U));
  out.insert(out.end(), bytes, bytes + sizeof(U));
}

/// Reads values from a byte buffer, failing clearly at its end.
class reader {
 public:
  reader(const std::vector<unsigned char>& bytes, std::size_t end, const std::string& path)
      : bytes_(bytes), end_(end), path_(path) {}
  template <class U>
  U get(const char* what) {
    need(sizeof(U), what);
    U value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(U));
    pos_ += sizeof(U);
    return value;
  }
  std::string text(std::size_t n, const char* what) {
    need(n, what);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  void need(std::size_t n, const char* what) const {
    if (end_ - pos_ < n)
      throw weights_error(path_ + ": truncated: the file ends inside the " + what + " (at byte " +
                          std::to_string(pos_) + ")");
  }
  std::size_t position() const noexcept { return pos_; }

 private:
  const std::vector<unsigned char>& bytes_;
  std::size_t end_, pos_ = 0;
  const std::string& path_;
};

inline std::string dims_text(const std::vector<std::uint64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i != dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace detail

/// The bytes save_weights writes for a model.
template <class Model>
std::vector<unsigned char> weights_bytes(const Model& m) {
  using T = typename Model::scalar_type;
  std::vector<unsigned char> out(std::begin(detail::weights_magic), std::end(detail::weights_magic));
  detail::put<std::uint32_t>(out, detail::weights_version);
  detail::put<std::uint32_t>(out, sizeof(T));
  detail::put<std::uint32_t>(out, Model::parameter_tensors);
  detail::put<std::uint32_t>(out, 0);
  m.for_each_parameter([&](auto p, auto) {
    using P = decltype(p);
    const std::string_view name = P::name.view();
    detail::put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
    detail::put<std::uint32_t>(out, shape_of<P>::rank);
    for (std::size_t d : shape_of<P>::dims) detail::put<std::uint64_t>(out, d);
  });
  m.for_each_parameter([&](auto, auto values) {
    for (T v : values) detail::put<T>(out, v);
  });
  detail::put<std::uint64_t>(out, detail::fnv1a(out.data(), out.size()));
  return out;
}

/// Write the model's weights to path atomically (temporary file, flush,
/// rename).  Throws weights_error on failure; an existing file at path is
/// then left as it was.
template <class Model>
void save_weights(const Model& m, const std::filesystem::path& path) {
  const std::vector<unsigned char> bytes = weights_bytes(m);
  std::filesystem::path temporary = path;
  temporary += ".ctgrad-tmp";
  std::FILE* f = std::fopen(temporary.c_str(), "wb");
  if (f == nullptr) throw weights_error(path.string() + ": cannot create " + temporary.string());
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
#ifdef CTGRAD_DETAIL_HAVE_FSYNC
  ok = ok && ::fsync(::fileno(f)) == 0;
#endif
  ok = (std::fclose(f) == 0) && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(temporary, path, ec);
  if (!ok || ec) {
    std::filesystem::remove(temporary, ec);
    throw weights_error(path.string() + ": could not write the weights (disk full or no permission?)");
  }
}

/// Read weights saved by save_weights into m.  Every check passes before
/// anything is written to m; otherwise weights_error says what is wrong.
template <class Model>
void load_weights(Model& m, const std::filesystem::path& path) {
  using T = typename Model::scalar_type;
  const std::string name = path.string();
  std::ifstream file(path, std::ios::binary);
  if (!file) throw weights_error(name + ": cannot open");
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) throw weights_error(name + ": read error");

  constexpr std::size_t checksum_size = sizeof(std::uint64_t);
  if (bytes.size() < sizeof(detail::weights_magic) ||
      std::memcmp(bytes.data(), detail::weights_magic, sizeof(detail::weights_magic)) != 0)
    throw weights_error(name + ": not a ctgrad weights file (bad magic)");
  if (bytes.size() < sizeof(detail::weights_magic) + 16 + checksum_size)
    throw weights_error(name + ": truncated: the file ends inside the header");
  const std::size_t body = bytes.size() - checksum_size;
  detail::reader in(bytes, body, name);
  in.text(sizeof(detail::weights_magic), "magic");
  const auto version = in.get<std::uint32_t>("version");
  if (version != detail::weights_version)
    throw weights_error(name + ": format version " + std::to_string(version) + " (this ctgrad reads version " +
                        std::to_string(detail::weights_version) + ")");
  const auto scalar = in.get<std::uint32_t>("header");
  if (scalar != sizeof(T))
    throw weights_error(name + ": stores " + std::to_string(scalar) + "-byte values, the model uses " +
                        std::to_string(sizeof(T)) + "-byte values");
  const auto count = in.get<std::uint32_t>("header");
  in.get<std::uint32_t>("header");
  if (count != Model::parameter_tensors)
    throw weights_error(name + ": holds " + std::to_string(count) + " tensors, the model has " +
                        std::to_string(Model::parameter_tensors));

  // Names and shapes, against the model's.
  std::size_t values = 0;
  std::string mismatch;
  m.for_each_parameter([&](auto p, auto) {
    using P = decltype(p);
    const auto length = in.get<std::uint32_t>("tensor headers");
    const std::string stored = in.text(length, "tensor headers");
    const auto rank = in.get<std::uint32_t>("tensor headers");
    if (rank > 4) throw weights_error(name + ": tensor " + stored + " has rank " + std::to_string(rank) + " (corrupt)");
    std::vector<std::uint64_t> dims(rank);
    for (auto& d : dims) d = in.get<std::uint64_t>("tensor headers");
    const std::vector<std::uint64_t> expected(shape_of<P>::dims.begin(), shape_of<P>::dims.end());
    if (mismatch.empty() && (stored != P::name.view() || dims != expected))
      mismatch = name + ": tensor " + stored + " " + detail::dims_text(dims) + " does not match the model's " +
                 std::string(P::name.view()) + " " + detail::dims_text(expected);
    values += shape_of<P>::size;
  });
  if (!mismatch.empty()) throw weights_error(mismatch);
  if (body - in.position() != values * sizeof(T)) {
    if (body - in.position() < values * sizeof(T))
      throw weights_error(name + ": truncated: " + std::to_string(values * sizeof(T)) + " bytes of values expected, " +
                          std::to_string(body - in.position()) + " present");
    throw weights_error(name + ": " + std::to_string(body - in.position() - values * sizeof(T)) +
                        " unexpected bytes after the values (corrupt)");
  }
  std::uint64_t stored_checksum;
  std::memcpy(&stored_checksum, bytes.data() + body, checksum_size);
  if (stored_checksum != detail::fnv1a(bytes.data(), body))
    throw weights_error(name + ": checksum mismatch: the file is corrupt");

  // Values: all finite, then copied in.
  std::vector<T> staged(values);
  std::memcpy(staged.data(), bytes.data() + in.position(), values * sizeof(T));
  std::size_t at = 0;
  m.for_each_parameter([&](auto p, auto) {
    for (std::size_t i = 0; i != shape_of<decltype(p)>::size; ++i, ++at)
      if (!std::isfinite(staged[at]))
        throw weights_error(name + ": " + std::string(decltype(p)::name.view()) + "[" + std::to_string(i) +
                            "] is not finite");
  });
  at = 0;
  m.for_each_parameter([&](auto, auto target) {
    for (T& v : target) v = staged[at++];
  });
}

}  // namespace ctgrad::nn
