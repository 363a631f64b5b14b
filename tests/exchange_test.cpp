// Weights exchange (.npz, .safetensors): round trips in both element types,
// PyTorch's names and layouts, conversions (float16, bfloat16, float64 to
// float), and every way a file can be wrong gives a clear error naming the
// file and the tensor and leaves the model untouched.  PyTorch and NumPy
// themselves read and write these files in tests/interop/.
#define BOOST_TEST_MODULE ctgrad exchange
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>
#include <ctgrad/nn/npz.hpp>
#include <ctgrad/nn/safetensors.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace ctgrad;

namespace {
using net = nn::sequential<3, nn::dense<4, nn::tanh>, nn::dense<2>>;
using model_f = nn::model<net, nn::mse, float, 1>;
using model_d = nn::model<net, nn::mse, double, 1>;
using deeper_f = nn::model<nn::sequential<3, nn::dense<4, nn::tanh>, nn::dense<2>, nn::dense<5>>, nn::mse, float, 1>;
using wider_f = nn::model<nn::sequential<3, nn::dense<5, nn::tanh>, nn::dense<2>>, nn::mse, float, 1>;
using cnn_f = nn::model<nn::sequential<nn::input_shape<2, 6, 6>, nn::conv2d<3, 3, nn::relu>, nn::flatten, nn::dense<2>>,
                        nn::mse, float, 1>;

struct temp_dir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("ctgrad-exchange-" + std::to_string(::getpid()));
  temp_dir() { std::filesystem::create_directories(path); }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::filesystem::path operator/(const char* name) const { return path / name; }
};

