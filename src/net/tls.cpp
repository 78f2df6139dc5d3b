#include "net/tls.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>

namespace payedge {
namespace {

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

void require_tls12(ssl::context& ctx) {
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
}

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Freer<X509, X509_free>>;

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key`, named `cn`, signed by `issuer_key` (issuer == nullptr: self-signed).
X509Ptr make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                  long not_before_s, long not_after_s,
                  const std::vector<std::pair<int, std::string>>& extensions) {
  X509Ptr cert(X509_new());
  if (!cert) return nullptr;
  X509_set_version(cert.get(), 2);  // v3
  BIGNUM* serial = BN_new();
  BN_rand(serial, 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("payedge simulator"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  for (const auto& [nid, value] : extensions) {
    if (!add_ext(cert.get(), signer, nid, value)) return nullptr;
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return nullptr;
  return cert;
}

Status write_pem(const std::string& path, bool secret, auto write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, secret ? 0600 : 0644);
  if (fd < 0) return fail(ErrorCode::kInvalidRequest, "cannot write " + path);
  std::FILE* f = fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    return fail(ErrorCode::kInvalidRequest, "cannot write " + path);
  }
  const bool ok = write(f) == 1;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) return fail(ErrorCode::kInternal, "cannot write " + path);
  return {};
}

}  // namespace

Result<std::shared_ptr<ssl::context>> client_tls_context(const std::string& ca_file) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<ssl::context>> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(ca_file); it != cache.end()) return it->second;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  require_tls12(*ctx);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec)
      return fail(ErrorCode::kInternal, "the system CA store cannot be read: " + ec.message());
  } else {
    if (!std::filesystem::is_regular_file(ca_file))
      return fail(ErrorCode::kInvalidRequest, "CA file " + ca_file + " is not a readable file");
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      ERR_clear_error();
      return fail(ErrorCode::kInvalidRequest,
                  "CA file " + ca_file + " holds no PEM certificate (" + ec.message() + ")");
    }
  }
  cache.emplace(ca_file, ctx);
  return ctx;
}

Result<std::shared_ptr<ssl::context>> server_tls_context(const std::string& cert_file,
                                                         const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  require_tls12(*ctx);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    ERR_clear_error();
    return fail(ErrorCode::kInvalidRequest,
                "TLS certificate " + cert_file + " cannot be used: " + ec.message());
  }
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    ERR_clear_error();
    return fail(ErrorCode::kInvalidRequest,
                "TLS key " + key_file + " cannot be used: " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::kInvalidRequest,
                "TLS key " + key_file + " does not match the certificate");
  }
  return ctx;
}

Status write_self_signed(const std::string& dir, const SelfSignedOptions& o) {
  std::error_code fs_ec;
  std::filesystem::create_directories(dir, fs_ec);
  if (fs_ec) return fail(ErrorCode::kInvalidRequest, "cannot create " + dir);
  PkeyPtr ca_key(EVP_EC_gen("P-256"));
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!ca_key || !key) return fail(ErrorCode::kInternal, "key generation: " + openssl_reason());
  X509Ptr ca = make_cert(ca_key.get(), "payedge throwaway CA", nullptr, ca_key.get(),
                         o.not_before_s, o.not_after_s,
                         {{NID_basic_constraints, "critical,CA:TRUE"},
                          {NID_key_usage, "critical,keyCertSign,cRLSign"},
                          {NID_subject_key_identifier, "hash"}});
  if (!ca) return fail(ErrorCode::kInternal, "CA certificate: " + openssl_reason());
  std::string san;
  for (const auto& d : o.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& ip : o.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  std::vector<std::pair<int, std::string>> exts = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                   {NID_key_usage, "critical,digitalSignature"},
                                                   {NID_ext_key_usage, "serverAuth"},
                                                   {NID_subject_key_identifier, "hash"},
                                                   {NID_authority_key_identifier, "keyid:always"}};
  if (!san.empty()) exts.emplace_back(NID_subject_alt_name, san);
  const std::string cn = !o.dns_names.empty()      ? o.dns_names.front()
                         : !o.ip_addresses.empty() ? o.ip_addresses.front()
                                                   : "payedge";
  X509Ptr cert =
      make_cert(key.get(), cn, ca.get(), ca_key.get(), o.not_before_s, o.not_after_s, exts);
  if (!cert) return fail(ErrorCode::kInternal, "server certificate: " + openssl_reason());
  const std::string base = dir + "/";
  if (auto st = write_pem(base + "ca.pem", false,
                          [&](std::FILE* f) { return PEM_write_X509(f, ca.get()); });
      !st) {
    return st;
  }
  if (auto st = write_pem(base + "cert.pem", false,
                          [&](std::FILE* f) { return PEM_write_X509(f, cert.get()); });
      !st) {
    return st;
  }
  return write_pem(base + "key.pem", true, [&](std::FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}

}  // namespace payedge
