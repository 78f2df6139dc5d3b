// The payedge error codes of SPEC section 5: wire name, HTTP status, retryability and messages.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace payedge {

enum class ErrorCode {
  kInvalidRequest,
  kPayloadTooLarge,
  kUnauthorized,
  kCourseNotFound,
  kCourseInactive,
  kPaymentsDisabled,
  kCouponInvalid,
  kAmountMismatch,
  kAlreadyEnrolled,
  kIdempotencyConflict,
  kTossRejected,
  kTossApiError,
  kWebhookInvalidSig,
  kRateLimited,
  kInternal,
  kAdminDisabled,  // not in SPEC 5's table: the admin API without PAYEDGE_ADMIN_TOKEN
};

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;  // what logs and responses carry, e.g. "E_AMOUNT_MISMATCH"
  int http_status;
  bool retryable;  // the default; some conflicts override it
  std::string_view message_ko;
  std::string_view message_en;
};

// Every code the binary can emit, in SPEC order. docs/error-codes.md is checked against it.
std::span<const ErrorInfo> all_error_codes();
const ErrorInfo& info(ErrorCode code);
std::optional<ErrorCode> parse_error_code(std::string_view name);

// An error as a value: the code plus what the caller needs to explain it.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string detail;  // short technical detail (a field name, a reason); never a secret
  bool retryable = false;
  std::string toss_code;  // Toss's own code for E_TOSS_REJECTED / TOSS_API_ERROR
  std::string toss_message;

  std::string_view name() const { return info(code).name; }
  int http_status() const { return info(code).http_status; }
  // The user-facing message: Korean by default, English when asked.
  std::string message(bool english) const;
};

Error make_error(ErrorCode code, std::string detail = {});

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string detail = {}) {
  return std::unexpected(make_error(code, std::move(detail)));
}

}  // namespace payedge
