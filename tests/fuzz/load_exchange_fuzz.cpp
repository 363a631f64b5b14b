// libFuzzer target: nn::load_npz and nn::load_safetensors on arbitrary
// bytes.  Every input must either load (and then the model holds finite
// values) or throw nn::weights_error leaving the model unchanged; anything
// else (a crash, a sanitizer report, another exception, a hang, an
// allocation beyond libFuzzer's limit) is a bug.  Seeds in
// tests/fuzz/corpus/load_exchange/ (.npz stored and deflated, .safetensors).
#include <ctgrad/nn.hpp>
#include <ctgrad/nn/npz.hpp>
#include <ctgrad/nn/safetensors.hpp>

#include "memory_file.hpp"


#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {
using namespace ctgrad;
using net = nn::sequential<3, nn::dense<5, nn::relu>, nn::dense<2>>;
using model_f = nn::model<net, nn::mse, float, 1>;
using model_d = nn::model<net, nn::mse, double, 1>;


template <class Model, class Load>
void check(Load load) {
  static auto m = std::make_unique<Model>();
  m->initialize(1);
  const std::vector<typename Model::scalar_type> before(m->storage().begin(), m->storage().end());
  try {
    load(*m);
  } catch (const nn::weights_error&) {
    if (!std::equal(before.begin(), before.end(), m->storage().begin())) std::abort();  // touched on failure
    return;
  }
  for (auto v : m->storage())
    if (!std::isfinite(v)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::memory_file file(data, size);
  const std::string path = file.path();
  for (const bool extra : {false, true}) {
    const nn::exchange_options options{.allow_extra_tensors = extra};
    check<model_f>([&](auto& m) { nn::load_npz(m, path, options); });
    check<model_d>([&](auto& m) { nn::load_npz(m, path, options); });
    check<model_f>([&](auto& m) { nn::load_safetensors(m, path, options); });
    check<model_d>([&](auto& m) { nn::load_safetensors(m, path, options); });
  }
  return 0;
}
