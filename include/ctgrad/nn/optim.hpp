// ctgrad/nn/optim.hpp — optimizers: SGD, momentum (Nesterov too), RMSProp,
// Adagrad, Adam (bias-corrected; AdamW's decoupled decay), each with weight
// decay and a learning rate that may change between steps; learning-rate
// schedules.  Each follows torch.optim's definition (tests/interop/).  A config (`nn::adam{.learning_rate = 1e-3}`)
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

CTGRAD_DETAIL_NO_CONTRACTION_BEGIN

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
/// v = beta * v + g + weight_decay * p;  p -= lr * v   (the form PyTorch uses);
/// with nesterov: p -= lr * (g + weight_decay * p + beta * v)   (torch.optim.SGD(nesterov=True)).
struct momentum {
  double learning_rate = 0.01;
  double beta = 0.9;
  double weight_decay = 0;
  bool nesterov = false;
};
/// Kingma & Ba 2015 with bias correction; weight decay decoupled (AdamW,
/// Loshchilov & Hutter 2019): p -= lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p).
struct adam {
  double learning_rate = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double weight_decay = 0;
};

/// RMSProp as torch.optim.RMSprop (Hinton's lecture 6e, eps outside the root):
///   g += weight_decay * p;  s = alpha * s + (1 - alpha) * g^2;
///   centered: a = alpha * a + (1 - alpha) * g,  d = sqrt(s - a^2) + eps;  else d = sqrt(s) + eps;
///   momentum > 0: b = momentum * b + g / d,  p -= lr * b;  else p -= lr * g / d.
struct rmsprop {
  double learning_rate = 0.01;
  double alpha = 0.99;
  double epsilon = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
};
/// Adagrad as torch.optim.Adagrad (Duchi et al. 2011): at step t (from 1),
///   g += weight_decay * p;  s += g^2;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps),
/// s starting at initial_accumulator_value.
struct adagrad {
  double learning_rate = 0.01;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double epsilon = 1e-10;
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
                       " is outside its valid range " + range +
                       (inside && !fits ? " (it overflows the model's type)" : ""));
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
void check_epsilon(const char* optimizer, double epsilon) {
  check_field<T>(optimizer, "epsilon", epsilon, std::numeric_limits<double>::min(), unbounded, true, "(0, inf)");
  if (static_cast<T>(epsilon) == T(0))
    throw config_error(std::string("ctgrad::nn::") + optimizer + ": epsilon = " + number_text(epsilon) +
                       " is outside its valid range (0, inf) (it rounds to 0 in the model's type)");
}
template <class T>
void validate(const rmsprop& c) {
  check_field<T>("rmsprop", "learning_rate", c.learning_rate, 0, unbounded, true, "[0, inf)");
  check_field<T>("rmsprop", "alpha", c.alpha, 0, 1, false, "[0, 1)");
  check_epsilon<T>("rmsprop", c.epsilon);
  check_field<T>("rmsprop", "weight_decay", c.weight_decay, 0, unbounded, true, "[0, inf)");
  check_field<T>("rmsprop", "momentum", c.momentum, 0, 1, false, "[0, 1)");
}
template <class T>
void validate(const adagrad& c) {
  check_field<T>("adagrad", "learning_rate", c.learning_rate, 0, unbounded, true, "[0, inf)");
  check_field<T>("adagrad", "lr_decay", c.lr_decay, 0, unbounded, true, "[0, inf)");
  check_field<T>("adagrad", "weight_decay", c.weight_decay, 0, unbounded, true, "[0, inf)");
  check_field<T>("adagrad", "initial_accumulator_value", c.initial_accumulator_value, 0, unbounded, true, "[0, inf)");
  check_epsilon<T>("adagrad", c.epsilon);
}
template <class T>
void validate(const adam& c) {
  check_field<T>("adam", "learning_rate", c.learning_rate, 0, unbounded, true, "[0, inf)");
  check_field<T>("adam", "beta1", c.beta1, 0, 1, false, "[0, 1)");
  check_field<T>("adam", "beta2", c.beta2, 0, 1, false, "[0, 1)");
  check_epsilon<T>("adam", c.epsilon);
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

namespace detail {
/// What every optimizer has: its configuration, and a learning rate that
/// may change between steps (a schedule), validated like the rest.
template <class Config, class T>
class optimizer_base {
 public:
  explicit optimizer_base(Config config) : c_(config) { validate<T>(c_); }
  const Config& config() const noexcept { return c_; }
  double learning_rate() const noexcept { return c_.learning_rate; }
  /// Takes effect at the next step; state (moments, velocities) is kept.
  /// Throws config_error (and changes nothing) if the rate is out of range.
  void set_learning_rate(double learning_rate) {
    Config changed = c_;
    changed.learning_rate = learning_rate;
    validate<T>(changed);
    c_ = changed;
  }

 protected:
  Config c_;
};
}  // namespace detail

template <class T, std::size_t N>
class optimizer<sgd, T, N> : public detail::optimizer_base<sgd, T> {
  using detail::optimizer_base<sgd, T>::c_;

 public:
  explicit optimizer(sgd config) : detail::optimizer_base<sgd, T>(config) {}
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
};

template <class T, std::size_t N>
class optimizer<momentum, T, N> : public detail::optimizer_base<momentum, T> {
  using detail::optimizer_base<momentum, T>::c_;

 public:
  explicit optimizer(momentum config) : detail::optimizer_base<momentum, T>(config) {}
  void begin_step() noexcept {}
  template <std::size_t n, std::size_t = 16>
  [[gnu::always_inline]] inline void update(T* __restrict p, const T* __restrict g, std::size_t offset) noexcept {
    const T lr = static_cast<T>(c_.learning_rate), beta = static_cast<T>(c_.beta), wd = static_cast<T>(c_.weight_decay);
    T* __restrict v = velocity_.data() + offset;
    if (c_.nesterov) {
      for (std::size_t i = 0; i != n; ++i) {
        const T d = g[i] + wd * p[i];
        v[i] = beta * v[i] + d;
        p[i] -= lr * (d + beta * v[i]);
      }
    } else {
      for (std::size_t i = 0; i != n; ++i) {
        v[i] = beta * v[i] + g[i] + wd * p[i];
        p[i] -= lr * v[i];
      }
    }
  }

 private:
  std::array<T, N> velocity_{};
};

template <class T, std::size_t N>
class optimizer<rmsprop, T, N> : public detail::optimizer_base<rmsprop, T> {
  using detail::optimizer_base<rmsprop, T>::c_;

 public:
  explicit optimizer(rmsprop config) : detail::optimizer_base<rmsprop, T>(config) {}
  void begin_step() noexcept {}
  template <std::size_t n, std::size_t = 16>
  [[gnu::always_inline]] inline void update(T* __restrict p, const T* __restrict g, std::size_t offset) noexcept {
    const T lr = static_cast<T>(c_.learning_rate), alpha = static_cast<T>(c_.alpha), eps = static_cast<T>(c_.epsilon),
            wd = static_cast<T>(c_.weight_decay), mu = static_cast<T>(c_.momentum);
    T* __restrict s = square_average_.data() + offset;
    T* __restrict a = average_.data() + offset;
    T* __restrict b = buffer_.data() + offset;
    for (std::size_t i = 0; i != n; ++i) {
      const T d = g[i] + wd * p[i];
      s[i] = alpha * s[i] + (1 - alpha) * d * d;
      T denominator;
      if (c_.centered) {
        a[i] = alpha * a[i] + (1 - alpha) * d;
        denominator = std::sqrt(s[i] - a[i] * a[i]) + eps;
      } else {
        denominator = std::sqrt(s[i]) + eps;
      }
      if (c_.momentum > 0) {
        b[i] = mu * b[i] + d / denominator;
        p[i] -= lr * b[i];
      } else {
        p[i] -= lr * d / denominator;
      }
    }
  }

 private:
  std::array<T, N> square_average_{}, average_{}, buffer_{};
};

template <class T, std::size_t N>
class optimizer<adagrad, T, N> : public detail::optimizer_base<adagrad, T> {
  using detail::optimizer_base<adagrad, T>::c_;

 public:
  explicit optimizer(adagrad config) : detail::optimizer_base<adagrad, T>(config) {
    sum_.fill(static_cast<T>(c_.initial_accumulator_value));
  }
  void begin_step() noexcept {
    ++t_;
    step_ = static_cast<T>(c_.learning_rate / (1 + static_cast<double>(t_ - 1) * c_.lr_decay));
  }
  template <std::size_t n, std::size_t = 16>
  [[gnu::always_inline]] inline void update(T* __restrict p, const T* __restrict g, std::size_t offset) noexcept {
    const T eps = static_cast<T>(c_.epsilon), wd = static_cast<T>(c_.weight_decay), step = step_;
    T* __restrict s = sum_.data() + offset;
    for (std::size_t i = 0; i != n; ++i) {
      const T d = g[i] + wd * p[i];
      s[i] += d * d;
      p[i] -= step * d / (std::sqrt(s[i]) + eps);
    }
  }
  long steps() const noexcept { return t_; }

 private:
  long t_ = 0;
  T step_ = 0;
  std::array<T, N> sum_{};
};

template <class T, std::size_t N>
class optimizer<adam, T, N> : public detail::optimizer_base<adam, T> {
  using detail::optimizer_base<adam, T>::c_;

 public:
  explicit optimizer(adam config) : detail::optimizer_base<adam, T>(config) {}
  /// Called once per training step, before the updates.
  void begin_step() noexcept {
    ++t_;
    correction1_ = 1 - std::pow(c_.beta1, static_cast<double>(t_));
    correction2_ = 1 - std::pow(c_.beta2, static_cast<double>(t_));
  }
  /// VectorBytes: 16 (SSE2 vectors), 32 (AVX2: the default where the
  /// translation unit is compiled for AVX2 or wider, as -march=native
  /// builds are) or 0 (one value at a time, the reference).  Written with
  /// explicit vectors because `std::sqrt` is not vectorised under errno
  /// semantics (the default): a scalar square root and division per
  /// parameter made an Adam step 10x an SGD step.  Same operations in the
  /// same order, correctly rounded square roots: the same bits at every
  /// width (tested).
  template <std::size_t n, std::size_t VectorBytes = (CTGRAD_DETAIL_VECTOR_BYTES >= 32 ? 32 : 16)>
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
#if CTGRAD_DETAIL_VECTOR_BYTES >= 32
    if constexpr (VectorBytes == 32 && (std::is_same_v<T, float> || std::is_same_v<T, double>)) {
      vectors_32<n>(p, g, m, v, k);
      scalar_tail<n, n / (32 / sizeof(T)) * (32 / sizeof(T))>(p, g, m, v, k);
      return;
    }
#endif
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
#define CTGRAD_DETAIL_ADAM_VECTOR_LOOP(BYTES, ROOT_FLOAT, ROOT_DOUBLE) \
  typedef T vec __attribute__((vector_size(BYTES)));                   \
  constexpr std::size_t lanes = BYTES / sizeof(T);                     \
  for (std::size_t i = 0; i + lanes <= n; i += lanes) {                \
    vec pv, gv, mv, vv, root;                                          \
    std::memcpy(&pv, p + i, sizeof(vec));                              \
    std::memcpy(&gv, g + i, sizeof(vec));                              \
    std::memcpy(&mv, m + i, sizeof(vec));                              \
    std::memcpy(&vv, v + i, sizeof(vec));                              \
    mv = k.b1 * mv + (1 - k.b1) * gv;                                  \
    vv = k.b2 * vv + (1 - k.b2) * gv * gv;                             \
    if constexpr (std::is_same_v<T, float>)                            \
      root = ROOT_FLOAT(vv);                                           \
    else                                                               \
      root = ROOT_DOUBLE(vv);                                          \
    pv -= k.step * mv / (root * k.inv_sqrt_c2 + k.eps) + k.decay * pv; \
    std::memcpy(p + i, &pv, sizeof(vec));                              \
    std::memcpy(m + i, &mv, sizeof(vec));                              \
    std::memcpy(v + i, &vv, sizeof(vec));                              \
  }
  template <std::size_t n>
  [[gnu::always_inline]] static inline void vectors_16(T* __restrict p, const T* __restrict g, T* __restrict m,
                                                       T* __restrict v, coefficients k) noexcept {
    CTGRAD_DETAIL_ADAM_VECTOR_LOOP(16, __builtin_ia32_sqrtps, __builtin_ia32_sqrtpd)
  }
  template <std::size_t n>
  [[gnu::target("avx2"), gnu::always_inline]] static inline void vectors_32(T* __restrict p, const T* __restrict g,
                                                                            T* __restrict m, T* __restrict v,
                                                                            coefficients k) noexcept {
    CTGRAD_DETAIL_ADAM_VECTOR_LOOP(32, __builtin_ia32_sqrtps256, __builtin_ia32_sqrtpd256)
  }
#undef CTGRAD_DETAIL_ADAM_VECTOR_LOOP
#endif

  long t_ = 0;
  double correction1_ = 1, correction2_ = 1;
  std::array<T, N> m_{}, v_{};
};

/// Learning-rate schedules: each maps a step (or epoch) count t = 0, 1, 2,
/// ... to a rate, the closed form of torch.optim.lr_scheduler's class of
/// the same name; use it as `opt.set_learning_rate(schedule(t))`.
///
/// StepLR: initial * gamma^floor(t / step_size).
struct step_lr {
  double initial;
  std::size_t step_size;
  double gamma = 0.1;
  double operator()(std::size_t t) const noexcept {
    return initial * std::pow(gamma, static_cast<double>(t / step_size));
  }
};
/// ExponentialLR: initial * gamma^t.
struct exponential_lr {
  double initial;
  double gamma;
  double operator()(std::size_t t) const noexcept { return initial * std::pow(gamma, static_cast<double>(t)); }
};
/// CosineAnnealingLR: minimum + (initial - minimum) * (1 + cos(pi * t / period)) / 2
/// (period: PyTorch's T_max; past it the cosine goes on, as PyTorch's does).
struct cosine_annealing_lr {
  double initial;
  std::size_t period;
  double minimum = 0;
  double operator()(std::size_t t) const noexcept {
    constexpr double pi = 3.14159265358979323846;
    return minimum +
           (initial - minimum) * (1 + std::cos(pi * static_cast<double>(t) / static_cast<double>(period))) / 2;
  }
};
/// LinearLR (a warm-up): initial times a factor going linearly from
/// start_factor at t = 0 to end_factor at t = total, then constant.
struct linear_lr {
  double initial;
  double start_factor = 1.0 / 3;
  double end_factor = 1.0;
  std::size_t total = 5;
  double operator()(std::size_t t) const noexcept {
    const double progress = t >= total ? 1.0 : static_cast<double>(t) / static_cast<double>(total);
    return initial * (start_factor + (end_factor - start_factor) * progress);
  }
};

}  // namespace ctgrad::nn

CTGRAD_DETAIL_NO_CONTRACTION_END
