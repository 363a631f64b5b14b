// ctgrad/expr/tensor_ops.hpp — what users write: operators, functions, matmul,
// reductions, softmax, losses.  Each builds a canonical node type and checks
// shapes at compile time.
#pragma once

#include "tensor_nodes.hpp"

namespace ctgrad {

namespace error {
// Instantiated only on misuse; the numbers are in the type's name.
template <class... Shapes>
struct shapes_do_not_broadcast {
  static_assert(detail::always_false<Shapes...>,
                "ctgrad: elementwise operation (+ - * / or a function of several tensors): the shapes do not broadcast "
                "(numpy rules: trailing dimensions equal or 1); the shapes are in error::shapes_do_not_broadcast<...>");
};
template <std::size_t AColumns, std::size_t BRows>
struct matmul_inner_dimensions_differ {
  static_assert(detail::always_false<shapes<shape<AColumns>, shape<BRows>>>,
                "ctgrad::matmul(a, b): the inner dimensions differ (a's columns must equal b's rows); "
                "they are in error::matmul_inner_dimensions_differ<a_columns, b_rows>");
};
template <std::size_t ARank, std::size_t BRank>
struct matmul_rank {
  static_assert(detail::always_false<shapes<shape<ARank + 1>, shape<BRank + 1>>>,
                "ctgrad::matmul(a, b): operands must be vectors or matrices (rank 1 or 2); "
                "the ranks are in error::matmul_rank<a_rank, b_rank>");
};
template <std::size_t Rank>
struct transpose_rank {
  static_assert(detail::always_false<shapes<shape<Rank + 1>>>,
                "ctgrad::transpose(a): a must be a matrix (rank 2); its rank is in error::transpose_rank<rank>");
};
template <std::size_t From, std::size_t To>
struct reshape_size {
  static_assert(detail::always_false<shapes<shape<From>, shape<To>>>,
                "ctgrad::reshape<S>(a): S must have as many elements as a; "
                "the sizes are in error::reshape_size<from, to>");
};
template <class Prediction, class Target>
struct loss_shapes_differ {
  static_assert(detail::always_false<Prediction, Target>,
                "ctgrad loss(prediction, target): prediction and target must have the same shape; "
                "they are in error::loss_shapes_differ<...>");
};
}  // namespace error

namespace detail {
/// What a failed shape check returns, so that one error stays one error.
using shape_error_result = tnodes::fill<nodes::constant<0>, shape<>>;

template <class P, class T>
concept same_shape = std::is_same<shape_of<P>, shape_of<T>>::value;

template <class P, class T>
constexpr auto loss_shape_error() noexcept {
  (void)error::loss_shapes_differ<shape_of<P>, shape_of<T>>{};
  return shape_error_result{};
}

template <class C>
struct constant_tensor_s;

/// A scalar literal in a tensor expression: `2_c * x`, `1_c - y`.
template <class T>
struct as_tensor : std::type_identity<T> {};
template <std::intmax_t N, std::intmax_t D>
struct as_tensor<nodes::constant<N, D>> : std::type_identity<tnodes::fill<nodes::constant<N, D>, shape<>>> {};
template <class T>
using as_tensor_t = typename as_tensor<T>::type;

template <class T>
concept tensor_operand = Tensor<T> || is_constant<T>;

/// A stretched to S: a fill stays a fill, a broadcast of a broadcast is one.
template <class S, class A>
struct broadcast_to_s : std::type_identity<tnodes::broadcast<A, S>> {};
template <class S, class A>
requires std::is_same<shape_of<A>, S>::value struct broadcast_to_s<S, A> : std::type_identity<A> {
};
template <class S, class C, class SA>
requires(!std::is_same<SA, S>::value) struct broadcast_to_s<S, tnodes::fill<C, SA>>
    : std::type_identity<tnodes::fill<C, S>> {
};
template <class S, class A, class SA>
requires(!std::is_same<SA, S>::value) struct broadcast_to_s<S, tnodes::broadcast<A, SA>> : broadcast_to_s<S, A> {
};
template <class S, class A>
using broadcast_to_t = typename broadcast_to_s<S, A>::type;

/// A summed down to S (S broadcasts to A's shape).
template <class S, class A>
struct reduce_to_s : std::type_identity<tnodes::reduce_sum<A, S>> {};
template <class S, class A>
requires std::is_same<shape_of<A>, S>::value struct reduce_to_s<S, A> : std::type_identity<A> {
};
template <class S, std::intmax_t N, std::intmax_t D, class SA>
requires(!std::is_same<SA, S>::value) struct reduce_to_s<S, tnodes::fill<nodes::constant<N, D>, SA>>
    : std::type_identity<tnodes::fill<decltype(make_mul(nodes::constant<N, D>{},
                                                        constant_t<static_cast<std::intmax_t>(SA::size / S::size)>{})),
                                      S>> {
};
template <class S, class A>
using reduce_to_t = typename reduce_to_s<S, A>::type;

template <class... Shapes>
struct common_shape;
template <class S>
struct common_shape<S> : std::type_identity<S> {};
template <class S1, class S2, class... Rest>
struct common_shape<S1, S2, Rest...> {
  using first = typename broadcast_shape<S1, S2>::type;
  using type =
      typename std::conditional_t<std::is_void_v<first>, std::type_identity<void>, common_shape<first, Rest...>>::type;
};
template <class S1, class S2, class... Rest>
requires std::is_void_v<S1>
struct common_shape<S1, S2, Rest...> : std::type_identity<void> {
};

/// F over operands broadcast to their common shape (which exists).
template <class F, class... As>
using elementwise_t = ew_t<F, typename common_shape<shape_of<As>...>::type,
                           broadcast_to_t<typename common_shape<shape_of<As>...>::type, As>...>;

/// Whether tensors of these types broadcast to a common shape.
template <class... As>
concept broadcastable = !std::is_void_v<typename common_shape<shape_of<As>...>::type>;

/// The same, checked: one error naming the shapes if they do not broadcast.
/// The builders below declare their result (`-> elementwise_r<...>`), and
/// the overload that succeeds declares its own, so that `decltype(a + b)`
/// instantiates no function: g++ gives every function instantiated to
/// deduce a return type a symbol, and in a deep net that symbol's name
/// spells out the whole net below it.  Only a mismatch instantiates a body:
/// the one that reports it (an error in a body, not in a signature, so that
/// it stays one error).  (elementwise_s<false, ...> has no type: clang 14
/// substitutes into the return type before it checks the constraints.)
template <bool Broadcastable, class F, class... As>
struct elementwise_s {};
template <class F, class... As>
struct elementwise_s<true, F, As...> : std::type_identity<elementwise_t<F, As...>> {};
template <class F, Tensor... As>
requires broadcastable<As...>
constexpr typename elementwise_s<broadcastable<As...>, F, As...>::type elementwise(F, As...) noexcept { return {}; }
template <class F, Tensor... As>
requires(!broadcastable<As...>) constexpr auto elementwise(F, As...) noexcept {
  (void)error::shapes_do_not_broadcast<shape_of<As>...>{};
  return shape_error_result{};
}
template <class F, class... As>
using elementwise_r = decltype(detail::elementwise(F{}, As{}...));

/// softmax(A) over the last axis, as a type: exp(a - logsumexp(a)).
template <class A>
using softmax_t = elementwise_t<decltype(exp(ph<0>{} - ph<1>{})), A, tnodes::logsumexp<A>>;
}  // namespace detail

/// Placeholders for user-defined elementwise formulas:
///   `ctgrad::map(pow(_0, 3_c) - _0, x)` is x^3 - x elementwise, and its
///   derivative 3x^2 - 1 is derived, not written.
namespace placeholders {
inline constexpr detail::ph<0> _0{};
inline constexpr detail::ph<1> _1{};
inline constexpr detail::ph<2> _2{};
inline constexpr detail::ph<3> _3{};
}  // namespace placeholders

/// Apply a scalar formula of `_0, _1, ...` elementwise to tensors.
template <Expression F, detail::tensor_operand... As>
constexpr detail::elementwise_r<F, detail::as_tensor_t<As>...> map(F, As...) noexcept {
  return {};
}

/// Whether two tensor expressions are the same mathematics (the same
/// canonical type): `x + x == 2_c * x`.
template <Tensor A, Tensor B>
constexpr bool operator==(A, B) noexcept {
  return detail::same_as<A, B>;
}

template <detail::tensor_operand A, detail::tensor_operand B>
requires(Tensor<A> || Tensor<B>) constexpr detail::elementwise_r<decltype(detail::ph<0>{} + detail::ph<1>{}),
                                                                 detail::as_tensor_t<A>, detail::as_tensor_t<B>>
operator+(A, B) noexcept {
  return {};
}
template <detail::tensor_operand A, detail::tensor_operand B>
requires(Tensor<A> || Tensor<B>) constexpr detail::elementwise_r<decltype(detail::ph<0>{} - detail::ph<1>{}),
                                                                 detail::as_tensor_t<A>, detail::as_tensor_t<B>>
operator-(A, B) noexcept {
  return {};
}
/// Elementwise (Hadamard) product; matmul is `matmul(a, b)`.
template <detail::tensor_operand A, detail::tensor_operand B>
requires(Tensor<A> || Tensor<B>) constexpr detail::elementwise_r<decltype(detail::ph<0>{} * detail::ph<1>{}),
                                                                 detail::as_tensor_t<A>, detail::as_tensor_t<B>>
operator*(A, B) noexcept {
  return {};
}
template <detail::tensor_operand A, detail::tensor_operand B>
requires(Tensor<A> || Tensor<B>) constexpr detail::elementwise_r<decltype(detail::ph<0>{} / detail::ph<1>{}),
                                                                 detail::as_tensor_t<A>, detail::as_tensor_t<B>>
operator/(A, B) noexcept {
  return {};
}
template <Tensor A>
constexpr detail::elementwise_r<decltype(-detail::ph<0>{}), A> operator-(A) noexcept {
  return {};
}

// Every scalar-level function, elementwise.
#define CTGRAD_DETAIL_TENSOR_FN(NAME)                                                    \
  template <Tensor A>                                                                    \
  constexpr detail::elementwise_r<decltype(NAME(detail::ph<0>{})), A> NAME(A) noexcept { \
    return {};                                                                           \
  }
CTGRAD_DETAIL_TENSOR_FN(exp)
CTGRAD_DETAIL_TENSOR_FN(log)
CTGRAD_DETAIL_TENSOR_FN(sqrt)
CTGRAD_DETAIL_TENSOR_FN(sin)
CTGRAD_DETAIL_TENSOR_FN(cos)
CTGRAD_DETAIL_TENSOR_FN(tanh)
CTGRAD_DETAIL_TENSOR_FN(sigmoid)
CTGRAD_DETAIL_TENSOR_FN(relu)
CTGRAD_DETAIL_TENSOR_FN(softplus)
CTGRAD_DETAIL_TENSOR_FN(abs)
CTGRAD_DETAIL_TENSOR_FN(step)
CTGRAD_DETAIL_TENSOR_FN(sign)

namespace detail {
/// x^E as a formula (through make_pow, qualified: an unqualified pow here
/// would find, by argument-dependent lookup, the tensor pow being declared).
/// Only for a constant E (see elementwise_s: clang 14 gets here before it
/// checks the tensor pow's constraints, also for the scalar pow's misuse).
template <bool Constant, class E>
struct pow_formula_s {};
template <class E>
struct pow_formula_s<true, E> : std::type_identity<decltype(detail::make_pow(ph<0>{}, E{}))> {};
template <class E>
using pow_formula = typename pow_formula_s<is_constant<E>, E>::type;
}  // namespace detail
template <Tensor A, class E>
requires detail::is_constant<E>
constexpr detail::elementwise_r<detail::pow_formula<E>, A> pow(A, E) noexcept { return {}; }

/// Activations defined as formulas (their derivatives are derived).  At
/// the kink x = 0 (and -0) each takes the negative side's slope, as
/// PyTorch does: leaky_relu'(0) = alpha, elu'(0) = alpha (1 for the default
/// alpha, where elu is smooth); relu'(0) = 0 (docs/numerics.md).
/// leaky_relu(x) = x for x > 0, alpha*x otherwise: `leaky_relu(x)` (alpha
/// 1/100) or `leaky_relu(x, c<1, 5>)`.
template <class Alpha = nodes::constant<1, 100>>
inline constexpr auto leaky_relu_formula = relu(detail::ph<0>{}) - Alpha{} * negative_part(detail::ph<0>{});
template <Tensor A, class Alpha = nodes::constant<1, 100>>
requires detail::is_constant<Alpha>
constexpr detail::elementwise_r<decltype(leaky_relu_formula<Alpha>), A> leaky_relu(A, Alpha = {}) noexcept {
  return {};
}
/// elu(x) = x for x > 0, alpha*(e^x - 1) otherwise: `elu(x)` (alpha 1) or `elu(x, c<1, 2>)`.
template <class Alpha = nodes::constant<1>>
inline constexpr auto elu_formula = relu(detail::ph<0>{}) + Alpha{} * (exp(-negative_part(detail::ph<0>{})) -
                                                                       nodes::constant<1>{});
template <Tensor A, class Alpha = nodes::constant<1>>
requires detail::is_constant<Alpha>
constexpr detail::elementwise_r<decltype(elu_formula<Alpha>), A> elu(A, Alpha = {}) noexcept { return {}; }
/// gelu, tanh form (PyTorch's approximate='tanh'), as one function whose
/// value and derivatives are computed without overflow (fn::gelu).
CTGRAD_DETAIL_TENSOR_FN(gelu)
CTGRAD_DETAIL_TENSOR_FN(negative_part)
#undef CTGRAD_DETAIL_TENSOR_FN

namespace detail {
/// matmul's cases: 0 ranks wrong, 1 inner dimensions differ, 2 a row
/// vector times a matrix, 3 a matrix times a column vector, 4 matrices.
template <class SA, class SB>
constexpr int matmul_case() noexcept {
  if constexpr (SA::rank == 0 || SA::rank > 2 || SB::rank == 0 || SB::rank > 2)
    return 0;
  else if constexpr (SA::dims[SA::rank - 1] != SB::dims[0])
    return 1;
  else
    return SA::rank == 1 ? 2 : SB::rank == 1 ? 3 : 4;
}
/// (A class, not a variable template: a variable named after A and B is a
/// symbol spelling out both expressions.)
template <class A, class B>
struct matmul_case_of_s : std::integral_constant<int, matmul_case<shape_of<A>, shape_of<B>>()> {};
template <class A, class B>
concept matmul_well_formed = matmul_case_of_s<A, B>::value >= 2;
/// The product's node (cases 2-4; see elementwise for why a type; cases 0
/// and 1 have none).
template <int Case, class A, class B>
struct matmul_s {};
template <class A, class B>
struct matmul_s<4, A, B> : std::type_identity<tnodes::matmul<A, B>> {};
template <class A, class B>
using matmul_r = typename matmul_s<matmul_case_of_s<A, B>::value, A, B>::type;
template <class A, class B>
struct matmul_s<2, A, B> {
  using product = matmul_r<tnodes::reshape<A, shape<1, shape_of<A>::dims[0]>>, B>;
  using type = reshape_t<product, shape<shape_of<product>::size>>;
};
template <class A, class B>
struct matmul_s<3, A, B> {
  using product = matmul_r<A, tnodes::reshape<B, shape<shape_of<B>::dims[0], 1>>>;
  using type = reshape_t<product, shape<shape_of<A>::dims[0]>>;
};
}  // namespace detail

/// The matrix product.  [M,K] x [K,N] -> [M,N]; a vector operand is a row
/// ([K] x [K,N] -> [N]) or a column ([M,K] x [K] -> [M]).
template <Tensor A, Tensor B>
requires detail::matmul_well_formed<A, B>
constexpr detail::matmul_r<A, B> matmul(A, B) noexcept { return {}; }
template <Tensor A, Tensor B>
requires(!detail::matmul_well_formed<A, B>) constexpr auto matmul(A, B) noexcept {
  using SA = shape_of<A>;
  using SB = shape_of<B>;
  if constexpr (detail::matmul_case_of_s<A, B>::value == 0)
    (void)error::matmul_rank<SA::rank, SB::rank>{};
  else
    (void)error::matmul_inner_dimensions_differ<SA::dims[SA::rank - 1], SB::dims[0]>{};
  return detail::shape_error_result{};
}

/// The transpose of a matrix: a view, never a copy.
template <Tensor A>
constexpr auto transpose(A) noexcept {
  if constexpr (shape_of<A>::rank != 2) {
    (void)error::transpose_rank<shape_of<A>::rank>{};
    return detail::shape_error_result{};
  } else {
    return detail::transpose_t<A>{};
  }
}

/// The same elements in another shape: a view.
template <class S, Tensor A>
constexpr auto reshape(A) noexcept {
  if constexpr (S::size != shape_of<A>::size) {
    (void)error::reshape_size<shape_of<A>::size, S::size>{};
    return detail::shape_error_result{};
  } else {
    return detail::reshape_t<A, S>{};
  }
}

/// The sum of all elements (a scalar).
template <Tensor A>
constexpr auto sum(A) noexcept {
  return detail::reduce_to_t<shape<>, A>{};
}
/// The mean of all elements.
template <Tensor A>
constexpr auto mean(A a) noexcept {
  return sum(a) * detail::constant_t<1, static_cast<std::intmax_t>(shape_of<A>::size)>{};
}
/// The inner product of two tensors of one shape.
template <Tensor A, Tensor B>
constexpr auto dot(A a, B b) noexcept {
  if constexpr (!detail::same_shape<A, B>)
    return detail::loss_shape_error<A, B>();
  else
    return sum(a * b);
}

/// log(sum(exp(a))) over the last axis, computed without overflow; the last
/// dimension is kept as 1 (so it broadcasts back against a).
template <Tensor A>
constexpr auto logsumexp(A) noexcept {
  return tnodes::logsumexp<A>{};
}
/// Softmax over the last axis: exp(a - logsumexp(a)).
template <Tensor A>
constexpr auto softmax(A) noexcept {
  return detail::softmax_t<A>{};
}
/// log(softmax(a)), without forming softmax.
template <Tensor A>
constexpr auto log_softmax(A a) noexcept {
  return a - logsumexp(a);
}

namespace detail {
/// The batch of a prediction: its leading dimension if it has rank >= 2.
template <class S>
inline constexpr std::size_t batch_of = S::rank >= 2 ? S::dims[0] : 1;

}  // namespace detail

/// Losses.  Each takes (prediction, target) of one shape and returns a scalar.
namespace loss {
/// 1/2 * sum of squared errors, over everything (the textbook E).
template <Tensor P, Tensor T>
constexpr auto half_sse(P p, T t) noexcept {
  if constexpr (!detail::same_shape<P, T>)
    return detail::loss_shape_error<P, T>();
  else
    return sum(map(nodes::constant<1, 2>{} * pow(detail::ph<0>{} - detail::ph<1>{}, nodes::constant<2>{}), p, t));
}
/// Mean squared error, over every element.
template <Tensor P, Tensor T>
constexpr auto mse(P p, T t) noexcept {
  if constexpr (!detail::same_shape<P, T>)
    return detail::loss_shape_error<P, T>();
  else
    return mean(map(pow(detail::ph<0>{} - detail::ph<1>{}, nodes::constant<2>{}), p, t));
}
/// Mean absolute error, over every element (torch.nn.L1Loss); its
/// derivative at p = t is 0 (sign(0)), as PyTorch's.
template <Tensor P, Tensor T>
constexpr auto l1(P p, T t) noexcept {
  if constexpr (!detail::same_shape<P, T>)
    return detail::loss_shape_error<P, T>();
  else
    return mean(map(abs(detail::ph<0>{} - detail::ph<1>{}), p, t));
}
/// Huber loss with threshold Delta (a constant, e.g. c<1>), mean over every
/// element (torch.nn.HuberLoss(delta)): x^2/2 where |x| < Delta, else
/// Delta*(|x| - Delta/2), for x = p - t; written as
/// (a - r)^2/2 + Delta*r with a = |x|, r = relu(a - Delta), one formula
/// whose derivative is x inside and Delta*sign(x) outside (at |x| = Delta
/// both, as PyTorch's).  Smooth L1 with beta is this over beta.
template <class Delta, Tensor P, Tensor T>
constexpr auto huber(P p, T t) noexcept {
  if constexpr (!detail::same_shape<P, T>) {
    return detail::loss_shape_error<P, T>();
  } else {
    constexpr auto a = abs(detail::ph<0>{} - detail::ph<1>{});
    constexpr auto r = relu(a - Delta{});
    return mean(map(nodes::constant<1, 2>{} * pow(a - r, nodes::constant<2>{}) + Delta{} * r, p, t));
  }
}
/// Negative log-likelihood of log-probabilities (e.g. log_softmax(z))
/// against targets t whose rows are distributions (one-hot: class labels),
/// mean over the batch (torch.nn.NLLLoss): -sum(t * logp) / batch.
template <Tensor L, Tensor T>
constexpr auto nll(L logp, T t) noexcept {
  if constexpr (!detail::same_shape<L, T>)
    return detail::loss_shape_error<L, T>();
  else
    return sum(map(-(detail::ph<1>{} * detail::ph<0>{}), logp, t)) *
           detail::constant_t<1, static_cast<std::intmax_t>(detail::batch_of<shape_of<L>>)>{};
}
/// Binary cross-entropy of sigmoid(z) against targets t in [0, 1], from the
/// logits z: softplus(z) - t*z (stable for any z; with z = +-inf as the
/// largest finite numbers, so that a saturated logit with its matching
/// target is a loss of 0, not inf - inf), mean over every element.
template <Tensor Z, Tensor T>
constexpr auto binary_cross_entropy_with_logits(Z z, T t) noexcept {
  if constexpr (!detail::same_shape<Z, T>)
    return detail::loss_shape_error<Z, T>();
  else
    return mean(map(softplus(finite(detail::ph<0>{})) - detail::ph<1>{} * finite(detail::ph<0>{}), z, t));
}
/// Cross-entropy of softmax(z) (last axis) against target distributions t
/// (each row: entries in [0, 1] summing to 1, e.g. one-hot; see
/// nn::model::check_targets): logsumexp(z) - sum(t*z) per row, then the
/// mean over the batch (leading dimension).  Per row first, so that one row
/// with large logits does not swamp the others in float; t*z is 0 where t
/// is 0 even for a masked logit z = -inf (finite).  Its gradient is
/// (softmax(z) - t) / batch.
template <Tensor Z, Tensor T>
constexpr auto softmax_cross_entropy(Z z, T t) noexcept {
  if constexpr (!detail::same_shape<Z, T>) {
    return detail::loss_shape_error<Z, T>();
  } else {
    using rows = shape_of<tnodes::logsumexp<Z>>;
    const auto target_logit =
        detail::reduce_to_t<rows, decltype(map(detail::ph<1>{} * finite(detail::ph<0>{}), z, t))>{};
    return sum(logsumexp(z) - target_logit) *
           detail::constant_t<1, static_cast<std::intmax_t>(detail::batch_of<shape_of<Z>>)>{};
  }
}
}  // namespace loss

}  // namespace ctgrad
