// Kernels with more variables than clang's 256-operand fold limit: no
// public entry point may fold over the variables or bindings.  (The sum is
// a balanced tree: expression *depth* is limited separately, by template
// instantiation depth, to about 300 levels; see docs/performance.md.)
#include <ctgrad/ctgrad.hpp>

#include <utility>

namespace {

// "v0", "v1", ..., "v299"
template <std::size_t I>
constexpr auto name_of() {
  constexpr std::size_t digits = I < 10 ? 1 : I < 100 ? 2 : 3;
  char text[digits + 2]{'v'};
  for (std::size_t k = digits, v = I; k >= 1; --k, v /= 10) text[k] = static_cast<char>('0' + v % 10);
  return ctgrad::fixed_string<digits + 1>(text);
}

// v[Begin] + ... + v[End - 1], as a balanced tree.
template <std::size_t Begin, std::size_t End>
constexpr auto sum() {
  if constexpr (End - Begin == 1)
    return ctgrad::var<name_of<Begin>()>{};
  else
    return sum<Begin, (Begin + End) / 2>() + sum<(Begin + End) / 2, End>();
}

template <std::size_t... I>
constexpr bool check(std::index_sequence<I...>) {
  constexpr auto e = sum<0, sizeof...(I)>();
  constexpr auto kernel = ctgrad::gradient(e, ctgrad::var<name_of<I>()>{}...);
  const auto r = kernel((ctgrad::var<name_of<I>()>{} = static_cast<double>(I))...);
  bool partials_are_one = true;
  for (double p : r.partials) partials_are_one = partials_are_one && p == 1.0;
  // The listing too must not fold over the nodes (clang's 256 limit).
  static_assert(ctgrad::listing(kernel).view().starts_with("t0 = v0\n"));
  return r.value == 299.0 * 300.0 / 2 && partials_are_one &&
         ctgrad::eval(e, (ctgrad::var<name_of<I>()>{} = 1.0)...) == 300.0;
}

static_assert(check(std::make_index_sequence<300>{}));

}  // namespace
