// One HTTP/1.1 exchange as a coroutine: connect, write, read, with one timeout over it all.
// Used by the Toss client, the demo and the alert sinks.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "net/asio.h"

namespace payedge {

struct FetchRequest {
  std::string host;
  std::string port;
  http::verb method = http::verb::get;
  std::string target = "/";
  std::string body;  // sent as application/json when not empty
  std::vector<std::pair<std::string, std::string>> headers;
  int timeout_ms = 5000;
};

struct FetchResult {
  int status = 0;  // 0: no HTTP answer
  bool timed_out = false;
  std::string error;
  std::string body;
  int latency_ms = 0;
};

awaitable<FetchResult> http_fetch(FetchRequest request);

// The same exchange from a plain thread (the alert sinks' sender): runs its own io_context.
FetchResult fetch_blocking(FetchRequest request);

// "http://host:port/prefix" → its parts. Plain HTTP only: TLS is not built yet.
struct HttpEndpoint {
  std::string host;
  std::string port;
  std::string prefix;  // path before the API's own paths, without a trailing slash
};
Result<HttpEndpoint> parse_http_url(const std::string& url);

}  // namespace payedge
