#include "auth/token_verifier.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "net/client.h"

namespace payedge {
namespace {

constexpr size_t kMaxJwksBytes = 1024 * 1024;

Result<std::string> read_jwks_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kInvalidRequest, "cannot read jwks_file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = std::move(text).str();
  if (s.size() > kMaxJwksBytes) return fail(ErrorCode::kInvalidRequest, "jwks_file too large");
  return s;
}

Result<FetchRequest> jwks_request(const JwksSource& source) {
  auto ep = parse_http_url(source.url);
  if (!ep) return fail(ErrorCode::kInvalidRequest, "jwks_url: " + ep.error().detail);
  // https (Supabase's JWKS) through the shared client: chain and host verified.
  FetchRequest r = FetchRequest::to(*ep, "");
  if (r.target.empty()) r.target = "/";
  r.method = http::verb::get;
  r.headers = {{"Accept", "application/json"}};
  r.timeout_ms = source.timeout_ms;
  return r;
}

Result<std::string> body_of(const FetchResult& r) {
  if (r.status == 200) return r.body;
  if (r.status == 0) {
    return fail(ErrorCode::kInternal,
                "JWKS fetch failed: " + (r.timed_out ? std::string("timeout") : r.error));
  }
  return fail(ErrorCode::kInternal, "JWKS fetch answered HTTP " + std::to_string(r.status));
}

}  // namespace

// The waiters of a refresh under way sleep on a timer that the refresh cancels when it is done.
struct TokenVerifier::Waiters {
  explicit Waiters(asio::io_context& ioc) : done(ioc) {
    done.expires_at(asio::steady_timer::time_point::max());
  }
  asio::steady_timer done;
};

TokenVerifier::TokenVerifier(asio::io_context& ioc, asio::thread_pool& pool, AuthPolicy policy,
                             std::string hs256_secret, JwksSource source,
                             std::function<void(const std::string&)> notice)
    : ioc_(ioc),
      pool_(pool),
      policy_(std::move(policy)),
      secret_(std::move(hs256_secret)),
      source_(std::move(source)),
      notice_(std::move(notice)),
      keys_(std::make_shared<const KeySet>()) {}

TokenVerifier::~TokenVerifier() = default;

void TokenVerifier::tell(const std::string& message) const {
  if (notice_) {
    notice_(message);
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
    std::fflush(stderr);
  }
}

Status TokenVerifier::install(const Result<std::string>& document, const char* why) {
  ++refreshes_;
  const size_t cached = key_count();
  if (!document) {
    tell("auth: JWKS " + std::string(why) + " failed (" + document.error().detail + "); keeping " +
         std::to_string(cached) + " cached key(s)");
    return std::unexpected(document.error());
  }
  auto set = parse_jwks(*document);
  if (!set) {
    tell("auth: JWKS " + std::string(why) + " unusable (" + set.error().detail + "); keeping " +
         std::to_string(cached) + " cached key(s)");
    return std::unexpected(set.error());
  }
  for (const auto& skipped : set->skipped) tell("auth: JWKS key skipped: " + skipped);
  keys_ = std::make_shared<const KeySet>(std::move(*set));
  return {};
}

Status TokenVerifier::load_now(std::vector<std::string>& notices) {
  if (!has_source()) return {};
  auto keep = std::move(notice_);
  notice_ = [&notices](const std::string& m) { notices.push_back(m); };
  Status st;
  if (!source_.file.empty()) {
    st = install(read_jwks_file(source_.file), "load");
  } else if (auto request = jwks_request(source_); !request) {
    st = std::unexpected(request.error());
  } else {
    st = install(body_of(fetch_blocking(std::move(*request))), "fetch");
  }
  notice_ = std::move(keep);
  return st;
}

void TokenVerifier::start() {
  if (!has_source() || source_.refresh_s <= 0) return;
  timer_ = std::make_unique<asio::steady_timer>(ioc_);
  asio::co_spawn(ioc_, refresh_periodically(), asio::detached);
}

void TokenVerifier::stop() {
  stopping_ = true;
  if (timer_) timer_->cancel();
}

awaitable<Result<std::string>> TokenVerifier::load_document() {
  if (!source_.file.empty()) {
    std::string path = source_.file;
    co_return co_await run_blocking(pool_, [path] { return read_jwks_file(path); });
  }
  auto request = jwks_request(source_);
  if (!request) co_return std::unexpected(request.error());
  co_return body_of(co_await http_fetch(std::move(*request)));
}

awaitable<void> TokenVerifier::refresh(const char* why) {
  if (in_flight_) {
    // One fetch at a time: a burst of tokens with a new kid waits for the same one.
    auto waiters = in_flight_;
    boost::system::error_code ec;
    co_await waiters->done.async_wait(asio::redirect_error(use_awaitable, ec));
    co_return;
  }
  in_flight_ = std::make_shared<Waiters>(ioc_);
  Result<std::string> document = fail(ErrorCode::kInternal, "JWKS fetch failed");
  try {
    document = co_await load_document();
  } catch (const std::exception& e) {
    document = fail(ErrorCode::kInternal, std::string("JWKS fetch failed: ") + e.what());
  }
  (void)install(document, why);
  auto done = std::move(in_flight_);
  done->done.cancel();
}

awaitable<void> TokenVerifier::refresh_periodically() {
  while (!stopping_) {
    timer_->expires_after(std::chrono::seconds(source_.refresh_s));
    boost::system::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(use_awaitable, ec));
    if (stopping_) break;
    co_await refresh("refresh");
  }
}

awaitable<Result<JwtClaims>> TokenVerifier::verify(std::string token, EpochMs now) {
  auto header = read_jwt_header(token);
  if (header && (header->alg == "ES256" || header->alg == "RS256") && !header->kid.empty() &&
      has_source() && !keys_->by_kid.contains(header->kid)) {
    const auto steady_now = std::chrono::steady_clock::now();
    if (in_flight_) {
      co_await refresh("refresh");  // waits for the one under way
    } else if (!unknown_kid_refreshed_ || steady_now - last_unknown_kid_refresh_ >=
                                              std::chrono::seconds(source_.min_refresh_s)) {
      // A rotated key: fetch the set again, at most once per min_refresh_s whatever the kids.
      unknown_kid_refreshed_ = true;
      last_unknown_kid_refresh_ = steady_now;
      co_await refresh("refresh on unknown kid");
    }
  }
  const auto keys = keys_;
  co_return verify_jwt(token, VerifyKeys{secret_, keys}, policy_, now);
}

}  // namespace payedge
