#include "logs/record_parser.h"

#include <simdjson.h>

#include <cstring>
#include <vector>

#include "core/time.h"
#include "logs/fast_path.h"
#include "logs/simdjson_path.h"

namespace payedge::logs {

using detail::is_ws;
using detail::kDefaultFn;
using detail::Key;
using detail::ObjectKeys;
using detail::Parsed;
using detail::PlainKeys;
namespace od = simdjson::ondemand;

struct RecordParser::Impl {
  FieldSet wanted;
  ParsePath path = ParsePath::kFast;
  detail::QuoteMask quotes;
  detail::KeyCache keys;
  od::parser outer;
  od::parser inner;
  std::vector<char> inner_buf;
  std::vector<char> metadata_buf;  // a CSV row's metadata, padded for simdjson
  std::string json_buf;            // an inner line completed with the row's ts and fn
};

RecordParser::RecordParser(FieldSet wanted, ParsePath path) : impl_(std::make_unique<Impl>()) {
  impl_->wanted = wanted;
  impl_->path = path;
}

RecordParser::~RecordParser() = default;

LineKind RecordParser::parse(std::string_view line, LogRecord& r) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  std::size_t lead = 0;
  while (lead < line.size() && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
  line.remove_prefix(lead);
  if (line.empty()) return LineKind::kBlank;
  r.clear();
  if (impl_->path == ParsePath::kFast) {
    PlainKeys keys;
    if (detail::parse_plain_line<false>(line, impl_->quotes, impl_->keys, impl_->wanted, r, keys) &&
        keys.ts) {
      ++fast_reads_;
      r.json = line;
      return LineKind::kRecord;
    }
    r.clear();
  }
  ObjectKeys seen;
  seen.row_keys = true;
  if (detail::parse_object(impl_->outer, line.data(), line.size(), line.size() + kLinePadding,
                           impl_->wanted, r, seen, error_) != Parsed::kOk) {
    if (!seen.type_error) return LineKind::kMalformed;
    // A log field of the wrong type is fine in an export row around a log line: read the row
    // again for its own keys only; without a line inside, the first error stands.
    std::string first = std::move(error_);
    r.clear();
    seen = ObjectKeys{};
    seen.row_keys = seen.row_keys_only = true;
    if (detail::parse_object(impl_->outer, line.data(), line.size(), line.size() + kLinePadding,
                             impl_->wanted, r, seen, error_) != Parsed::kOk ||
        !seen.message) {
      error_ = std::move(first);
      return LineKind::kMalformed;
    }
  } else if (seen.ts) {
    r.json = line;
    return LineKind::kRecord;
  }
  if (!seen.message) {
    error_ = "no ts field";
    return LineKind::kMalformed;
  }
  return unwrap(*seen.message, seen.message_key == Key::kMessage ? "MESSAGE" : "event_message",
                seen.outer_ts, seen.function_name, std::nullopt, r);
}

LineKind RecordParser::parse_row(const ExportRow& row, LogRecord& r) {
  r.clear();
  if (!row.event_message) {
    error_ = "the row has no event_message field";
    return LineKind::kMalformed;
  }
  return unwrap(*row.event_message, "event_message", row.timestamp, row.function_name, row.metadata,
                r);
}

LineKind RecordParser::unwrap(std::string_view message, std::string_view key,
                              std::optional<std::string_view> outer_ts,
                              std::optional<std::string_view> function_name,
                              std::optional<std::string_view> metadata, LogRecord& r) {
  // The log line is the JSON text inside the row: copied so that it has the parser's padding.
  auto& buf = impl_->inner_buf;
  const std::size_t n = message.size();
  if (buf.size() < n + kLinePadding) buf.resize(n + kLinePadding);
  std::memcpy(buf.data(), message.data(), n);
  std::memset(buf.data() + n, ' ', kLinePadding);
  std::string_view inner(buf.data(), n);
  while (!inner.empty() && is_ws(inner.back())) inner.remove_suffix(1);
  while (!inner.empty() && is_ws(inner.front())) inner.remove_prefix(1);
  r.clear();
  PlainKeys keys;
  bool read = false;
  if (impl_->path == ParsePath::kFast) {
    read =
        detail::parse_plain_line<true>(inner, impl_->quotes, impl_->keys, impl_->wanted, r, keys);
    if (read) {
      ++fast_reads_;
    } else {
      r.clear();
      keys = {};
    }
  }
  if (!read) {
    ObjectKeys seen;
    if (detail::parse_object(impl_->inner, buf.data(), n, buf.size(), impl_->wanted, r, seen,
                             error_) != Parsed::kOk) {
      error_ = std::string(key) + ": " + error_;
      return LineKind::kMalformed;
    }
    keys.ts = seen.ts;
    keys.fn = seen.fn;
  }
  // The original Edge Function's lines have no ts: the row's timestamp is the event time.
  if (!keys.ts) {
    if (!outer_ts) {
      error_ = std::string(key) + ": no ts field, and the row has no timestamp";
      return LineKind::kMalformed;
    }
    const auto t = parse_export_timestamp(*outer_ts);
    if (!t) {
      error_ = "timestamp: neither microseconds since the epoch (16 digits) nor ISO 8601";
      return LineKind::kMalformed;
    }
    r.ts = *t;
  }
  // ... and no fn: the function the row names, else the runbook's confirm-payment. (A line with
  // its own ts is payedge's and is taken as it is.)
  std::string_view fn;
  if (!keys.ts && !keys.fn) {
    fn = kDefaultFn;
    if (function_name && detail::is_function_slug(*function_name)) {
      fn = *function_name;
    } else if (metadata && (impl_->wanted.has(Field::kFn) || impl_->wanted.json)) {
      // A CSV row's metadata column is JSON text; read only when the answer needs the name.
      auto& mb = impl_->metadata_buf;
      if (mb.size() < metadata->size() + kLinePadding) mb.resize(metadata->size() + kLinePadding);
      std::memcpy(mb.data(), metadata->data(), metadata->size());
      std::memset(mb.data() + metadata->size(), ' ', kLinePadding);
      std::optional<std::string_view> name;
      try {
        od::document doc;
        od::value v;
        if (impl_->outer.iterate(mb.data(), metadata->size(), mb.size()).get(doc) ==
                simdjson::SUCCESS &&
            doc.get_value().get(v) == simdjson::SUCCESS) {
          detail::read_function_name(v, name);
        }
      } catch (const simdjson::simdjson_error&) {
        name.reset();  // metadata is the platform's, not the log line: never malformed for it
      }
      if (name && detail::is_function_slug(*name)) fn = *name;
    }
    if (impl_->wanted.has(Field::kFn)) r.str[static_cast<std::size_t>(Field::kFn)] = fn;
  }
  r.wrapped = true;
  r.json = inner;
  if (!keys.ts && impl_->wanted.json) {
    // Printed lines (query, export, sample) are complete SPEC section 7 lines.
    std::string& j = impl_->json_buf;
    j.assign("{");
    if (!keys.ts) j.append("\"ts\":\"").append(format_utc(r.ts)).append("\",");
    if (!fn.empty()) j.append("\"fn\":\"").append(fn).append("\",");
    std::string_view rest = inner.substr(1);
    while (!rest.empty() && is_ws(rest.front())) rest.remove_prefix(1);
    if (rest.front() == '}') j.pop_back();
    j.append(rest);
    r.json = j;
  }
  return LineKind::kRecord;
}

}  // namespace payedge::logs
