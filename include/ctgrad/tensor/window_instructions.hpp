// ctgrad/tensor/window_instructions.hpp — convolution, padding and pooling
// in a compiled kernel: fixed-extent loop nests over [batch, channels,
// height, width] operands (conv.hpp has the mathematics).
//
// Each innermost loop runs along a row of the output (or, for the kernel
// gradient, along a row of per-column partial sums), with unit stride when
// the convolution's stride is 1: no reductions across lanes, no branches,
// so the compilers vectorise them.  Nothing is allocated: a padded input is
// a workspace slot, and the partial sums of the kernel gradient live on the
// stack (KH * KW * OW elements).
#pragma once

#include <cstdint>
#include <type_traits>

#include "conv.hpp"
#include "instructions.hpp"

namespace ctgrad::detail::tk {

/// Element i of X [N, H, W] with a zero border: [N, H + 2PH, W + 2PW].
template <class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW>
struct r_pad {};
/// Element i of X [N, H, W] without its border: [N, H - 2PH, W - 2PW].
template <class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW>
struct r_crop {};

template <class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW>
struct rd<r_pad<R, H, W, PH, PW>> {
  static constexpr bool contiguous = false;
  static constexpr std::size_t HP = H + 2 * PH, WP = W + 2 * PW;
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static T at(context<T> c, std::size_t i) noexcept {
    const std::size_t n = i / (HP * WP), y = i % (HP * WP) / WP, x = i % WP;
    if (y < PH || y >= PH + H || x < PW || x >= PW + W) return T(0);
    return rd<R>::at(c, (n * H + y - PH) * W + x - PW);
  }
};
template <class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW>
struct rd<r_crop<R, H, W, PH, PW>> {
  static constexpr bool contiguous = false;
  static constexpr std::size_t HC = H - 2 * PH, WC = W - 2 * PW;
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static T at(context<T> c, std::size_t i) noexcept {
    const std::size_t n = i / (HC * WC), y = i % (HC * WC) / WC, x = i % WC;
    return rd<R>::at(c, (n * H + y + PH) * W + x + PW);
  }
};

/// The extents of a convolution of X [B,C,H,W] by W [O,C,KH,KW].
template <class XS, class WS, class Geo>
struct conv_extents {
  static constexpr std::size_t B = XS::dims[0], C = XS::dims[1], H = XS::dims[2], W = XS::dims[3];
  static constexpr std::size_t O = WS::dims[0], KH = WS::dims[2], KW = WS::dims[3];
  static constexpr std::size_t SH = Geo::stride_h, SW = Geo::stride_w, DH = Geo::dilation_h, DW = Geo::dilation_w;
  static constexpr std::size_t OH = window_positions(H, KH, SH, DH), OW = window_positions(W, KW, SW, DW);
};

/// out [B,O,OH,OW] = conv(X, W): for each output row, every tap (c, a, e)
/// adds w[o,c,a,e] times a row of X.
template <std::size_t Offset, class XS, class WS, class Geo, class RX, class RW>
struct i_conv : conv_extents<XS, WS, Geo> {
  using e = conv_extents<XS, WS, Geo>;
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t b = 0; b != e::B; ++b)
      for (std::size_t o = 0; o != e::O; ++o)
        for (std::size_t i = 0; i != e::OH; ++i) {
          T* __restrict row = out + ((b * e::O + o) * e::OH + i) * e::OW;
          for (std::size_t j = 0; j != e::OW; ++j) row[j] = T(0);
          for (std::size_t ch = 0; ch != e::C; ++ch)
            for (std::size_t a = 0; a != e::KH; ++a) {
              const std::size_t x0 = ((b * e::C + ch) * e::H + i * e::SH + a * e::DH) * e::W;
              for (std::size_t t = 0; t != e::KW; ++t) {
                const T w = rd<RW>::at(c, ((o * e::C + ch) * e::KH + a) * e::KW + t);
                const std::size_t xt = x0 + t * e::DW;
                for (std::size_t j = 0; j != e::OW; ++j) row[j] += w * rd<RX>::at(c, xt + j * e::SW);
              }
            }
        }
  }
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    loop(c.ws + Offset, c);
  }
};

