// ctgrad/compile/window_instructions.hpp — convolution, padding and pooling
// in a compiled kernel: fixed-extent loop nests over [batch, channels,
// height, width] operands (conv.hpp has the mathematics).
//
// Stride-1 convolutions run one long loop per kernel tap over a whole
// plane, strided ones row by row; sums keep independent partial sums in a
// fixed order (no reassociation left to the compiler); data-dependent
// choices are masks, not branches.  Nothing is allocated: a padded input
// and a convolution's plane of scratch live in the workspace; small
// partial sums (taps x 16, or taps x OW for strided kernel gradients) on
// the stack.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "../expr/conv.hpp"
#include "instructions.hpp"

CTGRAD_DETAIL_NO_CONTRACTION_BEGIN

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
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
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
  CTGRAD_DETAIL_ALWAYS_INLINE static T at(context<T> c, std::size_t i) noexcept {
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

  // With stride 1, output (i, j) reads input (i + a dh, j + t dw): on a
  // grid of the input's width, output k = i W + j reads input k + a dh W +
  // t dw, so every tap is one contiguous loop over the whole plane (the
  // columns j >= OW in between are computed and dropped).  Long loops
  // instead of rows of OW: the vector remainder of each short row would
  // cost as much as its body.  The plane (scratch: the spread output
  // gradient, or the accumulated output) follows the instruction's output
  // in the workspace; the plan reserves it.
  static constexpr bool plane = SH == 1 && SW == 1;
  static constexpr std::size_t span = (OH - 1) * W + OW;  // plane positions that matter
  /// The loops over the plane run to `body` (a multiple of 16), then a
  /// separate tail: GCC -O2 vectorises only loops without a remainder.
  static constexpr std::size_t body = span / 16 * 16;
  static constexpr std::size_t tap_offset(std::size_t a, std::size_t t) noexcept { return a * DH * W + t * DW; }
  /// Workspace elements of scratch (after the output's slot).
  static constexpr std::size_t scratch = plane ? span : 0;
  static constexpr std::size_t scratch_after(std::size_t offset, std::size_t output) noexcept {
    return offset + (output + slot_alignment - 1) / slot_alignment * slot_alignment;
  }

  /// Y[b, o] (rows of OW) on the plane grid, zero between rows.
  template <class RY, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void spread(context<T> c, std::size_t b, std::size_t o,
                                                 T* __restrict grid) noexcept {
    for (std::size_t i = 0; i != OH; ++i) {
      for (std::size_t j = 0; j != OW; ++j) grid[i * W + j] = rd<RY>::at(c, ((b * O + o) * OH + i) * OW + j);
      if (i + 1 != OH)
        for (std::size_t j = OW; j != W; ++j) grid[i * W + j] = T(0);
    }
  }
};

