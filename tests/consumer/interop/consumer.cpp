// A user's program with the weights-exchange component: found with
// find_package(ctgrad CONFIG COMPONENTS interop), linking ctgrad::interop
// (zlib comes with it).
#include <ctgrad/nn.hpp>
#include <ctgrad/nn/npz.hpp>
#include <ctgrad/nn/safetensors.hpp>

#include <cstdio>

using net = ctgrad::nn::sequential<2, ctgrad::nn::dense<3, ctgrad::nn::tanh>, ctgrad::nn::dense<1>>;
using model = ctgrad::nn::model<net, ctgrad::nn::mse>;

int main() {
  model a, b, c;
  a.initialize(1);
  ctgrad::nn::save_npz(a, "consumer.npz", {.compress = true});
  ctgrad::nn::save_safetensors(a, "consumer.safetensors");
  ctgrad::nn::load_npz(b, "consumer.npz");
  ctgrad::nn::load_safetensors(c, "consumer.safetensors");
  std::remove("consumer.npz");
  std::remove("consumer.safetensors");
  for (std::size_t i = 0; i != model::storage_size; ++i)
    if (b.storage()[i] != a.storage()[i] || c.storage()[i] != a.storage()[i]) return 1;
  return 0;
}
