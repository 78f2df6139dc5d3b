#include "logs/simdjson_path.h"

#include <cmath>
#include <cstring>

#include "core/time.h"
#include "logs/record_parser.h"

namespace payedge::logs::detail {
namespace {

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
    case Key::kMessage:
      return "MESSAGE";
    case Key::kOuterTs:
      return "timestamp";
    case Key::kMetadata:
      return "metadata";
    case Key::kFunctionName:
      return "function_name";
    case Key::kOtherString:
      return "error_detail";
    case Key::kOtherInt:
      return "toss_tries";
    case Key::kUnknown:
      break;
  }
  return "?";
}

bool is_row_key(Key k) {
  return k == Key::kEventMessage || k == Key::kMessage || k == Key::kOuterTs ||
         k == Key::kMetadata || k == Key::kFunctionName;
}

}  // namespace

// Every string under `function_name` in an object, or in the first object of an array (BigQuery
// gives `metadata` as a one-element array). Walks the whole value, so the caller's iteration
// goes on where it should.
simdjson::error_code read_function_name(od::value v, std::optional<std::string_view>& out) {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  auto from_object = [&](od::value obj_value) -> simdjson::error_code {
    od::object obj;
    if (auto e = obj_value.get_object().get(obj)) return e;
    for (auto item : obj) {
      od::field f;
      if (auto e = std::move(item).get(f)) return e;
      const char* k = f.key().raw();
      if (std::strncmp(k, "function_name\"", 14) != 0) continue;
      od::json_type t;
      if (auto e = f.value().type().get(t)) return e;
      std::string_view s;
      if (t == od::json_type::string && f.value().get_string().get(s) == simdjson::SUCCESS) out = s;
    }
    return simdjson::SUCCESS;
  };
  if (type == od::json_type::object) return from_object(v);
  if (type != od::json_type::array) return simdjson::SUCCESS;
  od::array arr;
  if (auto e = v.get_array().get(arr)) return e;
  bool first = true;
  for (auto item : arr) {
    od::value element;
    if (auto e = std::move(item).get(element)) return e;
    if (!first) continue;
    first = false;
    od::json_type t;
    if (auto e = element.type().get(t)) return e;
    if (t == od::json_type::object) {
      if (auto e = from_object(element)) return e;
    }
  }
  return simdjson::SUCCESS;
}

// journald writes a MESSAGE that is not valid UTF-8 as an array of its bytes.
bool read_message_bytes(od::value v, std::string& out) {
  od::array arr;
  if (v.get_array().get(arr)) return false;
  out.clear();
  for (auto item : arr) {
    std::uint64_t b;
    if (item.get_uint64().get(b) || b > 255) return false;
    out.push_back(static_cast<char>(b));
  }
  return true;
}

// One pass over every field of the object: known fields are type-checked, wanted ones read.
Parsed parse_object_unchecked(od::parser& parser, const char* data, std::size_t len,
                              std::size_t capacity, const FieldSet& wanted, LogRecord& r,
                              ObjectKeys& seen, std::string& error);

Parsed parse_object(od::parser& parser, const char* data, std::size_t len, std::size_t capacity,
                    const FieldSet& wanted, LogRecord& r, ObjectKeys& seen, std::string& error) {
  try {
    return parse_object_unchecked(parser, data, len, capacity, wanted, r, seen, error);
  } catch (const simdjson::simdjson_error& e) {
    error = e.what();
    seen.type_error = false;
    return Parsed::kBad;
  }
}

