// The simdjson path of the log reader: any JSON object, type-checked field by field, and the
// only judge of what is malformed and why; it also reads the keys of export rows around a log
// line (Supabase rows, journald entries). Internal to src/logs.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "logs/parse_keys.h"
#include "logs/record.h"

namespace payedge::logs::detail {

namespace od = simdjson::ondemand;

enum class Parsed { kOk, kBad };

// What one simdjson pass over an object saw besides the log fields it wrote into the record.
struct ObjectKeys {
  // In: read the keys of an export row around a log line (event_message, MESSAGE, timestamp,
  // metadata, function_name); otherwise they are ignored like any unknown key.
  bool row_keys = false;
  // In: read only those; the log fields are skipped unchecked (an export row's own columns
  // are not the log line's: a drain's `status` may be a number).
  bool row_keys_only = false;

  bool ts = false;
  bool fn = false;          // present, even as null
  bool type_error = false;  // the error was a log field of the wrong type (or a bad ts)
  std::optional<std::string_view> message;  // the log line inside the row
  Key message_key = Key::kEventMessage;
  std::optional<std::string_view> outer_ts;  // raw text; empty: present but not a time
  std::optional<std::string_view> function_name;
  std::string message_bytes;  // journald's MESSAGE given as an array of bytes
};

// simdjson's iterator can still throw on some broken documents (found by the log_line
// fuzzer): a thrown error is a malformed line like any other, never a crash.
Parsed parse_object(od::parser& parser, const char* data, std::size_t len, std::size_t capacity,
                    const FieldSet& wanted, LogRecord& r, ObjectKeys& seen, std::string& error);

// Every string under `function_name` in an object, or in the first object of an array (BigQuery
// gives `metadata` as a one-element array). Walks the whole value, so the caller's iteration
// goes on where it should.
simdjson::error_code read_function_name(od::value v, std::optional<std::string_view>& out);

// A Supabase Edge Function's name (its URL slug); anything else in `function_name` is ignored.
bool is_function_slug(std::string_view s);

// The runbook's function: lines of the original Edge Function that no row names are its.
inline constexpr std::string_view kDefaultFn = "confirm-payment";

}  // namespace payedge::logs::detail
