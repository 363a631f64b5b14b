// Where a kernel's time goes: each instruction of a workload's training
// kernel (bench/workloads.hpp) timed on its own, best of 15 rounds of 40
// runs, in the widest copy the CPU has (AVX-512, else AVX2; the
// environment's CTGRAD_INSTRUCTION_SET=avx2 picks AVX2).
// A contributor's tool (it uses ctgrad's internals; needs an AVX2 CPU), not a benchmark:
//   ./build/gcc/bench/ctgrad_instruction_times [c1|w2|w3]     (c1 unless said)
#include <cxxabi.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <ctgrad/nn.hpp>

#include "mlp_data.hpp"
#include "workloads.hpp"

using namespace ctgrad;

template <class I>
[[gnu::target("avx2"), gnu::noinline]] void run_avx2(detail::tk::context<float> c) {
  I::template run<32>(c);
}
#if CTGRAD_DETAIL_DISPATCH_AVX512 || defined(__AVX512F__)
#define HAS_AVX512_COPY 1
template <class I>
[[CTGRAD_DETAIL_AVX512, gnu::noinline]] void run_avx512(detail::tk::context<float> c) {
  I::template run<64>(c);
}
#else
#define HAS_AVX512_COPY 0
#endif

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

/// " [M x K x N], path" for a matrix product (which of i_matmul's three
/// loops runs), nothing for the others.
template <class I>
std::string detail_of() {
  return "";
}
template <std::size_t Offset, std::size_t M, std::size_t K, std::size_t N, class RA, class RB>
std::string detail_of_matmul(detail::tk::i_matmul<Offset, M, K, N, RA, RB>*) {
  const char* path = detail::tk::rd<RB>::contiguous                                               ? "gemm"
                     : detail::tk::is_transposed_contiguous<RB> && detail::tk::rd<RA>::contiguous ? "dots"
                                                                                                  : "scalar";
  return " [" + std::to_string(M) + " x " + std::to_string(K) + " x " + std::to_string(N) + "] " + path;
}
template <class I>
requires requires(I* i) { detail_of_matmul(i); }
std::string detail_of() { return detail_of_matmul(static_cast<I*>(nullptr)); }

template <class Model>
int time_instructions(bool avx512) {
  using kernel = typename Model::training_kernel;
  auto model = std::make_unique<Model>();
  model->initialize(1);
  const auto data = std::make_unique<mlp_batch<Model::batch, Model::inputs, Model::outputs>>();
  auto ws = std::make_unique<workspace<kernel, float>>();
  const float* leaves[16]{};
  std::size_t n = 0;
  detail::mp::mp_for_each<typename kernel::plan::leaves>([&](auto leaf) {
    const std::string_view name = decltype(leaf)::name.view();
    const float* bound = name == "x" ? data->x.data() : name == "t" ? data->t.data() : nullptr;
    model->for_each_parameter([&](auto p, auto values) {
      if (decltype(p)::name.view() == name) bound = values.data();
    });
    if (bound == nullptr) {
      std::fprintf(stderr, "leaf %.*s is bound to nothing\n", int(name.size()), name.data());
      std::exit(1);
    }
    leaves[n++] = bound;
  });
  detail::tk::context<float> c{};
  c.ws = ws->data();
  c.leaves = leaves;
  const auto run = [&]<class I>(I) {
#if HAS_AVX512_COPY
    if (avx512) return run_avx512<I>(c);
#endif
    run_avx2<I>(c);
  };
  detail::mp::mp_for_each<typename kernel::plan::program>([&](auto i) { run(i); });  // every slot filled
  std::printf("%s copy, ns\n", avx512 ? "AVX-512" : "AVX2");
  double total = 0;
  detail::mp::mp_for_each<typename kernel::plan::program>([&](auto i) {
    using I = decltype(i);
    double best = 1e30;
    for (int round = 0; round != 15; ++round) {
      const auto start = std::chrono::steady_clock::now();
      for (int r = 0; r != 40; ++r) run(I{});
      best = std::min(best,
                      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / 40);
    }
    total += best;
    std::printf("%10.1f  %s%s\n", best, name_of<I>().c_str(), detail_of<I>().c_str());
  });
  std::printf("%10.1f  total\n", total);
  return 0;
}

int main(int argc, char** argv) {
  const std::string_view workload = argc > 1 ? argv[1] : "c1";
  const char* set = std::getenv("CTGRAD_INSTRUCTION_SET");
  const bool avx512 = HAS_AVX512_COPY && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                      !(set && std::string_view(set) == "avx2");
  if (workload == "c1") return time_instructions<c1_model>(avx512);
  if (workload == "w2") return time_instructions<w2_model>(avx512);
  if (workload == "w3") return time_instructions<w3_model>(avx512);
  std::fprintf(stderr, "usage: %s [c1|w2|w3]\n", argv[0]);
  return 2;
}
