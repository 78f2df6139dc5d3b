// One HTTP/1.1 exchange as a coroutine: connect, write, read, with one timeout over it all.
// Used by the Toss client, the demo and the alert sinks.
#pragma once

#include <string>
#include <utility>
#include <vector>

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

}  // namespace payedge
