// ctgrad/tensor.hpp — the tensor level: fixed-shape parameters and inputs,
// layers' building blocks, losses, and compiled forward + backward kernels.
#pragma once

#include "compile/step_kernel.hpp"    // compile_step (one step of a recurrence, streaming)
#include "compile/tensor_kernel.hpp"  // compile(loss, wrt(...)), workspace
#include "expr/cells.hpp"             // cell::rnn gru lstm (one step of a recurrent cell)
#include "expr/conv.hpp"              // conv1d conv2d max_pool avg_pool flatten
#include "expr/scan.hpp"              // scan time_step last_step zeros (recurrences over time)
#include "expr/slice.hpp"             // slice concat
#include "expr/tensor_nodes.hpp"      // shape, param, input, Tensor
#include "expr/tensor_ops.hpp"        // + - * / matmul transpose reshape sum mean dot softmax loss::...
#include "print/tensor_listing.hpp"   // listing(kernel)
#include "print/tensor_printer.hpp"   // to_string, to_latex (tensor expressions)
#include "rules/tensor.hpp"           // grad(loss, p)