std::vector<unsigned char> read_all(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void write_all(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// Every parameter value, in order.
template <class Model>
std::vector<typename Model::scalar_type> values_of(const Model& m) {
  std::vector<typename Model::scalar_type> out;
  m.for_each_parameter([&](auto, auto v) { out.insert(out.end(), v.begin(), v.end()); });
  return out;
}

enum class format { npz, npz_compressed, safetensors };
constexpr format formats[] = {format::npz, format::npz_compressed, format::safetensors};

template <class Model>
void save(const Model& m, const std::filesystem::path& p, format f, nn::exchange_options o = {}) {
  o.compress = f == format::npz_compressed;
  if (f == format::safetensors)
    nn::save_safetensors(m, p, o);
  else
    nn::save_npz(m, p, o);
}
template <class Model>
void load(Model& m, const std::filesystem::path& p, format f, const nn::exchange_options& o = {}) {
  if (f == format::safetensors)
    nn::load_safetensors(m, p, o);
  else
    nn::load_npz(m, p, o);
}

/// Loading must throw a weights_error containing every `expected` text and
/// leave the model exactly as it was.
template <class Model>
void expect_rejected(Model& m, const std::filesystem::path& p, format f, std::vector<std::string> expected,
                     const nn::exchange_options& o = {}) {
  const auto before = values_of(m);
  try {
    load(m, p, f, o);
    BOOST_ERROR("loaded a bad file; expected: " << expected.front());
  } catch (const nn::weights_error& e) {
    expected.push_back(p.string());  // every message names the file
    for (const std::string& text : expected)
      BOOST_TEST(std::string(e.what()).find(text) != std::string::npos, e.what() << "\n  lacks: " << text);
  }
  BOOST_TEST(values_of(m) == before);
}

/// A safetensors file from its JSON header and data bytes.
std::vector<unsigned char> safetensors_file(const std::string& json, const std::vector<unsigned char>& data) {
  std::vector<unsigned char> out;
  nn::detail::put_le(out, json.size(), 8);
  out.insert(out.end(), json.begin(), json.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}
/// The header of net's four tensors in one dtype of `size` bytes.
std::string net_header(const char* dtype, std::size_t size) {
  const auto entry = [&](const char* name, const char* shape, std::size_t begin, std::size_t count) {
    return std::string("\"") + name + "\": {\"dtype\": \"" + dtype + "\", \"shape\": " + shape +
           ", \"data_offsets\": [" + std::to_string(begin * size) + ", " + std::to_string((begin + count) * size) +
           "]}";
  };
  // (Appended, not "{" + ...: g++ 12 at -O3 warns -Wrestrict on literal + rvalue string.)
  std::string header = "{";
  header += entry("0.weight", "[4, 3]", 0, 12);
  header += ", ";
  header += entry("0.bias", "[4]", 12, 4);
  header += ", ";
  header += entry("1.weight", "[2, 4]", 16, 8);
  header += ", ";
  header += entry("1.bias", "[2]", 24, 2);
  return header + "}";
}
}  // namespace

BOOST_AUTO_TEST_CASE(round_trips_in_every_format_and_type) {
  temp_dir dir;
  for (format f : formats) {
    model_f a, b;
    a.initialize(1);
    b.initialize(2);
    save(a, dir / "f", f);
    load(b, dir / "f", f);
    BOOST_TEST(values_of(b) == values_of(a));
    model_d c, d;
    c.initialize(3);
    d.initialize(4);
    save(c, dir / "d", f);
    load(d, dir / "d", f);
    BOOST_TEST(values_of(d) == values_of(c));
    // Across element types: float -> double exactly, double -> float rounded.
    load(d, dir / "f", f);
    const auto af = values_of(a);
    const auto dd = values_of(d);
    BOOST_TEST(
        std::equal(af.begin(), af.end(), dd.begin(), dd.end(), [](float x, double y) { return double(x) == y; }));
    load(b, dir / "d", f);
    const auto cd = values_of(c);
    const auto bf = values_of(b);
    BOOST_TEST(std::equal(cd.begin(), cd.end(), bf.begin(), bf.end(),
                          [](double x, float y) { return static_cast<float>(x) == y; }));
    // A convolutional net too.
    cnn_f p, q;
    p.initialize(5);
    q.initialize(6);
    save(p, dir / "c", f);
    load(q, dir / "c", f);
    BOOST_TEST(values_of(q) == values_of(p));
  }
}

BOOST_AUTO_TEST_CASE(saving_is_deterministic) {
  model_f a;
  a.initialize(7);
  BOOST_TEST(nn::npz_bytes(a) == nn::npz_bytes(a));
  BOOST_TEST(nn::safetensors_bytes(a) == nn::safetensors_bytes(a));
}

// PyTorch's layouts: a dense weight is [out, in] in the file, the transpose
// of ctgrad's [in, out]; convolution weights as in memory.
BOOST_AUTO_TEST_CASE(files_hold_pytorch_layouts) {
  model_f a;
  a.initialize(8);
  const std::vector<unsigned char> bytes = nn::safetensors_bytes(a);
  const std::uint64_t header_length = nn::detail::get_le<8>(bytes.data());
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_length));
  BOOST_TEST(header.find(R"("0.weight":{"data_offsets":[0,48],"dtype":"F32","shape":[4,3]})") != std::string::npos,
             header);
  BOOST_TEST(header.find(R"("1.weight":{"data_offsets":[64,96],"dtype":"F32","shape":[2,4]})") != std::string::npos,
             header);
  const auto w1 = a.parameter<0>();  // [3, 4] in memory
  for (std::size_t o = 0; o != 4; ++o)
    for (std::size_t i = 0; i != 3; ++i) {
      float stored;
      std::memcpy(&stored, bytes.data() + 8 + header_length + 4 * (o * 3 + i), 4);
      BOOST_TEST(stored == w1[i * 4 + o]);
    }
  cnn_f c;
  c.initialize(9);
  const std::vector<unsigned char> conv = nn::safetensors_bytes(c);
  const std::string conv_header(conv.begin() + 8,
                                conv.begin() + 8 + static_cast<std::ptrdiff_t>(nn::detail::get_le<8>(conv.data())));
  BOOST_TEST(
      conv_header.find(R"("0.weight":{"data_offsets":[0,216],"dtype":"F32","shape":[3,2,3,3]})") != std::string::npos,
      conv_header);
}

BOOST_AUTO_TEST_CASE(prefixes_name_the_layers) {
  temp_dir dir;
  for (format f : formats) {
    model_f a, b;
    a.initialize(10);
    b.initialize(11);
    save(a, dir / "p", f, {.prefixes = {"0", "2"}});
    load(b, dir / "p", f, {.prefixes = {"0", "2"}});
    BOOST_TEST(values_of(b) == values_of(a));
    b.initialize(11);
    expect_rejected(b, dir / "p", f, {"no tensor \"1.weight\"", "\"2.weight\""});
    expect_rejected(b, dir / "p", f, {"3 prefixes given, the model has 2 layers"}, {.prefixes = {"0", "2", "4"}});
  }
}

BOOST_AUTO_TEST_CASE(extra_tensors_are_an_error_unless_allowed) {
  temp_dir dir;
  for (format f : formats) {
    deeper_f big;
    big.initialize(12);
    save(big, dir / "big", f);
    model_f small;
    small.initialize(13);
    expect_rejected(small, dir / "big", f, {"tensors the model does not have", "\"2.weight\"", "\"2.bias\""});
    load(small, dir / "big", f, {.allow_extra_tensors = true});
    const auto b = values_of(big), s = values_of(small);
    BOOST_TEST(std::equal(s.begin(), s.end(), b.begin()));
    // Missing tensors: the smaller file into the deeper model.
    save(small, dir / "small", f);
    expect_rejected(big, dir / "small", f, {"no tensor \"2.weight\""});
  }
}

