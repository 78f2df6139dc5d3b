#include "net/server.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "net/tls.h"

namespace payedge {
namespace {

// An answer the server gives itself, before any handler: the API's error envelope with the
// HTTP status that fits (431, 400, 405), then the connection closes.
HttpResponse refusal(http::status status, std::string detail, unsigned version) {
  Error e = make_error(ErrorCode::kInvalidRequest, std::move(detail));
  nlohmann::json body = {
      {"ok", false},
      {"requestId", nullptr},
      {"error", {{"code", e.name()}, {"message", e.message(false)}, {"retryable", false}}}};
  return json_response(static_cast<int>(status), body.dump(), version);
}

// "http://host:port/path?q" → "/path?q" (RFC 9112 3.2.2: a server must accept the
// absolute form); other targets are left as they are.
void to_origin_form(http::request<http::string_body>& msg) {
  const std::string_view target = msg.target();
  for (std::string_view scheme : {"http://", "https://", "HTTP://", "HTTPS://"}) {
    if (!target.starts_with(scheme)) continue;
    const auto slash = target.find('/', scheme.size());
    msg.target(slash == std::string_view::npos ? std::string("/")
                                               : std::string(target.substr(slash)));
    return;
  }
}

// After a refusal: no more requests, but read (and drop) what the client is still sending for
// a moment, so that closing does not reset the connection before it has read the answer.
awaitable<void> close_gently(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(1));
  std::size_t drained = 0;
  while (!ec && drained < 1024 * 1024) {
    buffer.consume(buffer.size());
    drained += co_await stream.async_read_some(buffer.prepare(16 * 1024),
                                               asio::redirect_error(use_awaitable, ec));
  }
}

}  // namespace

Result<tcp::endpoint> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return fail(ErrorCode::kInvalidRequest, "listen needs HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return fail(ErrorCode::kInvalidRequest, "listen: bad address " + host);
  int port = -1;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
  }
  if (port < 0 || port > 65535) return fail(ErrorCode::kInvalidRequest, "listen: bad port");
  return tcp::endpoint(addr, static_cast<unsigned short>(port));
}

HttpResponse json_response(int status, std::string body, unsigned version) {
  HttpResponse res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  return res;
}

HttpServer::HttpServer(asio::io_context& ioc, HttpServerOptions options, HttpHandler handler,
                       std::shared_ptr<ssl::context> tls)
    : ioc_(ioc),
      options_(options),
      handler_(std::move(handler)),
      tls_(std::move(tls)),
      acceptor_(ioc) {}

HttpServer::~HttpServer() = default;

Result<tcp::endpoint> HttpServer::start(const std::string& listen) {
  auto ep = parse_listen(listen);
  if (!ep) return ep;
  boost::system::error_code ec;
  acceptor_.open(ep->protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ErrorCode::kInternal, "listen on " + listen + ": " + ec.message());
  endpoint_ = acceptor_.local_endpoint();
  asio::co_spawn(ioc_, do_listen(), LogFailure{"http accept loop"});
  return endpoint_;
}

void HttpServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

