// libFuzzer target: nn::load_weights on arbitrary bytes.  Every input must
// either load (and then the model holds finite values that save back to the
// same bytes) or throw nn::weights_error leaving the model unchanged;
// anything else (a crash, a sanitizer report, another exception, a hang) is
// a bug.  Built with clang++-14 -fsanitize=fuzzer,address,undefined (the
// `fuzz` preset); CI runs it for a bounded time from the seed corpus in
// tests/fuzz/corpus/load_weights/, and ctest replays the corpus.
#include <ctgrad/nn.hpp>

#include "memory_file.hpp"


#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {
using namespace ctgrad;
using net = nn::sequential<3, nn::dense<5, nn::relu>, nn::dense<2>>;
using model_f = nn::model<net, nn::mse, float, 1>;
using model_d = nn::model<net, nn::mse, double, 1>;


template <class Model>
void check(const std::string& path) {
  static auto m = std::make_unique<Model>();
  m->initialize(1);
  const std::vector<typename Model::scalar_type> before(m->storage().begin(), m->storage().end());
  try {
    nn::load_weights(*m, path);
  } catch (const nn::weights_error&) {
    if (!std::equal(before.begin(), before.end(), m->storage().begin())) std::abort();  // touched on failure
    return;
  }
  // Loaded: every value finite, and saving gives the file back.
  for (auto v : m->storage())
    if (!std::isfinite(v)) std::abort();
  std::FILE* f = std::fopen(path.c_str(), "rb");
  std::vector<unsigned char> bytes(nn::weights_file_size<Model> + 1);
  const std::size_t n = std::fread(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  bytes.resize(n);
  if (bytes != nn::weights_bytes(*m)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    const fuzz::memory_file file(data, size);
    check<model_f>(file.path());
    check<model_d>(file.path());
  }
  // The same bytes with a valid checksum, so that the fuzzer reaches the
  // checks behind it (values, sizes) instead of stopping at the checksum.
  if (size >= 8) {
    std::vector<std::uint8_t> sealed(data, data + size);
    const std::uint64_t h = nn::detail::fnv1a(sealed.data(), size - 8);
    std::memcpy(sealed.data() + size - 8, &h, 8);
    const fuzz::memory_file file(sealed.data(), size);
    check<model_f>(file.path());
    check<model_d>(file.path());
  }
  return 0;
}
