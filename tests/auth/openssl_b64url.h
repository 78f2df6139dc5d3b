// base64url without padding, built on OpenSSL's encoder directly (not payedge's codec), so
// that the token tests do not share a bug with the code they test.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

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

}  // namespace payedge::test_util
