// The tensor level's derivatives as types and as printed maths, and the
// shape of the kernels it compiles: static_assert only.
#include <ctgrad/ctgrad.hpp>

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {

constexpr param<"x", shape<3>> x;
constexpr param<"W", shape<3, 2>> W;
constexpr input<"t", shape<3>> t;

// Canonical forms: equal maths is one type.
static_assert(x + x == 2_c * x);
static_assert(x * t == t * x);
static_assert(x - x == tnodes::fill<decltype(0_c), shape<3>>{});
static_assert(transpose(transpose(W)) == W);
static_assert(reshape<shape<3, 2>>(reshape<shape<6>>(W)) == W);
static_assert(to_string(softmax(x)) == "softmax(x)" && to_string(log_softmax(x)) == "log_softmax(x)");

// Elementwise rules, derived from the scalar level and written through the
// forward node where backprop reuses it.
static_assert(to_string(grad(sum(tanh(x)), x)) == "1 - tanh(x)^2");
static_assert(to_string(grad(sum(sigmoid(x)), x)) == "sigmoid(x) \u2299 (1 - sigmoid(x))");
static_assert(to_string(grad(sum(exp(x)), x)) == "exp(x)");
static_assert(to_string(grad(sum(relu(x)), x)) == "step(x)");
// At the kink the negative side's slope (docs/numerics.md): written with
// negpart(x) = max(-x, 0), whose derivative step(x) - 1 is -1 at 0.
static_assert(to_string(grad(sum(leaky_relu(x)), x)) == "step(x) - (step(x) - 1)/100");
static_assert(to_string(grad(sum(elu(x)), x)) == "step(x) - exp(-negpart(x)) \u2299 (step(x) - 1)");
static_assert(to_string(grad(sum(gelu(x)), x)) == "gelu'(x)");
static_assert(to_string(grad(dot(x, x), x)) == "2*x");
// A term that is a negative multiple of a tensor is subtracted, not added:
// "t - 2*(...)", never "t + -2*(...)"; both negative: "-2*t - 3*tanh(x)".
static_assert(to_string(grad(sum(x * t) - 2_c * sum(tanh(x)), x)) == "t - 2*(1 - tanh(x)^2)");
static_assert(to_string(t - 2_c * tanh(x)) == "t - 2*tanh(x)");
static_assert(to_string(-2_c * t - 3_c * tanh(x)) == "-2*t - 3*tanh(x)");
static_assert(grad(dot(x, t), x) == t);

// Losses: the gradients the textbooks give.
static_assert(to_string(grad(loss::half_sse(x, t), x)) == "x - t");
static_assert(to_string(grad(loss::mse(x, t), x)) == "2*(x - t)/3");
// finite(x): a saturated logit (+-inf) with its matching target is a loss of 0.
static_assert(to_string(grad(loss::binary_cross_entropy_with_logits(x, t), x)) == "(sigmoid(finite(x)) - t)/3");

// A batched two-layer MLP: the backprop formulas, with names for the layers.
constexpr input<"in", shape<5, 3>> in;
constexpr input<"target", shape<5, 2>> target;
constexpr param<"W1", shape<3, 4>> W1;
constexpr param<"b1", shape<4>> b1;
constexpr param<"W2", shape<4, 2>> W2;
constexpr param<"b2", shape<2>> b2;
constexpr auto z1 = matmul(in, W1) + b1;
constexpr auto h = relu(z1);
constexpr auto z2 = matmul(h, W2) + b2;
constexpr auto L = loss::softmax_cross_entropy(z2, target);
// Per row, then the mean; finite() keeps 0 * -inf (a masked logit) at 0.
static_assert(to_string(L, label<"z2">(z2)) == "sum(logsumexp(z2) - rowsum(target \u2299 finite(z2)))/5");
static_assert(to_string(grad(L, W2), label<"h">(h), label<"z2">(z2)) == "h^T*(softmax(z2)/5 - target/5)");
static_assert(to_string(grad(L, b2), label<"z2">(z2)) == "colsum(softmax(z2)/5 - target/5)");
static_assert(to_string(grad(L, W1), label<"z1">(z1), label<"z2">(z2)) ==
              "in^T*(((softmax(z2)/5 - target/5)*W2^T) \u2299 step(z1))");

// Convolution and pooling: each VJP is the textbook's, as a type.
namespace conv {
constexpr input<"x", shape<2, 3, 6, 6>> x;
constexpr param<"K", shape<4, 3, 3, 3>> K;
constexpr input<"r", shape<2, 4, 4, 4>> r;
constexpr auto y = conv2d(x, K);
using G = std::remove_const_t<decltype(r)>;
// The three convolution nodes: kernel gradient = correlation of the input
// with the output gradient; input gradient = the transposed convolution.
static_assert(std::is_same_v<decltype(grad(dot(y, r), K)),
                             tnodes::conv_kernel_grad<std::remove_const_t<decltype(x)>, G, shape<4, 3, 3, 3>,
                                                      tnodes::conv_geometry<1, 1, 1, 1>>>);
static_assert(std::is_same_v<decltype(grad(dot(y, r), x)),
                             tnodes::conv_input_grad<G, std::remove_const_t<decltype(K)>, shape<2, 3, 6, 6>,
                                                     tnodes::conv_geometry<1, 1, 1, 1>>>);
static_assert(to_string(grad(dot(y, r), K)) == "correlate(x, r)");
static_assert(to_string(grad(dot(y, r), x)) == "full_conv(r, flip(K))");
// Padding: the gradient is cropped; stride and dilation are spelled out.
constexpr input<"q", shape<2, 4, 3, 3>> q;
static_assert(to_string(grad(dot(conv2d(x, K, padding<1>, stride<2>), q), x)) ==
              "crop(conv_transpose(q, K, stride 2), 1)");
constexpr input<"p", shape<2, 4, 2, 2>> p;
static_assert(to_string(grad(dot(conv2d(x, K, dilation<2>), p), K)) == "correlate(x, p, dilation 2)");
// Bias: summed over batch and positions.
constexpr param<"c", shape<4>> cb;
static_assert(to_string(grad(dot(conv2d(x, K, cb), r), cb)) == "channelsum(r)");
// Pooling.
constexpr input<"s", shape<2, 3, 3, 3>> s;
static_assert(to_string(grad(dot(max_pool2d<2>(x), s), x)) == "route_to_max(x, s, 2x2)");
static_assert(to_string(grad(dot(avg_pool2d<2>(x), s), x)) == "spread_over_windows(s, 2x2)");
static_assert(to_string(max_pool2d<3>(x, stride<1>)) == "maxpool(x, 3x3, stride 1)");
// 1-D is the height-1 case: the same nodes, through views.
constexpr input<"u", shape<2, 3, 10>> u;
constexpr param<"k", shape<4, 3, 3>> k;
constexpr input<"v", shape<2, 4, 8>> v;
static_assert(to_string(grad(dot(conv1d(u, k), v), k)) == "correlate(u, v)");
static_assert(std::is_same_v<shape_of<decltype(grad(dot(conv1d(u, k), v), k))>, shape<4, 3, 3>>);
// Second order stays in the set: the VJP of the correlation by the input
// is a transposed convolution.
static_assert(to_string(grad(dot(grad(dot(y, r), K), K), x)) == "full_conv(r, flip(K))");
}  // namespace conv

// The kernel: every distinct node once; slots only where needed.
using K = decltype(compile(L, wrt(W1, b1, W2, b2)));
static_assert(sizeof(workspace<K, float>) == K::workspace_elements * sizeof(float));
static_assert(K::workspace_elements % 16 == 0);

}  // namespace