BOOST_AUTO_TEST_CASE(a_wrong_shape_names_both_shapes) {
  temp_dir dir;
  for (format f : formats) {
    model_f a;
    a.initialize(14);
    save(a, dir / "a", f);
    wider_f w;
    w.initialize(15);
    expect_rejected(w, dir / "a", f, {"tensor \"0.weight\" has shape [4, 3]", "W1 needs [5, 3]"});
  }
}

BOOST_AUTO_TEST_CASE(half_precision_and_bfloat16_convert_exactly) {
  temp_dir dir;
  // 1, -2, 0.5, 2^-24 (the smallest subnormal), 65504 (the largest), -0, ...
  const std::uint16_t halves[] = {0x3c00, 0xc000, 0x3800, 0x0001, 0x7bff, 0x8000, 0x3555, 0x0400};
  const float half_values[] = {1.0f, -2.0f, 0.5f, 0x1p-24f, 65504.0f, -0.0f, 0x1.554p-2f, 0x1p-14f};
  std::vector<unsigned char> data;
  for (std::size_t i = 0; i != 26; ++i) nn::detail::put<std::uint16_t>(data, halves[i % 8]);
  write_all(dir / "h", safetensors_file(net_header("F16", 2), data));
  model_f m;
  nn::load_safetensors(m, dir / "h");
  const auto w1 = m.parameter<0>();
  for (std::size_t o = 0; o != 4; ++o)
    for (std::size_t i = 0; i != 3; ++i) {
      const float expected = half_values[(o * 3 + i) % 8];
      BOOST_TEST(w1[i * 4 + o] == expected);
      BOOST_TEST(std::signbit(w1[i * 4 + o]) == std::signbit(expected));
    }
  BOOST_TEST(m.parameter<1>()[0] == half_values[12 % 8]);

  std::vector<unsigned char> bf;
  for (std::size_t i = 0; i != 26; ++i) nn::detail::put<std::uint16_t>(bf, i % 2 ? 0x3f80 : 0xc0a0);  // 1, -5
  write_all(dir / "b", safetensors_file(net_header("BF16", 2), bf));
  model_d d;
  nn::load_safetensors(d, dir / "b");
  BOOST_TEST(d.parameter<0>()[0] == -5.0);  // file [0, 0]
  BOOST_TEST(d.parameter<0>()[4] == 1.0);   // memory [1, 0] = file [0, 1]
  BOOST_TEST(d.parameter<3>()[1] == 1.0);
}

BOOST_AUTO_TEST_CASE(values_that_are_not_finite_in_the_model_type_are_refused) {
  temp_dir dir;
  model_f m;
  m.initialize(16);
  std::vector<unsigned char> data;
  for (std::size_t i = 0; i != 26; ++i) nn::detail::put<float>(data, i == 13 ? std::nanf("") : 0.25f);
  write_all(dir / "nan", safetensors_file(net_header("F32", 4), data));
  expect_rejected(m, dir / "nan", format::safetensors, {"tensor \"0.bias\"[1] is not finite"});
  std::vector<unsigned char> big;
  for (std::size_t i = 0; i != 26; ++i) nn::detail::put<double>(big, i == 5 ? 1e300 : 0.25);
  write_all(dir / "big", safetensors_file(net_header("F64", 8), big));
  expect_rejected(m, dir / "big", format::safetensors, {"tensor \"0.weight\"[1, 2] is 1e+300, beyond float's range"});
  model_d d;
  nn::load_safetensors(d, dir / "big");
  BOOST_TEST(d.parameter<0>()[2 * 4 + 1] == 1e300);
}

BOOST_AUTO_TEST_CASE(malformed_safetensors_headers_are_refused) {
  temp_dir dir;
  model_f m;
  m.initialize(17);
  const std::vector<unsigned char> data(26 * 4, 0);
  const auto check = [&](const std::string& header, const std::vector<unsigned char>& bytes,
                         std::vector<std::string> expected) {
    write_all(dir / "s", safetensors_file(header, bytes));
    expect_rejected(m, dir / "s", format::safetensors, std::move(expected));
  };
  std::string h = net_header("F32", 4);
  check(h, std::vector<unsigned char>(data.begin(), data.end() - 1), {"tensor \"1.bias\"", "point outside"});
  check(net_header("I64", 8), std::vector<unsigned char>(26 * 8),
        {"has dtype I64; ctgrad reads F16, BF16, F32 and F64"});
  check("[1, 2]", data, {"not a JSON object"});
  check("{\"0.weight\": {\"dtype\": \"F32\"", data, {"not a JSON object"});
  std::string overlap = h;
  overlap.replace(overlap.find("[48, 64]"), 8, "[40, 56]");
  check(overlap, data, {"overlap"});
  std::string short_tensor = h;
  short_tensor.replace(short_tensor.find("[48, 64]"), 8, "[48, 60]");
  check(short_tensor, data, {"tensor \"0.bias\": 12 bytes of data for shape [4]"});
  check(R"({"0.weight": {"dtype": "F32", "shape": [4, -3], "data_offsets": [0, 48]}})", data, {"not a non-negative"});
  // A header length beyond the file.
  std::vector<unsigned char> lying = safetensors_file(h, data);
  lying[2] = 0x01;  // 64 KiB longer than the file
  write_all(dir / "l", lying);
  expect_rejected(m, dir / "l", format::safetensors, {"lies outside the file"});
}

