// A portable build without the AVX-512 copy (CTGRAD_NO_AVX512_DISPATCH, to
// save its compile time) compiles warning-free: the train step below is
// instantiated through the dispatch that then has no AVX-512 case.
#define CTGRAD_NO_AVX512_DISPATCH
#include <ctgrad/nn.hpp>

static_assert(CTGRAD_DETAIL_DISPATCH_AVX512 == 0);

namespace {
using model = ctgrad::nn::model<ctgrad::nn::sequential<3, ctgrad::nn::dense<4, ctgrad::nn::tanh>, ctgrad::nn::dense<2>>,
                                ctgrad::nn::mse, float, 2>;
}  // namespace

float no_avx512_step(model& m, decltype(model::make_optimizer(ctgrad::nn::adam{}))& opt, std::span<const float, 6> x,
                     std::span<const float, 4> t) {
  return m.train_step(opt, x, t).loss;
}
