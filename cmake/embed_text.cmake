# cmake -DIN=file -DOUT=header -DNAME=kName -P embed_text.cmake
# Writes OUT, a C++ header holding IN as one raw string literal, so the binary carries the file
# (the dashboard page works without anything installed beside `payedge`).
file(READ "${IN}" content)
set(delim "payedge_embed")
string(FIND "${content}" ")${delim}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw string delimiter )${delim}\"")
endif()
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by cmake/embed_text.cmake; edit the source, not this file.\n"
  "#pragma once\n#include <string_view>\nnamespace payedge {\n"
  "inline constexpr std::string_view ${NAME} = R\"${delim}(${content})${delim}\";\n"
  "}  // namespace payedge\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
