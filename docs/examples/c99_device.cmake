# docs/nn.md, kernels as C99: c99_export writes the trained sine net as C;
# each C compiler given builds c99_device.c with it as strict C99, and the
# device program must follow the drifted signal (its exit status).
#   cmake -DEXPORT=<c99_export> -DOUT=<dir> -DSOURCE=<docs/examples> -DCOMPILERS="gcc-12;clang-14" -P c99_device.cmake
cmake_minimum_required(VERSION 3.21)
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${EXPORT} ${OUT} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "c99_export failed (${result})")
endif()
foreach(compiler ${COMPILERS})
  get_filename_component(cc ${compiler} NAME)
  execute_process(COMMAND ${compiler} -std=c99 -O2 -Wall -Wextra -Werror -pedantic -I${OUT} ${SOURCE}/c99_device.c
                          ${OUT}/sine.c -lm -o ${OUT}/device_${cc}
                  RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${cc}: c99_device.c or sine.c did not compile as C99")
  endif()
  execute_process(COMMAND ${OUT}/device_${cc} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${cc}: the device program did not follow the drift")
  endif()
endforeach()
