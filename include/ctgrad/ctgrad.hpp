// ctgrad/ctgrad.hpp — everything: `#include <ctgrad/ctgrad.hpp>`.
#pragma once

#include "arithmetic.hpp"           // + - * / pow, canonical forms, ==
#include "compile/scalar_work.hpp"  // work_of<T>(kernel): multiply-adds, flops, bytes
#include "compile/tensor_work.hpp"  // (of a tensor kernel)
#include "constant.hpp"             // c<N, D>, _c
#include "derivative.hpp"           // d(e, x)
#include "eval.hpp"                 // eval(e, x = ...)
#include "expression.hpp"           // Expression, nodes::
#include "functions.hpp"            // exp log sqrt sin cos tanh sigmoid relu softplus abs
#include "gradient.hpp"             // gradient(e, x, ...)
#include "listing.hpp"              // listing(kernel): the program a kernel runs
#include "tensor.hpp"               // the tensor level: param, input, compile, layers
#include "to_string.hpp"            // to_string, to_latex
#include "var.hpp"                  // var<"x">, bindings