/// out [O,C,KH,KW] = the correlation of X [B,C,H,W] with Y [B,O,OH,OW]:
/// out[o,c,a,e] = sum over b, i, j of Y[b,o,i,j] X[b,c,i*sh + a*dh, j*sw + e*dw].
/// Per (o, c), a row of partial sums per tap runs over (b, i); each is
/// summed at the end (fixed order, no reassociation by the compiler).
template <std::size_t Offset, class XS, class WS, class Geo, class RX, class RY>
struct i_conv_kernel_grad : conv_extents<XS, WS, Geo> {
  using e = conv_extents<XS, WS, Geo>;
  template <class T, class E = gemm::store_result>
  CTGRAD_DETAIL_TK_INLINE static void loop(T* __restrict out, context<T> c, E epilogue = {}) noexcept {
    for (std::size_t o = 0; o != e::O; ++o)
      for (std::size_t ch = 0; ch != e::C; ++ch) {
        T part[e::KH * e::KW][e::OW];
        for (std::size_t k = 0; k != e::KH * e::KW; ++k)
          for (std::size_t j = 0; j != e::OW; ++j) part[k][j] = T(0);
        for (std::size_t b = 0; b != e::B; ++b)
          for (std::size_t i = 0; i != e::OH; ++i) {
            const std::size_t y0 = ((b * e::O + o) * e::OH + i) * e::OW;
            for (std::size_t a = 0; a != e::KH; ++a) {
              const std::size_t x0 = ((b * e::C + ch) * e::H + i * e::SH + a * e::DH) * e::W;
              for (std::size_t t = 0; t != e::KW; ++t) {
                T* __restrict p = part[a * e::KW + t];
                const std::size_t xt = x0 + t * e::DW;
                for (std::size_t j = 0; j != e::OW; ++j) p[j] += rd<RY>::at(c, y0 + j) * rd<RX>::at(c, xt + j * e::SW);
              }
            }
          }
        for (std::size_t k = 0; k != e::KH * e::KW; ++k) {
          T s = T(0);
          for (std::size_t j = 0; j != e::OW; ++j) s += part[k][j];
          epilogue.scalar(out + (o * e::C + ch) * e::KH * e::KW + k, s);
        }
      }
  }
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    loop(c.ws + Offset, c);
  }
};

/// out [B,C,H,W] = the transposed convolution of Y [B,O,OH,OW] by W: each
/// output position scatters y[b,o,i,j] * w[o,c,a,e] to the input
/// position it was computed from (for stride 1, the full convolution of Y
/// with the flipped kernel).
template <std::size_t Offset, class XS, class WS, class Geo, class RY, class RW>
struct i_conv_input_grad : conv_extents<XS, WS, Geo> {
  using e = conv_extents<XS, WS, Geo>;
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t k = 0; k != XS::size; ++k) out[k] = T(0);
    for (std::size_t b = 0; b != e::B; ++b)
      for (std::size_t o = 0; o != e::O; ++o)
        for (std::size_t i = 0; i != e::OH; ++i) {
          const std::size_t y0 = ((b * e::O + o) * e::OH + i) * e::OW;
          for (std::size_t ch = 0; ch != e::C; ++ch)
            for (std::size_t a = 0; a != e::KH; ++a) {
              T* __restrict row = out + ((b * e::C + ch) * e::H + i * e::SH + a * e::DH) * e::W;
              for (std::size_t t = 0; t != e::KW; ++t) {
                const T w = rd<RW>::at(c, ((o * e::C + ch) * e::KH + a) * e::KW + t);
                T* __restrict r = row + t * e::DW;
                for (std::size_t j = 0; j != e::OW; ++j) r[j * e::SW] += w * rd<RY>::at(c, y0 + j);
              }
            }
        }
  }
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    loop(c.ws + Offset, c);
  }
};

/// out [N, H+2PH, W+2PW] = X [N, H, W] with a zero border.
template <std::size_t Offset, std::size_t N, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW, class R>
struct i_pad {
  static constexpr std::size_t HP = H + 2 * PH, WP = W + 2 * PW;
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t k = 0; k != N * HP * WP; ++k) out[k] = T(0);
    for (std::size_t n = 0; n != N; ++n)
      for (std::size_t y = 0; y != H; ++y) {
        T* __restrict row = out + (n * HP + y + PH) * WP + PW;
        for (std::size_t x = 0; x != W; ++x) row[x] = rd<R>::at(c, (n * H + y) * W + x);
      }
  }
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    loop(c.ws + Offset, c);
  }
};

