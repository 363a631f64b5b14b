// ctgrad/eigen.hpp — opt-in: a model's parameters as Eigen matrices, without
// copying.  Include after Eigen:
//   #include <Eigen/Core>
//   #include <ctgrad/eigen.hpp>
//   auto W1 = ctgrad::eigen_map(W1_expr, model.parameter(W1_expr));  // Eigen::Map, row-major [in, out]
#pragma once

#include <Eigen/Core>
#include <span>

#include "expr/tensor_nodes.hpp"

namespace ctgrad {

/// The values of tensor P (a vector for rank 0 and 1, a row-major matrix
/// for rank 2; ranks 3 and 4 as [first dimension, the rest]) as an
/// Eigen::Map over the same memory.
template <Tensor P, class T, std::size_t N>
requires(N == shape_of<P>::size) auto eigen_map(P, std::span<T, N> values) noexcept {
  using S = shape_of<P>;
  using scalar = std::remove_const_t<T>;
  if constexpr (S::rank <= 1) {
    using vector = Eigen::Matrix<scalar, int(N), 1>;
    return Eigen::Map<std::conditional_t<std::is_const_v<T>, const vector, vector>>(values.data());
  } else {
    constexpr int rows = int(S::dims[0]), cols = int(N / S::dims[0]);
    using matrix = Eigen::Matrix<scalar, rows, cols, cols == 1 ? Eigen::ColMajor : Eigen::RowMajor>;
    return Eigen::Map<std::conditional_t<std::is_const_v<T>, const matrix, matrix>>(values.data());
  }
}

}  // namespace ctgrad