awaitable<void> HttpServer::drain(std::chrono::milliseconds limit) {
  stop();
  asio::steady_timer timer(ioc_);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  // Requests already inside a handler finish (a confirm waiting on Toss is recorded, not cut);
  // idle keep-alive connections are not waited for.
  while (in_flight_->load() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<void> HttpServer::do_listen() {
  std::chrono::milliseconds backoff(5);
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
      // EMFILE and friends: the pending connection stays in the backlog, so accepting again at
      // once would spin. Back off (up to 1 s) and keep serving the connections we have.
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
      asio::steady_timer pause(ioc_, backoff);
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    backoff = std::chrono::milliseconds(5);
    if (connections_->load() >= options_.max_connections) {
      socket.close(ec);  // bounded connections: shed load instead of falling over
      continue;
    }
    asio::co_spawn(ioc_, do_session(beast::tcp_stream(std::move(socket))),
                   LogFailure{"http session"});
  }
}

awaitable<void> HttpServer::do_session(beast::tcp_stream stream) {
  auto counter = connections_;
  counter->fetch_add(1);
  struct Release {
    std::shared_ptr<std::atomic<int>> c;
    ~Release() { c->fetch_sub(1); }
  } release{counter};

  boost::system::error_code ec;
  std::string peer_ip;
  if (auto ep = stream.socket().remote_endpoint(ec); !ec) peer_ip = ep.address().to_string();
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (!tls_) {
    co_await serve_requests(stream, peer_ip);
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    co_return;
  }
  // The handshake counts against the read timeout, as a slow header would.
  stream.expires_after(std::chrono::milliseconds(options_.read_timeout_ms));
  beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *tls_);
  co_await tls.async_handshake(ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;  // a client that does not trust us, or does not speak TLS: close
  co_await serve_requests(tls, peer_ip);
  // close_notify, without waiting long for the peer's (an idle pooled client does not read).
  beast::get_lowest_layer(tls).expires_after(std::chrono::seconds(1));
  co_await tls.async_shutdown(asio::redirect_error(use_awaitable, ec));
}

template <class Stream>
awaitable<void> HttpServer::serve_requests(Stream& stream, const std::string& peer_ip) {
  boost::system::error_code ec;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    // The first request gets the read timeout; later ones the idle timeout to arrive.
    tcp_layer.expires_after(
        std::chrono::milliseconds(first ? options_.read_timeout_ms : options_.idle_timeout_ms));
    first = false;
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(options_.max_body_bytes);
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(use_awaitable, ec));
    HttpRequest req;
    // Answered, then closed: headers over the limit (431) and a request that does not parse,
    // such as a bad Content-Length (400). The end of the stream, a timeout (slowloris) or a
    // request cut short just close.
    std::optional<HttpResponse> refused;
    if (ec == http::error::header_limit) {
      refused =
          refusal(http::status::request_header_fields_too_large, "request headers over 16 KiB", 11);
    } else if (ec &&
               ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message &&
               ec != http::error::body_limit && ec != http::error::need_more &&
               ec != http::error::need_buffer) {
      refused = refusal(http::status::bad_request, "malformed request: " + ec.message(), 11);
    }
    if (refused) {
      refused->keep_alive(false);
      refused->prepare_payload();
      tcp_layer.expires_after(std::chrono::milliseconds(options_.read_timeout_ms));
      co_await http::async_write(stream, *refused, asio::redirect_error(use_awaitable, ec));
      co_await close_gently(tcp_layer, buffer);
      co_return;
    }
    // A Content-Length over the limit fails at the header already; a chunked body, later.
    if (ec == http::error::body_limit) {
      req.body_too_large = true;
    } else if (ec) {
      break;  // end of stream, timeout (slowloris) or garbage: close
    } else if (!parser.is_done()) {
      tcp_layer.expires_after(std::chrono::milliseconds(options_.read_timeout_ms));
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::body_limit) {
        req.body_too_large = true;
      } else if (ec) {
        break;
      }
    }
    req.msg = parser.release();
    req.peer_ip = peer_ip;
    to_origin_form(req.msg);
    const bool keep_alive = !req.body_too_large && req.msg.keep_alive();
    const auto verb = req.msg.method();
    if (verb == http::verb::trace || verb == http::verb::connect) {
      // No tunnels, no echo of the request (and its cookies) back to a script.
      HttpResponse res =
          refusal(http::status::method_not_allowed,
                  std::string(req.msg.method_string()) + " is not allowed", req.msg.version());
      res.set(http::field::allow, "GET, POST, OPTIONS");
      res.keep_alive(false);
      res.prepare_payload();
      tcp_layer.expires_after(std::chrono::milliseconds(options_.read_timeout_ms));
      co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
      co_await close_gently(tcp_layer, buffer);
      co_return;
    }

    HttpAnswer answer;
    ++*in_flight_;
    struct Done {
      std::shared_ptr<std::atomic<int>> n;
      ~Done() { --*n; }
    } done{in_flight_};
    try {
      answer = co_await handler_(req);
    } catch (const std::exception& e) {
      answer = json_response(
          500,
          R"({"ok":false,"error":{"code":"E_INTERNAL","message":"internal error","retryable":true}})",
          req.msg.version());
    }
    if (!answer) break;  // the handler chose to answer nothing
    HttpResponse& res = *answer;
    res.set("X-Content-Type-Options", "nosniff");
    res.version(req.msg.version());
    res.keep_alive(keep_alive && !closing_);
    res.prepare_payload();
    tcp_layer.expires_after(std::chrono::milliseconds(options_.read_timeout_ms));
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    if (ec || !keep_alive || closing_) break;
  }
}

}  // namespace payedge
