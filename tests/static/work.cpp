// The work of a kernel (compile/work.hpp, nn/work.hpp) against the counts
// derived by hand from the layers' mathematics: static_assert only.
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/nn.hpp>

using namespace ctgrad;

namespace {

// sum(x ⊙ x) by x [3, 4]: the forward pass squares and sums 12 elements
// (24 flops), the gradient 2x multiplies 12 (12); no multiply-adds.
constexpr param<"x", shape<3, 4>> x;
constexpr work square_sum = work_of<float>(compile(sum(x * x), wrt(x)));
static_assert(square_sum.multiply_adds == 0 && square_sum.flops == 36);
static_assert(square_sum.parameter_bytes == 12 * sizeof(float));
static_assert(work_of<double>(compile(sum(x * x), wrt(x))).parameter_bytes == 12 * sizeof(double));

// A dense net In-H-Out at batch B: forward B In H + B H Out, the weight
// gradients as many again, and the hidden layer's delta B Out H (the
// input's is not asked for).
template <std::size_t B, std::size_t In, std::size_t H, std::size_t Out>
constexpr std::uint64_t mlp_macs = 2 * B*(In* H + H * Out) + B* Out* H;

using mlp = nn::model<nn::sequential<5, nn::dense<7, nn::tanh>, nn::dense<3>>, nn::mse, float, 4>;
constexpr work mlp_step = nn::train_step_work<mlp>();
static_assert(mlp_step.multiply_adds == mlp_macs<4, 5, 7, 3>);
static_assert(mlp_step.flops > 2 * mlp_step.multiply_adds);  // and the elementwise work
static_assert(mlp_step.workspace_bytes == sizeof(mlp::training_workspace));
// The optimizer's update, per parameter: SGD 3 flops, Adam 15.
static_assert(mlp::parameter_count == 5 * 7 + 7 + 7 * 3 + 3);
static_assert(nn::train_step_work<mlp>(nn::adam{}).flops - mlp_step.flops == mlp::parameter_count * (15 - 3));
static_assert(nn::train_step_work<mlp>(nn::momentum{.nesterov = true}).flops - mlp_step.flops ==
              mlp::parameter_count * (8 - 3));
// Predict: the forward products only, at any batch.
static_assert(nn::predict_work<mlp>().multiply_adds == 4 * (5 * 7 + 7 * 3));
static_assert(nn::predict_work<mlp, 1>().multiply_adds == 5 * 7 + 7 * 3);
static_assert(nn::predict_work<mlp, 1>().parameter_bytes == mlp::parameter_count * sizeof(float));
static_assert(nn::predict_work<mlp, 1>().workspace_bytes == sizeof(mlp::prediction_workspace<1>));

// A convolution of X [B, C, H, W] by O kernels KH x KW (padding 1: OH = H,
// OW = W) is B O OH OW C KH KW multiply-adds, and so is its kernel
// gradient; then a dense layer from O H W to 4 as above (its input's delta
// included: the convolution needs it).
using cnn = nn::model<
    nn::sequential<nn::input_shape<2, 9, 9>, nn::conv2d<3, 3, nn::relu, nn::padding<1>>, nn::flatten, nn::dense<4>>,
    nn::softmax_cross_entropy, float, 2>;
constexpr std::uint64_t conv_macs = 2 * 3 * 9 * 9 * 2 * 3 * 3, dense_macs = 2 * (3 * 9 * 9) * 4;
static_assert(nn::train_step_work<cnn>().multiply_adds == 2 * conv_macs + 3 * dense_macs);
static_assert(nn::predict_work<cnn>().multiply_adds == conv_macs + dense_macs);
// Max-pooling compares every tap, and adds nothing to the multiply-adds.
using pooled = nn::model<nn::sequential<nn::input_shape<1, 8, 8>, nn::max_pool2d<2>, nn::flatten, nn::dense<2>>,
                         nn::mse, float, 1>;
static_assert(nn::predict_work<pooled>().multiply_adds == 16 * 2);
static_assert(nn::predict_work<pooled>().flops >= 64 + 2 * 16 * 2);

// The scalar level: one flop per node evaluated.  x y + exp(x) by x and y
// evaluates x y, exp(x), their sum, and y + exp(x) (d/dy is x itself).
constexpr var<"x"> sx;
constexpr var<"y"> sy;
constexpr work scalar = work_of<double>(gradient(sx * sy + exp(sx), sx, sy));
static_assert(scalar.multiply_adds == 0 && scalar.flops == 4);
static_assert(scalar.parameter_bytes == 2 * sizeof(double) && scalar.workspace_bytes == 6 * sizeof(double));

}  // namespace