/// out [B,O,OH,OW] = conv(X, W): every tap (c, a, t) adds w[o,c,a,t] times
/// a shifted plane of X (stride 1: into the plane of scratch, then copied
/// out without the dropped columns), or a strided row of X.
template <std::size_t Offset, class XS, class WS, class Geo, class RX, class RW>
struct i_conv : conv_extents<XS, WS, Geo>, writes_slot<Offset, i_conv<Offset, XS, WS, Geo, RX, RW>> {
  using e = conv_extents<XS, WS, Geo>;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    if constexpr (e::plane)
      plane_loop(out, c.ws + e::scratch_after(Offset, e::B * e::O * e::OH * e::OW), c);
    else
      row_loop(out, c);
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void plane_loop(T* __restrict out, T* __restrict acc, context<T> c) noexcept {
    for (std::size_t b = 0; b != e::B; ++b)
      for (std::size_t o = 0; o != e::O; ++o) {
        for (std::size_t k = 0; k != e::span; ++k) acc[k] = T(0);
        for (std::size_t ch = 0; ch != e::C; ++ch)
          for (std::size_t a = 0; a != e::KH; ++a)
            for (std::size_t t = 0; t != e::KW; ++t) {
              const T w = rd<RW>::at(c, ((o * e::C + ch) * e::KH + a) * e::KW + t);
              const std::size_t base = (b * e::C + ch) * e::H * e::W + e::tap_offset(a, t);
              for (std::size_t k = 0; k != e::body; ++k) acc[k] += w * rd<RX>::at(c, base + k);
              for (std::size_t k = e::body; k != e::span; ++k) acc[k] += w * rd<RX>::at(c, base + k);
            }
        T* __restrict y = out + (b * e::O + o) * e::OH * e::OW;
        for (std::size_t i = 0; i != e::OH; ++i)
          for (std::size_t j = 0; j != e::OW; ++j) y[i * e::OW + j] = acc[i * e::W + j];
      }
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void row_loop(T* __restrict out, context<T> c) noexcept {
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
};

/// out [O,C,KH,KW] = the correlation of X [B,C,H,W] with Y [B,O,OH,OW]:
/// out[o,c,a,e] = sum over b, i, j of Y[b,o,i,j] X[b,c,i*sh + a*dh, j*sw + e*dw].
/// Per (o, c) and tap, partial sums run over b and the plane (stride 1:
/// 16 of them, against Y spread onto the input's grid) or over (b, i) and a
/// row (strided: OW of them); each set is summed at the end (a fixed order,
/// no reassociation by the compiler).
template <std::size_t Offset, class XS, class WS, class Geo, class RX, class RY>
struct i_conv_kernel_grad : conv_extents<XS, WS, Geo> {
  using e = conv_extents<XS, WS, Geo>;
  template <std::size_t Bytes, class T, class E = gemm::store_result>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c, E epilogue = {}) noexcept {
    if constexpr (e::plane)
      plane_loop<Bytes>(out, c.ws + e::scratch_after(Offset, WS::size), c, epilogue);
    else
      row_loop(out, c, epilogue);
  }
  /// Each kernel element is a dot product of the spread Y plane with the
  /// input plane shifted by its tap: `lanes` partial sums each.
  template <std::size_t Bytes, class T, class E>
  CTGRAD_DETAIL_ALWAYS_INLINE static void plane_loop(T* __restrict out, T* __restrict y, context<T> c,
                                                     E epilogue) noexcept {
    constexpr std::size_t lanes = 16, body = e::span / lanes * lanes, taps = e::KH * e::KW;
    for (std::size_t o = 0; o != e::O; ++o)
      for (std::size_t ch = 0; ch != e::C; ++ch) {
        T part[taps][lanes], tail[taps];
        for (std::size_t k = 0; k != taps; ++k) {
          tail[k] = T(0);
          for (std::size_t l = 0; l != lanes; ++l) part[k][l] = T(0);
        }
        for (std::size_t b = 0; b != e::B; ++b) {
          e::template spread<RY>(c, b, o, y);
          for (std::size_t k = 0; k != taps; ++k) {
            const std::size_t base = (b * e::C + ch) * e::H * e::W + e::tap_offset(k / e::KW, k % e::KW);
            if constexpr (rd<RX>::contiguous) {  // in registers (GCC keeps an array's sums in memory)
              gemm::dot_lanes16<Bytes, e::span>(part[k], y, rd<RX>::ptr(c) + base);
            } else {
              T* __restrict p = part[k];
              for (std::size_t q = 0; q != body; q += lanes)
                for (std::size_t l = 0; l != lanes; ++l) p[l] += y[q + l] * rd<RX>::at(c, base + q + l);
            }
            for (std::size_t q = body; q != e::span; ++q) tail[k] += y[q] * rd<RX>::at(c, base + q);
          }
        }
        for (std::size_t k = 0; k != taps; ++k) {
          T s = tail[k];
          for (std::size_t l = 0; l != lanes; ++l) s += part[k][l];
          epilogue.scalar(out + (o * e::C + ch) * taps + k, s);
        }
      }
  }
  template <class T, class E>
  CTGRAD_DETAIL_ALWAYS_INLINE static void row_loop(T* __restrict out, context<T> c, E epilogue) noexcept {
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
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    loop<Bytes>(c.ws + Offset, c);
  }
};

/// out [B,C,H,W] = the transposed convolution of Y [B,O,OH,OW] by W: each
/// output position scatters y[b,o,i,j] * w[o,c,a,e] to the input
/// position it was computed from (for stride 1, the full convolution of Y
/// with the flipped kernel).
template <std::size_t Offset, class XS, class WS, class Geo, class RY, class RW>
struct i_conv_input_grad : conv_extents<XS, WS, Geo>,
                           writes_slot<Offset, i_conv_input_grad<Offset, XS, WS, Geo, RY, RW>> {
  using e = conv_extents<XS, WS, Geo>;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t k = 0; k != XS::size; ++k) out[k] = T(0);
    if constexpr (e::plane)
      plane_loop(out, c.ws + e::scratch_after(Offset, XS::size), c);
    else
      row_loop(out, c);
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void plane_loop(T* __restrict out, T* __restrict y, context<T> c) noexcept {
    for (std::size_t b = 0; b != e::B; ++b)
      for (std::size_t o = 0; o != e::O; ++o) {
        e::template spread<RY>(c, b, o, y);
        for (std::size_t ch = 0; ch != e::C; ++ch)
          for (std::size_t a = 0; a != e::KH; ++a)
            for (std::size_t t = 0; t != e::KW; ++t) {
              const T w = rd<RW>::at(c, ((o * e::C + ch) * e::KH + a) * e::KW + t);
              T* __restrict x = out + (b * e::C + ch) * e::H * e::W + e::tap_offset(a, t);
              for (std::size_t k = 0; k != e::body; ++k) x[k] += w * y[k];
              for (std::size_t k = e::body; k != e::span; ++k) x[k] += w * y[k];
            }
      }
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void row_loop(T* __restrict out, context<T> c) noexcept {
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
};

/// out [N, H+2PH, W+2PW] = X [N, H, W] with a zero border.
template <std::size_t Offset, std::size_t N, std::size_t H, std::size_t W, std::size_t PH, std::size_t PW, class R>
struct i_pad : writes_slot<Offset, i_pad<Offset, N, H, W, PH, PW, R>> {
  static constexpr std::size_t HP = H + 2 * PH, WP = W + 2 * PW;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t k = 0; k != N * HP * WP; ++k) out[k] = T(0);
    for (std::size_t n = 0; n != N; ++n)
      for (std::size_t y = 0; y != H; ++y) {
        T* __restrict row = out + (n * HP + y + PH) * WP + PW;
        for (std::size_t x = 0; x != W; ++x) row[x] = rd<R>::at(c, (n * H + y) * W + x);
      }
  }
};

