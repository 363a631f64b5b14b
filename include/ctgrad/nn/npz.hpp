// ctgrad/nn/npz.hpp — a model's weights as NumPy's .npz: nn::save_npz and
// nn::load_npz.
//
//   nn::save_npz(model, "net.npz");                          // numpy.load reads it
//   nn::load_npz(model, "torch.npz", {.prefixes = {"0", "2", "4"}});
//
// Names, layouts and element types: exchange.hpp.  An .npz is a ZIP archive
// of .npy files, one per tensor ("0.weight.npy" is the key "0.weight"), as
// numpy.savez (stored) and numpy.savez_compressed (deflated) write them;
// load_npz reads both, ZIP64 included, and C- or Fortran-ordered arrays of
// float16, float32 or float64 in either byte order.  save_npz writes stored
// members (deflated with .compress = true), deterministically: the same
// weights give the same bytes.
//
// Loading checks everything (the archive's structure, each member's CRC-32,
// names, shapes, element types, finite values) before it writes to the
// model; on any error it throws nn::weights_error naming the file and the
// tensor, and the model is unchanged.  Saving is atomic (io.hpp).
//
// Needs zlib: link the CMake target ctgrad::interop (or -lz).
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zlib.h>

#include "exchange.hpp"

namespace ctgrad::nn {

namespace detail::npz {

inline constexpr std::uint32_t local_signature = 0x04034b50, central_signature = 0x02014b50, end_signature = 0x06054b50,
                               end64_locator_signature = 0x07064b50, end64_signature = 0x06064b50;
inline constexpr std::size_t local_size = 30, central_size = 46, end_size = 22, end64_size = 56;
inline constexpr unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

inline std::uint32_t crc32_of(const unsigned char* data, std::size_t n) noexcept {
  return static_cast<std::uint32_t>(::crc32_z(0, data, n));
}

/// A member of the archive, from the central directory.
struct member {
  std::string name;  // without ".npy"
  std::uint16_t method = 0;
  std::uint16_t flags = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed = 0, size = 0, offset = 0;
};

/// An .npy header: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
class npy_header_parser {
 public:
  npy_header_parser(std::string_view text, const std::string& where) : text_(text), where_(where) {}

  void parse(stored_tensor& t) {
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (skip_space(), peek() != '}') {
      const std::string key = quoted();
      expect(':');
      skip_space();
      if (key == "descr") {
        descr(quoted(), t);
        has_descr = true;
      } else if (key == "fortran_order") {
        t.fortran_order = word() == "True";
        has_order = true;
      } else if (key == "shape") {
        shape(t);
        has_shape = true;
      } else {
        fail("unknown key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') ++at_;
    }
    if (!has_descr || !has_order || !has_shape) fail("missing 'descr', 'fortran_order' or 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw weights_error(where_ + ": malformed .npy header (" + what + "): " + std::string(text_.substr(0, 120)));
  }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  void skip_space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n')) ++at_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++at_;
  }
  std::string quoted() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a string");
    const std::size_t end = text_.find(quote, at_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(at_ + 1, end - at_ - 1));
    at_ = end + 1;
    return s;
  }
  std::string word() {
    const std::size_t start = at_;
    while (at_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[at_]))) ++at_;
    std::string w(text_.substr(start, at_ - start));
    if (w != "True" && w != "False") fail("fortran_order is neither True nor False");
    return w;
  }
  void shape(stored_tensor& t) {
    expect('(');
    t.shape.clear();
    while (skip_space(), peek() != ')') {
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("a dimension is not a number");
      std::uint64_t d = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (d > (std::uint64_t(1) << 56)) fail("a dimension is too large");
        d = d * 10 + static_cast<std::uint64_t>(text_[at_++] - '0');
      }
      t.shape.push_back(d);
      skip_space();
      if (peek() == ',') ++at_;
    }
    ++at_;
  }
  void descr(const std::string& d, stored_tensor& t) {
    const bool ok = d.size() == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '=' || d[0] == '|') && d[1] == 'f' &&
                    (d[2] == '2' || d[2] == '4' || d[2] == '8');
    if (!ok)
      throw weights_error(where_ + " has dtype '" + d +
                          "'; ctgrad reads float16, float32 and float64 ('<f2', '<f4', '<f8')");
    t.big_endian = d[0] == '>';
    t.type = d[2] == '2' ? element_type::float16 : d[2] == '4' ? element_type::float32 : element_type::float64;
  }

  std::string_view text_;
  const std::string& where_;
  std::size_t at_ = 0;
};