/// The windows of a pooling of X [N, H, W].
template <class XS, class P>
struct pool_extents {
  static constexpr std::size_t N = XS::dims[0] * XS::dims[1], H = XS::dims[2], W = XS::dims[3];
  static constexpr std::size_t KH = P::window_h, KW = P::window_w, SH = P::stride_h, SW = P::stride_w;
  static constexpr std::size_t OH = window_positions(H, KH, SH, 1), OW = window_positions(W, KW, SW, 1);

  /// For the windows (n, i, j) of one output row: the first maximum m[j]
  /// and its position p[j] in the window (a * KW + t).  A NaN is the
  /// maximum (it propagates, as in the forward value).  The inner loops
  /// run along j with selects, so they vectorise.
  template <class R, class T>
  CTGRAD_DETAIL_TK_INLINE static void row_max(context<T> c, std::size_t n, std::size_t i, T (&m)[OW],
                                              std::uint32_t (&p)[OW]) noexcept {
    const std::size_t base = (n * H + i * SH) * W;
    for (std::size_t j = 0; j != OW; ++j) {
      m[j] = rd<R>::at(c, base + j * SW);
      p[j] = 0;
    }
    for (std::size_t tap = 1; tap != KH * KW; ++tap) {
      const std::size_t offset = base + tap / KW * W + tap % KW;
      const auto position = static_cast<std::uint32_t>(tap);
      for (std::size_t j = 0; j != OW; ++j) {
        const T x = rd<R>::at(c, offset + j * SW);
        const bool take = (x > m[j]) | ((x != x) & (m[j] == m[j]));
        m[j] = take ? x : m[j];
        p[j] = take ? position : p[j];
      }
    }
  }
  /// Flat index in X of position p of window (n, i, j).
  static constexpr std::size_t index(std::size_t n, std::size_t i, std::size_t j, std::uint32_t p) noexcept {
    return (n * H + i * SH + p / KW) * W + j * SW + p % KW;
  }
};

/// out[n,i,j] = V at the arg-max of window (i, j) of X (max pooling: V = X).
template <std::size_t Offset, class XS, class P, class RX, class RV>
struct i_max_select : pool_extents<XS, P> {
  using e = pool_extents<XS, P>;
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t n = 0; n != e::N; ++n)
      for (std::size_t i = 0; i != e::OH; ++i) {
        T m[e::OW];
        std::uint32_t p[e::OW];
        e::template row_max<RX>(c, n, i, m, p);
        T* __restrict row = out + (n * e::OH + i) * e::OW;
        if constexpr (std::is_same_v<RX, RV>)
          for (std::size_t j = 0; j != e::OW; ++j) row[j] = m[j];
        else
          for (std::size_t j = 0; j != e::OW; ++j) row[j] = rd<RV>::at(c, e::index(n, i, j, p[j]));
      }
  }
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    loop(c.ws + Offset, c);
  }
};

/// out (shape of X) = G[n,i,j] added at the arg-max of each window of X.
template <std::size_t Offset, class XS, class P, class RX, class RG>
struct i_max_route : pool_extents<XS, P> {
  using e = pool_extents<XS, P>;
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t k = 0; k != XS::size; ++k) out[k] = T(0);
    for (std::size_t n = 0; n != e::N; ++n)
      for (std::size_t i = 0; i != e::OH; ++i) {
        T m[e::OW];
        std::uint32_t p[e::OW];
        e::template row_max<RX>(c, n, i, m, p);
        for (std::size_t j = 0; j != e::OW; ++j)
          out[e::index(n, i, j, p[j])] += rd<RG>::at(c, (n * e::OH + i) * e::OW + j);
      }
  }
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    loop(c.ws + Offset, c);
  }
};

/// out[n,i,j] = the mean of window (i, j) of X.
template <std::size_t Offset, class XS, class P, class RX>
struct i_avg_pool : pool_extents<XS, P> {
  using e = pool_extents<XS, P>;
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t n = 0; n != e::N; ++n)
      for (std::size_t i = 0; i != e::OH; ++i)
        for (std::size_t j = 0; j != e::OW; ++j) {
          T s = T(0);
          for (std::size_t a = 0; a != e::KH; ++a)
            for (std::size_t t = 0; t != e::KW; ++t)
              s += rd<RX>::at(c, (n * e::H + i * e::SH + a) * e::W + j * e::SW + t);
          out[(n * e::OH + i) * e::OW + j] = s / T(e::KH * e::KW);
        }
  }
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    loop(c.ws + Offset, c);
  }
};

