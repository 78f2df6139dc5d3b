// What the alert rules read of one log line (SPEC section 7), whether it comes from a log file
// (`payedge watch`) or straight from the service's own request log (`payedge serve`).
#pragma once

#include <optional>
#include <string>

#include "core/time.h"
#include "obs/request_log.h"

namespace payedge {
struct RequestLog;
namespace logs {
struct LogRecord;
}
}  // namespace payedge

namespace payedge::alert {

enum class EventFn { kConfirm, kWebhook, kOther };

// Why a webhook was refused: payedge::webhook_refusal_reason (obs/request_log.h), shared with
// /metrics.
using payedge::webhook_refusal_reason;

struct AlertEvent {
  EpochMs ts = 0;
  EventFn fn = EventFn::kOther;
  bool success = true;
  std::string error_code;  // empty on success
  int http_status = 0;     // 0: unknown
  std::optional<double> latency_ms;
  int toss_http_status = 0;  // 0: Toss not called or unknown
  std::string toss_code;     // Toss's error code, when Toss answered one
  std::string course_id;
  std::string user_id;  // the token's `sub` (empty: unknown)
  std::string ip;
  std::string ua;
  std::string error_detail;  // a webhook refusal's reason
  // A toss-webhook line of the processing after the 200 (http_status 0), not a request.
  bool background = false;

  static AlertEvent from(const logs::LogRecord& r);
  static AlertEvent from(const RequestLog& r);
};

}  // namespace payedge::alert
