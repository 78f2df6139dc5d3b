#include "alert/alert_event.h"

#include "logs/record.h"
#include "obs/mask.h"
#include "obs/request_log.h"

namespace payedge::alert {
namespace {

EventFn fn_of(std::string_view fn) {
  if (fn == "confirm-payment") return EventFn::kConfirm;
  if (fn == "toss-webhook") return EventFn::kWebhook;
  return EventFn::kOther;
}

}  // namespace

AlertEvent AlertEvent::from(const logs::LogRecord& r) {
  using logs::Field;
  AlertEvent e;
  e.ts = r.ts;
  e.fn = fn_of(r.get_or(Field::kFn));
  const auto status = r.get_or(Field::kStatus);
  e.error_code = std::string(r.get_or(Field::kErrorCode));
  e.success = status == "success" || (status.empty() && e.error_code.empty());
  e.http_status = static_cast<int>(r.http_status.value_or(0));
  e.latency_ms = r.latency_ms;
  e.toss_http_status = static_cast<int>(r.toss_http_status.value_or(0));
  e.toss_code = std::string(r.get_or(Field::kTossCode));
  e.course_id = std::string(r.get_or(Field::kCourseId));
  e.user_id = std::string(r.get_or(Field::kUserId));
  e.ip = std::string(r.get_or(Field::kIp));
  e.ua = std::string(r.get_or(Field::kUa));
  e.error_detail = std::string(r.get_or(Field::kErrorDetail));
  e.background = e.fn == EventFn::kWebhook && r.http_status && *r.http_status == 0;
  return e;
}

AlertEvent AlertEvent::from(const RequestLog& r) {
  AlertEvent e;
  e.ts = r.ts;
  e.fn = fn_of(r.fn);
  e.success = r.success;
  e.error_code = r.error_code;
  e.http_status = r.http_status;
  e.latency_ms = r.latency_ms;
  e.toss_http_status = r.toss_http_status;
  e.toss_code = r.toss_code;
  e.course_id = r.course_id;
  e.user_id = mask_text(r.user_id);  // alerts name users and UAs as the log does: masked
  e.ip = r.ip;
  e.ua = mask_text(r.ua);
  e.error_detail = r.error_detail;
  e.background = e.fn == EventFn::kWebhook && r.http_status == 0;
  return e;
}

}  // namespace payedge::alert
