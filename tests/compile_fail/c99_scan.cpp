// Not yet: a kernel with a scan (a recurrent layer) written out as C99;
// the error says so, and the kernel without the scan is written.
#include <ctgrad/c99.hpp>
#include <ctgrad/ctgrad.hpp>
using namespace ctgrad;
constexpr input<"x", shape<1, 4, 2>> x;
constexpr param<"W", shape<3, 2>> W;
#ifdef CTGRAD_SHOULD_FAIL
constexpr param<"U", shape<3, 3>> U;
constexpr param<"b", shape<3>> b;
constexpr auto states = scan(x, zeros<shape<1, 3>>, [](auto x_t, auto h) { return cell::rnn(x_t, h, W, U, b, b); });
#else
constexpr auto states = tanh(matmul(reshape<shape<4, 2>>(x), transpose(W)));
#endif
[[maybe_unused]] c99_code f() { return to_c99<float>(compile(sum(states), wrt(W)), "net"); }
