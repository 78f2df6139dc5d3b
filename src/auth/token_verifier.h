// `serve`'s token check: the legacy HS256 secret plus the project's JWKS, cached. The JWKS is
// fetched with the shared outbound client as a coroutine on the I/O thread (the thread never
// waits on the network) or read from a file on the store pool; it is refreshed every
// `refresh_s`, and on a token with an unknown `kid` at most once per `min_refresh_s` (key
// rotation without a restart). A refresh that fails keeps the keys already cached and says so on
// stderr. All state is touched from the one I/O thread of `serve` (asio::io_context(1)).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/jwt.h"
#include "core/time.h"
#include "net/asio.h"

namespace payedge {

struct JwksSource {
  std::string url;   // http(s)://…/auth/v1/.well-known/jwks.json
  std::string file;  // or a file with the same document
  int refresh_s = 600;
  int min_refresh_s = 30;
  int timeout_ms = 5000;
};

class TokenVerifier {
 public:
  // `notice` receives operator messages (refresh failures); stderr when not given.
  TokenVerifier(asio::io_context& ioc, asio::thread_pool& pool, AuthPolicy policy,
                std::string hs256_secret, JwksSource source,
                std::function<void(const std::string&)> notice = {});
  ~TokenVerifier();

  // The first load, before `serve` listens (blocking: nothing is served yet). A JWKS that
  // cannot be had is an error; `serve` stops on a broken `jwks_file` and only warns for a URL
  // (the refreshes keep trying, HS256 tokens keep working).
  // Messages for the operator (skipped keys) go to `notices` ('listening on' comes first).
  Status load_now(std::vector<std::string>& notices);
  // Starts the periodic refresh. No-op without a source.
  void start();
  void stop();

  awaitable<Result<JwtClaims>> verify(std::string token, EpochMs now);

  size_t key_count() const { return keys_ ? keys_->by_kid.size() : 0; }
  unsigned long long refreshes() const { return refreshes_; }

 private:
  struct Waiters;
  bool has_source() const { return !source_.url.empty() || !source_.file.empty(); }
  awaitable<void> refresh(const char* why);
  awaitable<Result<std::string>> load_document();
  Status install(const Result<std::string>& document, const char* why);
  awaitable<void> refresh_periodically();
  void tell(const std::string& message) const;

  asio::io_context& ioc_;
  asio::thread_pool& pool_;
  AuthPolicy policy_;
  std::string secret_;
  JwksSource source_;
  std::function<void(const std::string&)> notice_;
  std::shared_ptr<const KeySet> keys_;
  std::shared_ptr<Waiters> in_flight_;  // a refresh under way; others wait for it
  std::chrono::steady_clock::time_point last_unknown_kid_refresh_{};
  bool unknown_kid_refreshed_ = false;
  unsigned long long refreshes_ = 0;
  std::unique_ptr<asio::steady_timer> timer_;
  bool stopping_ = false;
};

}  // namespace payedge
