# The kernels as C99, end to end: emit_models writes each test model's and
# kernel's C and what the C++ code computes; every C compiler given builds
# the C with the flags a strict C code base uses and the checks run it (bit
# for bit against the C++ results).
#   cmake -DEMITTER=<emit_models> -DOUT=<dir> -DSOURCE=<tests/c99> -DCOMPILERS="gcc-12;clang-14" -P run.cmake
cmake_minimum_required(VERSION 3.21)
foreach(var EMITTER OUT SOURCE COMPILERS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake: -D${var}=... is required")
  endif()
endforeach()

file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${EMITTER} ${OUT} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "emit_models failed (${result})")
endif()

# Strict C99 as a C code base builds it, and as a performance-minded user
# does on this machine: the same bits either way.
set(strict -std=c99 -O2 -Wall -Wextra -Werror -pedantic)
set(native -std=c99 -O3 -march=native -fno-math-errno -Wall -Wextra -Werror -pedantic)
function(check compiler name kind flag_set)
  set(flags ${${flag_set}})
  get_filename_component(cc ${compiler} NAME)
  string(TOUPPER ${name} upper)
  set(exe ${OUT}/check_${name}_${cc}_${flag_set})
  if(kind STREQUAL "model")
    set(defines -DMODEL=${name} -DMODEL_MACROS=${upper} "-DMODEL_HEADER=\"${name}.h\"")
  elseif(kind STREQUAL "scalar")
    set(defines "-DKERNEL_HEADER=\"${name}.h\"")
  else()
    set(defines -DKERNEL=${upper} "-DKERNEL_HEADER=\"${name}.h\"")
  endif()
  execute_process(COMMAND ${compiler} ${flags} -I${OUT} ${defines} "-DREFERENCE=\"${name}_reference.h\""
                          ${SOURCE}/check_${kind}.c ${OUT}/${name}.c -lm -o ${exe}
                  RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(SEND_ERROR "${cc} ${flags}: ${name}.c or check_${kind}.c did not compile")
    return()
  endif()
  execute_process(COMMAND ${exe} RESULT_VARIABLE result OUTPUT_VARIABLE output)
  message(STATUS "${cc} (${flag_set}): ${output}")
  if(NOT result EQUAL 0)
    message(SEND_ERROR "${cc}: ${name} differs from the C++ code")
  endif()
endfunction()

foreach(compiler ${COMPILERS})
  foreach(flag_set strict native)
    foreach(model small classifier wide cnn pooling signal)
      check(${compiler} ${model} model ${flag_set})
    endforeach()
    foreach(kernel functions functions_float windows windows_float gates gates_float)
      check(${compiler} ${kernel} kernel ${flag_set})
    endforeach()
    foreach(kernel worked scalar_functions scalar_functions_float)
      check(${compiler} ${kernel} scalar ${flag_set})
    endforeach()
  endforeach()
endforeach()
