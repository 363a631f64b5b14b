// Weights as code (nn/embed.hpp): the header's literals are the parameters'
// exact bits, bad input is refused with a clear error and leaves an
// existing file as it was, and predictions on parameters held elsewhere
// are the model's own, bit for bit.
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>
#include <ctgrad/nn/c99.hpp>

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace ctgrad;

namespace {
using net = nn::sequential<3, nn::dense<5, nn::tanh>, nn::dense<2>>;
using model_f = nn::model<net, nn::mse, float, 4>;
using model_d = nn::model<net, nn::mse, double, 4>;

/// The numbers between the array's braces, read back with strtod (every
/// literal, whatever its suffix), as T.
template <class T>
std::vector<T> literals_of(const std::string& text) {
  std::vector<T> values;
  const std::size_t open = text.find("= {"), close = text.find("};");
  BOOST_REQUIRE(open != std::string::npos && close != std::string::npos);
  const std::string body = text.substr(open + 3, close - open - 3);
  std::size_t at = 0;
  while ((at = body.find("0x", at)) != std::string::npos) {
    const std::size_t start = at > 0 && body[at - 1] == '-' ? at - 1 : at;
    char* end = nullptr;
    const double v = std::strtod(body.c_str() + start, &end);
    values.push_back(static_cast<T>(v));
    at = static_cast<std::size_t>(end - body.c_str());
  }
  return values;
}

template <class T>
bool same_bits(T a, T b) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  return std::bit_cast<U>(a) == std::bit_cast<U>(b);
}

template <class Model>
void check_round_trip() {
  using T = typename Model::scalar_type;
  auto m = std::make_unique<Model>();
  m->initialize(3);
  // The hard cases for a decimal writer, in the first tensor.
  auto p = m->parameters();
  p[0] = std::numeric_limits<T>::denorm_min();
  p[1] = -T(0);
  p[2] = std::numeric_limits<T>::max();
  p[3] = -std::numeric_limits<T>::min();
  p[4] = T(1) / T(3);
  const std::string text = nn::parameters_header_text(*m, "deployed::net_v2");
  BOOST_TEST(text.find("namespace deployed::net_v2 {") != std::string::npos);
  BOOST_TEST(text.find("parameter_count = " + std::to_string(Model::parameter_count) + ";") != std::string::npos);
  BOOST_TEST(text.find("// W1 [3, 5] at 0") != std::string::npos);
  BOOST_TEST(text.find("// b2 [2] at " + std::to_string(Model::parameter_count - 2)) != std::string::npos);
  BOOST_TEST(text.find("#include") == std::string::npos);  // self-contained
  const std::vector<T> read = literals_of<T>(text);
  BOOST_REQUIRE_EQUAL(read.size(), Model::parameter_count);
  for (std::size_t i = 0; i != read.size(); ++i) BOOST_TEST(same_bits(read[i], p[i]), "parameter " << i);
}

struct temp_dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("ctgrad-embed-" + std::to_string(::getpid()));
  temp_dir() { std::filesystem::create_directories(path); }
  ~temp_dir() { std::filesystem::remove_all(path); }
};
std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(embed)

BOOST_AUTO_TEST_CASE(header_literals_are_the_exact_bits) {
  check_round_trip<model_f>();
  check_round_trip<model_d>();
}

BOOST_AUTO_TEST_CASE(saved_atomically_and_bad_input_refused) {
  temp_dir dir;
  const auto file = dir.path / "net.hpp";
  auto m = std::make_unique<model_f>();
  m->initialize(5);
  nn::save_parameters_header(*m, file, "net");
  const std::string saved = read_text(file);
  BOOST_TEST(saved == nn::parameters_header_text(*m, "net"));

  const auto expect_refused = [&](const std::string& name, const std::string& expected) {
    try {
      nn::save_parameters_header(*m, file, name);
      BOOST_ERROR("saved; expected: " << expected);
    } catch (const nn::weights_error& e) {
      BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what() << " lacks: " << expected);
    }
    BOOST_TEST(read_text(file) == saved);  // the file there before is untouched
  };
  for (const char* bad : {"", "2fast", "a::", "::a", "a:::b", "_Reserved", "a__b", "net-v2", "a b"})
    expect_refused(bad, "is not a C++ namespace name");
  m->parameters()[7] = std::numeric_limits<float>::quiet_NaN();
  expect_refused("net", "parameter W1[7] is not finite");
  m->parameters()[7] = 0;
  m->parameters()[model_f::parameter_count - 1] = -std::numeric_limits<float>::infinity();
  expect_refused("net", "parameter b2[1] is not finite");
}

