# Compiles SOURCE with -DCTGRAD_SHOULD_FAIL and checks that it fails with
# exactly one error, whose output matches every regular expression in PATTERNS.
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
# One short message: exactly one diagnostic (": error: "; the text
# "ctgrad::error::variable<...>" in a message is not one).
string(REGEX MATCHALL ": (fatal )?error: " errors "${out}")
list(LENGTH errors n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected exactly one error, got ${n}:\n${out}")
endif()
message(STATUS "failed as expected, with one error")
