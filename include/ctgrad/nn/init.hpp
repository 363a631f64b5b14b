// ctgrad/nn/init.hpp — seeded initialisers, bit-identical everywhere.
//
// The standard distributions are implementation-defined (libstdc++ and
// libc++ give different numbers from the same engine), so ctgrad has its
// own: SplitMix64 bits, 53-bit uniforms, Box-Muller normals.  The same seed
// gives the same weights with any standard library.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../arithmetic.hpp"

namespace ctgrad::nn {

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and fully specified.
class random_bits {
 public:
  constexpr explicit random_bits(std::uint64_t seed) noexcept : state_(seed) {}
  constexpr std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform on [0, 1), 53 random bits.
  constexpr double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1p-53; }
  /// Uniform on [low, high).
  constexpr double uniform(double low, double high) noexcept { return low + (high - low) * uniform(); }
  /// Standard normal, Box-Muller (one value per call; the pair's second is dropped for simplicity).
  double normal() noexcept {
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
  }

 private:
  std::uint64_t state_;
};

/// Initialisers: fill(values, fan_in, fan_out, bits).
namespace init {

struct zeros {
  template <class T>
  static void fill(std::span<T> v, std::size_t, std::size_t, random_bits&) noexcept {
    for (T& x : v) x = T(0);
  }
};
/// Uniform on [low, high).
struct uniform {
  double low = -0.05, high = 0.05;
  template <class T>
  void fill(std::span<T> v, std::size_t, std::size_t, random_bits& bits) const noexcept {
    for (T& x : v) x = static_cast<T>(bits.uniform(low, high));
  }
};
/// Normal(mean, stddev^2).
struct normal {
  double mean = 0, stddev = 0.05;
  template <class T>
  void fill(std::span<T> v, std::size_t, std::size_t, random_bits& bits) const noexcept {
    for (T& x : v) x = static_cast<T>(mean + stddev * bits.normal());
  }
};
/// PyTorch's recurrent layers (nn.RNN, GRU, LSTM), weights and biases
/// alike: U(-a, a), a = 1 / sqrt(hidden) (fan_in is the hidden size).
struct recurrent_uniform {
  template <class T>
  static void fill(std::span<T> v, std::size_t fan_in, std::size_t, random_bits& bits) noexcept {
    const double a = 1.0 / std::sqrt(static_cast<double>(fan_in));
    for (T& x : v) x = static_cast<T>(bits.uniform(-a, a));
  }
};
/// Glorot & Bengio 2010: U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
struct xavier_uniform {
  template <class T>
  static void fill(std::span<T> v, std::size_t fan_in, std::size_t fan_out, random_bits& bits) noexcept {
    const double a = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
    uniform{-a, a}.fill(v, fan_in, fan_out, bits);
  }
};
/// Glorot & Bengio 2010: N(0, 2 / (fan_in + fan_out)).
struct xavier_normal {
  template <class T>
  static void fill(std::span<T> v, std::size_t fan_in, std::size_t fan_out, random_bits& bits) noexcept {
    normal{0, std::sqrt(2.0 / static_cast<double>(fan_in + fan_out))}.fill(v, fan_in, fan_out, bits);
  }
};
/// He et al. 2015 (for ReLU): U(-a, a), a = sqrt(6 / fan_in).
struct he_uniform {
  template <class T>
  static void fill(std::span<T> v, std::size_t fan_in, std::size_t fan_out, random_bits& bits) noexcept {
    const double a = std::sqrt(6.0 / static_cast<double>(fan_in));
    uniform{-a, a}.fill(v, fan_in, fan_out, bits);
  }
};
/// He et al. 2015 (for ReLU): N(0, 2 / fan_in).
struct he_normal {
  template <class T>
  static void fill(std::span<T> v, std::size_t fan_in, std::size_t fan_out, random_bits& bits) noexcept {
    normal{0, std::sqrt(2.0 / static_cast<double>(fan_in))}.fill(v, fan_in, fan_out, bits);
  }
};

}  // namespace init

/// What an initialiser is (the extension point of docs/extending.md): a
/// default-constructible struct whose `fill(values, fan_in, fan_out, bits)`
/// writes float and double spans (bits: the model's seeded random_bits).
template <class I>
concept Initialiser = std::default_initializable<I> &&
    requires(const I init, std::span<float> f, std::span<double> d, std::size_t fan, random_bits& bits) {
  init.fill(f, fan, fan, bits);
  init.fill(d, fan, fan, bits);
};

namespace error {
template <class I>
struct not_an_initialiser {
  static_assert(ctgrad::detail::always_false<I>,
                "ctgrad::nn: a layer's initialiser must satisfy nn::Initialiser: a default-constructible struct with "
                "`void fill(std::span<T> values, std::size_t fan_in, std::size_t fan_out, nn::random_bits&) const` for "
                "T = float and double (docs/extending.md). The struct is in error::not_an_initialiser<...>");
};
}  // namespace error
}  // namespace ctgrad::nn
