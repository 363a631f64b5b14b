/* The C99 of a kernel (ctgrad::to_c99) checked against what the C++ kernel
   computed (emit_models.cpp): the loss and every gradient, bit for bit.
     cc -std=c99 -DKERNEL=FUNCTIONS -DKERNEL_HEADER='"functions.h"' -DREFERENCE='"functions_reference.h"' \
        check_kernel.c functions.c -lm */
#include <stdio.h>
#include <string.h>

#include KERNEL_HEADER
#include REFERENCE

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define U(suffix) CAT(KERNEL, suffix)
#define STR2(a) #a
#define STR(a) STR2(a)

static REAL ws[U(_WORKSPACE_ELEMENTS)];

int main(void) {
  enum { N = sizeof reference_gradients / sizeof reference_gradients[0] };
  int k, failures = 0;
  if (N != U(_GRADIENT_ELEMENTS) || U(_VALUE_ELEMENTS) != 1) {
    printf("%s: the reference data do not fit the emitted kernel\n", STR(KERNEL));
    return 1;
  }
  RUN_KERNEL(ws);
  if (memcmp(&ws[U(_VALUE_OFFSET)], &reference_loss[0], sizeof(REAL)) != 0) {
    printf("%s: the loss is %.17g, the C++ kernel's %.17g\n", STR(KERNEL), (double)ws[U(_VALUE_OFFSET)],
           (double)reference_loss[0]);
    ++failures;
  }
  for (k = 0; k != N; ++k)
    if (memcmp(&ws[k], &reference_gradients[k], sizeof(REAL)) != 0) {
      printf("%s: gradient[%d] is %.17g, the C++ kernel's %.17g\n", STR(KERNEL), k, (double)ws[k],
             (double)reference_gradients[k]);
      ++failures;
    }
  printf("%s: loss and %d gradients: %s\n", STR(KERNEL), N, failures == 0 ? "the C++ kernel's bits" : "DIFFERENT");
  return failures == 0 ? 0 : 1;
}
