// What this binary is: its version (git describe at build time), compiler, build type and the
// versions of the libraries it runs on. `payedge --version` and payedge_build_info show it.
#pragma once

#include <string>

namespace payedge {

struct BuildInfo {
  std::string version;     // "v0.3-12-gabc1234-dirty", or the project version without git
  std::string compiler;    // "GCC 12.2.0"
  std::string build_type;  // "RelWithDebInfo"
  std::string openssl;     // the runtime library's own words ("OpenSSL 3.0.x ...")
  std::string sqlite;
  std::string libpq;
};

const BuildInfo& build_info();

// The `--version` text: the version on the first line, one "name: value" line per part.
std::string version_text();

}  // namespace payedge
