// Weights on disk: round trips, and every way a file can be wrong gives a
// clear error and leaves the model untouched; saving is atomic.
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

using namespace ctgrad;

namespace {
using net = nn::sequential<3, nn::dense<5, nn::relu>, nn::dense<2>>;
using model_f = nn::model<net, nn::mse, float, 1>;
using model_d = nn::model<net, nn::mse, double, 1>;
using other_net = nn::sequential<3, nn::dense<4, nn::relu>, nn::dense<2>>;
using other_f = nn::model<other_net, nn::mse, float, 1>;

struct temp_dir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("ctgrad-weights-" + std::to_string(::getpid()));
  temp_dir() { std::filesystem::create_directories(path); }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

std::vector<unsigned char> read_all(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void write_all(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
void reseal(std::vector<unsigned char>& bytes) {  // a valid checksum for edited bytes
  const std::uint64_t h = nn::detail::fnv1a(bytes.data(), bytes.size() - 8);
  std::memcpy(bytes.data() + bytes.size() - 8, &h, 8);
}

/// load_weights must throw a weights_error whose text contains `expected`,
/// and leave the model exactly as it was.
template <class Model>
void expect_rejected(Model& m, const std::filesystem::path& file, const std::string& expected) {
  const std::vector<typename Model::scalar_type> before(m.storage().begin(), m.storage().end());
  try {
    nn::load_weights(m, file);
    BOOST_ERROR("loaded a bad file; expected: " << expected);
  } catch (const nn::weights_error& e) {
    BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what() << " lacks: " << expected);
  }
  BOOST_TEST(std::equal(before.begin(), before.end(), m.storage().begin()));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(weights_io)

BOOST_AUTO_TEST_CASE(round_trip) {
  temp_dir dir;
  auto a = std::make_unique<model_d>(), b = std::make_unique<model_d>();
  a->initialize(11);
  nn::save_weights(*a, dir.path / "w.bin");
  nn::load_weights(*b, dir.path / "w.bin");
  BOOST_TEST(std::equal(a->storage().begin(), a->storage().end(), b->storage().begin()));
  // Overwriting an existing file is atomic: no temporary is left behind.
  a->initialize(12);
  nn::save_weights(*a, dir.path / "w.bin");
  nn::load_weights(*b, dir.path / "w.bin");
  BOOST_TEST(std::equal(a->storage().begin(), a->storage().end(), b->storage().begin()));
  BOOST_TEST(std::distance(std::filesystem::directory_iterator(dir.path), std::filesystem::directory_iterator{}) == 1);
}

BOOST_AUTO_TEST_CASE(convolutional_models_round_trip_and_check_kernel_shapes) {
  temp_dir dir;
  using cnn = nn::sequential<nn::input_shape<1, 6, 6>, nn::conv2d<3, 3, nn::relu>, nn::max_pool2d<2>, nn::flatten,
                             nn::dense<2>>;
  using wider = nn::sequential<nn::input_shape<1, 6, 6>, nn::conv2d<3, 2, nn::relu>, nn::max_pool2d<2>, nn::flatten,
                               nn::dense<2>>;  // W1 is [3, 1, 2, 2], not [3, 1, 3, 3]
  auto a = std::make_unique<nn::model<cnn, nn::mse, float, 2>>(),
       b = std::make_unique<nn::model<cnn, nn::mse, float, 2>>();
  a->initialize(3);
  nn::save_weights(*a, dir.path / "cnn.bin");
  nn::load_weights(*b, dir.path / "cnn.bin");
  BOOST_TEST(std::equal(a->storage().begin(), a->storage().end(), b->storage().begin()));
  auto c = std::make_unique<nn::model<wider, nn::mse, float, 2>>();
  expect_rejected(*c, dir.path / "cnn.bin", "W1");
}

BOOST_AUTO_TEST_CASE(every_corruption_is_rejected) {
  temp_dir dir;
  auto good = std::make_unique<model_f>();
  good->initialize(1);
  nn::save_weights(*good, dir.path / "good.bin");
  const auto bytes = read_all(dir.path / "good.bin");
  auto m = std::make_unique<model_f>();
  m->initialize(99);  // must survive every failed load

  expect_rejected(*m, dir.path / "missing.bin", "cannot open");
  // Truncated at every length.
  for (std::size_t n = 0; n < bytes.size(); n += (n < 64 ? 1 : 13)) {
    write_all(dir.path / "t.bin", std::vector<unsigned char>(bytes.begin(), bytes.begin() + static_cast<long>(n)));
    expect_rejected(*m, dir.path / "t.bin", n < 8 ? "bad magic" : "truncated");
  }
  // A flipped bit anywhere in the values or the checksum.
  for (std::size_t at : {bytes.size() - 1, bytes.size() - 20, bytes.size() / 2 + 40}) {
    auto bad = bytes;
    bad[at] ^= 0x10;
    write_all(dir.path / "c.bin", bad);
    expect_rejected(*m, dir.path / "c.bin", "checksum mismatch");
  }
  auto bad = bytes;
  bad[1] = 'X';
  write_all(dir.path / "m.bin", bad);
  expect_rejected(*m, dir.path / "m.bin", "bad magic");
  bad = bytes;
  bad[8] = 2;  // version
  reseal(bad);
  write_all(dir.path / "v.bin", bad);
  expect_rejected(*m, dir.path / "v.bin", "format version 2");
  // Trailing garbage (checksum recomputed so only the length is wrong).
  bad = bytes;
  bad.insert(bad.end() - 8, {1, 2, 3, 4});
  reseal(bad);
  write_all(dir.path / "g.bin", bad);
  expect_rejected(*m, dir.path / "g.bin", "unexpected bytes");
  // A NaN with a valid checksum.
  bad = bytes;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bad.data() + bad.size() - 8 - 4, &nan, 4);
  reseal(bad);
  write_all(dir.path / "n.bin", bad);
  expect_rejected(*m, dir.path / "n.bin", "b2[1] is not finite");
}

BOOST_AUTO_TEST_CASE(mismatched_models_are_rejected) {
  temp_dir dir;
  auto f = std::make_unique<model_f>();
  f->initialize(2);
  nn::save_weights(*f, dir.path / "f.bin");
  auto d = std::make_unique<model_d>();
  expect_rejected(*d, dir.path / "f.bin", "stores 4-byte values, the model uses 8-byte values");
  auto other = std::make_unique<other_f>();
  other->initialize(3);
  expect_rejected(*other, dir.path / "f.bin", "tensor W1 [3, 5] does not match the model's W1 [3, 4]");
}

std::size_t entries(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator{}));
}

