// Weights as code, step 1: train a small net on sin(x), then write its
// parameters as a C++ header (and, for the check in step 2, its
// predictions on a grid).  Usage: embed_train <directory>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>
#include <string>

#include "embed_net.hpp"

using namespace ctgrad;
using embed_example::model_t;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <directory for sine_parameters.hpp and sine_expected.hpp>\n", argv[0]);
    return 2;
  }
  const std::string directory = argv[1];
  // [train]
  auto model = std::make_unique<model_t>();
  model->initialize(7);
  embed_example::train_on_sine(*model, 3000);  // Adam on sin(x), x in [-pi, pi)
  // The parameters as code: namespace sine, array sine::parameters.
  nn::save_parameters_header(*model, directory + "/sine_parameters.hpp", "sine");
  // [train]

  // What the deployed program must reproduce, bit for bit: this model's
  // predictions on the grid, one row at a time, as exact literals.
  std::string expected = "#pragma once\nnamespace sine_expected {\ninline constexpr float outputs[] = {\n";
  model_t::prediction_workspace<1> ws;
  for (float xi : embed_example::grid) {
    const float y = model->predict(ws, std::span<const float, 1>(&xi, 1))[0];
    char literal[64];
    std::snprintf(literal, sizeof literal, "    %af,\n", static_cast<double>(y));
    expected += literal;
  }
  expected += "};\n}  // namespace sine_expected\n";
  std::FILE* file = std::fopen((directory + "/sine_expected.hpp").c_str(), "w");
  if (file == nullptr || std::fputs(expected.c_str(), file) < 0 || std::fclose(file) != 0) {
    std::fprintf(stderr, "embed_train: cannot write %s/sine_expected.hpp\n", directory.c_str());
    return 1;
  }
  std::printf("wrote %s/sine_parameters.hpp (%zu parameters)\n", directory.c_str(), model_t::parameter_count);
  return 0;
}
