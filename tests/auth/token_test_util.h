// What the token tests share: base64url built on OpenSSL's encoder directly (not payedge's
// codec, so that the tests do not share a bug with the code they test), and the check that a
// token was refused as E_UNAUTHORIZED for the expected reason.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "auth/jwt.h"
#include "core/error.h"

namespace payedge::test_util {

inline std::string b64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

// A token refused with E_UNAUTHORIZED whose detail mentions `needle`.
inline testing::AssertionResult Refused(const Result<JwtClaims>& r, std::string_view needle = {}) {
  if (r) return testing::AssertionFailure() << "accepted for sub " << r->sub;
  if (r.error().code != ErrorCode::kUnauthorized) {
    return testing::AssertionFailure() << "code " << r.error().name();
  }
  if (!needle.empty() && r.error().detail.find(needle) == std::string::npos) {
    return testing::AssertionFailure()
           << "detail \"" << r.error().detail << "\" lacks \"" << needle << "\"";
  }
  return testing::AssertionSuccess();
}

}  // namespace payedge::test_util
