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
// A model's file has one size, known at compile time.  load_weights refuses
// anything that is not a regular file of that size before reading its
// values (so a directory, a FIFO, /dev/zero or a huge file is one clear
// error, never a hang or an allocation failure), then checks everything
// (magic, version, scalar type, reserved field, names, shapes, checksum,
// finite values) before it touches the model: on any error it throws
// nn::weights_error and the model is unchanged.
//
// save_weights creates a temporary file with a unique name next to the
// target (O_CREAT | O_EXCL | O_NOFOLLOW: never through a planted link, never
// shared with a concurrent save), gives it the permissions of the file it
// replaces, writes and fsyncs it, renames it over the target and fsyncs the
// directory.  A crash leaves the old file or the new one, never half of
// one; on every failure the temporary is removed.
//
// POSIX only (open, fstat, fsync, rename).  Paths: anything with c_str()
// (std::string, std::filesystem::path) or convertible to std::string_view.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.hpp"

namespace ctgrad::nn {

static_assert(std::endian::native == std::endian::little, "ctgrad weights I/O assumes a little-endian machine");

/// Why weights could not be loaded or saved.  The message names the
/// function, the path, what was expected and what was found.
class weights_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

inline constexpr char weights_magic[8] = {'\x89', 'c', 't', 'g', 'r', 'a', 'd', '\n'};
inline constexpr std::uint32_t weights_version = 1;
inline constexpr std::size_t weights_fixed_header = 24;  // magic, version, scalar, count, reserved
inline constexpr std::size_t weights_checksum_size = 8;

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

/// A path as a NUL-terminated string.
template <class Path>
concept weights_path = requires(const Path& p) {
  { p.c_str() } -> std::convertible_to<const char*>;
} || std::convertible_to<const Path&, std::string_view>;

template <weights_path Path>
std::string path_text(const Path& p) {
  if constexpr (requires { p.c_str(); })
    return std::string(p.c_str());
  else
    return std::string(std::string_view(p));
}

inline std::string system_error_text(int error) { return std::strerror(error); }

/// The bytes a model's tensor headers take, and its whole file.
template <class Parameters>
struct weights_layout;
template <class... P>
struct weights_layout<ctgrad::detail::mp::mp_list<P...>> {
  static constexpr std::array<std::size_t, sizeof...(P) + 1> header_sizes{
      (4 + P::name.view().size() + 4 + 8 * shape_of<P>::rank)..., 0};
  static constexpr std::array<std::size_t, sizeof...(P) + 1> value_counts{shape_of<P>::size..., 0};
  static constexpr std::size_t sum(const std::array<std::size_t, sizeof...(P) + 1>& a) noexcept {
    std::size_t n = 0;
    for (std::size_t x : a) n += x;
    return n;
  }
  static constexpr std::size_t headers = weights_fixed_header + sum(header_sizes);
  static constexpr std::size_t values = sum(value_counts);
  template <class T>
  static constexpr std::size_t file_size = headers + values * sizeof(T) + weights_checksum_size;
};

/// A file descriptor closed on every path out.
class file_handle {
 public:
  explicit file_handle(int fd) noexcept : fd_(fd) {}
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;
  ~file_handle() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  /// Close now, reporting the error (close can report a failed write).
  int close() noexcept {
    const int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

/// Reads header fields from the bytes of a file whose full size is known,
/// failing clearly at the end of the file.
class reader {
 public:
  reader(const std::vector<unsigned char>& bytes, std::size_t file_size, const std::string& where)
      : bytes_(bytes), file_size_(file_size), where_(where) {}
  template <class U>
  U get(const char* what) {
    need(sizeof(U), what);
    U value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(U));
    pos_ += sizeof(U);
    return value;
  }
  /// Up to n bytes of text (what the buffer holds of it, for messages).
  std::string text(std::size_t n, const char* what) {
    if (n > file_size_ - pos_) need(n, what);
    const std::size_t have = std::min(n, bytes_.size() - pos_);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), have);
    pos_ += have;
    return s;
  }
  void need(std::size_t n, const char* what) const {
    if (bytes_.size() - pos_ < n) {
      if (file_size_ - pos_ < n)
        throw weights_error(where_ + "truncated: the file ends inside the " + what + " (it has " +
                            std::to_string(file_size_) + " bytes)");
      throw weights_error(where_ + "the " + what + " do not match the model's (at byte " + std::to_string(pos_) + ")");
    }
  }
  std::size_t position() const noexcept { return pos_; }

