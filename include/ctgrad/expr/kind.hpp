// ctgrad/expr/kind.hpp — every kind of node, both levels, named once.
//
// A node's structural hash starts from its kind, so two kinds never share a
// tag: the compiler numbers them, nobody keeps a list of free integers.
#pragma once

#include <cstdint>

namespace ctgrad {

enum class node_kind : std::uint8_t {
  // scalar level (expression.hpp); numbered from 1 as the hashes always were
  constant = 1,
  variable,
  add,
  mul,
  div,
  pow,
  unary,
  // tensor level (expr/tensor_nodes.hpp, expr/conv.hpp); numbered from 101
  param = 101,
  input,
  elementwise,
  broadcast,
  reduce_sum,
  matmul,
  transpose,
  reshape,
  logsumexp,
  conv_geometry,
  pool_geometry,
  conv,
  conv_kernel_grad,
  conv_input_grad,
  pad,
  crop,
  max_select,
  max_route,
  avg_pool,
  avg_unpool,
  fill,
  slice,
  embed,
  scan,
  scan_grad,
};

/// The first word of a node's structural hash.
constexpr std::uint64_t hash_tag(node_kind k) noexcept { return static_cast<std::uint64_t>(k); }

}  // namespace ctgrad