/// Runs f in a child process; true if it exited with status 0.
template <class F>
bool in_child(F f) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int status = 1;
    try {
      status = f() ? 0 : 1;
    } catch (...) {
    }
    ::_exit(status);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

BOOST_AUTO_TEST_CASE(a_planted_link_at_the_old_temporary_name_is_not_followed) {
  // Before: save_weights wrote through `path.ctgrad-tmp` with fopen("wb"),
  // so a link planted there overwrote its target and made `path` a link.
  temp_dir dir;
  const std::vector<unsigned char> secret = {'k', 'e', 'e', 'p'};
  write_all(dir.path / "victim", secret);
  std::filesystem::create_symlink(dir.path / "victim", dir.path / "w.bin.ctgrad-tmp");
  auto a = std::make_unique<model_f>();
  a->initialize(4);
  nn::save_weights(*a, dir.path / "w.bin");
  BOOST_TEST((read_all(dir.path / "victim") == secret));
  BOOST_TEST(!std::filesystem::is_symlink(dir.path / "w.bin"));
  BOOST_TEST((read_all(dir.path / "w.bin") == nn::weights_bytes(*a)));
  BOOST_TEST(entries(dir.path) == 3u);  // victim, the link, w.bin: no temporary left
}

BOOST_AUTO_TEST_CASE(saving_keeps_the_permissions_of_the_file_it_replaces) {
  temp_dir dir;
  auto a = std::make_unique<model_f>();
  a->initialize(4);
  nn::save_weights(*a, dir.path / "w.bin");
  const mode_t mask = ::umask(022);
  ::umask(mask);
  BOOST_TEST((std::filesystem::status(dir.path / "w.bin").permissions() ==
              static_cast<std::filesystem::perms>(0666 & ~mask)));  // as fopen would create it
  std::filesystem::permissions(dir.path / "w.bin", static_cast<std::filesystem::perms>(0640));
  nn::save_weights(*a, std::string((dir.path / "w.bin").string()));  // any path-like type
  BOOST_TEST((std::filesystem::status(dir.path / "w.bin").permissions() == static_cast<std::filesystem::perms>(0640)));
}

