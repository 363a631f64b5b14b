// ctgrad/tensor.hpp — the tensor level: fixed-shape parameters and inputs,
// layers' building blocks, losses, and compiled forward + backward kernels.
#pragma once

#include "tensor/adjoint.hpp"  // grad(loss, p)
#include "tensor/conv.hpp"     // conv1d conv2d max_pool avg_pool flatten
#include "tensor/expr.hpp"     // shape, param, input, Tensor
#include "tensor/kernel.hpp"   // compile(loss, wrt(...)), workspace
#include "tensor/ops.hpp"      // + - * / matmul transpose reshape sum mean dot softmax loss::...
#include "tensor/print.hpp"    // to_string(tensor expression)
