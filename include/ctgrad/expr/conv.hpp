// ctgrad/expr/conv.hpp — convolution and pooling over the last two
// dimensions of [batch, channels, height, width] tensors.  A 1-D operation
// is the height-1 case of the 2-D one (reshapes are views, so it costs
// nothing).
//
// Nodes (ctgrad::tnodes), on rank-4 operands, with the sum that ties the
// three convolution nodes together,
//   T(x, w, y) = sum x[b,c, i*sh + a*dh, j*sw + e*dw] * w[o,c,a,e] * y[b,o,i,j]:
//   conv<X, W, G>                 dT/dy: the convolution (cross-correlation,
//                                 as in every deep-learning library)
//   conv_kernel_grad<X, Y, S, G>  dT/dw: the correlation of the input with
//                                 the output gradient (shape S of the kernel)
//   conv_input_grad<Y, W, S, G>   dT/dx: the transposed convolution (for
//                                 stride 1, the full convolution of Y with
//                                 the flipped kernel), shape S of the input
//   pad<X, PH, PW>, crop<X, PH, PW>  a zero border added / removed
//   max_select<X, V, P>           V at the arg-max of each window of X
//                                 (max_pool(x) is max_select<x, x>)
//   max_route<X, G, P>            G added at the arg-max of each window of X
//   avg_pool<X, P>, avg_unpool<G, S, P>
// Each node's vector-Jacobian products are nodes of the same set
// (rules/tensor.hpp), so derivatives of any order stay inside it.
#pragma once

#include "tensor_ops.hpp"