/// No stored arg-maxes.
inline constexpr std::size_t no_taps = ~std::size_t{0};

/// A stored tap.  float and double: its bits in a T of the workspace (a
/// copy; converting integers to floating point in the loop costs more than
/// the comparisons).  Other types (long double): the number itself.
template <class T>
using bits_of = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
template <class T>
inline constexpr bool tap_by_bits = sizeof(T) == 4 || sizeof(T) == 8;
template <class T>
CTGRAD_DETAIL_ALWAYS_INLINE T tap_as(std::uint32_t p) noexcept {
  if constexpr (tap_by_bits<T>)
    return std::bit_cast<T>(static_cast<bits_of<T>>(p));
  else
    return static_cast<T>(p);
}
template <class T>
CTGRAD_DETAIL_ALWAYS_INLINE std::uint32_t tap_of(T stored) noexcept {
  if constexpr (tap_by_bits<T>)
    return static_cast<std::uint32_t>(std::bit_cast<bits_of<T>>(stored));
  else
    return static_cast<std::uint32_t>(stored);
}
/// All ones if b, else zero.  The empty asm hides where the mask comes
/// from, so that it stays a mask: both compilers otherwise turn selects on
/// data-dependent conditions (an arg-max) into jumps, mispredicted at random.
template <class U>
CTGRAD_DETAIL_ALWAYS_INLINE U opaque_mask(bool b) noexcept {
  U mask = U(0) - U(b);
#if defined(__GNUC__)
  asm("" : "+r"(mask));
#endif
  return mask;
}
/// v if keep, else +0, by a mask.
template <class T>
CTGRAD_DETAIL_ALWAYS_INLINE T keep_if(T v, bool keep) noexcept {
  if constexpr (tap_by_bits<T>)
    return std::bit_cast<T>(std::bit_cast<bits_of<T>>(v) & opaque_mask<bits_of<T>>(keep));
  else
    return keep ? v : T(0);
}

