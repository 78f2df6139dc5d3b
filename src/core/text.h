// Small string helpers shared by the header parsers.
#pragma once

#include <string_view>

namespace payedge {

// `s` without the spaces and tabs around it (HTTP's optional white space, RFC 9110 5.6.3).
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace payedge