namespace ctgrad {

namespace tnodes {
/// Stride and dilation of a convolution (its kernel size is W's shape).
template <std::size_t SH, std::size_t SW, std::size_t DH, std::size_t DW>
struct conv_geometry {
  static constexpr std::size_t stride_h = SH, stride_w = SW, dilation_h = DH, dilation_w = DW;
};
/// Window and stride of a pooling.
template <std::size_t KH, std::size_t KW, std::size_t SH, std::size_t SW>
struct pool_geometry {
  static constexpr std::size_t window_h = KH, window_w = KW, stride_h = SH, stride_w = SW;
};
}  // namespace tnodes

namespace detail {
/// Positions of a window of k taps, dilated by d, moved by s, in n inputs.
constexpr std::size_t window_positions(std::size_t n, std::size_t k, std::size_t s, std::size_t d) noexcept {
  return (n - d * (k - 1) - 1) / s + 1;
}
}  // namespace detail

namespace tnodes {
template <class X, class W, class G>
struct conv : tensor_base {
  using shape_type =
      shape<shape_of<X>::dims[0], shape_of<W>::dims[0],
            detail::window_positions(shape_of<X>::dims[2], shape_of<W>::dims[2], G::stride_h, G::dilation_h),
            detail::window_positions(shape_of<X>::dims[3], shape_of<W>::dims[3], G::stride_w, G::dilation_w)>;
};
template <class X, class Y, class S, class G>
struct conv_kernel_grad : tensor_base {
  using shape_type = S;
};
template <class Y, class W, class S, class G>
struct conv_input_grad : tensor_base {
  using shape_type = S;
};
template <class X, std::size_t PH, std::size_t PW>
struct pad : tensor_base {
  using shape_type =
      shape<shape_of<X>::dims[0], shape_of<X>::dims[1], shape_of<X>::dims[2] + 2 * PH, shape_of<X>::dims[3] + 2 * PW>;
};
template <class X, std::size_t PH, std::size_t PW>
struct crop : tensor_base {
  using shape_type =
      shape<shape_of<X>::dims[0], shape_of<X>::dims[1], shape_of<X>::dims[2] - 2 * PH, shape_of<X>::dims[3] - 2 * PW>;
};
template <class X, class P>
struct pooled_shape {
  using type = shape<shape_of<X>::dims[0], shape_of<X>::dims[1],
                     detail::window_positions(shape_of<X>::dims[2], P::window_h, P::stride_h, 1),
                     detail::window_positions(shape_of<X>::dims[3], P::window_w, P::stride_w, 1)>;
};
template <class X, class V, class P>
struct max_select : tensor_base {
  using shape_type = typename pooled_shape<X, P>::type;
};
template <class X, class G, class P>
struct max_route : tensor_base {
  using shape_type = shape_of<X>;
};
template <class X, class P>
struct avg_pool : tensor_base {
  using shape_type = typename pooled_shape<X, P>::type;
};
template <class G, class S, class P>
struct avg_unpool : tensor_base {
  using shape_type = S;
};
}  // namespace tnodes

namespace detail {
template <class X, class W, class G>
struct tensor_operands_s<tnodes::conv<X, W, G>> : std::type_identity<mp::mp_list<X, W>> {};
template <class X, class Y, class S, class G>
struct tensor_operands_s<tnodes::conv_kernel_grad<X, Y, S, G>> : std::type_identity<mp::mp_list<X, Y>> {};
template <class Y, class W, class S, class G>
struct tensor_operands_s<tnodes::conv_input_grad<Y, W, S, G>> : std::type_identity<mp::mp_list<Y, W>> {};
template <class X, std::size_t PH, std::size_t PW>
struct tensor_operands_s<tnodes::pad<X, PH, PW>> : std::type_identity<mp::mp_list<X>> {};
template <class X, std::size_t PH, std::size_t PW>
struct tensor_operands_s<tnodes::crop<X, PH, PW>> : std::type_identity<mp::mp_list<X>> {};
template <class X, class V, class P>
struct tensor_operands_s<tnodes::max_select<X, V, P>> : std::type_identity<mp::mp_list<X, V>> {};
template <class X, class G, class P>
struct tensor_operands_s<tnodes::max_route<X, G, P>> : std::type_identity<mp::mp_list<X, G>> {};
template <class X, class P>
struct tensor_operands_s<tnodes::avg_pool<X, P>> : std::type_identity<mp::mp_list<X>> {};
template <class G, class S, class P>
struct tensor_operands_s<tnodes::avg_unpool<G, S, P>> : std::type_identity<mp::mp_list<G>> {};

template <std::size_t SH, std::size_t SW, std::size_t DH, std::size_t DW>
constexpr std::uint64_t geometry_hash(tnodes::conv_geometry<SH, SW, DH, DW>) noexcept {
  return hash_mix(hash_mix(hash_mix(hash_mix(hash_tag(node_kind::conv_geometry), SH), SW), DH), DW);
}
template <std::size_t KH, std::size_t KW, std::size_t SH, std::size_t SW>
constexpr std::uint64_t geometry_hash(tnodes::pool_geometry<KH, KW, SH, SW>) noexcept {
  return hash_mix(hash_mix(hash_mix(hash_mix(hash_tag(node_kind::pool_geometry), KH), KW), SH), SW);
}
template <class X, class W, class G>
struct tensor_hash<tnodes::conv<X, W, G>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(combine_hashes(node_kind::conv, {tensor_hash<X>::value, tensor_hash<W>::value}),
                                      geometry_hash(G{}))> {};
template <class X, class Y, class S, class G>
struct tensor_hash<tnodes::conv_kernel_grad<X, Y, S, G>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(combine_hashes(node_kind::conv_kernel_grad,
                                                              {tensor_hash<X>::value, tensor_hash<Y>::value}),
                                               geometry_hash(G{})),
                                      shape_hash(S{}))> {};
template <class Y, class W, class S, class G>
struct tensor_hash<tnodes::conv_input_grad<Y, W, S, G>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(combine_hashes(node_kind::conv_input_grad,
                                                              {tensor_hash<Y>::value, tensor_hash<W>::value}),
                                               geometry_hash(G{})),
                                      shape_hash(S{}))> {};
