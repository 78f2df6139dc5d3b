#include "logs/record_parser.h"

#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace payedge::logs {
namespace {

namespace od = simdjson::ondemand;

constexpr std::array<std::string_view, kStringFieldCount> kFieldNames = {
    "level",    "fn",          "request_id",  "status",    "error_code", "user_id", "course_id",
    "order_id", "payment_key", "coupon_code", "toss_code", "ip",         "ua",      "error_detail"};

enum class Key : std::uint8_t {
  kUnknown,
  kTs,
  kString,  // one of Field, see KeyInfo::field
  kOtherString,
  kLatency,
  kHttpStatus,
  kAmount,
  kExpectedAmount,
  kTossHttpStatus,
  kTossLatency,
  kOtherInt,
  kReplayed,
  kEventMessage,
};

struct KeyInfo {
  Key key = Key::kUnknown;
  Field field = Field::kLevel;
};

constexpr KeyInfo str(Field f) { return {Key::kString, f}; }

// `k` points at a raw key inside the line; true when it is exactly `name` (then a quote). The
// compare stops at the first difference, and the key's closing quote differs from every
// letter of `name`, so it never reads past the key.
inline bool key_is(const char* k, std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (k[i] != name[i]) return false;
  }
  return k[name.size()] == '"';
}

// By first letter: a switch and at most a few short compares per key.
KeyInfo classify(const char* k) {
  switch (k[0]) {
    case 'a':
      if (key_is(k, "amount")) return {Key::kAmount};
      break;
    case 'c':
      if (key_is(k, "course_id")) return str(Field::kCourseId);
      if (key_is(k, "coupon_code")) return str(Field::kCouponCode);
      break;
    case 'e':
      if (key_is(k, "error_code")) return str(Field::kErrorCode);
      if (key_is(k, "expected_amount")) return {Key::kExpectedAmount};
      if (key_is(k, "event_message")) return {Key::kEventMessage};
      if (key_is(k, "error_detail")) return str(Field::kErrorDetail);
      break;
    case 'f':
      if (key_is(k, "fn")) return str(Field::kFn);
      break;
    case 'h':
      if (key_is(k, "http_status")) return {Key::kHttpStatus};
      break;
    case 'i':
      if (key_is(k, "ip")) return str(Field::kIp);
      break;
    case 'l':
      if (key_is(k, "level")) return str(Field::kLevel);
      if (key_is(k, "latency_ms")) return {Key::kLatency};
      break;
    case 'o':
      if (key_is(k, "order_id")) return str(Field::kOrderId);
      break;
    case 'p':
      if (key_is(k, "payment_key")) return str(Field::kPaymentKey);
      break;
    case 'r':
      if (key_is(k, "request_id")) return str(Field::kRequestId);
      if (key_is(k, "replayed")) return {Key::kReplayed};
      break;
    case 's':
      if (key_is(k, "status")) return str(Field::kStatus);
      break;
    case 't':
      if (key_is(k, "ts")) return {Key::kTs};
      if (key_is(k, "toss_http_status")) return {Key::kTossHttpStatus};
      if (key_is(k, "toss_code")) return str(Field::kTossCode);
      if (key_is(k, "toss_latency_ms")) return {Key::kTossLatency};
      if (key_is(k, "toss_tries")) return {Key::kOtherInt};
      break;
    case 'u':
      if (key_is(k, "user_id")) return str(Field::kUserId);
      if (key_is(k, "ua")) return str(Field::kUa);
      break;
    default:
      break;
  }
  return {};
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(const char* p, int n, int& out) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned>(p[i] - '0');
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  out = v;
  return true;
}

}  // namespace

std::string_view field_name(Field f) { return kFieldNames[static_cast<std::size_t>(f)]; }

std::optional<Field> parse_field(std::string_view name) {
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

std::optional<EpochMs> parse_log_ts(std::string_view s) {
  int y, mo, d, h, mi, sec, ms;
  if (s.size() == 24 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
      s[16] == ':' && s[19] == '.' && s[23] == 'Z' && digits(s.data(), 4, y) &&
      digits(s.data() + 5, 2, mo) && digits(s.data() + 8, 2, d) && digits(s.data() + 11, 2, h) &&
      digits(s.data() + 14, 2, mi) && digits(s.data() + 17, 2, sec) &&
      digits(s.data() + 20, 3, ms)) {
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || sec > 60) {
      return std::nullopt;
    }
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return std::nullopt;
    return (days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
            h * 3600 + mi * 60 + sec) *
               1000 +
           ms;
  }
  return parse_rfc3339(s);
}

struct RecordParser::Impl {
  FieldSet wanted;
  od::parser outer;
  od::parser inner;
  std::vector<char> inner_buf;
};