Parsed parse_object_unchecked(od::parser& parser, const char* data, std::size_t len,
                              std::size_t capacity, const FieldSet& wanted, LogRecord& r,
                              ObjectKeys& seen, std::string& error) {
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
    seen.type_error = true;
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
    const KeyInfo info = classify_raw(k);
    if (info.key == Key::kUnknown) continue;  // skipped when the loop advances
    const bool row_key = is_row_key(info.key);
    if (row_key ? !seen.row_keys : seen.row_keys_only) continue;
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
      if (info.key == Key::kString && info.field == Field::kFn) seen.fn = true;
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
        while (p[n] != '"' && p[n] != '\\') ++n;  // simdjson found the closing quote
        const auto t = p[n] == '"' ? parse_log_ts(std::string_view(p, n)) : std::nullopt;
        if (!t) {
          error = "ts: not an RFC 3339 time";
          seen.type_error = true;
          return Parsed::kBad;
        }
        r.ts = *t;
        seen.ts = true;
        break;
      }
      case Key::kString:
      case Key::kOtherString: {
        // Unescaped even when not wanted: a bad escape makes the line malformed for every query.
        if (type != od::json_type::string) return wrong_type(info);
        std::string_view s;
        if (auto e = v.get_string().get(s)) {
          error = std::string(key_name(info)) + ": " + simdjson::error_message(e);
          return Parsed::kBad;
        }
        if (info.key == Key::kString && wanted.has(info.field)) {
          r.str[static_cast<std::size_t>(info.field)] = s;
        }
        if (info.key == Key::kString && info.field == Field::kFn) seen.fn = true;
        break;
      }
      case Key::kEventMessage:
      case Key::kMessage: {
        std::string_view s;
        if (type == od::json_type::string) {
          if (auto e = v.get_string().get(s)) {
            error = std::string(key_name(info)) + ": " + simdjson::error_message(e);
            return Parsed::kBad;
          }
        } else if (info.key == Key::kMessage && type == od::json_type::array &&
                   read_message_bytes(v, seen.message_bytes)) {
          s = seen.message_bytes;
        } else {
          break;  // not a log line: the row is judged without it
        }
        seen.message = s;
        seen.message_key = info.key;
        break;
      }
      case Key::kOuterTs:
        if (type == od::json_type::number) {
          std::string_view token = v.raw_json_token();
          while (!token.empty() && is_ws(token.back())) token.remove_suffix(1);
          seen.outer_ts = token;
        } else if (type == od::json_type::string) {
          std::string_view s;
          if (auto e = v.get_string().get(s)) {
            error = std::string(key_name(info)) + ": " + simdjson::error_message(e);
            return Parsed::kBad;
          }
          seen.outer_ts = s;
        } else {
          seen.outer_ts = std::string_view();
        }
        break;
      case Key::kMetadata:
        if (auto e = read_function_name(v, seen.function_name)) {
          error = std::string("metadata: ") + simdjson::error_message(e);
          return Parsed::kBad;
        }
        break;
      case Key::kFunctionName:
        if (type == od::json_type::string) {
          std::string_view s;
          if (v.get_string().get(s) == simdjson::SUCCESS) seen.function_name = s;
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
        double d;
        if (v.get_double().get(d)) return wrong_type(info);
        const bool want = info.key == Key::kLatency ? wanted.latency : wanted.toss;
        if (want) (info.key == Key::kLatency ? r.latency_ms : r.toss_latency_ms) = d;
        break;
      }
      default: {  // integers
        if (type != od::json_type::number) return wrong_type(info);
        // Parsed even when not wanted, so that what is malformed does not depend on the query.
        std::optional<std::int64_t> scratch;
        std::optional<std::int64_t>* slot = &scratch;
        if (info.key == Key::kAmount && wanted.amounts) slot = &r.amount;
        if (info.key == Key::kExpectedAmount && wanted.amounts) slot = &r.expected_amount;
        if (info.key == Key::kTossHttpStatus && wanted.toss) slot = &r.toss_http_status;
        if (info.key == Key::kHttpStatus && wanted.http) slot = &r.http_status;
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
    seen.type_error = false;
    return Parsed::kBad;
  }
  return Parsed::kOk;
}

// A Supabase Edge Function's name (its URL slug); anything else in `function_name` is ignored.
bool is_function_slug(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
      return false;
  }
  return true;
}

}  // namespace payedge::logs::detail
