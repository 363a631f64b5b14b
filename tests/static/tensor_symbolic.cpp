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

// Slices of the last axis and concatenation: each the other's adjoint,
// canonical (the whole is the tensor, a slice of a concatenation is the
// part), and the gates of one product read as such.
static_assert(slice<0, 3>(x) == x);
static_assert(slice<0, 3>(concat(x, t)) == x && slice<3, 3>(concat(x, t)) == t);
static_assert(to_string(slice<1, 2>(x)) == "slice(x, 1:3)");
static_assert(to_string(concat(x, t)) == "concat(x, t)" && to_string(concat(t, x) * 2_c) == "2*concat(t, x)");
static_assert(to_string(detail::embed_t<std::remove_const_t<decltype(x)>, 1, 4>{}) == "embed(x, 1:4 of 4)");
static_assert(to_string(grad(sum(slice<1, 2>(x) * slice<0, 2>(t)), x)) == "embed(slice(t, 0:2), 1:3 of 3)");
static_assert(grad(sum(concat(x, t) * concat(t, x)), x) == 2_c * t);
constexpr param<"U", shape<2, 6>> U;  // two gates of 3: z = x U, then slices
static_assert(to_string(grad(sum(tanh(slice<0, 3>(matmul(reshape<shape<1, 2>>(slice<0, 2>(x)), U)))), U)) ==
              "slice(x, 0:2)^T*embed(1 - tanh(slice(slice(x, 0:2)*U, 0:3))^2, 0:3 of 6)");

// A recurrent cell's weight gradient reads as the textbook's (one step):
// dL/dU = (h^T (g ⊙ (1 - h'^2)))^T for h' = tanh(x W^T + b + h U^T + c).
constexpr input<"xs", shape<2, 3>> xs;
constexpr param<"hs", shape<2, 4>> hs;
constexpr param<"Wx", shape<4, 3>> Wx;
constexpr param<"Uh", shape<4, 4>> Uh;
constexpr param<"bx", shape<4>> bx;
constexpr param<"bh", shape<4>> bh;
constexpr input<"g", shape<2, 4>> g;
constexpr auto step = cell::rnn(xs, hs, Wx, Uh, bx, bh);
static_assert(to_string(step) == "tanh(bx + xs*Wx^T + hs*Uh^T + bh)");
static_assert(to_string(grad(sum(step * g), Uh), label<"h'">(step)) == "(hs^T*(g \u2299 (1 - h'^2)))^T");

// Over a sequence (a scan: one node, whatever T), the gradient of a
// recurrent weight is backpropagation through time's sum over steps, of
// the one step's gradient above; δ[t] is dL/dh[t] through every later step.
constexpr input<"seq", shape<2, 5, 3>> seq;
constexpr input<"gs", shape<2, 5, 4>> gs;
constexpr auto states = scan(seq, hs, [](auto x_t, auto h) { return cell::rnn(x_t, h, Wx, Uh, bx, bh); });
static_assert(to_string(states) == "scan(seq, hs, h[t] = tanh(bh + h[t-1]*Uh^T + bx + x[t]*Wx^T))");
static_assert(to_string(grad(sum(states * gs), Uh)) == "\u03a3_t (h[t-1]^T*(\u03b4[t] \u2299 (1 - h[t]^2)))^T");
static_assert(to_string(grad(sum(states * gs), bx)) == "\u03a3_t colsum(\u03b4[t] \u2299 (1 - h[t]^2))");
static_assert(to_string(grad(sum(states * gs), seq)) == "stack_t((\u03b4[t] \u2299 (1 - h[t]^2))*Wx)");
static_assert(to_string(grad(sum(states * gs), hs)) == "\u03b4[0]");
static_assert(
    to_latex(grad(sum(states * gs), Uh)) ==
    "\\sum_{t} \\left(h[t-1]^{\\top} \\left(\u03b4[t] \\odot \\left(1 - h[t]^{2}\\right)\\right)\\right)^{\\top}");

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

// The same as LaTeX: \odot, ^{\top}, \sum, juxtaposition for the matrix
// product, names subscripted (W2 -> W_{2}), fractions as \frac.
static_assert(to_latex(grad(sum(sigmoid(x)), x)) ==
              "\\sigma\\left(x\\right) \\odot \\left(1 - \\sigma\\left(x\\right)\\right)");
static_assert(to_latex(grad(sum(x * t) - 2_c * sum(tanh(x)), x)) ==
              "t - 2 \\left(1 - \\tanh\\left(x\\right)^{2}\\right)");
