// The worked convolution example of backprop.md section 5 as expressions:
// docs/conv.md shows it, docs/examples/conv_guide.cpp runs it, and
// tests/conv_test.cpp checks its numbers and rules.
#pragma once

#include <ctgrad/ctgrad.hpp>

namespace conv_worked {
using namespace ctgrad;
// [worked]
constexpr input<"x", shape<1, 4, 4>> x;     // one channel, 4x4
constexpr param<"w", shape<1, 1, 2, 2>> w;  // one 2x2 kernel: [out, in, height, width]
constexpr input<"t", shape<1, 3, 3>> t;
constexpr auto net = conv2d(x, w);  // [1, 3, 3]: net_ij = sum_ab w_ab x_(i+a)(j+b)
constexpr auto E = loss::half_sse(net, t);

static_assert(to_string(grad(E, w), label<"net">(net)) == "correlate(x, net - t)");
static_assert(to_string(grad(E, x), label<"net">(net)) == "full_conv(net - t, flip(w))");
// [worked]
}  // namespace conv_worked
