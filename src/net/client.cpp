#include "net/client.h"

#include <chrono>

namespace payedge {

awaitable<FetchResult> http_fetch(FetchRequest r) {
  using Clock = std::chrono::steady_clock;
  FetchResult out;
  const auto started = Clock::now();
  auto elapsed_ms = [&] {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
  };
  auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  tcp::resolver resolver(ex);
  auto endpoints =
      co_await resolver.async_resolve(r.host, r.port, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    out.error = "resolve: " + ec.message();
    out.latency_ms = elapsed_ms();
    co_return out;
  }
  beast::tcp_stream stream(ex);
  stream.expires_after(std::chrono::milliseconds(r.timeout_ms));
  co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
  if (!ec) {
    http::request<http::string_body> req{r.method, r.target, 11};
    req.set(http::field::host, r.host);
    req.set(http::field::user_agent, "payedge/0.1");
    for (const auto& [name, value] : r.headers) req.set(name, value);
    if (!r.body.empty()) {
      if (req.find(http::field::content_type) == req.end())
        req.set(http::field::content_type, "application/json");
      req.body() = std::move(r.body);
    }
    req.prepare_payload();
    co_await http::async_write(stream, req, asio::redirect_error(use_awaitable, ec));
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(8 * 1024 * 1024);
  beast::flat_buffer buffer;
  if (!ec)
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
  out.latency_ms = elapsed_ms();
  if (ec) {
    out.timed_out = ec == beast::error::timeout;
    out.error = ec.message();
    co_return out;
  }
  auto res = parser.release();
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  co_return out;
}

FetchResult fetch_blocking(FetchRequest request) {
  asio::io_context io;
  FetchResult result;
  asio::co_spawn(io, http_fetch(std::move(request)),
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

Result<HttpEndpoint> parse_http_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return fail(ErrorCode::kInvalidRequest,
                "url must start with http:// (https not supported yet)");
  }
  const std::string rest = url.substr(kScheme.size());
  HttpEndpoint ep;
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  ep.prefix = slash == std::string::npos ? "" : rest.substr(slash);
  while (!ep.prefix.empty() && ep.prefix.back() == '/') ep.prefix.pop_back();
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) {
    ep.host = authority;
    ep.port = "80";
  } else {
    ep.host = authority.substr(0, colon);
    ep.port = authority.substr(colon + 1);
  }
  // The URL itself is not repeated: a Slack webhook URL is a secret.
  if (ep.host.empty() || ep.port.empty())
    return fail(ErrorCode::kInvalidRequest, "url without a host or port");
  return ep;
}

}  // namespace payedge
