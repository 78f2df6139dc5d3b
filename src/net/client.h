// The one outbound HTTP(S) client: HTTP/1.1 over TCP or TLS (OpenSSL through Boost.Asio SSL),
// with a keep-alive connection pool per host. Used by the Toss client, the alert sinks, the
// simulator's webhook sender and the demo. Plain http:// is for loopback hosts only.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "net/asio.h"

namespace payedge {

// "http(s)://host[:port]/prefix" → its parts. http:// is refused unless the host is a loopback
// address (127.0.0.0/8, ::1, localhost): nothing leaves the machine in clear text.
struct HttpEndpoint {
  bool tls = false;
  std::string host;    // without the brackets of an IPv6 literal
  std::string port;    // 443 / 80 when the URL has none
  std::string prefix;  // path before the API's own paths, without a trailing slash
};
Result<HttpEndpoint> parse_http_url(const std::string& url);
bool is_loopback_host(const std::string& host);

struct FetchRequest {
  std::string host;
  std::string port;
  bool tls = false;     // https: TLS ≥ 1.2, chain and host name verified
  std::string ca_file;  // PEM CA bundle to trust instead of the system store ("" = system)
  http::verb method = http::verb::get;
  std::string target = "/";
  std::string body;  // sent as application/json when not empty
  std::vector<std::pair<std::string, std::string>> headers;
  int timeout_ms = 5000;  // resolve, connect, TLS handshake, write and read together

  // host, port, tls from `ep`; target = ep.prefix + path.
  static FetchRequest to(const HttpEndpoint& ep, std::string path);
};

struct FetchResult {
  int status = 0;  // 0: no HTTP answer
  bool timed_out = false;
  std::string error;
  std::string tls_error;  // non-empty: the TLS handshake or certificate check failed (why)
  std::string body;
  int latency_ms = 0;
  bool reused = false;  // went over a pooled connection
};

// A client with a connection pool: at most `max_idle_per_host` idle connections per
// (scheme, host, port, CA file), each dropped after `idle_timeout_ms` unused. A request sent on a
// pooled connection that the server had closed is sent once more on a new connection when it
// is safe to repeat (GET/HEAD, or it carries an Idempotency-Key — Go's net/http rule).
// Thread-safe; a connection is reused only on the io_context that opened it.
class HttpClient {
 public:
  struct Options {
    // Sized for the calls in flight at once: with fewer, every burst above the cap opens and
    // closes connections (against the real Toss, a TLS handshake each). At 8, 32 concurrent
    // confirms opened ~1 connection per 9 calls (bench/confirm_load.sh, docs/PERFORMANCE.md).
    int max_idle_per_host = 64;
    int idle_timeout_ms = 30'000;
  };
  HttpClient();
  explicit HttpClient(Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  awaitable<FetchResult> fetch(FetchRequest request);

  struct Stats {
    std::uint64_t connects = 0, reuses = 0, stale_retries = 0;
  };
  Stats stats();

  struct Connection;

 private:
  std::unique_ptr<Connection> take_idle(const std::string& key, const void* context);
  void give_back(std::unique_ptr<Connection> c);

  Options options_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
  Stats stats_;
};

// One exchange on a connection of its own (closed afterwards).
awaitable<FetchResult> http_fetch(FetchRequest request);

// The same exchange from a plain thread: runs its own io_context. With `client`, its pool is
// used (the caller keeps calling from that one thread).
FetchResult fetch_blocking(FetchRequest request);
FetchResult fetch_blocking(HttpClient& client, asio::io_context& io, FetchRequest request);

// The client TLS settings for a CA file ("" = the system store), loaded once and shared.
// E_INVALID_REQUEST when the file cannot be read as PEM certificates: `serve` checks its
// [toss] ca_file with this before it starts.
Status check_ca_file(const std::string& ca_file);

}  // namespace payedge