/// The windows of a pooling of X [N, H, W].
template <class XS, class P>
struct pool_extents {
  static constexpr std::size_t N = XS::dims[0] * XS::dims[1], H = XS::dims[2], W = XS::dims[3];
  static constexpr std::size_t KH = P::window_h, KW = P::window_w, SH = P::stride_h, SW = P::stride_w;
  static constexpr std::size_t OH = window_positions(H, KH, SH, 1), OW = window_positions(W, KW, SW, 1);

  /// Flat index in X of the first element of window (n, i, j).
  static constexpr std::size_t first(std::size_t n, std::size_t i, std::size_t j) noexcept {
    return (n * H + i * SH) * W + j * SW;
  }
  /// Offset from a window's first element of its element number `tap` (a * KW + t).
  static constexpr std::size_t offset(std::uint32_t tap) noexcept { return tap / KW * W + tap % KW; }

  /// The first maximum m of the window starting at flat index f, and its
  /// tap.  A NaN anywhere makes m NaN (it propagates, as in the forward
  /// value; the gradient then goes to one element of the window).  The taps are
  /// unrolled (constant offsets) and combined as a balanced tree (a chain
  /// of log2(KH KW) comparisons, not KH KW - 1); every choice is a select:
  /// branches here would be mispredicted half the time.
  template <class R, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static std::uint32_t arg_max(context<T> c, std::size_t f, T& m) noexcept {
    std::uint32_t p;
    bool nan = false;
    best<R, 0, KH * KW>(c, f, m, p, nan);
    m = nan ? x_nan<T>() : m;
    return p;
  }
  template <class T>
  static constexpr T x_nan() noexcept {
    return std::numeric_limits<T>::quiet_NaN();
  }
  /// The first maximum of taps [From, From + Count): the left half wins ties.
  template <class R, std::uint32_t From, std::uint32_t Count, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void best(context<T> c, std::size_t f, T& m, std::uint32_t& p,
                                               bool& nan) noexcept {
    if constexpr (Count == 1) {
      m = rd<R>::at(c, f + offset(From));
      p = From;
      nan |= m != m;
    } else {
      T right;
      std::uint32_t q;
      best<R, From, Count / 2>(c, f, m, p, nan);
      best<R, From + Count / 2, Count - Count / 2>(c, f, right, q, nan);
      const bool take = right > m;
      m = take ? right : m;
      p ^= (p ^ q) & opaque_mask<std::uint32_t>(take);
    }
  }
};