// The kernels as C99 (nn/c99.hpp; tests/c99/ compiles and runs them):
// written as the text to_c99 gives, atomically, and refused whole when a
// parameter to embed is not finite or the directory cannot be written.
BOOST_AUTO_TEST_CASE(c99_saved_atomically_and_bad_input_refused) {
  temp_dir dir;
  auto m = std::make_unique<model_f>();
  m->initialize(5);
  nn::save_c99(*m, dir.path, "net", {.embed_parameters = true});
  const c99_code code = nn::to_c99(*m, "net", {.embed_parameters = true});
  BOOST_TEST(read_text(dir.path / "net.h") == code.header);
  BOOST_TEST(read_text(dir.path / "net.c") == code.source);
  BOOST_TEST(code.source.find("#include \"net.h\"") != std::string::npos);
  BOOST_TEST(nn::to_c99(*m, "net").source.find("net_parameters[") == std::string::npos);  // not embedded

  m->parameters()[7] = std::numeric_limits<float>::quiet_NaN();
  try {
    nn::save_c99(*m, dir.path, "net", {.embed_parameters = true});
    BOOST_ERROR("saved a NaN");
  } catch (const nn::weights_error& e) {
    BOOST_TEST(std::string(e.what()).find("ctgrad::nn::to_c99: parameter W1[7] is not finite") != std::string::npos,
               e.what());
  }
  BOOST_TEST(read_text(dir.path / "net.c") == code.source);  // untouched
  BOOST_CHECK_NO_THROW(nn::to_c99(*m, "net"));               // nothing to embed: no literal to spell
  BOOST_CHECK_THROW(nn::save_c99(*m, dir.path / "no" / "such" / "directory", "net"), nn::weights_error);
}

BOOST_AUTO_TEST_CASE(predictor_reads_the_parameters_in_place_and_predicts_as_the_model) {
  auto m = std::make_unique<model_f>();
  m->initialize(9);
  std::array<float, model_f::parameter_count> embedded{};
  std::copy(m->parameters().begin(), m->parameters().end(), embedded.begin());

  nn::predictor<model_f> one(embedded);
  BOOST_TEST(one.parameters().data() == embedded.data());  // no copy
  nn::predictor<model_f, 4> four(embedded);
  model_f::prediction_workspace<1> ws1;
  model_f::prediction_workspace<4> ws4;
  std::array<float, 12> x{};
  for (std::size_t i = 0; i != x.size(); ++i) x[i] = std::sin(0.7f * float(i) + 0.3f);
  const auto y4 = four(x);
  const auto m4 = m->predict(ws4, x);
  for (std::size_t i = 0; i != y4.size(); ++i) BOOST_TEST(same_bits(y4[i], m4[i]), "row-major output " << i);
  for (std::size_t row = 0; row != 4; ++row) {
    const auto xr = std::span<const float, 3>(x.data() + 3 * row, 3);
    const auto y1 = one(xr);
    const auto m1 = m->predict(ws1, xr);
    for (std::size_t j = 0; j != 2; ++j) BOOST_TEST(same_bits(y1[j], m1[j]), "row " << row << " output " << j);
  }
  // Other parameters, other predictions: it does read them.
  embedded[0] += 0.5f;
  const float before = m->predict(ws1, std::span<const float, 3>(x.data(), 3))[0];
  BOOST_TEST(!same_bits(one(std::span<const float, 3>(x.data(), 3))[0], before));
}

// A prediction as a constant expression, where the answer is known
// exactly: relu(x W1 + b1) W2 + b2 with dyadic numbers.
using relu_net = nn::sequential<2, nn::dense<2, nn::relu>, nn::dense<1>>;
using relu_model = nn::model<relu_net, nn::mse, double, 1>;
constexpr std::array<double, relu_model::parameter_count> relu_parameters{
    1,   -1, 2, 0.5,  // W1 [2, 2]: input i to unit j at 2 i + j
    0.5, -4,          // b1
    3,   -1,          // W2 [2, 1]
    0.25};            // b2
