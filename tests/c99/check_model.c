/* The C99 a model emits (nn::to_c99), checked against what the C++ model
   computed (emit_models.cpp): predictions, loss, gradients, and the loss and
   parameters after every step of SGD and of Adam, bit for bit; and a step
   on data that is not finite changes nothing.  Built for one model:
     cc -std=c99 -DMODEL=small -DMODEL_MACROS=SMALL -DMODEL_HEADER='"small.h"' -DREFERENCE='"small_reference.h"'
   check_model.c small.c -lm Prints what differs; exits 1 if anything does. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include MODEL_HEADER
#include REFERENCE

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define F(suffix) CAT(MODEL, suffix)        /* a function or type */
#define U(suffix) CAT(MODEL_MACROS, suffix) /* a macro */
#define STR2(a) #a
#define STR(a) STR2(a)

enum { N = sizeof reference_gradients / sizeof reference_gradients[0] };
enum { IN = sizeof reference_x / sizeof reference_x[0] / STEPS };  /* a batch of x */
enum { OUT = sizeof reference_t / sizeof reference_t[0] / STEPS }; /* a batch of t */

static int failures = 0;

/* Every element of got equals want, bit for bit (as numbers: -0 == 0 is not
   accepted, NaN never). */
static void same(const char* what, const REAL* got, const REAL* want, int n) {
  int k;
  for (k = 0; k != n; ++k)
    if (memcmp(&got[k], &want[k], sizeof(REAL)) != 0) {
      printf("%s: %s[%d] is %.17g, the C++ model's is %.17g\n", STR(MODEL), what, k, (double)got[k], (double)want[k]);
      ++failures;
      return;
    }
}

static F(_workspace) ws;
static REAL parameters[U(_PARAMETER_COUNT)];
static F(_adam_state) adam_state;

int main(void) {
  REAL y[U(_OUTPUTS)], loss, losses[STEPS];
  int r, s;
  if (N != U(_PARAMETER_COUNT) || IN != U(_BATCH) * U(_INPUTS) || OUT != U(_BATCH) * U(_OUTPUTS)) {
    printf("%s: the reference data do not fit the emitted model\n", STR(MODEL));
    return 1;
  }
  memcpy(parameters, F(_parameters), sizeof parameters);

  for (r = 0; r != U(_BATCH); ++r) {
    F(_predict)(parameters, reference_x + r * U(_INPUTS), y, &ws);
    same("prediction", y, reference_predictions + r * U(_OUTPUTS), U(_OUTPUTS));
  }
  loss = F(_loss_and_gradient)(parameters, reference_x, reference_t, &ws);
  same("loss", &loss, reference_loss, 1);
  same("gradient", F(_gradients)(&ws), reference_gradients, N);

  {
    F(_sgd) config;
    config.learning_rate = SGD_LEARNING_RATE;
    config.weight_decay = SGD_WEIGHT_DECAY;
    for (s = 0; s != STEPS; ++s) {
      if (!F(_train_step_sgd)(parameters, reference_x + s * IN, reference_t + s * OUT, config, &ws, &losses[s]))
        printf("%s: SGD step %d skipped\n", STR(MODEL), s), ++failures;
      same("parameter after an SGD step", parameters, reference_sgd_parameters + s * N, N);
    }
    same("loss of an SGD step", losses, reference_sgd_losses, STEPS);
  }

  memcpy(parameters, F(_parameters), sizeof parameters);
  {
    F(_adam) config;
    config.learning_rate = ADAM_LEARNING_RATE;
    config.beta1 = 0.9;
    config.beta2 = 0.999;
    config.epsilon = 1e-8;
    config.weight_decay = ADAM_WEIGHT_DECAY;
    for (s = 0; s != STEPS; ++s) {
      if (!F(_train_step_adam)(parameters, reference_x + s * IN, reference_t + s * OUT, config, &adam_state, &ws,
                               &losses[s]))
        printf("%s: Adam step %d skipped\n", STR(MODEL), s), ++failures;
      same("parameter after an Adam step", parameters, reference_adam_parameters + s * N, N);
    }
    same("loss of an Adam step", losses, reference_adam_losses, STEPS);

    /* Data that is not finite: the step returns 0 and changes nothing. */
    {
      static REAL x[IN], before[N];
      static F(_adam_state) state_before;
      memcpy(x, reference_x, sizeof x);
      x[IN / 2] = (REAL)NAN;
      memcpy(before, parameters, sizeof before);
      state_before = adam_state;
      if (F(_train_step_adam)(parameters, x, reference_t, config, &adam_state, &ws, &loss) != 0 || !isnan(loss))
        printf("%s: a step on NaN data was not refused\n", STR(MODEL)), ++failures;
      same("parameter after a refused step", parameters, before, N);
      if (memcmp(&state_before, &adam_state, sizeof adam_state) != 0)
        printf("%s: a refused step changed the Adam state\n", STR(MODEL)), ++failures;
    }
  }
  printf("%s: %d parameters; predictions, loss, gradients, %d SGD and %d Adam steps: %s\n", STR(MODEL), N, STEPS, STEPS,
         failures == 0 ? "the C++ model's bits" : "DIFFERENT");
  return failures == 0 ? 0 : 1;
}