/// 2x2 windows with stride 2 (the common max pooling), a row of windows at
/// a time in vectors of Bytes: each row of X is split into its even and
/// odd columns (taps 0 and 1, then 2 and 3 from the next row) by shuffles,
/// and the windows' arg-maxes are found with the comparisons of arg_max,
/// in the same tree (taps 0-1, taps 2-3, then the two), as selects on
/// lanes: the same maxima, taps and NaNs as the scalar code, many windows
/// an instruction.  (Scalar, a window took ~45 instructions: 35% of C1's
/// step was its max-pooling.)  A row whose windows do not fill whole
/// vectors ends with a vector that overlaps the one before it: those
/// windows are found, and written, twice, with the same values.  float and
/// double; every other window shape, and rows of fewer windows than lanes,
/// in scalar code.
template <class T, std::size_t Bytes>
struct pool_lanes {
  // (Vectors by reference only: a 32-byte vector passed or returned by
  // value outside AVX code changes the ABI, which GCC warns about even
  // where, as here, every function is inlined into the AVX2 copy.)
  static constexpr std::size_t n = Bytes / sizeof(T);
  using lane_int = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  typedef T vec __attribute__((vector_size(Bytes)));
  typedef lane_int mask __attribute__((vector_size(Bytes)));  // what comparisons give
  /// The even and odd columns of the 2n values at p.
  template <std::size_t... I>
  CTGRAD_DETAIL_ALWAYS_INLINE static void split(const T* p, vec& even, vec& odd, std::index_sequence<I...>) noexcept {
    vec a, b;
    std::memcpy(&a, p, sizeof a);
    std::memcpy(&b, p + n, sizeof b);
    even = __builtin_shufflevector(a, b, (2 * I)...);
    odd = __builtin_shufflevector(a, b, (2 * I + 1)...);
  }
  /// Store the interleaving e0 o0 e1 o1 ... (2n values) at p.
  template <std::size_t... I>
  CTGRAD_DETAIL_ALWAYS_INLINE static void interleave(T* p, const vec& even, const vec& odd,
                                                     std::index_sequence<I...>) noexcept {
    const vec low = __builtin_shufflevector(even, odd, (I % 2 * n + I / 2)...);
    const vec high = __builtin_shufflevector(even, odd, ((n + I) % 2 * n + (n + I) / 2)...);
    std::memcpy(p, &low, sizeof low);
    std::memcpy(p + n, &high, sizeof high);
  }
  /// Where the first maximum m of each of n windows is (tap 0-3, as
  /// arg_max numbers them), their top rows at `top`, bottom rows at `bottom`.
  CTGRAD_DETAIL_ALWAYS_INLINE static void arg_max(const T* top, const T* bottom, vec& m, mask& p) noexcept {
    vec t0, t1, t2, t3;
    split(top, t0, t1, std::make_index_sequence<n>{});
    split(bottom, t2, t3, std::make_index_sequence<n>{});
    const mask take01 = t1 > t0, take23 = t3 > t2;
    const vec m01 = take01 ? t1 : t0, m23 = take23 ? t3 : t2;
    const mask p01 = take01 & 1, p23 = (take23 & 1) | 2;
    const mask take = m23 > m01;
    const mask nan = (t0 != t0) | (t1 != t1) | (t2 != t2) | (t3 != t3);
    const vec nan_value = vec{} + std::numeric_limits<T>::quiet_NaN();
    m = nan ? nan_value : (take ? m23 : m01);
    p = take ? p23 : p01;
  }
};
/// The vectors pool_lanes uses in code for Bytes-wide vectors: at most 32
/// bytes (a translation unit compiled for AVX-512 has them too), since a
/// row of 28 columns has only 14 windows, fewer than 16 float lanes.
template <std::size_t Bytes>
inline constexpr std::size_t pool_bytes = Bytes < 32 ? Bytes : 32;
/// Whether a max pooling by P of X (read through RX, selecting from RV)
/// runs in pool_lanes for element type T.
template <class T, class P, class RX, class RV>
inline constexpr bool pools_2x2_in_lanes = [] {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
    return P::window_h == 2 && P::window_w == 2 && P::stride_h == 2 && P::stride_w == 2 && std::is_same_v<RX, RV> &&
           rd<RX>::contiguous;
  else
    return false;
}();

/// out[n,i,j] = V at the arg-max of window (i, j) of X (max pooling: V = X);
/// with Taps, the arg-max's tap is also stored at ws[Taps + (n,i,j)].
template <std::size_t Offset, class XS, class P, class RX, class RV, std::size_t Taps = no_taps>
struct i_max_select : pool_extents<XS, P> {
  using e = pool_extents<XS, P>;
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    T* __restrict out = c.ws + Offset;
    if constexpr (pools_2x2_in_lanes<T, P, RX, RV> && e::OW >= pool_lanes<T, pool_bytes<Bytes>>::n) {
      using lanes = pool_lanes<T, pool_bytes<Bytes>>;
      const T* x = rd<RX>::ptr(c);
      for (std::size_t n = 0; n != e::N; ++n)
        for (std::size_t i = 0; i != e::OH; ++i) {
          const std::size_t k = (n * e::OH + i) * e::OW, f = e::first(n, i, 0);
          for (std::size_t next = 0; next < e::OW; next += lanes::n) {
            const std::size_t j = std::min(next, e::OW - lanes::n);  // the last overlaps the one before
            typename lanes::vec m;
            typename lanes::mask p;
            lanes::arg_max(x + f + 2 * j, x + f + e::W + 2 * j, m, p);
            std::memcpy(out + k + j, &m, sizeof m);
            if constexpr (Taps != no_taps) std::memcpy(out + (Taps - Offset) + k + j, &p, sizeof p);
          }
        }
    } else {
      for (std::size_t n = 0; n != e::N; ++n)
        for (std::size_t i = 0; i != e::OH; ++i)
          for (std::size_t j = 0; j != e::OW; ++j) window(out, c, n, i, j);
    }
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void window(T* __restrict out, context<T> c, std::size_t n, std::size_t i,
                                                 std::size_t j) noexcept {
    T m;
    const std::size_t f = e::first(n, i, j), k = (n * e::OH + i) * e::OW + j;
    const std::uint32_t p = e::template arg_max<RX>(c, f, m);
    if constexpr (std::is_same_v<RX, RV>)
      out[k] = m;
    else
      out[k] = rd<RV>::at(c, f + e::offset(p));
    if constexpr (Taps != no_taps) out[Taps - Offset + k] = tap_as<T>(p);
  }
};

