// Kernels never allocate: global operator new is replaced by a counter.
#define BOOST_TEST_MODULE ctgrad_no_heap
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <new>

#include "worked_example.hpp"

namespace {
std::size_t allocations = 0;
}

void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

BOOST_AUTO_TEST_CASE(kernels_do_not_allocate) {
  using namespace worked_example;
  double w[8];
  for (int k = 0; k != 8; ++k) w[k] = initial_weights[k];
  const std::size_t before = allocations;
  double sink = 0;
  for (int step = 0; step != 100; ++step) sink += train_step(w);
  sink += loss(w);
  sink += ctgrad::eval(ctgrad::d(E, w1), w1 = w[0], w2 = w[1], w3 = w[2], w4 = w[3], w5 = w[4], w6 = w[5], w7 = w[6],
                       w8 = w[7], i1 = 0.05, i2 = 0.10, t1 = 0.01, t2 = 0.99, b1 = 0.35, b2 = 0.60);
  const std::size_t during = allocations - before;
  BOOST_TEST(during == 0u);
  BOOST_TEST(sink > 0.0);
  // The counter works (a direct call: compilers may elide new-expressions).
  const std::size_t probe = allocations;
  void* p = ::operator new(16);
  ::operator delete(p);
  BOOST_TEST(allocations == probe + 1);
}
