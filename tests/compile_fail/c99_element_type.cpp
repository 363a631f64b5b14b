// Misuse: a kernel written out as C99 (ctgrad::to_c99) in an element type
// C has no spelling for here (float and double only).
#include <ctgrad/c99.hpp>
#include <ctgrad/ctgrad.hpp>
using namespace ctgrad;
#ifdef CTGRAD_SHOULD_FAIL
using real = long double;
#else
using real = double;
#endif
constexpr param<"W", shape<2, 3>> W;
constexpr input<"x", shape<1, 2>> x;
[[maybe_unused]] c99_code f() { return to_c99<real>(compile(sum(tanh(matmul(x, W))), wrt(W)), "net"); }
