// libFuzzer target: JWT verification must never crash and never accept a token it did not sign.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/jwt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  auto claims = payedge::verify_jwt(token, "fuzz-jwt-secret", 1'800'000'000'000);
  if (claims && token.find('.') == std::string_view::npos) std::abort();
  return 0;
}