/// An .npz archive open for reading: the members from its central directory.
class archive {
 public:
  archive(const std::string& path, const std::string& where) : file_(path, where), where_(where) {
    const std::uint64_t tail_size = std::min<std::uint64_t>(file_.size(), end_size + 0xffff);
    const std::uint64_t tail_at = file_.size() - tail_size;
    const std::vector<unsigned char> tail = file_.read(tail_at, tail_size, "the end of the archive");
    std::size_t end = tail.size() + 1;
    for (std::size_t p = tail.size() >= end_size ? tail.size() - end_size + 1 : 0; p-- > 0;)
      if (get_le<4>(&tail[p]) == end_signature && p + end_size + get_le<2>(&tail[p + 20]) == tail.size()) {
        end = p;
        break;
      }
    if (end > tail.size()) throw weights_error(where + "not an .npz file (no ZIP end-of-archive record)");
    std::uint64_t entries = get_le<2>(&tail[end + 10]);
    std::uint64_t directory_size = get_le<4>(&tail[end + 12]);
    std::uint64_t directory_at = get_le<4>(&tail[end + 16]);
    if (entries == 0xffff || directory_size == 0xffffffff || directory_at == 0xffffffff) {  // ZIP64
      if (end < 20 || get_le<4>(&tail[end - 20]) != end64_locator_signature)
        throw weights_error(where + "corrupt .npz: ZIP64 sizes without a ZIP64 locator");
      const std::uint64_t end64_at = get_le<8>(&tail[end - 20 + 8]);
      const std::vector<unsigned char> e = file_.read(end64_at, end64_size, "the ZIP64 end record");
      if (get_le<4>(e.data()) != end64_signature) throw weights_error(where + "corrupt .npz: bad ZIP64 end record");
      entries = get_le<8>(&e[32]);
      directory_size = get_le<8>(&e[40]);
      directory_at = get_le<8>(&e[48]);
    }
    const std::vector<unsigned char> directory = file_.read(directory_at, directory_size, "the ZIP directory");
    std::size_t p = 0;
    for (std::uint64_t i = 0; i != entries; ++i) {
      if (directory.size() - p < central_size || get_le<4>(&directory[p]) != central_signature)
        throw weights_error(where + "corrupt .npz: bad ZIP directory entry " + std::to_string(i));
      member m;
      m.flags = static_cast<std::uint16_t>(get_le<2>(&directory[p + 8]));
      m.method = static_cast<std::uint16_t>(get_le<2>(&directory[p + 10]));
      m.crc = static_cast<std::uint32_t>(get_le<4>(&directory[p + 16]));
      m.compressed = get_le<4>(&directory[p + 20]);
      m.size = get_le<4>(&directory[p + 24]);
      const std::size_t name_length = get_le<2>(&directory[p + 28]), extra_length = get_le<2>(&directory[p + 30]),
                        comment_length = get_le<2>(&directory[p + 32]);
      m.offset = get_le<4>(&directory[p + 42]);
      if (directory.size() - p - central_size < name_length + extra_length + comment_length)
        throw weights_error(where + "corrupt .npz: ZIP directory entry " + std::to_string(i) + " is cut short");
      m.name.assign(reinterpret_cast<const char*>(&directory[p + central_size]), name_length);
      read_zip64_extra(&directory[p + central_size + name_length], extra_length, m);
      if (m.name.size() > 4 && m.name.ends_with(".npy")) m.name.resize(m.name.size() - 4);
      for (const member& other : members_)
        if (other.name == m.name) throw weights_error(where + "corrupt .npz: \"" + m.name + "\" appears twice");
      members_.push_back(std::move(m));
      p += central_size + name_length + extra_length + comment_length;
    }
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const member& m : members_) out.push_back(m.name);
    return out;
  }

  /// The array stored as `name` (at most `values` elements are wanted:
  /// anything much larger is refused before it is read).
  std::optional<stored_tensor> read(const std::string& name, std::uint64_t values) const {
    const member* m = nullptr;
    for (const member& candidate : members_)
      if (candidate.name == name) m = &candidate;
    if (!m) return std::nullopt;
    const std::string where = where_ + "tensor \"" + name + "\"";
    if (m->flags & 1) throw weights_error(where + " is encrypted");
    if (m->method != 0 && m->method != 8)
      throw weights_error(where + " uses ZIP compression method " + std::to_string(m->method) +
                          " (ctgrad reads stored and deflated members)");
    if (m->size > values * 8 + 0x10000 + 16)
      throw weights_error(where + " holds " + std::to_string(m->size) + " bytes, more than the model's tensor needs (" +
                          std::to_string(values) + " values)");
    // Deflate expands incompressible data by at most 5 bytes per 16 KiB block.
    if ((m->method == 0 && m->compressed != m->size) || m->compressed > m->size + m->size / 1024 + 64)
      throw weights_error(where + ": corrupt .npz (" + std::to_string(m->compressed) + " bytes stored for " +
                          std::to_string(m->size) + ")");
    const std::vector<unsigned char> local = file_.read(m->offset, local_size, "the ZIP header of \"" + name + "\"");
    if (get_le<4>(local.data()) != local_signature)
      throw weights_error(where + ": corrupt .npz (bad ZIP header at byte " + std::to_string(m->offset) + ")");
    const std::uint64_t data_at = m->offset + local_size + get_le<2>(&local[26]) + get_le<2>(&local[28]);
    std::vector<unsigned char> data = file_.read(data_at, m->compressed, "the data of \"" + name + "\"");
    if (m->method == 8) data = inflate(data, m->size, where);
    if (data.size() != m->size)
      throw weights_error(where + ": corrupt .npz (" + std::to_string(data.size()) + " bytes, the directory says " +
                          std::to_string(m->size) + ")");
    if (crc32_of(data.data(), data.size()) != m->crc)
      throw weights_error(where + ": CRC-32 mismatch, the file is corrupt");
    return parse_npy(data, where);
  }

 private:
  void read_zip64_extra(const unsigned char* extra, std::size_t length, member& m) const {
    for (std::size_t p = 0; p + 4 <= length;) {
      const std::size_t id = get_le<2>(extra + p), size = get_le<2>(extra + p + 2);
      if (p + 4 + size > length) break;
      if (id == 0x0001) {
        std::size_t q = p + 4;
        const auto field = [&](std::uint64_t& value) {
          if (value != 0xffffffff) return;
          if (q + 8 > p + 4 + size) throw weights_error(where_ + "corrupt .npz: short ZIP64 field for " + m.name);
          value = get_le<8>(extra + q);
          q += 8;
        };
        field(m.size);
        field(m.compressed);
        field(m.offset);
      }
      p += 4 + size;
    }
  }

  static std::vector<unsigned char> inflate(std::vector<unsigned char>& in, std::uint64_t size,
                                            const std::string& where) {
    std::vector<unsigned char> out(static_cast<std::size_t>(size));
    z_stream z{};
    if (::inflateInit2(&z, -15) != Z_OK) throw weights_error(where + ": zlib could not start");
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int status = ::inflate(&z, Z_FINISH);
    const std::size_t produced = out.size() - z.avail_out;
    ::inflateEnd(&z);
    if (status != Z_STREAM_END || produced != out.size())
      throw weights_error(where + ": corrupt deflated data in the .npz (" + (z.msg ? z.msg : "stream ends early") +
                          ")");
    return out;
  }

  static stored_tensor parse_npy(const std::vector<unsigned char>& npy, const std::string& where) {
    if (npy.size() < 10 || std::memcmp(npy.data(), npy_magic, sizeof npy_magic) != 0)
      throw weights_error(where + " is not an .npy array (bad magic)");
    const unsigned major = npy[6];
    if (major < 1 || major > 3)
      throw weights_error(where + ": .npy format version " + std::to_string(major) + " is unknown");
    const std::size_t length_size = major == 1 ? 2 : 4;
    const std::uint64_t header_length = major == 1 ? get_le<2>(&npy[8]) : get_le<4>(&npy[8]);
    const std::uint64_t data_at = 8 + length_size + header_length;
    if (npy.size() < data_at) throw weights_error(where + ": truncated .npy header");
    stored_tensor t;
    npy_header_parser(std::string_view(reinterpret_cast<const char*>(&npy[8 + length_size]), header_length), where)
        .parse(t);
    t.bytes.assign(npy.begin() + static_cast<std::ptrdiff_t>(data_at), npy.end());
    const std::optional<std::uint64_t> count = element_count(t.shape);
    if (!count || t.bytes.size() != *count * element_size(t.type))
      throw weights_error(where + ": " + std::to_string(t.bytes.size()) + " bytes of data for shape " +
                          shape_text(t.shape) + " of " + element_name(t.type) + " (truncated or corrupt)");
    return t;
  }

  input_file file_;
  std::string where_;
  std::vector<member> members_;
};

