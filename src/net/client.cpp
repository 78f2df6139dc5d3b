#include "net/client.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include "net/tls.h"

namespace payedge {
namespace {

using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Safe to send twice: the server either did not act on it or will answer the repeat with the
// first answer. Go's net/http retries on a reused connection by the same rule
// (https://pkg.go.dev/net/http#Transport: "Idempotency-Key" / "X-Idempotency-Key").
bool replayable(const FetchRequest& r) {
  if (r.method == http::verb::get || r.method == http::verb::head ||
      r.method == http::verb::options) {
    return true;
  }
  for (const auto& [name, value] : r.headers) {
    if (iequals(name, "Idempotency-Key") || iequals(name, "X-Idempotency-Key")) return true;
  }
  return false;
}

std::string host_header(const FetchRequest& r) {
  const std::string host = r.host.find(':') != std::string::npos ? "[" + r.host + "]" : r.host;
  const bool default_port = r.port == (r.tls ? "443" : "80");
  return default_port ? host : host + ":" + r.port;
}

}  // namespace

struct HttpClient::Connection {
  std::string key;
  const void* context = nullptr;          // the io_context the sockets belong to
  std::shared_ptr<ssl::context> tls_ctx;  // keeps the SSL_CTX alive as long as the stream
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> tls;
  Clock::time_point idle_since;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // An idle connection the server has closed (FIN), reset, or sent anything on (a TLS
  // close_notify, a 408) is not worth a request.
  bool looks_closed() {
    char byte;
    const ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    return true;
  }
};

namespace {

// Resolve, connect and (for https) handshake, all before `deadline`.
awaitable<std::unique_ptr<HttpClient::Connection>> open_connection(
    const FetchRequest& r, std::shared_ptr<ssl::context> tls_ctx, Clock::time_point deadline,
    FetchResult& out) {
  auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  // The resolver has no timeout of its own: a timer cancels it at the deadline.
  auto resolver = std::make_shared<tcp::resolver>(ex);
  asio::steady_timer timer(ex);
  timer.expires_at(deadline);
  timer.async_wait([resolver](const boost::system::error_code& e) {
    if (!e) resolver->cancel();
  });
  auto endpoints =
      co_await resolver->async_resolve(r.host, r.port, asio::redirect_error(use_awaitable, ec));
  timer.cancel();
  if (ec) {
    out.timed_out = ec == asio::error::operation_aborted;
    out.error = out.timed_out ? "resolve: timed out" : "resolve: " + ec.message();
    co_return nullptr;
  }
  auto conn = std::make_unique<HttpClient::Connection>();
  conn->context = &asio::query(ex, asio::execution::context);
  beast::tcp_stream stream(ex);
  stream.expires_at(deadline);
  co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    out.timed_out = ec == beast::error::timeout;
    out.error = "connect: " + ec.message();
    co_return nullptr;
  }
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (!tls_ctx) {
    conn->plain = std::make_unique<beast::tcp_stream>(std::move(stream));
    co_return conn;
  }
  conn->tls_ctx = tls_ctx;
  conn->tls = std::make_unique<TlsStream>(std::move(stream), *tls_ctx);
  SSL* ssl = conn->tls->native_handle();
  // The certificate must name the host: a DNS name (also sent as SNI) or an IP address (no SNI
  // for those, RFC 6066 section 3). OpenSSL checks it during the handshake, so a mismatch fails
  // the handshake with the reason in the verify result.
  if (is_ip_literal(r.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), r.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, r.host.c_str());
    SSL_set1_host(ssl, r.host.c_str());
  }
  co_await conn->tls->async_handshake(ssl::stream_base::client,
                                      asio::redirect_error(use_awaitable, ec));
  if (ec) {
    out.timed_out = ec == beast::error::timeout;
    if (out.timed_out) {
      out.error = "tls handshake: timed out";
      co_return nullptr;
    }
    const long verify = SSL_get_verify_result(ssl);
    out.tls_error = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ec.message();
    out.error = "tls: " + out.tls_error;
    co_return nullptr;
  }
  co_return conn;
}

}  // namespace

