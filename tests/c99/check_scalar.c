/* The C99 of a scalar gradient kernel (ctgrad::to_c99 of ctgrad::gradient)
   checked against what the C++ kernel computed (emit_models.cpp): the value
   and every partial, bit for bit.
     cc -std=c99 -DKERNEL_HEADER='"worked.h"' -DREFERENCE='"worked_reference.h"' check_scalar.c worked.c -lm */
#include <stdio.h>
#include <string.h>

#include KERNEL_HEADER
#include REFERENCE

int main(void) {
  enum { N = sizeof reference_out / sizeof reference_out[0] };
  result out;
  REAL got[N];
  int k, failures = 0;
  if (sizeof out != sizeof got) {
    printf("%s: the reference data do not fit the emitted kernel\n", KERNEL_HEADER);
    return 1;
  }
  RUN(&reference_in, &out);
  memcpy(got, &out, sizeof got);
  for (k = 0; k != N; ++k)
    if (memcmp(&got[k], &reference_out[k], sizeof(REAL)) != 0) {
      printf("%s: output %d (0: the value, then the partials) is %.17g, the C++ kernel's %.17g\n", KERNEL_HEADER, k,
             (double)got[k], (double)reference_out[k]);
      ++failures;
    }
  printf("%s: value and %d partials: %s\n", KERNEL_HEADER, N - 1,
         failures == 0 ? "the C++ kernel's bits" : "DIFFERENT");
  return failures == 0 ? 0 : 1;
}
