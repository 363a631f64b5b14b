# Checks that each snippet in docs/*.md is the marked region of a compiled
# source.  A snippet is written as
#   <!-- snippet: examples/file.cpp#name -->
#   ```cpp
#   ...
#   ```
# and the source marks the region with lines `// [name]` before and after.
file(GLOB pages ${DOCS}/*.md)
set(count 0)
foreach(page IN LISTS pages)
  file(READ ${page} text)
  string(REGEX MATCHALL "<!-- snippet: [^ ]+ -->\n```cpp\n[^`]*```" blocks "${text}")
  foreach(block IN LISTS blocks)
    string(REGEX REPLACE "^<!-- snippet: ([^#]+)#([^ ]+) -->.*" "\\1" file "${block}")
    string(REGEX REPLACE "^<!-- snippet: ([^#]+)#([^ ]+) -->.*" "\\2" name "${block}")
    string(REGEX REPLACE "^<!-- snippet: [^\n]*\n```cpp\n(.*)```$" "\\1" shown "${block}")
    file(READ ${DOCS}/${file} source)
    set(marker "// [${name}]\n")
    string(FIND "${source}" "${marker}" begin)
    if(begin EQUAL -1)
      message(FATAL_ERROR "${page}: ${file} has no region '${name}'")
    endif()
    string(LENGTH "${marker}" marker_length)
    math(EXPR begin "${begin} + ${marker_length}")
    string(SUBSTRING "${source}" ${begin} -1 rest)
    string(FIND "${rest}" "// [${name}]" end)
    string(SUBSTRING "${rest}" 0 ${end} region)
    # The region may be indented in its source; the page shows it dedented.
    string(REGEX MATCH "^ *" indent "${region}")
    string(LENGTH "${indent}" indent_length)
    if(indent_length GREATER 0)
      string(REGEX REPLACE "(^|\n)${indent}" "\\1" region "${region}")
      string(REGEX REPLACE "\n *$" "\n" region "${region}")
    endif()
    if(NOT region STREQUAL shown)
      message(FATAL_ERROR "${page}: the snippet ${file}#${name} differs from its source.\n--- page:\n${shown}--- source:\n${region}")
    endif()
    math(EXPR count "${count} + 1")
  endforeach()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "no snippets found in ${DOCS}")
endif()
message(STATUS "${count} snippets match their sources")
