// TLS settings shared by the HTTP client and server: OpenSSL contexts through Boost.Asio SSL, and
// a throwaway CA + localhost certificate for the simulator (`sim --tls-self-signed DIR`).
#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "net/asio.h"

namespace payedge {

namespace ssl = boost::asio::ssl;

// A client context: TLS ≥ 1.2, peer verification on, trusting `ca_file` (PEM) or, when empty, the
// system store (Debian's ca-certificates; OpenSSL's default paths, so SSL_CERT_FILE works too).
// Loaded once per file and shared (an SSL_CTX is safe to share once set up).
Result<std::shared_ptr<ssl::context>> client_tls_context(const std::string& ca_file);

// A server context from a PEM certificate chain and its private key; TLS ≥ 1.2.
Result<std::shared_ptr<ssl::context>> server_tls_context(const std::string& cert_file,
                                                         const std::string& key_file);

// What `write_self_signed` issues. The defaults are what `sim --tls-self-signed` writes; tests
// change them to make certificates a client must refuse (another host, expired).
struct SelfSignedOptions {
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1"};
  long not_before_s = -3600;       // relative to now
  long not_after_s = 90L * 86400;  // relative to now
};

// Writes DIR/ca.pem (a new CA), DIR/cert.pem (a server certificate that CA signed) and
// DIR/key.pem (the certificate's key, mode 0600). EC P-256 keys, SHA-256 signatures; the CA's
// key is not kept.
Status write_self_signed(const std::string& dir, const SelfSignedOptions& options = {});

}  // namespace payedge
