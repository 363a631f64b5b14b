// ctgrad/nn/parameter_block.hpp — where a model's parameters live: one
// flat block, tensor after tensor in layer order, grouped by size for the
// optimizers' loops, and the check that the training kernel lays out the
// gradients the same way.  Everything per parameter is an index into a few
// arrays built once per model.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../compile/tensor_kernel.hpp"

namespace ctgrad::nn::detail {

/// The parameters' sizes and keys, as arrays (the one class specialised on
/// the parameter pack; everything per parameter below is an index into
/// these, so that no function or variable is instantiated per parameter
/// with the model, which spells out the whole network, in its name).
template <class Parameters>
struct parameter_table;
template <class... P>
struct parameter_table<ctgrad::detail::mp::mp_list<P...>> {
  static constexpr std::array<std::size_t, sizeof...(P)> sizes{shape_of<P>::size...};
  static constexpr std::array<std::uint64_t, sizeof...(P)> keys{tensor_key<P>::value...};
  static constexpr std::array<std::string_view, sizeof...(P)> names{P::name.view()...};
};

/// Where each of N tensors of these sizes starts in one flat block, one
/// after the other; the last entry is the block's size.
template <std::size_t N>
constexpr std::array<std::size_t, N + 1> packed_offsets(const std::array<std::size_t, N>& sizes) noexcept {
  std::array<std::size_t, N + 1> offsets{};
  for (std::size_t i = 0; i != N; ++i) offsets[i + 1] = offsets[i] + sizes[i];
  return offsets;
}
/// N tensors grouped by size.  Code that needs a tensor's size as a
/// constant (an optimizer's unrolled, vectorised update of the tensors the
/// fused SGD kernel leaves out) is compiled once per distinct size, a
/// handful in any network, and runs over that size's tensors in a loop: a
/// deep net's update is the same few loops as a shallow one's, not one
/// copy per parameter tensor.
template <std::size_t N>
struct size_classes {
  std::size_t count = 0;                   ///< distinct sizes
  std::array<std::size_t, N> size{};       ///< of class c (the first `count` entries)
  std::array<std::size_t, N + 1> begin{};  ///< class c's tensors: member[begin[c]] .. member[begin[c + 1] - 1]
  std::array<std::size_t, N> member{};     ///< tensor indices, class by class, each class in index order
};
template <std::size_t N>
constexpr size_classes<N> classify_by_size(const std::array<std::size_t, N>& sizes) noexcept {
  size_classes<N> classes;
  std::size_t next = 0;
  for (std::size_t i = 0; i != N; ++i) {
    bool seen = false;
    for (std::size_t c = 0; c != classes.count; ++c) seen = seen || classes.size[c] == sizes[i];
    if (seen) continue;
    classes.size[classes.count] = sizes[i];
    classes.begin[classes.count] = next;
    for (std::size_t j = i; j != N; ++j)
      if (sizes[j] == sizes[i]) classes.member[next++] = j;
    ++classes.count;
  }
  classes.begin[classes.count] = next;
  return classes;
}
/// Whether a training workspace of this layout holds each parameter's
/// gradient where the flat parameter block holds the parameter.
template <class Layout, class Parameters>
struct gradients_mirror;
template <class Layout, class... P>
struct gradients_mirror<Layout, ctgrad::detail::mp::mp_list<P...>> {
  static constexpr bool value = [] {
    constexpr std::array<std::size_t, sizeof...(P)> sizes{shape_of<P>::size...};
    constexpr std::array<std::size_t, sizeof...(P)> at{Layout::gradient_offset(tensor_key<P>::value)...};
    constexpr auto offsets = packed_offsets(sizes);
    bool same = Layout::gradient_elements == offsets[sizeof...(P)];
    for (std::size_t i = 0; i != sizeof...(P); ++i) same = same && at[i] == offsets[i];
    return same;
  }();
};

/// The position of `key` among `keys` (N if absent).
template <std::size_t N>
constexpr std::size_t position_of(const std::array<std::uint64_t, N>& keys, std::uint64_t key) noexcept {
  for (std::size_t i = 0; i != N; ++i)
    if (keys[i] == key) return i;
  return N;
}

}  // namespace ctgrad::nn::detail
