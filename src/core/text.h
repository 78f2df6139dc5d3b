// Small string helpers: the header parsers' trimming, and sentences in two languages.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

namespace payedge {

// `s` without the spaces and tabs around it (HTTP's optional white space, RFC 9110 5.6.3).
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One sentence in English or Korean, both format strings checked at compile time.
template <class... A>
std::string tr_format(bool english, fmt::format_string<A...> en, fmt::format_string<A...> ko,
                      A&&... args) {
  return english ? fmt::format(en, std::forward<A>(args)...)
                 : fmt::format(ko, std::forward<A>(args)...);
}

}  // namespace payedge
