// A GRU learns an audio effect with memory, then runs it sample by sample.
//
// The effect: a one-pole low-pass s[n] = 0.8 s[n-1] + 0.2 x[n] whose
// output is subtracted from the input before a soft clipper,
//   y[n] = tanh(2 (x[n] - 0.5 s[n]))
// (a drive with a tone control: nonlinear, and its output depends on the
// past).  A GRU of 16 with a dense readout per step is trained on windows
// of 32 samples of random tones (batch 16, Adam), then the trained model
// runs as a stream (nn::stream): one sample in, one out, the state kept
// between calls, as a plug-in's process loop would.  Exit code 0 when
// the loss has fallen below a tenth of its start and the streamed output
// equals the model's prediction over a window, bit for bit.
#include <ctgrad/nn.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>

using namespace ctgrad;

namespace {

constexpr std::size_t steps = 32, hidden = 16, batch = 16;

// [model]
using net = nn::sequential<nn::input_shape<steps, 1>, nn::gru<hidden>, nn::dense<1>>;
using model_t = nn::model<net, nn::mse, float, batch>;
// [model]

/// The effect, from silence, over n samples.
void effect(const float* x, float* y, std::size_t n) {
  float s = 0;
  for (std::size_t k = 0; k != n; ++k) {
    s = 0.8f * s + 0.2f * x[k];
    y[k] = std::tanh(2.0f * (x[k] - 0.5f * s));
  }
}

/// A test signal: two tones of random pitch and level, and a little noise.
void tones(std::mt19937& g, float* x, std::size_t n) {
  std::uniform_real_distribution<float> pitch(0.05f, 0.6f), level(0.1f, 0.8f), phase(0, 6.2831853f),
      noise(-0.02f, 0.02f);
  const float w1 = pitch(g), w2 = pitch(g), a1 = level(g), a2 = level(g), p1 = phase(g), p2 = phase(g);
  for (std::size_t k = 0; k != n; ++k)
    x[k] = a1 * std::sin(w1 * float(k) + p1) + a2 * std::sin(w2 * float(k) + p2) + noise(g);
}

}  // namespace

int main() {
  auto m = std::make_unique<model_t>();
  m->initialize(1);
  auto opt = m->make_optimizer(nn::adam{.learning_rate = 0.01});
  std::mt19937 g(7);
  std::array<float, batch * steps> x{}, y{};
  float first = 0, loss = 0;
  for (int step = 0; step != 1500; ++step) {
    for (std::size_t b = 0; b != batch; ++b) {
      tones(g, x.data() + b * steps, steps);
      effect(x.data() + b * steps, y.data() + b * steps, steps);
    }
    loss = m->train_step(opt, x, y).loss;
    if (step == 0) first = loss;
    if (step % 300 == 0 || step == 1499) std::printf("step %4d  loss %.6f\n", step, static_cast<double>(loss));
  }

  // Streaming: a window sample by sample against the model's prediction.
  // [stream]
  auto stream = std::make_unique<nn::stream<model_t>>();  // the GRU's state (zero) and a workspace
  const auto process = [&](float sample) { return (*stream)(*m, std::span<const float, 1>(&sample, 1))[0]; };
  // [stream]
  model_t::prediction_workspace<1> ws_predict;
  std::array<float, steps> window{}, expected{};
  tones(g, window.data(), steps);
  effect(window.data(), expected.data(), steps);
  const auto predicted = m->predict(ws_predict, window);
  float worst_vs_model = 0, error = 0;
  for (std::size_t k = 0; k != steps; ++k) {
    const float out = process(window[k]);
    worst_vs_model = std::max(worst_vs_model, std::abs(out - predicted[k]));
    error += (out - expected[k]) * (out - expected[k]);
  }
  std::printf("streamed %zu samples: largest difference from the model's prediction %.2g, rms error %.4f\n", steps,
              static_cast<double>(worst_vs_model), std::sqrt(static_cast<double>(error) / steps));

  // Latency per sample: a second of 48 kHz audio through the streaming step.
  std::array<float, 48000> signal{};
  tones(g, signal.data(), signal.size());
  stream->reset();
  float sink = 0;
  const auto start = std::chrono::steady_clock::now();
  for (float sample : signal) sink += process(sample);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("streaming: %.0f ns per sample (GRU step and readout), %.0fx faster than real time at 48 kHz (%g)\n",
              seconds / signal.size() * 1e9, (signal.size() / 48000.0) / seconds, static_cast<double>(sink));

  const bool learned = loss < first / 10, same = worst_vs_model == 0.0f;  // bit for bit
  std::printf("%s\n", learned && same ? "ok" : "FAILED");
  return learned && same ? 0 : 1;
}