template <class X, std::size_t PH, std::size_t PW>
struct tensor_hash<tnodes::pad<X, PH, PW>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(combine_hashes(node_kind::pad, {tensor_hash<X>::value}), PH), PW)> {};
template <class X, std::size_t PH, std::size_t PW>
struct tensor_hash<tnodes::crop<X, PH, PW>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(combine_hashes(node_kind::crop, {tensor_hash<X>::value}), PH), PW)> {};
template <class X, class V, class P>
struct tensor_hash<tnodes::max_select<X, V, P>>
    : std::integral_constant<std::uint64_t, hash_mix(combine_hashes(node_kind::max_select,
                                                                    {tensor_hash<X>::value, tensor_hash<V>::value}),
                                                     geometry_hash(P{}))> {};
template <class X, class G, class P>
struct tensor_hash<tnodes::max_route<X, G, P>>
    : std::integral_constant<std::uint64_t, hash_mix(combine_hashes(node_kind::max_route,
                                                                    {tensor_hash<X>::value, tensor_hash<G>::value}),
                                                     geometry_hash(P{}))> {};
template <class X, class P>
struct tensor_hash<tnodes::avg_pool<X, P>>
    : std::integral_constant<std::uint64_t, hash_mix(combine_hashes(node_kind::avg_pool, {tensor_hash<X>::value}),
                                                     geometry_hash(P{}))> {};
template <class G, class S, class P>
struct tensor_hash<tnodes::avg_unpool<G, S, P>>
    : std::integral_constant<std::uint64_t,
                             hash_mix(hash_mix(combine_hashes(node_kind::avg_unpool, {tensor_hash<G>::value}),
                                               geometry_hash(P{})),
                                      shape_hash(S{}))> {};

/// X with a zero border (none: X itself).
template <class X, std::size_t PH, std::size_t PW>
struct pad_s : std::type_identity<tnodes::pad<X, PH, PW>> {};
template <class X>
struct pad_s<X, 0, 0> : std::type_identity<X> {};
template <class C, class S, std::size_t PH, std::size_t PW>
requires std::is_same<C, nodes::constant<0>>::value struct pad_s<tnodes::fill<C, S>, PH, PW>
    : std::type_identity<tnodes::fill<C, shape_of<tnodes::pad<tnodes::fill<C, S>, PH, PW>>>> {
};
template <class X, std::size_t PH, std::size_t PW>
using pad_t = typename pad_s<X, PH, PW>::type;

/// X without its border (cropping a padding: the original).
template <class X, std::size_t PH, std::size_t PW>
struct crop_s : std::type_identity<tnodes::crop<X, PH, PW>> {};
template <class X>
struct crop_s<X, 0, 0> : std::type_identity<X> {};
template <class X, std::size_t PH, std::size_t PW>
struct crop_s<tnodes::pad<X, PH, PW>, PH, PW> : std::type_identity<X> {};
template <class C, class S, std::size_t PH, std::size_t PW>
struct crop_s<tnodes::fill<C, S>, PH, PW>
    : std::type_identity<tnodes::fill<C, shape_of<tnodes::crop<tnodes::fill<C, S>, PH, PW>>>> {};
template <class X, std::size_t PH, std::size_t PW>
using crop_t = typename crop_s<X, PH, PW>::type;

template <class S>
using zeros_t = tnodes::fill<nodes::constant<0>, S>;
}  // namespace detail

// ---------------------------------------------------------------------------
// Options, in any order: conv2d(x, W, b, ctgrad::padding<1>, ctgrad::stride<2>).
// Two numbers are (height, width); one is both.  1-D operations use the first.

template <std::size_t H, std::size_t W = H>
struct stride_t {};
template <std::size_t H, std::size_t W = H>
struct padding_t {};
template <std::size_t H, std::size_t W = H>
struct dilation_t {};
template <std::size_t H, std::size_t W = H>
inline constexpr stride_t<H, W> stride{};
template <std::size_t H, std::size_t W = H>
inline constexpr padding_t<H, W> padding{};
template <std::size_t H, std::size_t W = H>
inline constexpr dilation_t<H, W> dilation{};

