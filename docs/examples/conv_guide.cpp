// The snippets of docs/conv.md, compiled and run: the worked convolution
// example of backprop.md section 5 and the operations' shapes.
#include <ctgrad/ctgrad.hpp>

#include <array>
#include <cstdio>

#include "conv_worked_example.hpp"

using namespace ctgrad;

namespace ops {
// [ops]
constexpr input<"x", shape<16, 3, 32, 32>> x;  // [batch, channels, height, width]
constexpr param<"K", shape<8, 3, 5, 5>> K;     // [out channels, in channels, kernel height, kernel width]
constexpr param<"c", shape<8>> c;              // one bias per output channel

constexpr auto z = conv2d(x, K, c, padding<2>, stride<2>);  // [16, 8, 16, 16]
constexpr auto h = max_pool2d<2>(relu(z));                  // [16, 8, 8, 8]
constexpr auto f = flatten(h);                              // [16, 512], a view
static_assert(std::is_same_v<shape_of<decltype(f)>, shape<16, 512>>);

constexpr input<"s", shape<16, 2, 100>> s;  // 1-D: [batch, channels, length]
constexpr param<"k", shape<4, 2, 7>> k;
constexpr auto y = avg_pool1d<2>(tanh(conv1d(s, k, dilation<2>)));  // [16, 4, 44]
static_assert(std::is_same_v<shape_of<decltype(y)>, shape<16, 4, 44>>);
// [ops]

// [printed]
constexpr auto L = sum(h);
static_assert(to_string(grad(L, K), label<"z">(z)) ==
              "correlate(pad(x, 2), route_to_max(relu(z), 1, 2x2) \u2299 step(z), stride 2)");
// [printed]
}  // namespace ops

int main() {
  using namespace conv_worked;
  // [run]
  auto kernel = compile(E, wrt(w));
  workspace<decltype(kernel), double> ws;
  std::array<double, 16> xs{};
  for (std::size_t i = 0; i != 16; ++i) xs[i] = double(i + 1);  // x_ij = 4i + j + 1
  const std::array<double, 4> ws_{1, 2, 3, 4};
  const std::array<double, 9> ts{};
  const double e = kernel(ws, x = xs, w = ws_, t = ts);
  const auto g = ws.gradient(w);  // dE/dw_ab = sum_ij (net_ij - t_ij) x_(i+a)(j+b)
  std::printf("E = %g, dE/dw = [%g %g; %g %g]\n", e, g[0], g[1], g[2], g[3]);
  // [run]
  return e == 44862 && g[0] == 6096 && g[1] == 6942 && g[2] == 9480 && g[3] == 10326 ? 0 : 1;
}