BOOST_AUTO_TEST_CASE(concurrent_saves_to_one_path_never_mix) {
  // Before: two saves shared one temporary name and could interleave.
  temp_dir dir;
  const auto path = dir.path / "w.bin";
  const auto saver = [&](std::uint64_t seed) {
    return [&path, seed] {
      auto m = std::make_unique<model_f>();
      m->initialize(seed);
      for (int i = 0; i != 40; ++i) nn::save_weights(*m, path);
      return true;
    };
  };
  const pid_t first = ::fork();
  if (first == 0) ::_exit(saver(1)() ? 0 : 1);
  BOOST_TEST(in_child(saver(2)));
  int status = 0;
  ::waitpid(first, &status, 0);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  auto loaded = std::make_unique<model_f>(), one = std::make_unique<model_f>(), two = std::make_unique<model_f>();
  nn::load_weights(*loaded, path);  // a whole file, from one of the two
  one->initialize(1);
  two->initialize(2);
  const auto same = [&](const model_f& m) { return std::ranges::equal(loaded->storage(), m.storage()); };
  BOOST_TEST((same(*one) || same(*two)));
  BOOST_TEST(entries(dir.path) == 1u);
}

BOOST_AUTO_TEST_CASE(failed_saves_keep_the_old_file_and_leave_no_temporary) {
  temp_dir dir;
  auto a = std::make_unique<model_f>();
  a->initialize(4);
  nn::save_weights(*a, dir.path / "w.bin");
  const auto before = read_all(dir.path / "w.bin");
  a->initialize(5);
  const auto fails_with = [&](const std::filesystem::path& p, const std::string& expected) {
    try {
      nn::save_weights(*a, p);
      BOOST_ERROR("saved to " << p << "; expected: " << expected);
    } catch (const nn::weights_error& e) {
      BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what() << " lacks: " << expected);
    }
  };
  // Over a directory (before: "disk full or no permission?").
  std::filesystem::create_directory(dir.path / "sub");
  fails_with(dir.path / "sub", "sub: is a directory");
  fails_with(dir.path / "missing" / "w.bin", "cannot create a temporary file in " + (dir.path / "missing").string() +
                                                 ": No such file or directory");
  // A write that fails half way (file size limit): the temporary is removed.
  BOOST_TEST(in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{64, 64};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      nn::save_weights(*a, dir.path / "w.bin");
    } catch (const nn::weights_error& e) {
      return std::string(e.what()).find("cannot write: File too large") != std::string::npos;
    }
    return false;
  }));
  BOOST_TEST(read_all(dir.path / "w.bin") == before);
  BOOST_TEST(entries(dir.path) == 2u);  // w.bin and sub
}

BOOST_AUTO_TEST_CASE(only_a_regular_file_of_the_model_s_size_is_read) {
  temp_dir dir;
  auto m = std::make_unique<model_f>();
  m->initialize(7);
  // Before: a directory threw std::ios_base::failure, /dev/zero read until
  // std::bad_alloc, a FIFO blocked forever.
  expect_rejected(*m, dir.path, "is a directory, not a weights file");
  expect_rejected(*m, "/dev/zero", "/dev/zero: is a character device, not a weights file");
  BOOST_TEST(::mkfifo((dir.path / "fifo").c_str(), 0600) == 0);
  expect_rejected(*m, dir.path / "fifo", "is a FIFO, not a weights file");
  // A huge (sparse) file: refused from its size, without reading it.
  nn::save_weights(*m, dir.path / "w.bin");
  std::filesystem::resize_file(dir.path / "w.bin", std::uintmax_t{1} << 32);
  expect_rejected(*m, dir.path / "w.bin",
                  "bytes expected, " + std::to_string(std::uintmax_t{1} << 32) + " found");
  BOOST_TEST(nn::weights_file_size<model_f> == nn::weights_bytes(*m).size());
  // Every failure is a weights_error naming the function and the path.
  expect_rejected(*m, dir.path / "missing.bin",
                  "ctgrad::nn::load_weights: " + (dir.path / "missing.bin").string() +
                      ": cannot open: No such file or directory");
}

BOOST_AUTO_TEST_CASE(reserved_header_fields_must_hold_their_documented_values) {
  temp_dir dir;
  auto m = std::make_unique<model_f>();
  m->initialize(7);
  auto bytes = nn::weights_bytes(*m);
  bytes[20] = 1;  // reserved u32 at offset 20
  reseal(bytes);
  write_all(dir.path / "r.bin", bytes);
  expect_rejected(*m, dir.path / "r.bin", "the reserved header field is 1, version 1 requires 0");
}

BOOST_AUTO_TEST_SUITE_END()