static_assert(to_latex(L, label<"z2">(z2)) ==
              "\\frac{\\sum\\left(\\operatorname{logsumexp}\\left(z_{2}\\right) - "
              "\\operatorname{rowsum}\\left(target \\odot \\operatorname{finite}\\left(z_{2}\\right)\\right)"
              "\\right)}{5}");
static_assert(to_latex(grad(L, W2), label<"h">(h), label<"z2">(z2)) ==
              "h^{\\top} \\left(\\frac{\\operatorname{softmax}\\left(z_{2}\\right)}{5} - \\frac{target}{5}\\right)");
static_assert(
    to_latex(grad(L, W1), label<"z1">(z1), label<"z2">(z2)) ==
    "in^{\\top} \\left(\\left(\\left(\\frac{\\operatorname{softmax}\\left(z_{2}\\right)}{5} - "
    "\\frac{target}{5}\\right) W_{2}^{\\top}\\right) \\odot \\operatorname{step}\\left(z_{1}\\right)\\right)");
static_assert(to_latex(grad(L, b2), label<"z2">(z2)) ==
              "\\operatorname{colsum}\\left(\\frac{\\operatorname{softmax}\\left(z_{2}\\right)}{5} - "
              "\\frac{target}{5}\\right)");

// The program a kernel runs: one line per slot, operands by slot; the
// elementwise node target/5 and the bias broadcasts are fused where read.
static_assert(listing(compile(L, wrt(W1, b1, W2, b2))) ==
              "t0 [5, 4] = in*W1\n"
              "t1 [5, 4] = b1 + t0\n"
              "t2 [5, 4] = relu(t1)\n"
              "t3 [5, 2] = t2*W2\n"
              "t4 [5, 2] = t3 + b2\n"
              "t5 [5, 1] = rowsum(target \u2299 finite(t4))\n"
              "t6 [5, 1] = logsumexp(t4)\n"
              "t7 [] = sum(t6 - t5)\n"
              "t8 [] = t7/5\n"
              "t9 [5, 2] = softmax(t4)/5 - target/5\n"
              "t10 [5, 4] = t9*W2^T\n"
              "t11 [5, 4] = t10 \u2299 step(t1)\n"
              "t12 [3, 4] = in^T*t11\n"
              "t13 [4] = colsum(t11)\n"
              "t14 [4, 2] = t2^T*t9\n"
              "t15 [2] = colsum(t9)\n"
              "loss = t8\n"
              "d/dW1 = t12\n"
              "d/db1 = t13\n"
              "d/dW2 = t14\n"
              "d/db2 = t15\n");
// A forward kernel lists its value.
static_assert(listing(compile_forward(z1)) == "t0 [5, 4] = in*W1\nt1 [5, 4] = b1 + t0\nvalue = t1\n");

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
// LaTeX: the operations by name, the geometry in words and \times.
static_assert(to_latex(grad(dot(conv2d(x, K, padding<1>, stride<2>), q), x)) ==
              "\\operatorname{crop}\\left(\\operatorname{conv\\_transpose}\\left(q, K, \\text{stride }2\\right), "
              "1\\right)");
constexpr input<"g", shape<2, 3, 4, 3>> g;
static_assert(to_latex(grad(dot(max_pool2d<3, 2>(x, stride<1, 2>), g), x)) ==
              "\\operatorname{route\\_to\\_max}\\left(x, g, 3 \\times 2, \\text{stride }1 \\times 2\\right)");
static_assert(to_latex(grad(dot(y, r), x)) ==
              "\\operatorname{full\\_conv}\\left(r, \\operatorname{flip}\\left(K\\right)\\right)");
// A pooling's routing reads the stored pooling windows of the forward pass.
static_assert(listing(compile(sum(max_pool2d<2>(conv2d(x, K, padding<1>))), wrt(K))) ==
              "t0 [2, 3, 8, 8] = pad(x, 1)\n"
              "t1 [2, 4, 6, 6] = conv(t0, K)\n"
              "t2 [2, 4, 3, 3] = maxpool(t1, 2x2)\n"
              "t3 [] = sum(t2)\n"
              "t4 [2, 4, 6, 6] = route_to_max(t1, 1, 2x2)\n"
              "t5 [4, 3, 3, 3] = correlate(t0, t4)\n"
              "loss = t3\n"
              "d/dK = t5\n");
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