RecordParser::RecordParser(FieldSet wanted) : impl_(std::make_unique<Impl>()) {
  impl_->wanted = wanted;
}

RecordParser::~RecordParser() = default;

namespace {

enum class Parsed { kOk, kBad };

// For error messages only.
std::string_view key_name(const KeyInfo& info) {
  switch (info.key) {
    case Key::kTs:
      return "ts";
    case Key::kString:
      return field_name(info.field);
    case Key::kLatency:
      return "latency_ms";
    case Key::kHttpStatus:
      return "http_status";
    case Key::kAmount:
      return "amount";
    case Key::kExpectedAmount:
      return "expected_amount";
    case Key::kTossHttpStatus:
      return "toss_http_status";
    case Key::kTossLatency:
      return "toss_latency_ms";
    case Key::kReplayed:
      return "replayed";
    case Key::kEventMessage:
      return "event_message";
    case Key::kOtherString:
      return "error_detail";
    case Key::kOtherInt:
      return "toss_tries";
    case Key::kUnknown:
      break;
  }
  return "?";
}

// One pass over every field of the object: known fields are type-checked, wanted ones read.
// `event_message` (when not null) receives that field's unescaped string.
Parsed parse_object_unchecked(od::parser& parser, const char* data, std::size_t len,
                              std::size_t capacity, const FieldSet& wanted, LogRecord& r,
                              bool& has_ts, std::optional<std::string_view>* event_message,
                              std::string& error);

// simdjson's iterator can still throw on some broken documents (found by the log_line
// fuzzer): a thrown error is a malformed line like any other, never a crash.
Parsed parse_object(od::parser& parser, const char* data, std::size_t len, std::size_t capacity,
                    const FieldSet& wanted, LogRecord& r, bool& has_ts,
                    std::optional<std::string_view>* event_message, std::string& error) {
  try {
    return parse_object_unchecked(parser, data, len, capacity, wanted, r, has_ts, event_message,
                                  error);
  } catch (const simdjson::simdjson_error& e) {
    error = e.what();
    return Parsed::kBad;
  }
}

Parsed parse_object_unchecked(od::parser& parser, const char* data, std::size_t len,
                              std::size_t capacity, const FieldSet& wanted, LogRecord& r,
                              bool& has_ts, std::optional<std::string_view>* event_message,
                              std::string& error) {
  od::document doc;
  if (auto e = parser.iterate(data, len, capacity).get(doc)) {
    error = simdjson::error_message(e);
    return Parsed::kBad;
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    error = e == simdjson::INCORRECT_TYPE ? "not a JSON object" : simdjson::error_message(e);
    return Parsed::kBad;
  }
  auto wrong_type = [&](const KeyInfo& info) {
    error = std::string(key_name(info)) + ": wrong type";
    return Parsed::kBad;
  };
  for (auto item : obj) {
    od::field field;
    if (auto e = std::move(item).get(field)) {
      error = simdjson::error_message(e);
      return Parsed::kBad;
    }
    // A key with escapes is not one of ours.
    const char* k = field.key().raw();
    const KeyInfo info = classify(k);
    if (info.key == Key::kUnknown) continue;  // skipped when the loop advances
    od::value& v = field.value();
    od::json_type type;
    if (auto e = v.type().get(type)) {
      error = simdjson::error_message(e);
      return Parsed::kBad;
    }
    const bool null = type == od::json_type::null;
    if (null) {
      // A literal that merely starts with 'n' (e.g. "nul") must still be rejected.
      if (!v.is_null()) return wrong_type(info);
      if (info.key == Key::kTs) return wrong_type(info);
      continue;
    }
    switch (info.key) {
      case Key::kTs: {
        // Read in place: a timestamp has no escapes (one that does is not RFC 3339 anyway),
        // and this saves copying every line's ts into the parser's string buffer.
        od::raw_json_string raw;
        if (type != od::json_type::string || v.get_raw_json_string().get(raw)) {
          return wrong_type(info);
        }
        const char* p = raw.raw();
        std::size_t n = 0;
        while (n < 40 && p[n] != '"' && p[n] != '\\') ++n;
        const auto t = p[n] == '"' ? parse_log_ts(std::string_view(p, n)) : std::nullopt;
        if (!t) {
          error = "ts: not an RFC 3339 time";
          return Parsed::kBad;
        }
        r.ts = *t;
        has_ts = true;
        break;
      }
      case Key::kString:
        if (type != od::json_type::string) return wrong_type(info);
        if (wanted.has(info.field)) {
          std::string_view s;
          if (auto e = v.get_string().get(s)) {
            error = simdjson::error_message(e);
            return Parsed::kBad;
          }
          r.str[static_cast<std::size_t>(info.field)] = s;
        }
        break;
      case Key::kOtherString:
        if (type != od::json_type::string) return wrong_type(info);
        break;
      case Key::kEventMessage:
        if (type == od::json_type::string && event_message) {
          std::string_view s;
          if (auto e = v.get_string().get(s)) {
            error = simdjson::error_message(e);
            return Parsed::kBad;
          }
          *event_message = s;
        }
        break;
      case Key::kReplayed: {
        bool b;
        if (type != od::json_type::boolean || v.get_bool().get(b)) return wrong_type(info);
        if (wanted.toss) r.replayed = b;
        break;
      }
      case Key::kLatency:
      case Key::kTossLatency: {
        if (type != od::json_type::number) return wrong_type(info);
        const bool want = info.key == Key::kLatency ? wanted.latency : wanted.toss;
        if (!want) break;
        double d;
        if (v.get_double().get(d)) return wrong_type(info);
        (info.key == Key::kLatency ? r.latency_ms : r.toss_latency_ms) = d;
        break;
      }
      default: {  // integers
        if (type != od::json_type::number) return wrong_type(info);
        std::optional<std::int64_t> scratch;
        std::optional<std::int64_t>* slot = nullptr;
        if (info.key == Key::kAmount && wanted.amounts) slot = &r.amount;
        if (info.key == Key::kExpectedAmount && wanted.amounts) slot = &r.expected_amount;
        if (info.key == Key::kTossHttpStatus && wanted.toss) slot = &r.toss_http_status;
        if (info.key == Key::kHttpStatus && wanted.http) slot = &r.http_status;
        if (!slot) {
          // Not read, but checked the same way: a plain integer token needs no parsing.
          std::string_view token = v.raw_json_token();
          while (!token.empty() && (token.back() == ' ' || token.back() == '\n' ||
                                    token.back() == '\r' || token.back() == '\t')) {
            token.remove_suffix(1);
          }
          bool plain = !token.empty() && token.size() <= 18;
          for (char ch : token) plain = plain && ((ch >= '0' && ch <= '9') || ch == '-');
          if (plain) break;
          slot = &scratch;
        }
        od::number n;
        if (v.get_number().get(n)) return wrong_type(info);
        if (n.is_int64()) {
          *slot = n.get_int64();
        } else if (n.is_uint64()) {
          return wrong_type(info);
        } else {
          const double d = n.get_double();
          // Range first: casting 1e33 to int64 is undefined (found by the log_line fuzzer).
          if (!(d >= -9.2e18 && d <= 9.2e18) || d != std::trunc(d)) return wrong_type(info);
          *slot = static_cast<std::int64_t>(d);
        }
        break;
      }
    }
  }
  // Anything after the object ("{...} {...}", "{...}}") makes the line malformed.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) {
    error = "trailing content after the object";
    return Parsed::kBad;
  }
  return Parsed::kOk;
}

}  // namespace

