// nn::data_parallel: a batch in parts on several threads gives the same bits
// as the parts computed one after the other and combined in the same order,
// whatever the number of threads; it agrees with the whole batch in one
// kernel within rounding; it trains.
#define BOOST_TEST_MODULE ctgrad_parallel
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>
#include <ctgrad/nn/parallel.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <vector>

using namespace ctgrad;

// Allocations through operator new, counted (a step must make none; the
// OpenMP runtime's own thread pool is not ours to count).  Not inlined:
// g++ 12 would see malloc and free paired with new and delete and warn
// (-Wmismatched-new-delete).
namespace {
std::size_t allocations = 0;
}
[[gnu::noinline]] void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a) {
  ++allocations;
  const std::size_t alignment = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(alignment, (n + alignment - 1) / alignment * alignment)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {
using net = nn::sequential<3, nn::dense<8, nn::tanh>, nn::dense<2>>;
template <class Loss, std::size_t Batch>
using model = nn::model<net, Loss, double, Batch>;
constexpr std::size_t shards = 4, rows = 3;

template <std::size_t N>
std::array<double, N> numbers(double offset) {
  std::array<double, N> v{};
  for (std::size_t i = 0; i != N; ++i) v[i] = std::sin(1.3 * double(i) + offset);
  return v;
}

/// The parts one after the other, combined in order: what data_parallel
/// must reproduce bit for bit.
template <class Loss>
std::vector<double> sequential_gradients(const model<Loss, rows>& m, const std::array<double, shards * rows * 3>& x,
                                         const std::array<double, shards * rows * 2>& t, double& loss) {
  using part_model = model<Loss, rows>;
  auto ws = std::make_unique<std::array<typename part_model::training_workspace, shards>>();
  std::array<double, shards> losses{};
  for (std::size_t s = 0; s != shards; ++s)
    losses[s] = m.loss_and_gradient((*ws)[s], std::span<const double, rows * 3>(x.data() + s * rows * 3, rows * 3),
                                    std::span<const double, rows * 2>(t.data() + s * rows * 2, rows * 2));
  std::vector<double> g((*ws)[0].gradients().begin(), (*ws)[0].gradients().end());
  for (std::size_t s = 1; s != shards; ++s)
    for (std::size_t i = 0; i != g.size(); ++i) g[i] += (*ws)[s].gradients()[i];
  loss = losses[0];
  for (std::size_t s = 1; s != shards; ++s) loss += losses[s];
  if constexpr (!nn::sums_over_batch<Loss>) {
    for (double& v : g) v /= double(shards);
    loss /= double(shards);
  }
  return g;
}

template <class Loss>
void check_parts(double tolerance) {
  auto m = std::make_unique<model<Loss, rows>>();
  m->initialize(3);
  const auto x = numbers<shards * rows * 3>(0.5);
  const auto t = numbers<shards * rows * 2>(2.0);
  double expected_loss = 0;
  const std::vector<double> expected = sequential_gradients<Loss>(*m, x, t, expected_loss);
  for (int threads : {1, 2, 3, 4, 8}) {
    nn::data_parallel<model<Loss, rows>, shards> trainer(*m, threads);
    const double loss = trainer.loss_and_gradient(x, t);
    BOOST_TEST(loss == expected_loss);
    BOOST_TEST(std::ranges::equal(m->gradients(), expected), "threads " << threads);
  }
  // The whole batch in one kernel: the same within rounding.
  auto whole = std::make_unique<model<Loss, shards * rows>>();
  std::ranges::copy(m->parameters(), whole->parameters().begin());
  const double loss = whole->loss_and_gradient(x, t);
  BOOST_TEST(std::fabs(loss - expected_loss) <= tolerance * std::fabs(loss));
  double largest = 0, scale = 0;
  for (std::size_t i = 0; i != expected.size(); ++i) {
    largest = std::max(largest, std::fabs(whole->gradients()[i] - expected[i]));
    scale = std::max(scale, std::fabs(expected[i]));
  }
  BOOST_TEST(largest <= tolerance * scale, "largest difference " << largest << " of " << scale);
}
}  // namespace

BOOST_AUTO_TEST_CASE(threads_give_the_bits_of_the_parts_in_order) {
  BOOST_TEST_MESSAGE("OpenMP threads available: " << nn::available_threads());
  check_parts<nn::mse>(1e-15);       // a mean: the parts' average
  check_parts<nn::half_sse>(1e-14);  // a sum: the parts' sum
}

BOOST_AUTO_TEST_CASE(train_step_trains_and_matches_the_model_step) {
  // One data_parallel step is model.apply_gradients on the combined gradients.
  auto a = std::make_unique<model<nn::mse, rows>>(), b = std::make_unique<model<nn::mse, rows>>();
  a->initialize(4);
  b->initialize(4);
  auto oa = a->make_optimizer(nn::adam{.learning_rate = 0.02});
  auto ob = b->make_optimizer(nn::adam{.learning_rate = 0.02});
  // [data_parallel]
  // 4 parts of 3 rows: batches of 12 rows, the parts on 2 threads.
  nn::data_parallel<model<nn::mse, rows>, shards> pa(*a, /*threads=*/2);
  // [data_parallel]
  nn::data_parallel<model<nn::mse, rows>, shards> pb(*b, 1);
  const auto x = numbers<shards * rows * 3>(0.1);
  std::array<double, shards * rows * 2> t{};
  for (std::size_t r = 0; r != shards * rows; ++r) {  // a smooth target: learnable
    t[2 * r] = 0.5 * std::tanh(x[3 * r] - x[3 * r + 1]);
    t[2 * r + 1] = 0.25 * x[3 * r + 2];
  }
  double first = 0, last = 0;
  for (int step = 0; step != 300; ++step) {
    // [data_parallel_step]
    const auto r = pa.train_step(oa, x, t);  // x: 12 rows of 3, t: 12 rows of 2
    // [data_parallel_step]
    BOOST_TEST(r.updated);
    pb.loss_and_gradient(x, t);
    b->apply_gradients(ob);
    if (step == 0) first = r.loss;
    last = r.loss;
  }
  BOOST_TEST(std::ranges::equal(a->parameters(), b->parameters()));
  BOOST_TEST(last < 0.05 * first, "loss " << first << " -> " << last);

  // A non-finite input in one part: the step is skipped, nothing changes.
  auto bad = x;
  bad[4 * 3] = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> before(a->parameters().begin(), a->parameters().end());
  BOOST_TEST(!pa.train_step(oa, bad, t).updated);
  BOOST_TEST(std::ranges::equal(before, a->parameters()));
  BOOST_TEST(a->skipped_steps() == 1u);
}

BOOST_AUTO_TEST_CASE(a_step_allocates_nothing) {
  auto m = std::make_unique<model<nn::mse, rows>>();
  m->initialize(5);
  auto opt = m->make_optimizer(nn::adam{.learning_rate = 0.01});
  nn::data_parallel<model<nn::mse, rows>, shards> trainer(*m, 2);  // allocates its workspaces, once
  const auto x = numbers<shards * rows * 3>(0.3);
  const auto t = numbers<shards * rows * 2>(0.9);
  trainer.train_step(opt, x, t);  // (the OpenMP runtime starts its threads)
  const std::size_t before = allocations;
  for (int step = 0; step != 20; ++step) trainer.train_step(opt, x, t);
  BOOST_TEST(allocations - before == 0u);
  // The counter counts (a direct call: compilers may elide new-expressions).
  void* p = ::operator new(16);
  ::operator delete(p);
  BOOST_TEST(allocations - before == 1u);
}
