// ctgrad/nn.hpp — the layer API: dense and activation layers, sequential
// networks, models that own their parameters, optimizers, initialisers,
// weights on disk and compiled in.
#pragma once

#include "nn/embed.hpp"  // save_parameters_header, predictor: weights as code
#include "nn/init.hpp"   // random_bits, init::zeros/uniform/normal/xavier_*/he_*
#include "nn/io.hpp"     // save_weights, load_weights
#include "nn/model.hpp"  // dense, activation, sequential, model, losses
#include "nn/optim.hpp"  // sgd, momentum, adam
#include "nn/stream.hpp"  // stream: a recurrent model one sample at a time
#include "nn/work.hpp"   // train_step_work, predict_work: flops and bytes