LineKind RecordParser::parse(std::string_view line, LogRecord& r) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  std::size_t lead = 0;
  while (lead < line.size() && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
  line.remove_prefix(lead);
  if (line.empty()) return LineKind::kBlank;
  r.clear();
  bool has_ts = false;
  std::optional<std::string_view> event_message;
  if (parse_object(impl_->outer, line.data(), line.size(), line.size() + kLinePadding,
                   impl_->wanted, r, has_ts, &event_message, error_) != Parsed::kOk) {
    return LineKind::kMalformed;
  }
  if (has_ts) {
    r.json = line;
    return LineKind::kRecord;
  }
  if (!event_message) {
    error_ = "no ts field";
    return LineKind::kMalformed;
  }
  // A Supabase export: the log line is the JSON text inside event_message.
  auto& buf = impl_->inner_buf;
  const std::size_t n = event_message->size();
  if (buf.size() < n + kLinePadding) buf.resize(n + kLinePadding);
  std::memcpy(buf.data(), event_message->data(), n);
  std::memset(buf.data() + n, ' ', kLinePadding);
  r.clear();
  has_ts = false;
  if (parse_object(impl_->inner, buf.data(), n, buf.size(), impl_->wanted, r, has_ts, nullptr,
                   error_) != Parsed::kOk) {
    error_ = "event_message: " + error_;
    return LineKind::kMalformed;
  }
  if (!has_ts) {
    error_ = "event_message: no ts field";
    return LineKind::kMalformed;
  }
  r.json = std::string_view(buf.data(), n);
  while (!r.json.empty() && (r.json.back() == '\n' || r.json.back() == ' '))
    r.json.remove_suffix(1);
  r.wrapped = true;
  return LineKind::kRecord;
}

}  // namespace payedge::logs
