// Recurrent cells (ctgrad::cell, expr/cells.hpp) for tests/interop/torch_cells.py:
// each cell's loss sum(next * g) and its gradient by every operand (by g:
// the next state itself) at deterministic random values (support.hpp's),
// in double, as JSON; then each cell scanned over a sequence (ctgrad::scan,
// expr/scan.hpp), the loss sum(h[1..T] * g) over the states' h part.
//
//   ctgrad_torch_cells OUT.json
#include <ctgrad/ctgrad.hpp>

#include "../support.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

namespace {

using namespace ctgrad;

constexpr std::size_t B = 3, I = 4, H = 5, T = 6;

template <std::size_t N>
std::string json_array(const std::array<double, N>& values) {
  std::string s = "[";
  char number[32];
  for (std::size_t k = 0; k != N; ++k) {
    std::snprintf(number, sizeof number, "%.17g", values[k]);
    s += (k == 0 ? "" : ", ") + std::string(number);
  }
  return s + "]";
}

/// A loss of a cell of Gates gates and a state of StateParts blocks of H,
/// loss_of(x, h, W_ih, W_hh, b_ih, b_hh, g), at random values: the inputs,
/// loss and gradients (by g: the states themselves) as a JSON object;
/// Steps is the length of a sequence x (0: one step).
template <std::size_t Gates, std::size_t StateParts, std::size_t Steps, class X, class G, class Loss>
std::string run_case(std::string_view name, std::uint64_t seed, X x, G g, Loss loss_of) {
  constexpr param<"h", shape<B, StateParts * H>> h;
  constexpr param<"W_ih", shape<Gates * H, I>> w_ih;
  constexpr param<"W_hh", shape<Gates * H, H>> w_hh;
  constexpr param<"b_ih", shape<Gates * H>> b_ih;
  constexpr param<"b_hh", shape<Gates * H>> b_hh;
  using loss_t = decltype(loss_of(x, h, w_ih, w_hh, b_ih, b_hh, g));
  constexpr auto kernel = compile(loss_t{}, wrt(x, h, w_ih, w_hh, b_ih, b_hh, g));

  const auto fill = [&]<std::size_t N>(std::array<double, N>& a) {
    const auto points = test::random_points(-1, 1, static_cast<int>(N), seed++);
    std::copy(points.begin(), points.end(), a.begin());
  };
  std::array<double, shape_of<X>::size> vx{};
  std::array<double, B * StateParts * H> vh{};
  std::array<double, shape_of<G>::size> vg{};
  std::array<double, Gates * H * I> vwi{};
  std::array<double, Gates * H * H> vwh{};
  std::array<double, Gates * H> vbi{}, vbh{};
  fill(vx), fill(vh), fill(vwi), fill(vwh), fill(vbi), fill(vbh), fill(vg);
  auto ws = std::make_unique<workspace<std::remove_const_t<decltype(kernel)>, double>>();
  const double loss = kernel(*ws, x = vx, h = vh, w_ih = vwi, w_hh = vwh, b_ih = vbi, b_hh = vbh, g = vg);
  const auto gradient = [&](auto leaf) {
    std::array<double, shape_of<decltype(leaf)>::size> out{};
    std::copy(ws->gradient(leaf).begin(), ws->gradient(leaf).end(), out.begin());
    return json_array(out);
  };
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", loss);
  return "{\"cell\": \"" + std::string(name) + "\", " +
         (Steps != 0 ? "\"steps\": " + std::to_string(Steps) + ", " : std::string()) +
         "\"batch\": " + std::to_string(B) + ", \"inputs\": " + std::to_string(I) +
         ", \"hidden\": " + std::to_string(H) + ", \"values\": {\"x\": " + json_array(vx) +
         ", \"h\": " + json_array(vh) + ", \"W_ih\": " + json_array(vwi) + ", \"W_hh\": " + json_array(vwh) +
         ", \"b_ih\": " + json_array(vbi) + ", \"b_hh\": " + json_array(vbh) + ", \"g\": " + json_array(vg) +
         "}, \"loss\": " + text + ", \"gradients\": {\"x\": " + gradient(x) + ", \"h\": " + gradient(h) +
         ", \"W_ih\": " + gradient(w_ih) + ", \"W_hh\": " + gradient(w_hh) + ", \"b_ih\": " + gradient(b_ih) +
         ", \"b_hh\": " + gradient(b_hh) + ", \"next\": " + gradient(g) + "}}";
}

/// One step of a cell: sum(next * g).
template <std::size_t Gates, std::size_t StateParts, class Cell>
std::string run(std::string_view name, std::uint64_t seed, Cell cell) {
  return run_case<Gates, StateParts, 0>(name, seed, input<"x", shape<B, I>>{}, input<"g", shape<B, StateParts * H>>{},
                                        [=](auto x, auto h, auto w_ih, auto w_hh, auto b_ih, auto b_hh, auto g) {
                                          return sum(cell(x, h, w_ih, w_hh, b_ih, b_hh) * g);
                                        });
}

/// The same cell scanned over x [B, T, I] from h0: sum(h[1..T] * g)
/// (LSTM: the h half of each state, as torch.nn.LSTM returns it).
template <std::size_t Gates, std::size_t StateParts, class Cell>
std::string run_sequence(std::string_view name, std::uint64_t seed, Cell cell) {
  return run_case<Gates, StateParts, T>(
      name, seed, input<"x", shape<B, T, I>>{}, input<"g", shape<B, T, H>>{},
      [=](auto x, auto h, auto w_ih, auto w_hh, auto b_ih, auto b_hh, auto g) {
        const auto states = scan(x, h, [=](auto x_t, auto h_) { return cell(x_t, h_, w_ih, w_hh, b_ih, b_hh); });
        return sum(slice<0, H>(states) * g);
      });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.json (run by torch_cells.py)\n", argv[0]);
    return 2;
  }
  const std::string cells[] = {
      run<1, 1>("rnn_tanh", 1, [](auto... a) { return cell::rnn(a...); }),
      run<1, 1>("rnn_relu", 2, [](auto... a) { return cell::rnn<fn::relu>(a...); }),
      run<3, 1>("gru", 3, [](auto... a) { return cell::gru(a...); }),
      run<4, 2>("lstm", 4, [](auto... a) { return cell::lstm(a...); }),
      run_sequence<1, 1>("rnn_tanh", 5, [](auto... a) { return cell::rnn(a...); }),
      run_sequence<1, 1>("rnn_relu", 6, [](auto... a) { return cell::rnn<fn::relu>(a...); }),
      run_sequence<3, 1>("gru", 7, [](auto... a) { return cell::gru(a...); }),
      run_sequence<4, 2>("lstm", 8, [](auto... a) { return cell::lstm(a...); }),
  };
  std::ofstream out(argv[1]);
  out << "[" << cells[0];
  for (std::size_t k = 1; k != std::size(cells); ++k) out << ",\n" << cells[k];
  out << "]\n";
  return out.flush() ? 0 : 1;
}
