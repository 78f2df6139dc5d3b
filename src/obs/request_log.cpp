#include "obs/request_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "obs/mask.h"

namespace payedge {

std::string_view webhook_refusal_reason(std::string_view detail) {
  if (detail.starts_with("refetch_mismatch")) return "refetch_mismatch";
  if (detail.starts_with("deposit_secret")) return "deposit_secret";
  return "signature";
}

nlohmann::ordered_json RequestLog::to_json() const {
  using json = nlohmann::ordered_json;
  auto opt_str = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  // Whatever a client controls goes through SPEC 11's masking before it is stored: no e-mail,
  // phone, card number, JWT or secret a client sends reaches the log in clear.
  auto client = [](const std::string& s) { return s.empty() ? json(nullptr) : json(mask_text(s)); };
  json j = {
      {"ts", format_utc(ts)},
      {"level", level},
      {"fn", fn},
      {"request_id", mask_text(request_id)},
      {"status", success ? "success" : "error"},
      {"error_code", opt_str(error_code)},
      {"latency_ms", latency_ms},
      {"http_status", http_status},
      {"user_id", client(user_id)},
      {"course_id", client(course_id)},
      {"order_id", client(order_id)},
      {"payment_key", payment_key.empty() ? json(nullptr) : json(mask_payment_key(payment_key))},
      {"amount", amount ? json(*amount) : json(nullptr)},
      {"expected_amount", expected_amount ? json(*expected_amount) : json(nullptr)},
      {"coupon_code", coupon_code ? json(mask_text(*coupon_code)) : json(nullptr)},
      {"toss_http_status", toss_http_status ? json(toss_http_status) : json(nullptr)},
      {"toss_code", opt_str(toss_code)},
      {"toss_latency_ms", toss_latency_ms >= 0 ? json(toss_latency_ms) : json(nullptr)},
      {"replayed", replayed ? json(*replayed) : json(nullptr)},
      {"ip", opt_str(ip)},
      {"ua", client(ua)},
  };
  if (!error_detail.empty()) j["error_detail"] = mask_text(error_detail);
  if (toss_tries) j["toss_tries"] = *toss_tries;
  return j;
}

std::unique_ptr<FileLogSink> FileLogSink::open(const std::string& path) {
  if (path.empty() || path == "-")
    return std::unique_ptr<FileLogSink>(new FileLogSink(STDOUT_FILENO, false, ""));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return nullptr;
  return std::unique_ptr<FileLogSink>(new FileLogSink(fd, true, path));
}

bool FileLogSink::reopen() {
  if (!owned_) return true;
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return false;
  int old = -1;
  {
    std::lock_guard lock(mu_);
    old = fd_;
    fd_ = fd;
  }
  ::close(old);
  return true;
}

FileLogSink::~FileLogSink() {
  if (owned_) ::close(fd_);
}

void FileLogSink::write(const RequestLog& line) {
  // error_handler::replace: a user-supplied string with broken UTF-8 must not lose the line.
  std::string text =
      line.to_json().dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  text.push_back('\n');
  std::lock_guard lock(mu_);
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk or a closed stdout: the service goes on without its log
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace payedge
