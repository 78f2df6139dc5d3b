// One log line of SPEC section 7 as the scanner hands it to a query: views into the parser's
// buffers, valid only while the query looks at it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time.h"

namespace payedge::logs {

// The string fields of the log line, in SPEC order.
enum class Field : std::uint8_t {
  kLevel,
  kFn,
  kRequestId,
  kStatus,
  kErrorCode,
  kUserId,
  kCourseId,
  kOrderId,
  kPaymentKey,
  kCouponCode,
  kTossCode,
  kIp,
  kUa,
  kErrorDetail,  // not in SPEC 7: payedge's own detail (e.g. a webhook signature failure's reason)
};
inline constexpr std::size_t kStringFieldCount = 14;

std::string_view field_name(Field f);
std::optional<Field> parse_field(std::string_view name);

// Which fields a query reads; the parser unescapes and converts only those (every known field
// is still type-checked, so what counts as malformed does not depend on the query).
struct FieldSet {
  std::uint32_t strings = 0;  // bit i: Field(i)
  bool latency = false;
  bool amounts = false;  // amount, expected_amount
  bool toss = false;     // toss_http_status, toss_latency_ms, replayed
  bool http = false;     // http_status
  bool json = false;     // LogRecord::json (the unwrapped object text)

  FieldSet& add(Field f) {
    strings |= 1u << static_cast<unsigned>(f);
    return *this;
  }
  bool has(Field f) const { return (strings >> static_cast<unsigned>(f)) & 1u; }
  FieldSet& operator|=(const FieldSet& o) {
    strings |= o.strings;
    latency |= o.latency;
    amounts |= o.amounts;
    toss |= o.toss;
    http |= o.http;
    json |= o.json;
    return *this;
  }
  static FieldSet all() {
    FieldSet s;
    s.strings = (1u << kStringFieldCount) - 1;
    s.latency = s.amounts = s.toss = s.http = s.json = true;
    return s;
  }
};

struct LogRecord {
  EpochMs ts = 0;
  std::array<std::optional<std::string_view>, kStringFieldCount> str;  // absent or null: nullopt
  std::optional<double> latency_ms;
  std::optional<std::int64_t> http_status;
  std::optional<std::int64_t> amount;
  std::optional<std::int64_t> expected_amount;
  std::optional<std::int64_t> toss_http_status;
  std::optional<double> toss_latency_ms;
  std::optional<bool> replayed;
  std::string_view json;  // the object's text; for a Supabase export, the event_message
  bool wrapped = false;

  const std::optional<std::string_view>& get(Field f) const {
    return str[static_cast<std::size_t>(f)];
  }
  std::string_view get_or(Field f, std::string_view fallback = {}) const {
    const auto& v = get(f);
    return v ? *v : fallback;
  }
  void clear() { *this = LogRecord{}; }
};

// Where a record came from: which input, and the byte offset of its line in the
// (decompressed) input. Stable across thread counts and chunk sizes.
struct RecordPosition {
  std::uint32_t input = 0;
  std::uint64_t offset = 0;

  auto operator<=>(const RecordPosition&) const = default;
};

}  // namespace payedge::logs
