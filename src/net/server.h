// A small HTTP/1.1 server on Boost.Beast with C++20 coroutines, shared by `serve` and `sim`:
// do_listen accepts, do_session runs one keep-alive connection (over TCP, or TLS when given a
// server context), the Handler builds the reply.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "net/asio.h"

namespace boost::asio::ssl {
class context;
}

namespace payedge {

struct HttpRequest {
  http::request<http::string_body> msg;
  std::string peer_ip;
  bool body_too_large = false;  // the body passed the limit; only headers are in `msg`

  // The value of header `name`, empty when absent.
  std::string_view header(std::string_view name) const {
    auto it = msg.find(name);
    return it == msg.end() ? std::string_view() : std::string_view(it->value());
  }
};
using HttpResponse = http::response<http::string_body>;
// What a handler gives back: a response, or none — the connection is then closed without an
// answer (what a peer sees when a server dies mid-request; the simulator's timeouts use it).
using HttpAnswer = std::optional<HttpResponse>;
using HttpHandler = std::function<awaitable<HttpAnswer>(HttpRequest&)>;

struct HttpServerOptions {
  size_t max_body_bytes = 16 * 1024;
  int read_timeout_ms = 10'000;
  int idle_timeout_ms = 30'000;
  int max_connections = 2048;
};

class HttpServer {
 public:
  // With `tls` (net/tls.h's server_tls_context) every connection is TLS.
  HttpServer(asio::io_context& ioc, HttpServerOptions options, HttpHandler handler,
             std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~HttpServer();
  // Binds "HOST:PORT" (port 0 picks a free one) and starts accepting.
  Result<tcp::endpoint> start(const std::string& listen);
  void stop();
  // Every answer from now on closes its connection (a draining server), so that keep-alive
  // clients reconnect, through the load balancer, elsewhere.
  void set_closing() { closing_ = true; }
  // Stops accepting, then waits (bounded) until no request is inside a handler.
  awaitable<void> drain(std::chrono::milliseconds limit);
  tcp::endpoint endpoint() const { return endpoint_; }

 private:
  awaitable<void> do_listen();
  awaitable<void> do_session(beast::tcp_stream stream);
  template <class Stream>
  awaitable<void> serve_requests(Stream& stream, const std::string& peer_ip);

  asio::io_context& ioc_;
  HttpServerOptions options_;
  HttpHandler handler_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  tcp::acceptor acceptor_;
  tcp::endpoint endpoint_;
  std::shared_ptr<std::atomic<int>> connections_ = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> in_flight_ = std::make_shared<std::atomic<int>>(0);
  bool closing_ = false;  // I/O thread only
};

// "127.0.0.1:8080" → endpoint; E_INVALID_REQUEST when it is not an address and a port.
Result<tcp::endpoint> parse_listen(const std::string& listen);

HttpResponse json_response(int status, std::string body, unsigned version = 11);

}  // namespace payedge
