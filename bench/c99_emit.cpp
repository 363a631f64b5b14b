// Writes W2's, P1's and C1's models as C99 (nn::to_c99) for bench/c99.cpp:
//   c99_emit <directory>   ->  w2.h w2.c p1.h p1.c c1.h c1.c
#include <ctgrad/nn/c99.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "workloads.hpp"

namespace {

template <class Model>
bool write(const std::string& directory, const char* name) {
  auto model = std::make_unique<Model>();
  model->initialize(1);
  const ctgrad::c99_code code = ctgrad::nn::to_c99(*model, name, {.embed_parameters = true});
  std::ofstream(directory + "/" + name + ".h") << code.header;
  std::ofstream source(directory + "/" + name + ".c");
  source << code.source;
  return static_cast<bool>(source.flush());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: c99_emit <directory>\n");
    return 2;
  }
  if (!write<w2_model>(argv[1], "w2") || !write<p1_model>(argv[1], "p1") || !write<c1_model>(argv[1], "c1")) {
    std::fprintf(stderr, "c99_emit: cannot write into %s\n", argv[1]);
    return 1;
  }
  return 0;
}