/// out (shape of X) = G[n,i,j] added at the arg-max of each window of X
/// (read from ws[Taps + ...] if the forward pass kept them).  Windows that
/// tile X write each of their elements once (no zeroing, no read-back).
template <std::size_t Offset, class XS, class P, class RX, class RG, std::size_t Taps = no_taps>
struct i_max_route : pool_extents<XS, P> {
  using e = pool_extents<XS, P>;
  static constexpr bool tiles = e::SH == e::KH && e::SW == e::KW && e::OH * e::KH == e::H && e::OW * e::KW == e::W;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static std::uint32_t tap(context<T> c, std::size_t f, std::size_t k) noexcept {
    if constexpr (Taps != no_taps) {
      (void)f;
      return tap_of(c.ws[Taps + k]);
    } else {
      T m;
      return e::template arg_max<RX>(c, f, m);
    }
  }
  template <class T, std::size_t... Tap>
  CTGRAD_DETAIL_ALWAYS_INLINE static void write_window(T* __restrict out, std::size_t f, std::uint32_t p, T g,
                                                       std::index_sequence<Tap...>) noexcept {
    ((out[f + e::offset(Tap)] = keep_if(g, p == Tap)), ...);
  }
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    T* __restrict out = c.ws + Offset;
    if constexpr (tiles && pools_2x2_in_lanes<T, P, RX, RX> && rd<RG>::contiguous && e::OW >= pool_lanes<T, pool_bytes<Bytes>>::n) {
      // Each lane's g to its window's arg-max, +0 to the other three taps:
      // the even and odd columns of both rows, interleaved back.
      using lanes = pool_lanes<T, pool_bytes<Bytes>>;
      using vec = typename lanes::vec;
      constexpr std::size_t L = lanes::n;
      const T* g = rd<RG>::ptr(c);
      for (std::size_t n = 0; n != e::N; ++n)
        for (std::size_t i = 0; i != e::OH; ++i) {
          const std::size_t k = (n * e::OH + i) * e::OW, f = e::first(n, i, 0);
          for (std::size_t next = 0; next < e::OW; next += L) {
            const std::size_t j = std::min(next, e::OW - L);  // the last overlaps the one before
            typename lanes::mask p;
            if constexpr (Taps != no_taps) {
              std::memcpy(&p, c.ws + Taps + k + j, sizeof p);
            } else {
              vec m;
              lanes::arg_max(rd<RX>::ptr(c) + f + 2 * j, rd<RX>::ptr(c) + f + e::W + 2 * j, m, p);
            }
            vec gj;
            std::memcpy(&gj, g + k + j, sizeof gj);
            const vec zero{};
            const vec t0 = p == 0 ? gj : zero, t1 = p == 1 ? gj : zero, t2 = p == 2 ? gj : zero,
                      t3 = p == 3 ? gj : zero;
            lanes::interleave(out + f + 2 * j, t0, t1, std::make_index_sequence<L>{});
            lanes::interleave(out + f + e::W + 2 * j, t2, t3, std::make_index_sequence<L>{});
          }
        }
    } else {
      if constexpr (!tiles)
        for (std::size_t k = 0; k != XS::size; ++k) out[k] = T(0);
      for (std::size_t n = 0; n != e::N; ++n)
        for (std::size_t i = 0; i != e::OH; ++i)
          for (std::size_t j = 0; j != e::OW; ++j) window(out, c, n, i, j);
    }
  }
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void window(T* __restrict out, context<T> c, std::size_t n, std::size_t i,
                                                 std::size_t j) noexcept {
    const std::size_t f = e::first(n, i, j), k = (n * e::OH + i) * e::OW + j;
    const std::uint32_t p = tap(c, f, k);
    const T g = rd<RG>::at(c, k);
    if constexpr (tiles)
      write_window(out, f, p, g, std::make_index_sequence<e::KH * e::KW>{});
    else
      out[f + e::offset(p)] += g;
  }
};

