// ctgrad/nn/optim.hpp — optimizers: SGD, momentum, Adam (bias-corrected),
// each with weight decay.  A config (`nn::adam{.learning_rate = 1e-3}`)
// becomes an optimizer with its state sized for a model by
// `model.make_optimizer(config)`.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

// Adam's update written with explicit vectors (x86 with GCC or clang).
#if (defined(__x86_64__) || defined(__i386__)) && defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define CTGRAD_DETAIL_ADAM_VECTORS 1
#else
#define CTGRAD_DETAIL_ADAM_VECTORS 0
#endif

namespace ctgrad::nn {

/// An optimizer configuration outside its valid range (thrown when the
/// optimizer is made: `model.make_optimizer(config)`).
class config_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// p -= lr * (g + weight_decay * p), computed as p = beta * p + alpha * g
/// with alpha = -lr, beta = 1 - lr * weight_decay (the form a model fuses
/// into its kernel: the same numbers either way).
struct sgd {
  double learning_rate = 0.01;
  double weight_decay = 0;
};
/// v = momentum * v + g + weight_decay * p;  p -= lr * v   (the form PyTorch uses)
struct momentum {
  double learning_rate = 0.01;
  double beta = 0.9;
  double weight_decay = 0;
};
/// Kingma & Ba 2015 with bias correction; weight decay decoupled (AdamW,
/// Loshchilov & Hutter 2019): p -= lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p).
struct adam {
  double learning_rate = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double weight_decay = 0;
};

namespace detail {
inline std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}
/// Throws config_error unless low <= value < high (or <= high when
/// high_included) and value is finite in T as well as in double.
template <class T>
void check_field(const char* optimizer, const char* field, double value, double low, double high, bool high_included,
                 const char* range) {
  const bool inside = value >= low && (high_included ? value <= high : value < high);  // false for NaN
  const bool fits = std::abs(value) <= static_cast<double>(std::numeric_limits<T>::max());
  if (!inside || !std::isfinite(value) || !fits)
    throw config_error(std::string("ctgrad::nn::") + optimizer + ": " + field + " = " + number_text(value) +
                       " is outside its valid range " + range + (inside && !fits ? " (it overflows the model's type)" : ""));
}
inline constexpr double unbounded = std::numeric_limits<double>::max();

/// learning_rate * weight_decay (the decay applied per step) must fit T too.
template <class T>
void check_decay(const char* optimizer, double learning_rate, double weight_decay) {
  check_field<T>(optimizer, "learning_rate * weight_decay", learning_rate * weight_decay, 0, unbounded, true,
                 "[0, inf)");
}
template <class T>
void validate(const sgd& c) {
  check_field<T>("sgd", "learning_rate", c.learning_rate, 0, unbounded, true, "[0, inf)");
  check_field<T>("sgd", "weight_decay", c.weight_decay, 0, unbounded, true, "[0, inf)");
  check_decay<T>("sgd", c.learning_rate, c.weight_decay);
}
template <class T>
void validate(const momentum& c) {
  check_field<T>("momentum", "learning_rate", c.learning_rate, 0, unbounded, true, "[0, inf)");
  check_field<T>("momentum", "beta", c.beta, 0, 1, false, "[0, 1)");
  check_field<T>("momentum", "weight_decay", c.weight_decay, 0, unbounded, true, "[0, inf)");
  check_decay<T>("momentum", c.learning_rate, c.weight_decay);
}
template <class T>
void validate(const adam& c) {
  check_field<T>("adam", "learning_rate", c.learning_rate, 0, unbounded, true, "[0, inf)");
  check_field<T>("adam", "beta1", c.beta1, 0, 1, false, "[0, 1)");
  check_field<T>("adam", "beta2", c.beta2, 0, 1, false, "[0, 1)");
  check_field<T>("adam", "epsilon", c.epsilon, std::numeric_limits<double>::min(), unbounded, true, "(0, inf)");
  if (static_cast<T>(c.epsilon) == T(0))
    throw config_error("ctgrad::nn::adam: epsilon = " + number_text(c.epsilon) +
                       " is outside its valid range (0, inf) (it rounds to 0 in the model's type)");
  check_field<T>("adam", "weight_decay", c.weight_decay, 0, unbounded, true, "[0, inf)");
  check_decay<T>("adam", c.learning_rate, c.weight_decay);
}
}  // namespace detail