/// The source load_exchange reads: one archive, members bounded by the model.
struct archive_source {
  const archive& file;
  std::uint64_t largest;
  std::vector<std::string> names() const { return file.names(); }
  std::optional<stored_tensor> read(const std::string& name) const { return file.read(name, largest); }
};

/// An .npy file of a row-major array (format version 1, header padded to 64).
template <class T>
std::vector<unsigned char> npy_bytes(const exchange_tensor<T>& t) {
  std::string header =
      std::string("{'descr': '<f") + (sizeof(T) == 8 ? "8" : "4") + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i != t.shape.size(); ++i) header += (i ? ", " : "") + std::to_string(t.shape[i]);
  header += t.shape.size() == 1 ? ",), }" : "), }";
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::vector<unsigned char> out(std::begin(npy_magic), std::end(npy_magic));
  out.push_back(1);
  out.push_back(0);
  put_le(out, header.size(), 2);
  out.insert(out.end(), header.begin(), header.end());
  put_values(out, t.values);
  return out;
}

inline std::vector<unsigned char> deflate(const std::vector<unsigned char>& in, const std::string& where) {
  z_stream z{};
  if (::deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw weights_error(where + "zlib could not start");
  std::vector<unsigned char> out(::deflateBound(&z, static_cast<uLong>(in.size())));
  z.next_in = const_cast<unsigned char*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int status = ::deflate(&z, Z_FINISH);
  const auto produced = static_cast<std::ptrdiff_t>(z.total_out);
  ::deflateEnd(&z);
  if (status != Z_STREAM_END) throw weights_error(where + "zlib could not compress");
  return std::vector<unsigned char>(out.begin(), out.begin() + produced);
}

/// A ZIP archive of stored (or deflated) members, no ZIP64: time stamps are
/// 1980-01-01 00:00 so that the bytes depend on the weights only.
template <class T>
std::vector<unsigned char> npz_bytes(const std::vector<exchange_tensor<T>>& tensors, bool compress,
                                     const std::string& where) {
  std::vector<unsigned char> out, directory;
  for (const exchange_tensor<T>& t : tensors) {
    const std::string name = t.name + ".npy";
    const std::vector<unsigned char> npy = npy_bytes(t);
    const std::vector<unsigned char> data = compress ? deflate(npy, where) : npy;
    const std::uint32_t crc = crc32_of(npy.data(), npy.size());
    const std::uint64_t offset = out.size();
    if (offset + local_size + name.size() + data.size() > 0xffffffffu)
      throw weights_error(where + "the model's weights exceed 4 GiB, too large for an .npz without ZIP64");
    const auto header = [&](std::vector<unsigned char>& to, bool central) {
      put_le(to, central ? central_signature : local_signature, 4);
      if (central) put_le(to, 20, 2);  // made by: ZIP 2.0
      put_le(to, 20, 2);               // needed: ZIP 2.0
      put_le(to, 0, 2);                // flags
      put_le(to, compress ? 8 : 0, 2);
      put_le(to, 0, 2);     // time 00:00
      put_le(to, 0x21, 2);  // date 1980-01-01
      put_le(to, crc, 4);
      put_le(to, data.size(), 4);
      put_le(to, npy.size(), 4);
      put_le(to, name.size(), 2);
      put_le(to, 0, 2);  // extra
      if (central) {
        put_le(to, 0, 2);  // comment
        put_le(to, 0, 2);  // disk
        put_le(to, 0, 2);  // internal attributes
        put_le(to, 0, 4);  // external attributes
        put_le(to, offset, 4);
      }
      to.insert(to.end(), name.begin(), name.end());
    };
    header(out, false);
    out.insert(out.end(), data.begin(), data.end());
    header(directory, true);
  }
  const std::uint64_t directory_at = out.size();
  out.insert(out.end(), directory.begin(), directory.end());
  put_le(out, end_signature, 4);
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, tensors.size(), 2);
  put_le(out, tensors.size(), 2);
  put_le(out, directory.size(), 4);
  put_le(out, directory_at, 4);
  put_le(out, 0, 2);  // comment
  return out;
}

}  // namespace detail::npz

