#include "auth/jwt.h"

#include <nlohmann/json.hpp>

#include "core/codec.h"

namespace payedge {
namespace {

using nlohmann::json;

Result<json> decode_part(std::string_view part, const char* what) {
  auto raw = base64url_decode(part);
  if (!raw) return fail(ErrorCode::kUnauthorized, std::string(what) + " is not base64url");
  json j = json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::kUnauthorized, std::string(what) + " is not a JSON object");
  }
  return j;
}

std::optional<std::int64_t> numeric_date(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return static_cast<std::int64_t>(it->get<double>());
}

}  // namespace

Result<JwtClaims> verify_jwt(std::string_view token, std::string_view secret, EpochMs now,
                             int clock_skew_s) {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(ErrorCode::kUnauthorized, "token is not a JWT");
  }
  auto header = decode_part(token.substr(0, dot1), "header");
  if (!header) return std::unexpected(header.error());
  // The algorithm is pinned: "none", RS256 and friends are refused before any key is used.
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || *alg != "HS256") {
    return fail(ErrorCode::kUnauthorized, "alg must be HS256");
  }
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature) return fail(ErrorCode::kUnauthorized, "signature is not base64url");
  const auto expected = hmac_sha256(secret, token.substr(0, dot2));
  if (!constant_time_equal(*signature, expected)) {
    return fail(ErrorCode::kUnauthorized, "bad signature");
  }
  auto claims = decode_part(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload");
  if (!claims) return std::unexpected(claims.error());

  const std::int64_t now_s = now / 1000;
  auto exp = numeric_date(*claims, "exp");
  if (!exp) return fail(ErrorCode::kUnauthorized, "exp is required");
  if (now_s >= *exp + clock_skew_s) return fail(ErrorCode::kUnauthorized, "token expired");
  if (auto nbf = numeric_date(*claims, "nbf"); nbf && now_s + clock_skew_s < *nbf) {
    return fail(ErrorCode::kUnauthorized, "token not yet valid");
  }
  auto sub = claims->find("sub");
  if (sub == claims->end() || !sub->is_string() || sub->get_ref<const std::string&>().empty() ||
      sub->get_ref<const std::string&>().size() > 128) {
    return fail(ErrorCode::kUnauthorized, "sub is missing");
  }
  return JwtClaims{sub->get<std::string>(), *exp * 1000};
}

std::string sign_jwt(std::string_view sub, std::string_view secret, EpochMs now, int ttl_s) {
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  const json claims = {
      {"sub", sub}, {"role", "authenticated"}, {"iat", now / 1000}, {"exp", now / 1000 + ttl_s}};
  std::string signing_input =
      base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  return signing_input + "." + base64url_encode(hmac_sha256(secret, signing_input));
}

}  // namespace payedge