/// An optimizer for N values of type T, configured by Config.  Making one
/// validates the configuration (config_error names the field and its
/// range): a NaN, infinite or out-of-range setting would otherwise turn
/// every parameter into NaN at the first step.
template <class Config, class T, std::size_t N>
class optimizer;

template <class T, std::size_t N>
class optimizer<sgd, T, N> {
 public:
  explicit optimizer(sgd config) : c_(config) { detail::validate<T>(c_); }
  void begin_step() noexcept {}
  /// Update the n values p[0..n) (at `offset` in the model's storage) by
  /// gradients g.  n is a template argument: a loop of known length
  /// vectorises at -O2 without a scalar epilogue.
  template <std::size_t n, std::size_t = 16>
  [[gnu::always_inline]] inline void update(T* __restrict p, const T* __restrict g, std::size_t) noexcept {
    const T a = alpha(), b = beta();
    for (std::size_t i = 0; i != n; ++i) p[i] = b * p[i] + a * g[i];
  }
  T alpha() const noexcept { return static_cast<T>(-c_.learning_rate); }
  T beta() const noexcept { return static_cast<T>(1 - c_.learning_rate * c_.weight_decay); }
  const sgd& config() const noexcept { return c_; }

 private:
  sgd c_;
};

template <class T, std::size_t N>
class optimizer<momentum, T, N> {
 public:
  explicit optimizer(momentum config) : c_(config) { detail::validate<T>(c_); }
  void begin_step() noexcept {}
  template <std::size_t n, std::size_t = 16>
  [[gnu::always_inline]] inline void update(T* __restrict p, const T* __restrict g, std::size_t offset) noexcept {
    const T lr = static_cast<T>(c_.learning_rate), beta = static_cast<T>(c_.beta), wd = static_cast<T>(c_.weight_decay);
    T* __restrict v = velocity_.data() + offset;
    for (std::size_t i = 0; i != n; ++i) {
      v[i] = beta * v[i] + g[i] + wd * p[i];
      p[i] -= lr * v[i];
    }
  }
  const momentum& config() const noexcept { return c_; }

 private:
  momentum c_;
  std::array<T, N> velocity_{};
};

template <class T, std::size_t N>
class optimizer<adam, T, N> {
 public:
  explicit optimizer(adam config) : c_(config) { detail::validate<T>(c_); }
  /// Called once per training step, before the updates.
  void begin_step() noexcept {
    ++t_;
    correction1_ = 1 - std::pow(c_.beta1, static_cast<double>(t_));
    correction2_ = 1 - std::pow(c_.beta2, static_cast<double>(t_));
  }
  /// VectorBytes: 16 (SSE2 vectors) or 0 (one value at a time, the
  /// reference).  Written with explicit vectors because `std::sqrt` is not
  /// vectorised under errno semantics (the default): a scalar square root
  /// and division per parameter made an Adam step 10x an SGD step.  Same
  /// operations in the same order, correctly rounded square roots: the
  /// same bits at every width (tested).
  template <std::size_t n, std::size_t VectorBytes = 16>
  [[gnu::always_inline]] inline void update(T* __restrict p, const T* __restrict g, std::size_t offset) noexcept {
    const coefficients k = coefficients_now();
    T* __restrict m = m_.data() + offset;
    T* __restrict v = v_.data() + offset;
#if CTGRAD_DETAIL_ADAM_VECTORS
    if constexpr (VectorBytes == 16 && (std::is_same_v<T, float> || std::is_same_v<T, double>)) {
      vectors_16<n>(p, g, m, v, k);
      scalar_tail<n, n / (16 / sizeof(T)) * (16 / sizeof(T))>(p, g, m, v, k);
      return;
    }
#endif
    scalar_tail<n, 0>(p, g, m, v, k);
  }
#if CTGRAD_DETAIL_ADAM_VECTORS
  /// The same, 32 bytes at a time: for AVX2 code only (the model's AVX2 copy).
  template <std::size_t n>
  [[gnu::target("avx2"), gnu::always_inline]] inline void update_avx2(T* __restrict p, const T* __restrict g,
                                                                      std::size_t offset) noexcept {
    const coefficients k = coefficients_now();
    T* __restrict m = m_.data() + offset;
    T* __restrict v = v_.data() + offset;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      vectors_32<n>(p, g, m, v, k);
      scalar_tail<n, n / (32 / sizeof(T)) * (32 / sizeof(T))>(p, g, m, v, k);
    } else {
      scalar_tail<n, 0>(p, g, m, v, k);
    }
  }
