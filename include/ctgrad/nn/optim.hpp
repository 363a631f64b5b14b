// ctgrad/nn/optim.hpp — optimizers: SGD, momentum, Adam (bias-corrected),
// each with weight decay.  A config (`nn::adam{.learning_rate = 1e-3}`)
// becomes an optimizer with its state sized for a model by
// `model.make_optimizer(config)`.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

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
  template <std::size_t n>
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
  template <std::size_t n>
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
  template <std::size_t n>
  [[gnu::always_inline]] inline void update(T* __restrict p, const T* __restrict g, std::size_t offset) noexcept {
    const T b1 = static_cast<T>(c_.beta1), b2 = static_cast<T>(c_.beta2), eps = static_cast<T>(c_.epsilon);
    const T step = static_cast<T>(c_.learning_rate / correction1_);
    const T inv_sqrt_c2 = static_cast<T>(1 / std::sqrt(correction2_));
    const T decay = static_cast<T>(c_.learning_rate * c_.weight_decay);
    T* __restrict m = m_.data() + offset;
    T* __restrict v = v_.data() + offset;
    for (std::size_t i = 0; i != n; ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      // m_hat / (sqrt(v_hat) + eps) with m_hat = m / c1, v_hat = v / c2.
      p[i] -= step * m[i] / (std::sqrt(v[i]) * inv_sqrt_c2 + eps) + decay * p[i];
    }
  }
  const adam& config() const noexcept { return c_; }
  long steps() const noexcept { return t_; }

 private:
  adam c_;
  long t_ = 0;
  double correction1_ = 1, correction2_ = 1;
  std::array<T, N> m_{}, v_{};
};

}  // namespace ctgrad::nn