namespace error {
template <class Input>
struct conv_input_rank {
  static_assert(detail::always_false<Input>,
                "ctgrad::conv2d / max_pool2d / avg_pool2d (and the nn:: layers): the input must be [batch, channels, "
                "height, width] or "
                "[channels, height, width] (the 1d ones: [batch, channels, length] or [channels, length]); "
                "its shape is in error::conv_input_rank<...>");
};
template <class Kernel>
struct conv_kernel_rank {
  static_assert(detail::always_false<Kernel>,
                "ctgrad::conv2d(x, W): W must be [out_channels, in_channels, kernel_height, kernel_width] "
                "(conv1d: [out_channels, in_channels, kernel_length]); its shape is in error::conv_kernel_rank<...>");
};
template <std::size_t InputChannels, std::size_t KernelChannels>
struct conv_channels_differ {
  static_assert(detail::always_false<shapes<shape<InputChannels>, shape<KernelChannels>>>,
                "ctgrad::conv2d / nn::conv2d: the input's channels differ from the kernel's input channels; "
                "they are in error::conv_channels_differ<input_channels, kernel_channels>");
};
template <class PaddedInput, class DilatedWindow>
struct window_larger_than_input {
  static_assert(detail::always_false<PaddedInput, DilatedWindow>,
                "ctgrad::conv2d / max_pool2d / avg_pool2d (and nn:: layers): the window (kernel, dilated) is larger "
                "than the (padded) input; error::window_larger_than_input<shape<height, width>, shape<window "
                "height, window width>>");
};
template <class Bias, std::size_t OutChannels>
struct conv_bias_shape {
  static_assert(detail::always_false<Bias, shapes<shape<OutChannels>>>,
                "ctgrad::conv2d(x, W, b): b must be [out_channels]; error::conv_bias_shape<b's shape, "
                "out_channels>");
};
template <class Options>
struct unknown_option {
  static_assert(detail::always_false<Options>,
                "ctgrad::conv2d / conv1d: options are ctgrad::stride<n>, ctgrad::padding<n> and ctgrad::dilation<n>");
};
template <class Options>
struct pooling_option {
  static_assert(detail::always_false<Options>,
                "ctgrad::max_pool2d / avg_pool2d / max_pool1d / avg_pool1d: the only option is ctgrad::stride<n> (no "
                "padding: zeros would win a max over negative inputs; pad the input explicitly if you mean it)");
};
template <class Options>
struct zero_stride {
  static_assert(detail::always_false<Options>, "ctgrad::stride<n>, ctgrad::dilation<n>: n must be at least 1");
};
}  // namespace error

