// ctgrad/fixed_string.hpp — compile-time strings: names of variables and
// printed expressions.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string_view>
#include <utility>

namespace ctgrad {

/// A string literal usable as a template argument: `var<"w1">`.
/// Structural (all members public) so it can be a C++20 class-type NTTP.
template <std::size_t N>
struct fixed_string {
  char data[N + 1]{};

  constexpr fixed_string(const char (&text)[N + 1]) noexcept {
    for (std::size_t i = 0; i != N + 1; ++i) data[i] = text[i];
  }
  static constexpr std::size_t size() noexcept { return N; }
  constexpr std::string_view view() const noexcept { return {data, N}; }
  constexpr operator std::string_view() const noexcept { return view(); }

  template <std::size_t M>
  friend constexpr bool operator==(const fixed_string& a, const fixed_string<M>& b) noexcept {
    return a.view() == b.view();
  }
};

template <std::size_t N>
fixed_string(const char (&)[N]) -> fixed_string<N - 1>;

/// The result of `to_string` / `to_latex`: a string whose length is a
/// compile-time constant, so it can be computed in a constant expression
/// and compared in a `static_assert`.
template <std::size_t N>
struct static_string {
  char data[N + 1]{};

  static constexpr std::size_t size() noexcept { return N; }
  constexpr const char* c_str() const noexcept { return data; }
  constexpr std::string_view view() const noexcept { return {data, N}; }
  constexpr operator std::string_view() const& noexcept { return view(); }
  // `std::string_view s = to_string(e);` would dangle: keep the result first.
  operator std::string_view() const&& = delete;

  constexpr bool operator==(std::string_view text) const noexcept { return view() == text; }
  template <std::size_t M>
  constexpr bool operator==(const static_string<M>& other) const noexcept {
    return view() == other.view();
  }
  // A template over the stream, so that this header needs only <iosfwd>
  // (<ostream> is ~0.1 s of every translation unit's compile time); whoever
  // has a stream has included <ostream>.
  template <class Char, class Traits>
  friend std::basic_ostream<Char, Traits>& operator<<(std::basic_ostream<Char, Traits>& os, const static_string& s) {
    return os << s.view();
  }
};

namespace detail {
/// Name spelled out as characters in a type, As<'w', '5'>: diagnostics name
/// variables and tensors this way, which every compiler prints readably.
template <fixed_string Name, template <char...> class As>
constexpr auto spelled() noexcept {
  return []<std::size_t... I>(std::index_sequence<I...>) { return As<Name.data[I]...>{}; }
  (std::make_index_sequence<Name.size()>{});
}
}  // namespace detail

}  // namespace ctgrad
