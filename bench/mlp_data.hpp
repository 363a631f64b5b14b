// Deterministic batches for the MLP benchmarks: inputs uniform in [-1, 1),
// one-hot targets; the same numbers with every compiler and library.
#pragma once

#include <array>
#include <cstddef>

#include <ctgrad/nn/init.hpp>

template <std::size_t B, std::size_t In, std::size_t Out>
struct mlp_batch {
  alignas(64) std::array<float, B * In> x{};
  alignas(64) std::array<float, B * Out> t{};
  explicit mlp_batch(std::uint64_t seed = 2024) noexcept {
    ctgrad::nn::random_bits bits(seed);
    for (float& v : x) v = static_cast<float>(bits.uniform(-1, 1));
    for (std::size_t r = 0; r != B; ++r) t[r * Out + bits.next() % Out] = 1;
  }
};
