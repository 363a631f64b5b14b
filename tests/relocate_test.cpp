// Long programs run each instruction through one compiled copy of its
// relocated form (compile/relocate.hpp), shared by a deep network's
// identical layers.  These tests check that it is the same computation: the
// same bits as the program inlined as planned, for the training pass and the
// SGD-fused step, and gradients that match central differences.
#include <boost/test/unit_test.hpp>

#include <ctgrad/nn.hpp>

#include <cstring>
#include <memory>
#include <vector>

#include "support.hpp"

using namespace ctgrad;

namespace {
namespace mp = detail::mp;
namespace tk = detail::tk;

using deep_net = nn::sequential<4, nn::repeat<8, nn::dense<4, nn::tanh>>, nn::dense<3>>;
using deep_model = nn::model<deep_net, nn::softmax_cross_entropy, double, 2>;
using kernel = deep_model::training_kernel;
using planned = kernel::plan::program;
using runner = tk::program_runner<planned>;

template <class I>
struct is_shared : std::false_type {};
template <class I, class S>
struct is_shared<tk::i_shared<I, S>> : std::true_type {};
template <class I>
struct canonical_of : std::type_identity<I> {};
template <class I, class S>
struct canonical_of<tk::i_shared<I, S>> : std::type_identity<typename tk::relocated<I>::type> {};

using shared_steps = mp::mp_copy_if<runner::shared_program, is_shared>;
static_assert(mp::mp_size<planned>::value > tk::max_inlined_instructions, "the test needs a long program");
static_assert(mp::mp_size<shared_steps>::value > 0, "a long program runs relocated instructions");
// Eight identical layers: far fewer compiled copies than steps.
static_assert(
    2 * mp::mp_size<mp::mp_unique<mp::mp_transform_q<mp::mp_quote_trait<canonical_of>, shared_steps>>>::value <
        mp::mp_size<shared_steps>::value,
    "identical layers share their relocated instructions");

/// The program as planned (absolute offsets), inlined: the reference.
template <class Program>
struct inlined;
template <class... I>
struct inlined<mp::mp_list<I...>> {
  template <class T>
  static void run(tk::context<T> c) noexcept {
    tk::straight_line<I...>::template run<tk::default_vector_bytes>(c);
  }
};

struct example {
  std::array<double, 8> x{0.5, -1.0, 0.25, 2.0, -0.75, 1.5, 0.0, -0.3};
  std::array<double, 6> t{0, 1, 0, 0.25, 0.25, 0.5};
};

template <class Runner, class T, class... P>
void run_on(deep_model& m, const example& e, basic_workspace<kernel::layout, T>& ws, tk::context<T> c,
            mp::mp_list<P...>) {
  tk::run_program<Runner>(kernel::plan::leaves{}, ws.data(), c, deep_model::x_type{} = std::span<const T, 8>(e.x),
                          deep_model::target_type{} = std::span<const T, 6>(e.t),
                          (P{} = std::as_const(m).parameter(P{}))...);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(relocation)

BOOST_AUTO_TEST_CASE(shared_instructions_give_the_planned_bits) {
  auto m = std::make_unique<deep_model>();
  m->initialize(11);
  const example e;
  auto shared = std::make_unique<workspace<kernel, double>>();
  auto reference = std::make_unique<workspace<kernel, double>>();
  run_on<runner>(*m, e, *shared, tk::context<double>{}, deep_model::parameter_list{});
  run_on<inlined<planned>>(*m, e, *reference, tk::context<double>{}, deep_model::parameter_list{});
  BOOST_TEST(std::memcmp(shared->data(), reference->data(), sizeof(double) * kernel::workspace_elements) == 0);
  BOOST_TEST(std::isfinite(shared->loss()));
}

BOOST_AUTO_TEST_CASE(shared_sgd_steps_give_the_planned_bits) {
  using fused = kernel::fused_sgd::program;
  static_assert(mp::mp_size<fused>::value > tk::max_inlined_instructions);
  const example e;
  auto a = std::make_unique<deep_model>();
  auto b = std::make_unique<deep_model>();
  a->initialize(5);
  b->initialize(5);
  auto wa = std::make_unique<workspace<kernel, double>>();
  auto wb = std::make_unique<workspace<kernel, double>>();
  const auto targets_of = [](deep_model& m) {
    return [&]<class... P>(mp::mp_list<P...>) {
      return std::array<double*, sizeof...(P)>{m.parameter(P{}).data()...};
    }(deep_model::parameter_list{});
  };
  const auto ta = targets_of(*a), tb = targets_of(*b);
  tk::context<double> ca{}, cb{};
  ca.updates = ta.data();
  cb.updates = tb.data();
  ca.alpha = cb.alpha = -0.1;
  run_on<tk::program_runner<fused>>(*a, e, *wa, ca, deep_model::parameter_list{});
  run_on<inlined<fused>>(*b, e, *wb, cb, deep_model::parameter_list{});
  BOOST_TEST(std::memcmp(a->storage().data(), b->storage().data(), sizeof(double) * deep_model::storage_size) == 0);
  BOOST_TEST(std::memcmp(wa->data(), wb->data(), sizeof(double) * kernel::workspace_elements) == 0);
}

BOOST_AUTO_TEST_CASE(deep_gradients_match_central_differences) {
  auto m = std::make_unique<deep_model>();
  m->initialize(7);
  const example e;
  int checked = 0;
  m->for_each_parameter([&](auto p, std::span<double> values) {
    m->loss_and_gradient(e.x, e.t);
    const auto g = m->gradient(p);
    const std::vector<double> exact(g.begin(), g.end());
    for (std::size_t i = 0; i < values.size(); i += 3) {
      const double saved = values[i], h = 1e-6;
      values[i] = saved + h;
      const double up = m->loss_and_gradient(e.x, e.t);
      values[i] = saved - h;
      const double down = m->loss_and_gradient(e.x, e.t);
      values[i] = saved;
      BOOST_TEST(test::close(exact[i], (up - down) / (2 * h), 1e-7L));
      ++checked;
    }
  });
  BOOST_TEST(checked > 50);
}

BOOST_AUTO_TEST_SUITE_END()
