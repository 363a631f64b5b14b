# Compiles SOURCE with -DCTGRAD_SHOULD_FAIL and checks that it fails with
# every regular expression in PATTERNS in the compiler's output.
execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -DCTGRAD_SHOULD_FAIL ${INCLUDES} ${SOURCE}
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
foreach(pattern IN LISTS PATTERNS)
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "the diagnostic lacks '${pattern}':\n${out}")
  endif()
endforeach()
string(REGEX MATCHALL "error:" errors "${out}")
list(LENGTH errors n)
message(STATUS "failed as expected, ${n} error line(s)")