 private:
  const std::vector<unsigned char>& bytes_;
  std::size_t file_size_, pos_ = 0;
  const std::string& where_;
};

inline std::string dims_text(const std::vector<std::uint64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i != dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

inline const char* file_type_text(mode_t mode) noexcept {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

inline bool write_all(int fd, const unsigned char* data, std::size_t n) noexcept {
  while (n != 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

/// A temporary name next to `path`, unique across threads and processes.
inline std::string temporary_name(const std::string& path, unsigned attempt) {
  // The compilers' atomic built-in, not <atomic> (~0.1 s of compile time
  // for every user of <ctgrad/nn.hpp>); this file is for GCC and clang on
  // POSIX anyway.
  static std::uint64_t counter = 0;
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::uint64_t bits = (static_cast<std::uint64_t>(now.tv_nsec) << 20) ^ static_cast<std::uint64_t>(now.tv_sec) ^
                       (static_cast<std::uint64_t>(::getpid()) << 40) ^ (__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED) * 0x9e3779b97f4a7c15ULL) ^
                       attempt;
  std::string name = path + ".ctgrad-";
  for (int i = 0; i != 12; ++i, bits >>= 5) name += "abcdefghijklmnopqrstuvwxyz012345"[bits & 31];
  return name + ".tmp";
}

inline std::string directory_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// Write bytes to path atomically (see the top of this file); errors name
/// `function`, the public function saving.
inline void save_bytes_atomically(const std::vector<unsigned char>& bytes, const std::string& path,
                                  const char* function) {
  const std::string where = std::string(function) + ": " + path + ": ";
  struct stat target{};
  const bool replacing = ::stat(path.c_str(), &target) == 0;
  if (replacing && S_ISDIR(target.st_mode))
    throw weights_error(where + "is a directory (give the path of a file inside it)");
  if (replacing && !S_ISREG(target.st_mode))
    throw weights_error(where + "is " + file_type_text(target.st_mode) + ", not a regular file");

  std::string temporary;
  int fd = -1;
  for (unsigned attempt = 0; fd < 0 && attempt != 64; ++attempt) {
    temporary = temporary_name(path, attempt);
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    throw weights_error(where + "cannot create a temporary file in " + directory_of(path) + ": " +
                        system_error_text(errno));
  file_handle file(fd);
  const auto fail = [&](const char* step, int error) {
    ::unlink(temporary.c_str());
    throw weights_error(where + step + ": " + system_error_text(error));
  };
  if (replacing && ::fchmod(fd, target.st_mode & 07777) != 0) fail("cannot copy the permissions", errno);
  if (!write_all(fd, bytes.data(), bytes.size())) fail("cannot write", errno);
  if (::fsync(fd) != 0) fail("cannot flush to disk", errno);
  if (file.close() != 0) fail("cannot write", errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("cannot rename the temporary file over it", errno);
  // Make the rename itself durable.
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    file_handle directory(dir);
    ::fsync(dir);  // some file systems refuse fsync on a directory: the data is safe either way
  }
}

/// A regular file read at given offsets, failing clearly past its end
/// (a directory, a FIFO or a device is refused when it is opened).
class input_file {
 public:
  input_file(const std::string& path, const std::string& where)
      // O_NONBLOCK: opening a FIFO must not wait for a writer.
      : file_(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)), where_(where) {
    if (file_.get() < 0) throw weights_error(where + "cannot open: " + system_error_text(errno));
    struct stat info{};
    if (::fstat(file_.get(), &info) != 0) throw weights_error(where + "cannot stat: " + system_error_text(errno));
    if (!S_ISREG(info.st_mode))
      throw weights_error(where + "is " + file_type_text(info.st_mode) + ", not a weights file");
    size_ = static_cast<std::uint64_t>(info.st_size);
  }

  std::uint64_t size() const noexcept { return size_; }
  /// n bytes at offset; `what` names them in the error if the file is shorter.
  std::vector<unsigned char> read(std::uint64_t offset, std::uint64_t n, const std::string& what) const {
    if (offset > size_ || n > size_ - offset)
      throw weights_error(where_ + "truncated or corrupt: " + what + " (bytes " + std::to_string(offset) + " to " +
                          std::to_string(offset + n) + ") lies outside the file (" + std::to_string(size_) +
                          " bytes)");
    std::vector<unsigned char> bytes(static_cast<std::size_t>(n));
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t r =
          ::pread(file_.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw weights_error(where_ + "read error: " + system_error_text(errno));
      if (r == 0) throw weights_error(where_ + "truncated while reading " + what + " (the file shrank)");
      done += static_cast<std::size_t>(r);
    }
    return bytes;
  }

 private:
  file_handle file_;
  std::string where_;
  std::uint64_t size_ = 0;
};

/// Reads the file at path for load_weights: refuses anything that is not a
/// regular file; reads at most `limit` bytes.  Returns the bytes read and
/// sets file_size to the file's size.
inline std::vector<unsigned char> read_weights_file(const std::string& path, const std::string& where,
                                                    std::size_t limit, std::size_t& file_size) {
  const input_file file(path, where);
  file_size = static_cast<std::size_t>(file.size());
  return file.read(0, std::min<std::uint64_t>(file.size(), limit), "the file");
}

}  // namespace detail

/// The size in bytes of Model's weights file.
template <class Model>
inline constexpr std::size_t weights_file_size =
    detail::weights_layout<typename Model::parameter_list>::template file_size<typename Model::scalar_type>;

/// The bytes save_weights writes for a model.
template <class Model>
std::vector<unsigned char> weights_bytes(const Model& m) {
  using T = typename Model::scalar_type;
  std::vector<unsigned char> out;
  out.reserve(weights_file_size<Model>);
  out.insert(out.end(), std::begin(detail::weights_magic), std::end(detail::weights_magic));
  detail::put<std::uint32_t>(out, detail::weights_version);
  detail::put<std::uint32_t>(out, sizeof(T));
  detail::put<std::uint32_t>(out, Model::parameter_tensors);
  detail::put<std::uint32_t>(out, 0);
  m.for_each_parameter([&](auto p, auto) {
    using P = decltype(p);
    const std::string_view name = P::name.view();
    detail::put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
    for (char c : name) out.push_back(static_cast<unsigned char>(c));
    detail::put<std::uint32_t>(out, shape_of<P>::rank);
    for (std::size_t d : shape_of<P>::dims) detail::put<std::uint64_t>(out, d);
  });
  m.for_each_parameter([&](auto, auto values) {
    for (T v : values) detail::put<T>(out, v);
  });
  detail::put<std::uint64_t>(out, detail::fnv1a(out.data(), out.size()));
  return out;
}

/// Write the model's weights to path atomically (see the top of this file).
/// Throws weights_error on failure; an existing file at path is then left
/// as it was.
template <class Model, detail::weights_path Path>
void save_weights(const Model& m, const Path& path) {
  detail::save_bytes_atomically(weights_bytes(m), detail::path_text(path), "ctgrad::nn::save_weights");
}

/// Read weights saved by save_weights into m.  Every check passes before
/// anything is written to m; otherwise weights_error says what is wrong.
template <class Model, detail::weights_path Path>
void load_weights(Model& m, const Path& path_like) {
  using T = typename Model::scalar_type;
  using layout = detail::weights_layout<typename Model::parameter_list>;
  constexpr std::size_t expected_size = weights_file_size<Model>;
  const std::string path = detail::path_text(path_like);
  const std::string where = "ctgrad::nn::load_weights: " + path + ": ";

  // Never more than this model's file: enough to find the first header
  // that differs from the model's, whatever the file claims.
  std::size_t file_size = 0;
  const std::vector<unsigned char> bytes = detail::read_weights_file(path, where, expected_size, file_size);

  if (bytes.size() < sizeof(detail::weights_magic) ||
      std::memcmp(bytes.data(), detail::weights_magic, sizeof(detail::weights_magic)) != 0)
    throw weights_error(where + "not a ctgrad weights file (bad magic)");
  detail::reader in(bytes, file_size, where);
  in.text(sizeof(detail::weights_magic), "magic");
  const auto version = in.get<std::uint32_t>("header");
  if (version != detail::weights_version)
    throw weights_error(where + "format version " + std::to_string(version) + " (this ctgrad reads version " +
                        std::to_string(detail::weights_version) + ")");
  const auto scalar = in.get<std::uint32_t>("header");
  if (scalar != sizeof(T))
    throw weights_error(where + "stores " + std::to_string(scalar) + "-byte values, the model uses " +
                        std::to_string(sizeof(T)) + "-byte values");
  const auto count = in.get<std::uint32_t>("header");
  const auto reserved = in.get<std::uint32_t>("header");
  if (count != Model::parameter_tensors)
    throw weights_error(where + "holds " + std::to_string(count) + " tensors, the model has " +
                        std::to_string(Model::parameter_tensors));
  if (reserved != 0)
    throw weights_error(where + "the reserved header field is " + std::to_string(reserved) +
                        ", version 1 requires 0 (corrupt, or written by a newer ctgrad)");

  // Names and shapes, against the model's: the first difference is the error.
  m.for_each_parameter([&](auto p, auto) {
    using P = decltype(p);
    const std::vector<std::uint64_t> expected(shape_of<P>::dims.begin(), shape_of<P>::dims.end());
    const std::string model_side = std::string(P::name.view()) + " " + detail::dims_text(expected);
    const auto length = in.get<std::uint32_t>("tensor headers");
    if (length != P::name.view().size()) {
      const std::string stored = in.text(std::min<std::uint32_t>(length, 64), "tensor headers");
      throw weights_error(where + "tensor \"" + stored + (length > 64 ? "...\"" : "\"") +
                          " does not match the model's " + model_side);
    }
    const std::string stored = in.text(length, "tensor headers");
    const auto rank = in.get<std::uint32_t>("tensor headers");
    if (rank > 4) throw weights_error(where + "tensor " + stored + " has rank " + std::to_string(rank) + " (corrupt)");
    std::vector<std::uint64_t> dims(rank);
    for (auto& d : dims) d = in.get<std::uint64_t>("tensor headers");
    if (stored != P::name.view() || dims != expected)
      throw weights_error(where + "tensor " + stored + " " + detail::dims_text(dims) + " does not match the model's " +
                          model_side);
  });
  // The headers are the model's: the size must be too.
  if (file_size != expected_size) {
    const std::string sizes = std::to_string(expected_size) + " bytes expected, " + std::to_string(file_size) + " found";
    if (file_size < expected_size) throw weights_error(where + "truncated: " + sizes);
    throw weights_error(where + std::to_string(file_size - expected_size) + " unexpected bytes after the values (" +
                        sizes + ")");
  }
  const std::size_t body = expected_size - detail::weights_checksum_size;
  std::uint64_t stored_checksum;
  std::memcpy(&stored_checksum, bytes.data() + body, sizeof stored_checksum);
  if (stored_checksum != detail::fnv1a(bytes.data(), body))
    throw weights_error(where + "checksum mismatch: the file is corrupt");

  // Values: all finite, then copied in.
  std::vector<T> staged(layout::values);
  std::memcpy(staged.data(), bytes.data() + layout::headers, layout::values * sizeof(T));
  std::size_t at = 0;
  m.for_each_parameter([&](auto p, auto) {
    for (std::size_t i = 0; i != shape_of<decltype(p)>::size; ++i, ++at)
      if (!std::isfinite(staged[at]))
        throw weights_error(where + std::string(decltype(p)::name.view()) + "[" + std::to_string(i) + "] is not finite");
  });
  at = 0;
  m.for_each_parameter([&](auto, auto target) {
    for (T& v : target) v = staged[at++];
  });
}

}  // namespace ctgrad::nn