// Every truncation of a valid file is refused; every single flipped byte of
// an .npz is refused or (in a field nothing depends on) harmless.
BOOST_AUTO_TEST_CASE(truncated_and_corrupted_files) {
  temp_dir dir;
  model_f a, m;
  a.initialize(18);
  m.initialize(19);
  const auto original = values_of(a), before = values_of(m);
  for (format f : formats) {
    save(a, dir / "good", f);
    const std::vector<unsigned char> bytes = read_all(dir / "good");
    for (std::size_t n = 0; n != bytes.size(); ++n) {
      write_all(dir / "cut", std::vector<unsigned char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
      try {
        load(m, dir / "cut", f);
        BOOST_ERROR("loaded a file cut to " << n << " of " << bytes.size() << " bytes");
      } catch (const nn::weights_error&) {
      }
      BOOST_TEST(values_of(m) == before);
    }
    if (f == format::safetensors) continue;  // the format has no checksum
    for (std::size_t i = 0; i != bytes.size(); ++i) {
      std::vector<unsigned char> flipped = bytes;
      flipped[i] ^= 0x10;
      write_all(dir / "flip", flipped);
      model_f t;
      t.initialize(19);
      try {
        load(t, dir / "flip", f);
        BOOST_TEST(values_of(t) == original, "byte " << i << " flipped: loaded other values");
      } catch (const nn::weights_error&) {
        BOOST_TEST(values_of(t) == before);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(files_that_are_not_weights) {
  temp_dir dir;
  model_f m;
  m.initialize(20);
  write_all(dir / "text", std::vector<unsigned char>(100, 'x'));
  expect_rejected(m, dir / "text", format::npz, {"not an .npz file"});
  expect_rejected(m, dir / "text", format::safetensors, {"header length"});
  expect_rejected(m, dir.path, format::npz, {"is a directory"});
  expect_rejected(m, dir / "missing", format::safetensors, {"cannot open"});
  // A valid .npz whose first array is not floating point: '<i4'.
  std::vector<unsigned char> bytes = nn::npz_bytes(m);
  const std::string descr = "'descr': '<f4'";
  const auto at = std::search(bytes.begin(), bytes.end(), descr.begin(), descr.end());
  BOOST_REQUIRE(at != bytes.end());
  *(at + 11) = 'i';
  write_all(dir / "int", bytes);
  expect_rejected(m, dir / "int", format::npz, {"tensor \"0.weight\": CRC-32 mismatch"});
  // With the CRC-32 of the edited member in its two places, the dtype is the error.
  const std::size_t data_at = 30 + nn::detail::get_le<2>(&bytes[26]), size = nn::detail::get_le<4>(&bytes[22]);
  const auto crc = nn::detail::npz::crc32_of(&bytes[data_at], size);
  const std::size_t directory_at = nn::detail::get_le<4>(&bytes[bytes.size() - 6]);
  std::memcpy(&bytes[14], &crc, 4);
  std::memcpy(&bytes[directory_at + 16], &crc, 4);
  write_all(dir / "int", bytes);
  expect_rejected(m, dir / "int", format::npz, {"tensor \"0.weight\" has dtype '<i4'"});
}

BOOST_AUTO_TEST_CASE(saving_reports_the_function_and_path) {
  temp_dir dir;
  model_f m;
  m.initialize(21);
  try {
    nn::save_npz(m, dir.path / "no-such-directory" / "w.npz");
    BOOST_ERROR("saved into a missing directory");
  } catch (const nn::weights_error& e) {
    BOOST_TEST(std::string(e.what()).find("ctgrad::nn::save_npz: ") == 0, e.what());
  }
  try {
    nn::save_safetensors(m, dir.path);
    BOOST_ERROR("saved over a directory");
  } catch (const nn::weights_error& e) {
    BOOST_TEST(std::string(e.what()).find("ctgrad::nn::save_safetensors: ") == 0, e.what());
    BOOST_TEST(std::string(e.what()).find("is a directory") != std::string::npos, e.what());
  }
}
