// The one place payedge includes Boost.Asio/Beast. Boost 1.74's awaitable.hpp uses
// std::exchange without <utility>, so it comes first.
#pragma once

// clang-format off
#include <utility>
// clang-format on

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <exception>
#include <functional>
#include <type_traits>

namespace payedge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

// The completion handler of every detached coroutine: whatever ended it is said on stderr with
// what it was, never lost. (A loop that must survive its own failures catches inside.)
struct LogFailure {
  const char* what;
  void operator()(std::exception_ptr e) const {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "%s ended by an exception: %s\n", what, x.what());
    } catch (...) {
      std::fprintf(stderr, "%s ended by an unknown exception\n", what);
    }
  }
};

// Runs blocking `fn` (a store call) on `pool` and resumes the coroutine on its own executor,
// so the I/O thread never waits on a disk.
template <class Fn>
awaitable<std::invoke_result_t<Fn>> run_blocking(asio::thread_pool& pool, Fn fn) {
  using R = std::invoke_result_t<Fn>;
  auto ex = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<decltype(use_awaitable), void(R)>(
      [&pool, ex](auto handler, Fn f) {
        asio::post(pool, [handler = std::move(handler), f = std::move(f), ex]() mutable {
          R r = f();
          asio::post(ex, [handler = std::move(handler), r = std::move(r)]() mutable {
            std::move(handler)(std::move(r));
          });
        });
      },
      use_awaitable, std::move(fn));
}

}  // namespace payedge
