// ctgrad/compile/scalar_work.hpp — the work of a scalar gradient kernel
// (gradient(e, x, ...)); compile/work.hpp has the conventions.
#pragma once

#include <cstdint>

#include "../gradient.hpp"
#include "work.hpp"

namespace ctgrad {

/// The work of one run of a scalar gradient kernel (gradient(e, x, ...)) in
/// type T: every node it evaluates is one operation (an integer power
/// counts one); there are no multiply-adds to speak of.
template <class T, Expression E, class... Vars>
constexpr work work_of(gradient_kernel<E, Vars...>) noexcept {
  using k = gradient_kernel<E, Vars...>;
  return {0, k::node_count - ctgrad::graph::tables<typename k::graph>::leaf_count, sizeof...(Vars) * sizeof(T),
          k::template workspace_bytes<T>};
}

}  // namespace ctgrad