namespace detail {
template <class Option>
struct option_s {
  static constexpr int kind = -1;
  static constexpr std::size_t h = 0, w = 0;
};
template <std::size_t H, std::size_t W>
struct option_s<stride_t<H, W>> {
  static constexpr int kind = 0;
  static constexpr std::size_t h = H, w = W;
};
template <std::size_t H, std::size_t W>
struct option_s<padding_t<H, W>> {
  static constexpr int kind = 1;
  static constexpr std::size_t h = H, w = W;
};
template <std::size_t H, std::size_t W>
struct option_s<dilation_t<H, W>> {
  static constexpr int kind = 2;
  static constexpr std::size_t h = H, w = W;
};

/// The options of a convolution or pooling, with defaults.  Rank 1 uses
/// each option's first number along the width (the height is 1).
template <std::size_t Rank, class... Options>
struct window_options {
  template <int Kind>
  static constexpr std::array<std::size_t, 2> get(std::size_t fallback) {
    std::array<std::size_t, 2> r{fallback, fallback};
    ((option_s<Options>::kind == Kind ? (void)(r = {option_s<Options>::h, option_s<Options>::w}) : void()), ...);
    if (Rank == 1) r = {Kind == 1 ? 0 : 1, r[0]};
    return r;
  }
  static constexpr auto stride = get<0>(1), padding = get<1>(0), dilation = get<2>(1);
  static constexpr bool stride_given = ((option_s<Options>::kind == 0) || ...);
  static constexpr bool known = ((option_s<Options>::kind >= 0) && ...);
  static constexpr bool nonzero = stride[0] * stride[1] * dilation[0] * dilation[1] != 0;
  static constexpr bool only_stride = ((option_s<Options>::kind == 0) && ...);
};

/// Whether a convolution of x [B,C,H,W] by w [O,C,KH,KW] with options O is
/// well formed (conv_ok), and if not, one error naming what is wrong.
template <class SX, class SW, class O>
inline constexpr bool conv_ok = [] {
  if constexpr (SX::rank != 4 || SW::rank != 4) {
    return false;
  } else {
    return SX::dims[1] == SW::dims[1] && O::nonzero &&
           SX::dims[2] + 2 * O::padding[0] >= O::dilation[0] * (SW::dims[2] - 1) + 1 &&
           SX::dims[3] + 2 * O::padding[1] >= O::dilation[1] * (SW::dims[3] - 1) + 1;
  }
}();
template <class SX, class SW, class O>
constexpr void report_conv() noexcept {
  if constexpr (SX::rank != 4) {
    (void)error::conv_input_rank<SX>{};
  } else if constexpr (SW::rank != 4) {
    (void)error::conv_kernel_rank<SW>{};
  } else if constexpr (SX::dims[1] != SW::dims[1]) {
    (void)error::conv_channels_differ<SX::dims[1], SW::dims[1]>{};
  } else if constexpr (!O::nonzero) {
    (void)error::zero_stride<O>{};
  } else {
    (void)error::window_larger_than_input<
        shape<SX::dims[2] + 2 * O::padding[0], SX::dims[3] + 2 * O::padding[1]>,
        shape<O::dilation[0] * (SW::dims[2] - 1) + 1, O::dilation[1] * (SW::dims[3] - 1) + 1>>{};
  }
}

/// S with a leading 1 (an unbatched operand as a batch of one), and back.
template <class S>
struct batched_s;
template <std::size_t... D>
struct batched_s<shape<D...>> : std::type_identity<shape<1, D...>> {};
template <class S>
struct unbatched_s;
template <std::size_t B, std::size_t... D>
struct unbatched_s<shape<B, D...>> : std::type_identity<shape<D...>> {};

/// [.., L] as [.., 1, L]: a 1-D operand as a 2-D one of height 1.
template <class S>
struct with_unit_height_s;
template <std::size_t... D>
requires(sizeof...(D) == 2) struct with_unit_height_s<shape<D...>> {
  static constexpr std::array<std::size_t, 2> d{D...};
  using type = shape<d[0], 1, d[1]>;
};
template <std::size_t... D>
requires(sizeof...(D) == 3) struct with_unit_height_s<shape<D...>> {
  static constexpr std::array<std::size_t, 3> d{D...};
  using type = shape<d[0], d[1], 1, d[2]>;
};
template <class S>
struct without_unit_height_s;
template <std::size_t B, std::size_t C, std::size_t L>
struct without_unit_height_s<shape<B, C, 1, L>> : std::type_identity<shape<B, C, L>> {};
template <std::size_t C, std::size_t L>
struct without_unit_height_s<shape<C, 1, L>> : std::type_identity<shape<C, L>> {};

template <class O>
using conv_geometry_of = tnodes::conv_geometry<O::stride[0], O::stride[1], O::dilation[0], O::dilation[1]>;

/// No bias.
struct no_bias {};

/// The 2-D convolution of x [B,C,H,W] (or [C,H,W]) by w [O,C,KH,KW], plus
/// a bias [O] broadcast over batch and positions.
template <class O, Tensor X, Tensor W, class B>
constexpr auto convolution(X, W, B) noexcept {
  using SX = shape_of<X>;
  if constexpr (!O::known) {
    (void)error::unknown_option<O>{};
    return shape_error_result{};
  } else if constexpr (SX::rank == 3) {  // unbatched: a batch of one
    using batched = reshape_t<X, typename batched_s<SX>::type>;
    using y = decltype(convolution<O>(batched{}, W{}, B{}));
    if constexpr (std::is_same_v<y, shape_error_result>)
      return y{};
    else
      return reshape_t<y, typename unbatched_s<shape_of<y>>::type>{};
  } else if constexpr (!conv_ok<SX, shape_of<W>, O>) {
    report_conv<SX, shape_of<W>, O>();
    return shape_error_result{};
  } else {
    using y = tnodes::conv<pad_t<X, O::padding[0], O::padding[1]>, W, conv_geometry_of<O>>;
    constexpr std::size_t out_channels = shape_of<W>::dims[0];
    if constexpr (std::is_same_v<B, no_bias>) {
      return y{};
    } else if constexpr (!std::is_same_v<shape_of<B>, shape<out_channels>>) {
      (void)error::conv_bias_shape<shape_of<B>, out_channels>{};
      return shape_error_result{};
    } else {
      return y{} + reshape_t<B, shape<out_channels, 1, 1>>{};
    }
  }
}

/// A 1-D operand as a 2-D one of height 1 (and back), if it has the rank of one.
template <class O, Tensor X, Tensor W, class B>
constexpr auto convolution_1d(X, W, B) noexcept {
  using SX = shape_of<X>;
  using SW = shape_of<W>;
  if constexpr (SX::rank != 2 && SX::rank != 3) {
    (void)error::conv_input_rank<SX>{};
    return shape_error_result{};
  } else if constexpr (SW::rank != 3) {
    (void)error::conv_kernel_rank<SW>{};
    return shape_error_result{};
  } else {
    using y = decltype(convolution<O>(reshape_t<X, typename with_unit_height_s<SX>::type>{},
                                      reshape_t<W, typename with_unit_height_s<SW>::type>{}, B{}));
    if constexpr (std::is_same_v<y, shape_error_result>)
      return y{};
    else
      return reshape_t<y, typename without_unit_height_s<shape_of<y>>::type>{};
  }
}

template <class O, class SX, std::size_t KH, std::size_t KW>
inline constexpr bool pool_ok = [] {
  if constexpr (SX::rank != 4)
    return false;
  else
    return O::known && O::only_stride && O::nonzero && KH * KW != 0 && SX::dims[2] >= KH && SX::dims[3] >= KW;
}();
template <class O, class SX, std::size_t KH, std::size_t KW>
constexpr void report_pool() noexcept {
  if constexpr (!O::known || !O::only_stride) {
    (void)error::pooling_option<O>{};
  } else if constexpr (SX::rank != 4) {
    (void)error::conv_input_rank<SX>{};
  } else if constexpr (!O::nonzero || KH * KW == 0) {
    (void)error::zero_stride<O>{};
  } else {
    (void)error::window_larger_than_input<shape<SX::dims[2], SX::dims[3]>, shape<KH, KW>>{};
  }
}

/// Pooling with windows KH x KW (stride: the window, unless given).
template <bool Max, std::size_t KH, std::size_t KW, class O, Tensor X>
constexpr auto pooling(X) noexcept {
  using SX = shape_of<X>;
  if constexpr (SX::rank == 3) {
    using batched = reshape_t<X, typename batched_s<SX>::type>;
    using y = decltype(pooling<Max, KH, KW, O>(batched{}));
    if constexpr (std::is_same_v<y, shape_error_result>)
      return y{};
    else
      return reshape_t<y, typename unbatched_s<shape_of<y>>::type>{};
  } else if constexpr (!pool_ok<O, SX, KH, KW>) {
    report_pool<O, SX, KH, KW>();
    return shape_error_result{};
  } else {
    using P = tnodes::pool_geometry<KH, KW, O::stride_given ? O::stride[0] : KH, O::stride_given ? O::stride[1] : KW>;
    if constexpr (Max)
      return tnodes::max_select<X, X, P>{};
    else
      return tnodes::avg_pool<X, P>{};
  }
}

template <bool Max, std::size_t K, class O, Tensor X>
constexpr auto pooling_1d(X) noexcept {
  using SX = shape_of<X>;
  if constexpr (SX::rank != 2 && SX::rank != 3) {
    (void)error::conv_input_rank<SX>{};
    return shape_error_result{};
  } else {
    using y = decltype(pooling<Max, 1, K, O>(reshape_t<X, typename with_unit_height_s<SX>::type>{}));
    if constexpr (std::is_same_v<y, shape_error_result>)
      return y{};
    else
      return reshape_t<y, typename without_unit_height_s<shape_of<y>>::type>{};
  }
}

/// Anything but a tensor: the options (checked by window_options).
template <class T>
concept window_option = !Tensor<T>;
}  // namespace detail

