// Canonical forms: equal maths written two ways is one type.
#include <ctgrad/ctgrad.hpp>

using namespace ctgrad;
using namespace ctgrad::literals;

namespace {
constexpr var<"x"> x;
constexpr var<"y"> y;
constexpr var<"z"> z;

// Expressions are empty, trivially copyable objects.
static_assert(Expression<decltype(sigmoid(x * y + z))>);
static_assert(sizeof(decltype(sigmoid(x * y + z))) == 1 && std::is_empty_v<decltype(sigmoid(x * y + z))>);
static_assert(!Expression<double>);

// Literal constants are exact rationals in lowest terms.
static_assert(c<2, 4> == c<1, 2>);
static_assert(c<3, -6> == c<-1, 2>);
static_assert(2_c == c<2>);
static_assert(c<1, 2> + c<1, 3> == c<5, 6>);
static_assert(c<2, 3> * c<3, 4> == c<1, 2>);
static_assert(c<1, 2> / c<1, 4> == 2_c);
static_assert(pow(c<2, 3>, 3_c) == c<8, 27>);
static_assert(pow(2_c, c<-2>) == c<1, 4>);

// Identities.
static_assert(x + 0_c == x && 0_c + x == x);
static_assert(x * 1_c == x && 1_c * x == x);
static_assert(x * 0_c == 0_c);
static_assert(x / 1_c == x && 0_c / x == 0_c);
static_assert(pow(x, 1_c) == x && pow(x, 0_c) == 1_c);
static_assert(-(-x) == x);
static_assert(x - x == 0_c && x / x == 1_c);

// Fixed order of commutative operands, coefficients in front.
static_assert(x + y == y + x);
static_assert(x * y == y * x);
static_assert(x * 2_c == 2_c * x);
static_assert(sin(x) * y == y * sin(x));

// Like terms and powers.
static_assert(x + x == 2_c * x);
static_assert(2_c * x + 3_c * x == 5_c * x);
static_assert(x * x == pow(x, 2_c));
static_assert(x * x * x == pow(x, 3_c));
static_assert(pow(x, 2_c) * pow(x, 3_c) == pow(x, 5_c));
static_assert(pow(pow(x, 2_c), 3_c) == pow(x, 6_c));
static_assert(pow(2_c * x, 2_c) == 4_c * pow(x, 2_c));
static_assert(pow(3_c * x, 2_c) - x * x * 9_c == 0_c);
static_assert(2_c * (3_c * x) == 6_c * x);
static_assert(x / 2_c == c<1, 2> * x);

// Quotients stay one fraction.
static_assert(x * (y / z) == (x * y) / z);
static_assert((x / y) / z == x / (y * z));
static_assert(x / (y / z) == (x * z) / y);

// Exact constant folding of elementary functions where the value is exact.
static_assert(exp(0_c) == 1_c && log(1_c) == 0_c && sin(0_c) == 0_c && cos(0_c) == 1_c);
static_assert(sigmoid(0_c) == c<1, 2> && relu(-3_c) == 0_c && abs(c<-3, 2>) == c<3, 2>);

}  // namespace