FetchRequest FetchRequest::to(const HttpEndpoint& ep, std::string path) {
  FetchRequest r;
  r.host = ep.host;
  r.port = ep.port;
  r.tls = ep.tls;
  r.target = ep.prefix + path;
  if (r.target.empty()) r.target = "/";
  return r;
}

HttpClient::HttpClient() : HttpClient(Options{}) {}
HttpClient::HttpClient(Options options) : options_(options) {}
HttpClient::~HttpClient() = default;

HttpClient::Stats HttpClient::stats() {
  std::lock_guard lock(mu_);
  return stats_;
}

std::unique_ptr<HttpClient::Connection> HttpClient::take_idle(const std::string& key,
                                                              const void* context) {
  std::lock_guard lock(mu_);
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  const auto now = Clock::now();
  // Newest first: the one least likely to have been closed by the server.
  for (auto i = list.size(); i-- > 0;) {
    if (list[i]->context != context) continue;
    std::unique_ptr<Connection> c = std::move(list[i]);
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
    if (now - c->idle_since > std::chrono::milliseconds(options_.idle_timeout_ms) ||
        c->looks_closed()) {
      continue;  // dropped (closed) here
    }
    ++stats_.reuses;
    return c;
  }
  return nullptr;
}

void HttpClient::give_back(std::unique_ptr<Connection> c) {
  if (options_.max_idle_per_host <= 0) return;
  c->idle_since = Clock::now();
  std::lock_guard lock(mu_);
  auto& list = idle_[c->key];
  // Bounded: the oldest goes first, and any that outlived the idle timeout.
  const auto now = Clock::now();
  std::erase_if(list, [&](const auto& x) {
    return now - x->idle_since > std::chrono::milliseconds(options_.idle_timeout_ms);
  });
  if (static_cast<int>(list.size()) >= options_.max_idle_per_host) list.erase(list.begin());
  list.push_back(std::move(c));
}

awaitable<FetchResult> HttpClient::fetch(FetchRequest r) {
  FetchResult out;
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::milliseconds(r.timeout_ms);
  auto finish = [&]() -> FetchResult {
    out.latency_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    return std::move(out);
  };
  auto ex = co_await asio::this_coro::executor;
  const void* context = &asio::query(ex, asio::execution::context);
  std::shared_ptr<ssl::context> tls_ctx;
  if (r.tls) {
    auto made = client_tls_context(r.ca_file);
    if (!made) {
      out.tls_error = made.error().detail;
      out.error = "tls: " + out.tls_error;
      co_return finish();
    }
    tls_ctx = *made;
  }
  const std::string key =
      std::string(r.tls ? "https://" : "http://") + r.host + ":" + r.port + "|" + r.ca_file;

  http::request<http::string_body> req{r.method, r.target, 11};
  req.set(http::field::host, host_header(r));
  req.set(http::field::user_agent, "payedge/0.1");
  for (const auto& [name, value] : r.headers) req.set(name, value);
  if (!r.body.empty()) {
    if (req.find(http::field::content_type) == req.end())
      req.set(http::field::content_type, "application/json");
    req.body() = std::move(r.body);
  }
  req.keep_alive(true);
  req.prepare_payload();

  for (int round = 0;; ++round) {
    std::unique_ptr<Connection> conn = round == 0 ? take_idle(key, context) : nullptr;
    const bool reused = conn != nullptr;
    if (!conn) {
      conn = co_await open_connection(r, tls_ctx, deadline, out);
      if (!conn) co_return finish();
      conn->key = key;
      std::lock_guard lock(mu_);
      ++stats_.connects;
    }
    out.reused = reused;
    boost::system::error_code ec;
    conn->tcp().expires_at(deadline);
    http::response_parser<http::string_body> parser;
    parser.body_limit(8 * 1024 * 1024);
    beast::flat_buffer buffer;
    if (conn->tls) {
      co_await http::async_write(*conn->tls, req, asio::redirect_error(use_awaitable, ec));
      if (!ec)
        co_await http::async_read(*conn->tls, buffer, parser,
                                  asio::redirect_error(use_awaitable, ec));
    } else {
      co_await http::async_write(*conn->plain, req, asio::redirect_error(use_awaitable, ec));
      if (!ec)
        co_await http::async_read(*conn->plain, buffer, parser,
                                  asio::redirect_error(use_awaitable, ec));
    }
    if (ec) {
      // A kept-alive connection the server closed just as we sent: once more on a new one.
      if (reused && round == 0 && !parser.got_some() && ec != beast::error::timeout &&
          replayable(r)) {
        std::lock_guard lock(mu_);
        ++stats_.stale_retries;
        continue;
      }
      out.timed_out = ec == beast::error::timeout;
      out.error = ec.message();
      co_return finish();
    }
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    if (res.keep_alive() && buffer.size() == 0) {
      conn->tcp().expires_never();
      give_back(std::move(conn));
    }
    co_return finish();
  }
}

