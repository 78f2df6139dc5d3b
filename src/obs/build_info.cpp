#include "obs/build_info.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "payedge_version.h"

#ifndef PAYEDGE_BUILD_TYPE
#define PAYEDGE_BUILD_TYPE "unknown"
#endif

namespace payedge {
namespace {

std::string compiler() {
#if defined(__clang__)
  return fmt::format("Clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

// PQlibVersion: major * 10000 + minor since PostgreSQL 10.
std::string libpq_version() {
  const int v = PQlibVersion();
  return fmt::format("{}.{}", v / 10000, v % 10000);
}

}  // namespace

const BuildInfo& build_info() {
  static const BuildInfo info{PAYEDGE_VERSION,      compiler(),
                              PAYEDGE_BUILD_TYPE,   OpenSSL_version(OPENSSL_VERSION),
                              sqlite3_libversion(), libpq_version()};
  return info;
}

std::string version_text() {
  const BuildInfo& b = build_info();
  return fmt::format(
      "payedge {}\ncompiler: {}\nbuild type: {}\nOpenSSL: {}\nSQLite: {}\nlibpq: {}\n", b.version,
      b.compiler, b.build_type, b.openssl, b.sqlite, b.libpq);
}

}  // namespace payedge
