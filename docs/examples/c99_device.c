/* Kernels as C99, step 2: a C program, built with nothing but a C99
   compiler and <math.h>, that starts from the trained sine net
   (c99_export.cpp wrote sine.h and sine.c) and goes on training it in
   place, as a device does when its signal drifts: the sensor now reads
   0.8 sin(x) + 0.1.  No allocation: parameters, workspace and optimizer
   state are static arrays.  Exit status 0 if the net followed the drift. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sine.h"

/* A small deterministic source of samples in [-pi, pi). */
static unsigned long state = 12345;
static float sample_x(void) {
  state = (state * 1103515245UL + 12345UL) & 0x7fffffffUL;
  return (float)((double)state / 2147483648.0 * 6.283185307179586 - 3.141592653589793);
}

// [device]
static float parameters[SINE_PARAMETER_COUNT];
static sine_workspace workspace;
static sine_adam_state adam; /* zero: no step taken yet */

int main(void) {
  const sine_adam config = {0.005, 0.9, 0.999, 1e-8, 0.0}; /* learning rate, beta1, beta2, epsilon, decay */
  float x[SINE_BATCH], t[SINE_BATCH], loss = 0, first_loss = 0, y;
  int step, i;
  memcpy(parameters, sine_parameters, sizeof parameters); /* the trained values, into RAM */
  for (step = 0; step <= 800; ++step) {
    for (i = 0; i != SINE_BATCH; ++i) {
      x[i] = sample_x();
      t[i] = 0.8f * sinf(x[i]) + 0.1f; /* what the sensor reads now */
    }
    if (!sine_train_step_adam(parameters, x, t, config, &adam, &workspace, &loss))
      printf("step %d skipped: the loss or a gradient was not finite\n", step);
    if (step == 0) first_loss = loss;
    if (step % 200 == 0) printf("C step %3d  mse %.5f\n", step, loss);
  }
  x[0] = 1.5707963f;
  sine_predict(parameters, x, &y, &workspace);
  printf("f(pi/2) = %.4f (the drifted signal: 0.9)\n", y);
  return first_loss > 10 * loss && loss < 1e-3f && fabsf(y - 0.9f) < 0.05f ? 0 : 1;
}
// [device]
