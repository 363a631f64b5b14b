# docs.demo: runs the main demo and checks it against the classic
# walk-through (backprop.md §4): it must exit with 0 and print the eight
# textbook formulas, the published first-step numbers and the loss after
# 10,000 updates.  Usage: cmake -DDEMO=<path of ctgrad_demo> -P check_demo.cmake
execute_process(COMMAND ${DEMO} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "the demo failed (exit status ${status}):\n${out}${err}")
endif()

set(d_out_o1 "out_o1*(1 - out_o1)*(out_o1 - t1)")
set(d_out_o2 "out_o2*(1 - out_o2)*(out_o2 - t2)")
set(expected
  "dE/dw1 = i1*out_h1*(1 - out_h1)*(w5*${d_out_o1} + w7*${d_out_o2})"
  "dE/dw2 = i2*out_h1*(1 - out_h1)*(w5*${d_out_o1} + w7*${d_out_o2})"
  "dE/dw3 = i1*out_h2*(1 - out_h2)*(w6*${d_out_o1} + w8*${d_out_o2})"
  "dE/dw4 = i2*out_h2*(1 - out_h2)*(w6*${d_out_o1} + w8*${d_out_o2})"
  "dE/dw5 = out_h1*${d_out_o1}"
  "dE/dw6 = out_h2*${d_out_o1}"
  "dE/dw7 = out_h1*${d_out_o2}"
  "dE/dw8 = out_h2*${d_out_o2}"
  "E at the starting weights = 0.298371109"
  # The published partial dE/dw5 and the eight updated weights (rounded to 8 places).
  "w5      0.40    0.0821670406    0.35891648"
  "0.14978072" "0.19956143" "0.24975114" "0.29950229" "0.40866619" "0.51130127" "0.56137012"
  "1  0.291027774"
  "10000  0.000035102")
foreach(line IN LISTS expected)
  string(FIND "${out}" "${line}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the demo's output lacks \"${line}\":\n${out}")
  endif()
endforeach()