// ---------------------------------------------------------------------------
// The operations.

/// 2-D convolution (cross-correlation, as in every deep-learning library):
/// x [batch, C, H, W] (or [C, H, W]), W [O, C, KH, KW], optional bias b [O];
/// options ctgrad::stride<n>, ctgrad::padding<n> (zeros), ctgrad::dilation<n>.
/// Result [batch, O, (H + 2p - d(KH-1) - 1)/s + 1, ...].
template <Tensor X, Tensor W, detail::window_option... Options>
constexpr auto conv2d(X x, W w, Options...) noexcept {
  return detail::convolution<detail::window_options<2, Options...>>(x, w, detail::no_bias{});
}
template <Tensor X, Tensor W, Tensor B, detail::window_option... Options>
constexpr auto conv2d(X x, W w, B b, Options...) noexcept {
  return detail::convolution<detail::window_options<2, Options...>>(x, w, b);
}
/// 1-D convolution: x [batch, C, L] (or [C, L]), W [O, C, K], optional b [O].
template <Tensor X, Tensor W, detail::window_option... Options>
constexpr auto conv1d(X x, W w, Options...) noexcept {
  return detail::convolution_1d<detail::window_options<1, Options...>>(x, w, detail::no_bias{});
}
template <Tensor X, Tensor W, Tensor B, detail::window_option... Options>
constexpr auto conv1d(X x, W w, B b, Options...) noexcept {
  return detail::convolution_1d<detail::window_options<1, Options...>>(x, w, b);
}

