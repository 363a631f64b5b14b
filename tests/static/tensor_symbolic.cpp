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
static_assert(to_string(grad(sum(leaky_relu(x)), x)) == "step(x) + step(-x)/100");
static_assert(to_string(grad(dot(x, x), x)) == "2*x");
static_assert(grad(dot(x, t), x) == t);

// Losses: the gradients the textbooks give.
static_assert(to_string(grad(loss::half_sse(x, t), x)) == "x - t");
static_assert(to_string(grad(loss::mse(x, t), x)) == "2*(x - t)/3");
static_assert(to_string(grad(loss::binary_cross_entropy_with_logits(x, t), x)) == "(sigmoid(x) - t)/3");

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
static_assert(to_string(L, label<"z2">(z2)) == "(sum(logsumexp(z2)) - sum(target \u2299 z2))/5");
static_assert(to_string(grad(L, W2), label<"h">(h), label<"z2">(z2)) == "h^T*(softmax(z2)/5 - target/5)");
static_assert(to_string(grad(L, b2), label<"z2">(z2)) == "colsum(softmax(z2)/5 - target/5)");
static_assert(to_string(grad(L, W1), label<"z1">(z1), label<"z2">(z2)) ==
              "in^T*(((softmax(z2)/5 - target/5)*W2^T) \u2299 step(z1))");

// The kernel: every distinct node once; slots only where needed.
using K = decltype(compile(L, wrt(W1, b1, W2, b2)));
static_assert(sizeof(workspace<K, float>) == K::workspace_elements * sizeof(float));
static_assert(K::workspace_elements % 16 == 0);

}  // namespace