awaitable<FetchResult> http_fetch(FetchRequest request) {
  HttpClient once(HttpClient::Options{.max_idle_per_host = 0});
  co_return co_await once.fetch(std::move(request));
}

FetchResult fetch_blocking(HttpClient& client, asio::io_context& io, FetchRequest request) {
  FetchResult result;
  io.restart();
  asio::co_spawn(io, client.fetch(std::move(request)),
                 [&result](std::exception_ptr e, FetchResult r) {
                   if (e) {
                     result.error = "fetch failed";
                   } else {
                     result = std::move(r);
                   }
                 });
  io.run();
  return result;
}

FetchResult fetch_blocking(FetchRequest request) {
  asio::io_context io;
  HttpClient once(HttpClient::Options{.max_idle_per_host = 0});
  return fetch_blocking(once, io, std::move(request));
}

Status check_ca_file(const std::string& ca_file) {
  auto ctx = client_tls_context(ca_file);
  if (!ctx) return std::unexpected(ctx.error());
  return {};
}

bool is_loopback_host(const std::string& host) {
  if (iequals(host, "localhost")) return true;
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

Result<HttpEndpoint> parse_http_url(const std::string& url) {
  // The URL itself is never repeated in a message: a Slack webhook URL is a secret.
  HttpEndpoint ep;
  std::string rest;
  if (url.starts_with("https://")) {
    ep.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return fail(ErrorCode::kInvalidRequest, "url must start with https://");
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  ep.prefix = slash == std::string::npos ? "" : rest.substr(slash);
  while (!ep.prefix.empty() && ep.prefix.back() == '/') ep.prefix.pop_back();
  if (authority.find('@') != std::string::npos)
    return fail(ErrorCode::kInvalidRequest, "url with a user name or password is not supported");
  std::string port_text;
  if (authority.starts_with("[")) {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string::npos) return fail(ErrorCode::kInvalidRequest, "url: bad IPv6 host");
    ep.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail(ErrorCode::kInvalidRequest, "url: bad IPv6 host");
      port_text = after.substr(1);
      if (port_text.empty()) return fail(ErrorCode::kInvalidRequest, "url without a host or port");
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    ep.host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
    if (port_text.empty()) return fail(ErrorCode::kInvalidRequest, "url without a host or port");
  } else {
    ep.host = authority;
  }
  if (ep.host.empty()) return fail(ErrorCode::kInvalidRequest, "url without a host or port");
  if (port_text.empty()) {
    ep.port = ep.tls ? "443" : "80";
  } else {
    const bool digits =
        port_text.size() <= 5 && std::all_of(port_text.begin(), port_text.end(),
                                             [](unsigned char c) { return std::isdigit(c); });
    if (!digits || std::stoi(port_text) < 1 || std::stoi(port_text) > 65535)
      return fail(ErrorCode::kInvalidRequest, "url: bad port");
    ep.port = port_text;
  }
  if (!ep.tls && !is_loopback_host(ep.host)) {
    return fail(ErrorCode::kInvalidRequest,
                "plain http:// is allowed only to a loopback address (127.0.0.1, ::1, "
                "localhost); use https://");
  }
  return ep;
}

}  // namespace payedge
