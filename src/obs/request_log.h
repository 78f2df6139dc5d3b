// The structured log line of SPEC section 7: one JSON object per request, one line each.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/catalog.h"
#include "core/time.h"

namespace payedge {

struct RequestLog {
  EpochMs ts = 0;
  std::string level = "info";
  std::string fn;
  std::string request_id;
  bool success = true;
  std::string error_code;  // empty on success
  std::string error_detail;
  int latency_ms = 0;
  int http_status = 0;
  std::string user_id;
  std::string course_id;
  std::string order_id;
  std::string payment_key;  // raw; masked when written
  std::optional<Krw> amount;
  std::optional<Krw> expected_amount;
  std::optional<std::string> coupon_code;
  int toss_http_status = 0;  // 0: Toss was not called
  std::string toss_code;
  int toss_latency_ms = -1;
  std::optional<int> toss_tries;
  std::optional<bool> replayed;
  std::string ip;
  std::string ua;
  // For /metrics only, never written to the line: the class of Toss's last answer by the
  // table of toss/toss_errors.h ("ok", "transient", "buyer", "merchant"; "" when Toss was not
  // called).
  std::string toss_class;

  // Fields in the order of SPEC section 7, so a human reads the line left to right.
  nlohmann::ordered_json to_json() const;
};

// Why a webhook was refused (a line with E_WEBHOOK_INVALID_SIG): "refetch_mismatch" (Toss's
// record contradicts an unsigned event, found after the 200), "deposit_secret" (a
// DEPOSIT_CALLBACK without the payment's secret) or "signature" (a signed event's header) —
// the three kinds runbook 4.4 tells apart; the alert and /metrics both name them so.
std::string_view webhook_refusal_reason(std::string_view error_detail);

// Where log lines go: stdout, a file, or a callback (the demo prints them its own way).
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(const RequestLog& line) = 0;
};

// One line, one write(2) on an O_APPEND descriptor: the line is in the kernel (and visible to
// `tail -f`, `payedge watch --follow` and the tests) before the request's answer leaves, and
// nothing waits on the disk: there is no stdio buffer to flush and no fsync. A writer thread
// would keep even the page-cache copy off the I/O thread, but then an answer could overtake
// its own log line; the copy of ~400 bytes is not worth that.
class FileLogSink final : public LogSink {
 public:
  static std::unique_ptr<FileLogSink> open(const std::string& path);  // "" or "-" → stdout
  ~FileLogSink() override;
  void write(const RequestLog& line) override;
  // logrotate (SIGHUP): opens the path again, so lines go to a new file there once the old one
  // was renamed. A line is written whole to one file or the other, never split. False (the
  // old file kept) when the path cannot be opened; stdout is never reopened.
  bool reopen();

 private:
  FileLogSink(int fd, bool owned, std::string path)
      : fd_(fd), owned_(owned), path_(std::move(path)) {}
  std::mutex mu_;  // keeps a line whole if the kernel ever writes it in parts
  int fd_;
  bool owned_;
  std::string path_;
};

}  // namespace payedge
