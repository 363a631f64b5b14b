// Where a kernel's time goes: each instruction of C1's training kernel
// (bench/c1.cpp) timed on its own, AVX2 path, best of 15 rounds of 40 runs.
// A contributor's tool (it uses ctgrad's internals; needs an AVX2 CPU), not a benchmark:
//   ./build/gcc/bench/ctgrad_instruction_times
#include <cxxabi.h>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <ctgrad/nn.hpp>

#include "mlp_data.hpp"
#include "workloads.hpp"

using namespace ctgrad;

using kernel = c1_model::training_kernel;

template <class I>
[[gnu::target("avx2"), gnu::noinline]] void run_one(detail::tk::context<float> c) {
  I::template run<32>(c);
}

/// "i_conv<...>" for an instruction type: its name up to the first argument list.
template <class I>
std::string name_of() {
  int status = 0;
  char* full = abi::__cxa_demangle(typeid(I).name(), nullptr, nullptr, &status);
  std::string s = status == 0 ? full : typeid(I).name();
  std::free(full);
  s = s.substr(0, s.find('<'));
  return s.substr(s.rfind(':') == std::string::npos ? 0 : s.rfind(':') + 1);
}

int main() {
  auto model = std::make_unique<c1_model>();
  model->initialize(1);
  const auto data = std::make_unique<mlp_batch<8, 784, 10>>();
  auto ws = std::make_unique<workspace<kernel, float>>();
  const float* leaves[8]{};
  std::size_t n = 0;
  detail::mp::mp_for_each<kernel::plan::leaves>([&](auto leaf) {
    const std::string_view name = decltype(leaf)::name.view();
    leaves[n++] = name == "x"    ? data->x.data()
                  : name == "t"  ? data->t.data()
                  : name == "W1" ? model->parameter<0>().data()
                  : name == "b1" ? model->parameter<1>().data()
                  : name == "W2" ? model->parameter<2>().data()
                                 : model->parameter<3>().data();
  });
  detail::tk::context<float> c{};
  c.ws = ws->data();
  c.leaves = leaves;
  detail::mp::mp_for_each<kernel::plan::program>([&](auto i) { run_one<decltype(i)>(c); });  // every slot filled
  double total = 0;
  detail::mp::mp_for_each<kernel::plan::program>([&](auto i) {
    using I = decltype(i);
    double best = 1e30;
    for (int round = 0; round != 15; ++round) {
      const auto start = std::chrono::steady_clock::now();
      for (int r = 0; r != 40; ++r) run_one<I>(c);
      best = std::min(best,
                      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / 40);
    }
    total += best;
    std::printf("%8.2f us  %s\n", best, name_of<I>().c_str());
  });
  std::printf("%8.2f us  total\n", total);
}
