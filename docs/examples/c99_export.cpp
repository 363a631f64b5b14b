// Kernels as C99, step 1: train the sine net of the weights-as-code example
// briefly in C++, then write its kernels (predict, loss and gradients,
// training steps with SGD and Adam) as C99 with the parameters embedded.
// Step 2, c99_device.c, is a C program that goes on training them.
// Usage: c99_export <directory for sine.h and sine.c>
#include <ctgrad/nn/c99.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "embed_net.hpp"

using namespace ctgrad;
using embed_example::model_t;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <directory for sine.h and sine.c>\n", argv[0]);
    return 2;
  }
  const std::string directory = argv[1];
  auto model = std::make_unique<model_t>();
  model->initialize(7);
  embed_example::train_on_sine(*model, 1500);
  try {
    // [export]
    nn::save_c99(*model, directory, "sine", {.embed_parameters = true});  // sine.h and sine.c
    // [export]
  } catch (const nn::weights_error& e) {  // the directory cannot be written
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("wrote %s/sine.h and sine.c (%zu parameters)\n", directory.c_str(), model_t::parameter_count);
  return 0;
}