/// Max pooling over KH x KW windows of the last two dimensions (stride: the
/// window unless ctgrad::stride<n> is given; windows that do not fit are
/// dropped).  The gradient goes to the first maximum of each window.
template <std::size_t KH, std::size_t KW = KH, Tensor X, detail::window_option... Options>
constexpr auto max_pool2d(X x, Options...) noexcept {
  return detail::pooling<true, KH, KW, detail::window_options<2, Options...>>(x);
}
/// Average pooling: the mean of each window.
template <std::size_t KH, std::size_t KW = KH, Tensor X, detail::window_option... Options>
constexpr auto avg_pool2d(X x, Options...) noexcept {
  return detail::pooling<false, KH, KW, detail::window_options<2, Options...>>(x);
}
/// Pooling over windows of K along the last dimension of [batch, C, L] (or [C, L]).
template <std::size_t K, Tensor X, detail::window_option... Options>
constexpr auto max_pool1d(X x, Options...) noexcept {
  return detail::pooling_1d<true, K, detail::window_options<1, Options...>>(x);
}
template <std::size_t K, Tensor X, detail::window_option... Options>
constexpr auto avg_pool1d(X x, Options...) noexcept {
  return detail::pooling_1d<false, K, detail::window_options<1, Options...>>(x);
}

/// [batch, ...] as [batch, the rest]: a view.
template <Tensor X>
constexpr auto flatten(X) noexcept {
  using S = shape_of<X>;
  if constexpr (S::rank <= 2)
    return X{};
  else
    return detail::reshape_t<X, shape<S::dims[0], S::size / S::dims[0]>>{};
}

}  // namespace ctgrad
