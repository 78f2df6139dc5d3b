// The ops dashboard (SPEC section 4): the page at /admin/ (web/admin.html, compiled in) and the
// /admin/api/* JSON it polls, behind `Authorization: Bearer <PAYEDGE_ADMIN_TOKEN>`.
#pragma once

#include <string>
#include <string_view>

#include "net/server.h"
#include "obs/metrics.h"
#include "obs/request_log.h"
#include "store/store.h"

namespace payedge {

// Shorter tokens are refused (the admin API stays off): the token is the only lock.
inline constexpr size_t kMinAdminTokenLength = 16;

bool is_admin_path(std::string_view path);  // "/admin", "/admin/..."
// Why the admin API is off for this token, or "" when it is on.
std::string admin_disabled_reason(const std::string& token);

class AdminApi {
 public:
  AdminApi(asio::thread_pool& store_pool, Store& store, std::string token, const Clock& clock,
           Metrics& metrics);

  // Answers one request under /admin; fills the request log's outcome fields.
  awaitable<HttpResponse> handle(HttpRequest& req, RequestLog& log);

 private:
  awaitable<HttpResponse> summary();
  awaitable<HttpResponse> alerts(int limit);
  awaitable<HttpResponse> audit(int limit);
  awaitable<HttpResponse> set_payments_enabled(HttpRequest& req, RequestLog& log);
  awaitable<HttpResponse> set_course_active(HttpRequest& req, RequestLog& log,
                                            const std::string& course_id);
  bool authorized(std::string_view authorization) const;

  asio::thread_pool& pool_;
  Store& store_;
  std::string token_digest_;  // SHA-256 of the token: compared in constant time
  std::string disabled_reason_;
  const Clock& clock_;
  Metrics& metrics_;
  EpochMs started_at_;
};

}  // namespace payedge