/// out (shape XS) = each G[n,i,j] / (KH KW) added over its window.
template <std::size_t Offset, class XS, class P, class RG>
struct i_avg_unpool : pool_extents<XS, P> {
  using e = pool_extents<XS, P>;
  template <class T>
  CTGRAD_DETAIL_TK_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t k = 0; k != XS::size; ++k) out[k] = T(0);
    for (std::size_t n = 0; n != e::N; ++n)
      for (std::size_t i = 0; i != e::OH; ++i)
        for (std::size_t j = 0; j != e::OW; ++j) {
          const T g = rd<RG>::at(c, (n * e::OH + i) * e::OW + j) / T(e::KH * e::KW);
          for (std::size_t a = 0; a != e::KH; ++a)
            for (std::size_t t = 0; t != e::KW; ++t) out[(n * e::H + i * e::SH + a) * e::W + j * e::SW + t] += g;
        }
  }
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    loop(c.ws + Offset, c);
  }
};

// Fused SGD into the kernel gradient: p = beta * p + alpha * dL/dW.
template <std::size_t Offset, class XS, class WS, class Geo, class RX, class RY, std::size_t Target>
struct i_update<i_conv_kernel_grad<Offset, XS, WS, Geo, RX, RY>, Target> {
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_TK_INLINE static void run(context<T> c) noexcept {
    i_conv_kernel_grad<Offset, XS, WS, Geo, RX, RY>::loop(c.updates[Target], c,
                                                          gemm::scale_and_add<T>{c.alpha, c.beta});
  }
};

// Which leaves an instruction reads (for fused SGD).
template <class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW, std::size_t L>
struct ref_reads<r_pad<R, H, W, PH, PW>, L> : ref_reads<R, L> {};
template <class R, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW, std::size_t L>
struct ref_reads<r_crop<R, H, W, PH, PW>, L> : ref_reads<R, L> {};
template <std::size_t O, class XS, class WS, class Geo, class RA, class RB, std::size_t L>
struct instruction_reads<i_conv<O, XS, WS, Geo, RA, RB>, L>
    : std::bool_constant<ref_reads<RA, L>::value || ref_reads<RB, L>::value> {};
template <std::size_t O, class XS, class WS, class Geo, class RA, class RB, std::size_t L>
struct instruction_reads<i_conv_kernel_grad<O, XS, WS, Geo, RA, RB>, L>
    : std::bool_constant<ref_reads<RA, L>::value || ref_reads<RB, L>::value> {};
template <std::size_t O, class XS, class WS, class Geo, class RA, class RB, std::size_t L>
struct instruction_reads<i_conv_input_grad<O, XS, WS, Geo, RA, RB>, L>
    : std::bool_constant<ref_reads<RA, L>::value || ref_reads<RB, L>::value> {};
template <std::size_t O, std::size_t N, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW, class R,
          std::size_t L>
struct instruction_reads<i_pad<O, N, H, W, PH, PW, R>, L> : ref_reads<R, L> {};
template <std::size_t O, class XS, class P, class RA, class RB, std::size_t L>
struct instruction_reads<i_max_select<O, XS, P, RA, RB>, L>
    : std::bool_constant<ref_reads<RA, L>::value || ref_reads<RB, L>::value> {};
template <std::size_t O, class XS, class P, class RA, class RB, std::size_t L>
struct instruction_reads<i_max_route<O, XS, P, RA, RB>, L>
    : std::bool_constant<ref_reads<RA, L>::value || ref_reads<RB, L>::value> {};
template <std::size_t O, class XS, class P, class R, std::size_t L>
struct instruction_reads<i_avg_pool<O, XS, P, R>, L> : ref_reads<R, L> {};
template <std::size_t O, class XS, class P, class R, std::size_t L>
struct instruction_reads<i_avg_unpool<O, XS, P, R>, L> : ref_reads<R, L> {};

}  // namespace ctgrad::detail::tk
