#include "auth/dev_keys.h"

#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace payedge {
namespace {

using nlohmann::json;

// The private key is written 0600 from the start, then renamed into place.
Status write_private_pem(const std::string& path, EVP_PKEY* key) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return fail(ErrorCode::kInvalidRequest, "cannot write " + tmp);
  FILE* f = ::fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    return fail(ErrorCode::kInvalidRequest, "cannot write " + tmp);
  }
  const bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail(ErrorCode::kInvalidRequest, "cannot write " + path);
  }
  return {};
}

Status write_text(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return fail(ErrorCode::kInvalidRequest, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(ErrorCode::kInvalidRequest, "cannot write " + path);
  }
  return {};
}

}  // namespace

Result<SigningKey> init_dev_keys(const std::string& dir, int keep_old) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kInvalidRequest, "cannot create " + dir + ": " + ec.message());
  PkeyPtr key = wrap_pkey(EVP_EC_gen("P-256"));
  if (!key) return fail(ErrorCode::kInternal, "EC key generation failed");
  auto kid = jwk_thumbprint(key.get());
  if (!kid) return std::unexpected(kid.error());
  auto jwk = public_jwk_json(key.get(), *kid);
  if (!jwk) return std::unexpected(jwk.error());

  json keys = json::array({json::parse(*jwk)});
  const std::string jwks_path = dir + "/jwks.json";
  if (std::ifstream in(jwks_path); in) {
    std::stringstream text;
    text << in.rdbuf();
    const json old = json::parse(text.str(), nullptr, false);
    if (old.is_discarded() || !old.is_object() || !old.contains("keys") ||
        !old["keys"].is_array()) {
      return fail(ErrorCode::kInvalidRequest, jwks_path + " is not a JWKS; move it away first");
    }
    int kept = 0;
    for (const json& k : old["keys"]) {
      if (kept++ >= keep_old) break;
      keys.push_back(k);
    }
  }
  // The private key first: a jwks.json naming a key whose private half is lost is worse than
  // the reverse (the next --init-keys repairs it).
  if (auto st = write_private_pem(dir + "/private.pem", key.get()); !st) {
    return std::unexpected(st.error());
  }
  if (auto st = write_text(jwks_path, json{{"keys", keys}}.dump(2) + "\n"); !st) {
    return std::unexpected(st.error());
  }
  return SigningKey{std::move(key), std::move(*kid)};
}

Result<SigningKey> load_signing_key(const std::string& dir) {
  const std::string path = dir + "/private.pem";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) {
    return fail(ErrorCode::kInvalidRequest,
                "cannot read " + path + " (create it with: payedge token --init-keys " + dir + ")");
  }
  PkeyPtr key = wrap_pkey(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!key) return fail(ErrorCode::kInvalidRequest, path + " is not a PEM private key");
  auto kid = jwk_thumbprint(key.get());
  if (!kid) return std::unexpected(kid.error());
  return SigningKey{std::move(key), std::move(*kid)};
}

}  // namespace payedge