static_assert(relu_model::evaluate(relu_parameters, std::array<double, 2>{1, 2})[0] == 5.5 * 3 + 0.25);
static_assert(relu_model::evaluate(relu_parameters, std::array<double, 2>{-1, 1})[0] == 1.5 * 3 + 0.25);

// Deterministic parameters for a tanh net, built by the compiler.
constexpr std::array<float, model_f::parameter_count> constant_parameters = [] {
  std::array<float, model_f::parameter_count> p{};
  for (std::size_t i = 0; i != p.size(); ++i) p[i] = float(int(i * 37 % 101) - 50) / 64.0f;
  return p;
}();
constexpr std::array<float, 12> constant_x{0.5f, -1.25f, 2.0f, 0.0f, 0.75f, -0.5f, 3.0f, -2.0f, 1.0f, 0.1f, 0.2f, 0.3f};
constexpr auto constant_y = model_f::evaluate<4>(constant_parameters, constant_x);

BOOST_AUTO_TEST_CASE(constant_evaluation_is_close_to_the_kernel) {
  nn::predictor<relu_model> relu(relu_parameters);
  BOOST_TEST(relu(std::array<double, 2>{1, 2})[0] == 16.75);
  // The constexpr functions (tanh) and another order of sums: not the
  // kernel's bits, within 1e-5 relative.
  nn::predictor<model_f, 4> kernel(constant_parameters);
  const auto y = kernel(constant_x);
  for (std::size_t i = 0; i != y.size(); ++i)
    BOOST_TEST(std::fabs(constant_y[i] - y[i]) <= 1e-5f * (1 + std::fabs(y[i])),
               "output " << i << ": constant " << constant_y[i] << ", kernel " << y[i]);
  // Run-time evaluation computes the same thing.
  const auto again = model_f::evaluate<4>(constant_parameters, constant_x);
  for (std::size_t i = 0; i != y.size(); ++i) BOOST_TEST(std::fabs(again[i] - y[i]) <= 1e-5f * (1 + std::fabs(y[i])));
}

// The C99 emitter's literals (constants of the expressions, the vector
// math's coefficients) are the shortest decimals that a C compiler reads
// back as the same bits: parsed as C parses them, a float literal straight
// to float.  Random bit patterns, every binade, subnormals and the ends.
template <class T>
void check_c99_literals() {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  std::mt19937_64 random(20261205);
  std::vector<T> values = {std::numeric_limits<T>::denorm_min(),
                           std::numeric_limits<T>::min(),
                           std::numeric_limits<T>::max(),
                           std::numeric_limits<T>::epsilon(),
                           T(1) / T(3),
                           T(0.1)};
  while (values.size() != 20000) {
    const T v = std::bit_cast<T>(static_cast<U>(random()));
    if (std::isfinite(v)) values.push_back(v);
  }
  for (const T v : values) {
    std::string text = detail::c99::literal(v);
    if (text.front() == '(') text = text.substr(1, text.size() - 2);  // (-...) around a negative
    if constexpr (std::is_same_v<T, float>) {
      BOOST_REQUIRE(text.back() == 'f');
      text.pop_back();
    }
    char* end = nullptr;
    const T read = std::is_same_v<T, float> ? T(std::strtof(text.c_str(), &end)) : T(std::strtod(text.c_str(), &end));
    BOOST_TEST(*end == '\0', text);
    BOOST_TEST(same_bits(read, v), text << " for " << std::hexfloat << v);
    std::string digits;  // significant: from the first nonzero digit to the exponent
    for (const char c : text.substr(0, text.find('e')))
      if (c >= '0' && c <= '9' && (c != '0' || !digits.empty())) digits += c;
    BOOST_TEST(digits.size() <= std::size_t(std::numeric_limits<T>::max_digits10) + 1, text);  // + ".0"'s 0
  }
}

BOOST_AUTO_TEST_CASE(c99_literals_read_back_as_a_c_compiler_reads_them) {
  check_c99_literals<float>();
  check_c99_literals<double>();
}

BOOST_AUTO_TEST_SUITE_END()