#endif
  const adam& config() const noexcept { return c_; }
  long steps() const noexcept { return t_; }

 private:
  struct coefficients {
    T b1, b2, eps, step, inv_sqrt_c2, decay;
  };
  coefficients coefficients_now() const noexcept {
    return {static_cast<T>(c_.beta1),
            static_cast<T>(c_.beta2),
            static_cast<T>(c_.epsilon),
            static_cast<T>(c_.learning_rate / correction1_),
            static_cast<T>(1 / std::sqrt(correction2_)),
            static_cast<T>(c_.learning_rate * c_.weight_decay)};
  }
  /// Values [start, n) one at a time (start: where the vectors stopped,
  /// a constant, so that the loop's bounds are known).
  template <std::size_t n, std::size_t start>
  [[gnu::always_inline]] static inline void scalar_tail(T* __restrict p, const T* __restrict g, T* __restrict m,
                                                        T* __restrict v, coefficients k) noexcept {
    for (std::size_t i = start; i != n; ++i) {
      m[i] = k.b1 * m[i] + (1 - k.b1) * g[i];
      v[i] = k.b2 * v[i] + (1 - k.b2) * g[i] * g[i];
      // m_hat / (sqrt(v_hat) + eps) with m_hat = m / c1, v_hat = v / c2.
      p[i] -= k.step * m[i] / (std::sqrt(v[i]) * k.inv_sqrt_c2 + k.eps) + k.decay * p[i];
    }
  }
#if CTGRAD_DETAIL_ADAM_VECTORS
  // The update above, BYTES at a time, up to the last whole vector.
  // Written once, compiled in two functions: a 32-byte vector (and its
  // square root) may only appear inside AVX code, and a lambda or a called
  // template would not inherit the AVX2 target.
#define CTGRAD_DETAIL_ADAM_VECTOR_LOOP(BYTES, ROOT_FLOAT, ROOT_DOUBLE)                    \
  typedef T vec __attribute__((vector_size(BYTES)));                                      \
  constexpr std::size_t lanes = BYTES / sizeof(T);                                        \
  for (std::size_t i = 0; i + lanes <= n; i += lanes) {                                   \
    vec pv, gv, mv, vv, root;                                                             \
    std::memcpy(&pv, p + i, sizeof(vec));                                                 \
    std::memcpy(&gv, g + i, sizeof(vec));                                                 \
    std::memcpy(&mv, m + i, sizeof(vec));                                                 \
    std::memcpy(&vv, v + i, sizeof(vec));                                                 \
    mv = k.b1 * mv + (1 - k.b1) * gv;                                                     \
    vv = k.b2 * vv + (1 - k.b2) * gv * gv;                                                \
    if constexpr (std::is_same_v<T, float>)                                               \
      root = ROOT_FLOAT(vv);                                                              \
    else                                                                                  \
      root = ROOT_DOUBLE(vv);                                                             \
    pv -= k.step * mv / (root * k.inv_sqrt_c2 + k.eps) + k.decay * pv;                    \
    std::memcpy(p + i, &pv, sizeof(vec));                                                 \
    std::memcpy(m + i, &mv, sizeof(vec));                                                 \
    std::memcpy(v + i, &vv, sizeof(vec));                                                 \
  }
  template <std::size_t n>
  [[gnu::always_inline]] static inline void vectors_16(T* __restrict p, const T* __restrict g,
                                                              T* __restrict m, T* __restrict v, coefficients k) noexcept {
    CTGRAD_DETAIL_ADAM_VECTOR_LOOP(16, __builtin_ia32_sqrtps, __builtin_ia32_sqrtpd)
  }
  template <std::size_t n>
  [[gnu::target("avx2"), gnu::always_inline]] static inline void vectors_32(
      T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, coefficients k) noexcept {
    CTGRAD_DETAIL_ADAM_VECTOR_LOOP(32, __builtin_ia32_sqrtps256, __builtin_ia32_sqrtpd256)
  }
#undef CTGRAD_DETAIL_ADAM_VECTOR_LOOP
#endif

  adam c_;
  long t_ = 0;
  double correction1_ = 1, correction2_ = 1;
  std::array<T, N> m_{}, v_{};
};

}  // namespace ctgrad::nn