/// The bytes save_npz writes for a model.
template <class Model>
std::vector<unsigned char> npz_bytes(const Model& m, const exchange_options& options = {}) {
  const std::string where = "ctgrad::nn::save_npz: ";
  return detail::npz::npz_bytes(detail::exchange_tensors(m, options, where), options.compress, where);
}

/// Write the model's weights to path as .npz, atomically (io.hpp); PyTorch's
/// names and layouts (exchange.hpp), the model's element type.
template <class Model, detail::weights_path Path>
void save_npz(const Model& m, const Path& path, const exchange_options& options = {}) {
  const std::string p = detail::path_text(path), where = "ctgrad::nn::save_npz: " + p + ": ";
  detail::save_bytes_atomically(
      detail::npz::npz_bytes(detail::exchange_tensors(m, options, where), options.compress, where), p,
      "ctgrad::nn::save_npz");
}

/// Read an .npz (numpy.savez or numpy.savez_compressed) into m.  Every check
/// passes before anything is written to m; otherwise weights_error.
template <class Model, detail::weights_path Path>
void load_npz(Model& m, const Path& path, const exchange_options& options = {}) {
  const std::string where = "ctgrad::nn::load_npz: " + detail::path_text(path) + ": ";
  const detail::npz::archive file(detail::path_text(path), where);
  std::uint64_t largest = 0;
  m.for_each_parameter([&](auto p, auto) { largest = std::max<std::uint64_t>(largest, shape_of<decltype(p)>::size); });
  detail::npz::archive_source source{file, largest};
  detail::load_exchange(m, source, options, where);
}

}  // namespace ctgrad::nn