/// out[n,i,j] = the mean of window (i, j) of X.
template <std::size_t Offset, class XS, class P, class RX>
struct i_avg_pool : pool_extents<XS, P>, writes_slot<Offset, i_avg_pool<Offset, XS, P, RX>> {
  using e = pool_extents<XS, P>;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t n = 0; n != e::N; ++n)
      for (std::size_t i = 0; i != e::OH; ++i)
        for (std::size_t j = 0; j != e::OW; ++j) {
          T s = T(0);
          for (std::size_t a = 0; a != e::KH; ++a)
            for (std::size_t t = 0; t != e::KW; ++t) s += rd<RX>::at(c, e::first(n, i, j) + a * e::W + t);
          out[(n * e::OH + i) * e::OW + j] = s / T(e::KH * e::KW);
        }
  }
};

/// out (shape XS) = each G[n,i,j] / (KH KW) added over its window.
template <std::size_t Offset, class XS, class P, class RG>
struct i_avg_unpool : pool_extents<XS, P>, writes_slot<Offset, i_avg_unpool<Offset, XS, P, RG>> {
  using e = pool_extents<XS, P>;
  template <class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void loop(T* __restrict out, context<T> c) noexcept {
    for (std::size_t k = 0; k != XS::size; ++k) out[k] = T(0);
    for (std::size_t n = 0; n != e::N; ++n)
      for (std::size_t i = 0; i != e::OH; ++i)
        for (std::size_t j = 0; j != e::OW; ++j) {
          const T g = rd<RG>::at(c, (n * e::OH + i) * e::OW + j) / T(e::KH * e::KW);
          for (std::size_t a = 0; a != e::KH; ++a)
            for (std::size_t t = 0; t != e::KW; ++t) out[e::first(n, i, j) + a * e::W + t] += g;
        }
  }
};

// Fused SGD into the kernel gradient: p = beta * p + alpha * dL/dW.
template <std::size_t Offset, class XS, class WS, class Geo, class RX, class RY, std::size_t Target>
struct i_update<i_conv_kernel_grad<Offset, XS, WS, Geo, RX, RY>, Target> {
  template <std::size_t Bytes, class T>
  CTGRAD_DETAIL_ALWAYS_INLINE static void run(context<T> c) noexcept {
    i_conv_kernel_grad<Offset, XS, WS, Geo, RX, RY>::template loop<Bytes>(c.updates[Target], c,
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
template <std::size_t O, class XS, class P, class RA, class RB, std::size_t Taps, std::size_t L>
struct instruction_reads<i_max_select<O, XS, P, RA, RB, Taps>, L>
    : std::bool_constant<ref_reads<RA, L>::value || ref_reads<RB, L>::value> {};
template <std::size_t O, class XS, class P, class RA, class RB, std::size_t Taps, std::size_t L>
struct instruction_reads<i_max_route<O, XS, P, RA, RB, Taps>, L>
    : std::bool_constant<ref_reads<RA, L>::value || ref_reads<RB, L>::value> {};
template <std::size_t O, class XS, class P, class R, std::size_t L>
struct instruction_reads<i_avg_pool<O, XS, P, R>, L> : ref_reads<R, L> {};
template <std::size_t O, class XS, class P, class R, std::size_t L>
struct instruction_reads<i_avg_unpool<O, XS, P, R>, L> : ref_reads<R, L> {};

}  // namespace ctgrad::detail::tk

CTGRAD_DETAIL_NO_CONTRACTION_END
