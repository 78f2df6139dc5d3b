// The same events written the ways payedge meets them: as payedge's own log lines, and as
// Supabase and journald export them — rows {id, timestamp, event_message, metadata} as JSON
// lines, one JSON array and the Logs Explorer's CSV download, log-drain rows, and
// `journalctl -o json` entries. The exports carry the original Edge Function's line (runbook
// section 2's fields, no `ts`, no `fn`) with the event time in the outer row only, and the
// function's name, when it is not confirm-payment, in the row's metadata. Made here from the
// generator's records; no file is copied from anywhere.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "log_fixture.h"

namespace payedge::logs::testing {

// Fields of the original Edge Function's line (runbook section 2).
inline nlohmann::ordered_json original_fields(const GenRecord& r, std::size_t i) {
  nlohmann::ordered_json j;
  j["request_id"] = "req-" + std::to_string(i);
  j["status"] = r.status;
  j["error_code"] = r.error_code ? nlohmann::ordered_json(*r.error_code) : nullptr;
  if (r.latency_ms) j["latency_ms"] = *r.latency_ms;
  if (r.user_id) j["user_id"] = *r.user_id;
  j["course_id"] = r.course_id ? nlohmann::ordered_json(*r.course_id) : nullptr;
  return j;
}

// The same event as payedge writes it: `ts` and `fn` first.
inline std::string payedge_line(const GenRecord& r, std::size_t i) {
  nlohmann::ordered_json j;
  j["ts"] = format_ts(r.ts);
  j["fn"] = r.fn;
  const nlohmann::ordered_json fields = original_fields(r, i);
  for (const auto& [k, v] : fields.items()) j[k] = v;
  return j.dump();
}

// Microseconds since the epoch, with sub-millisecond digits that must be dropped, not rounded.
inline std::int64_t micros(const GenRecord& r, std::size_t i) {
  return r.ts * 1000 + static_cast<std::int64_t>((i * 379) % 1000);
}

// "2026-11-25T14:30:00.123456": ISO 8601 without a zone, as the ClickHouse Logs Explorer shows it.
inline std::string iso_micros(std::int64_t us) {
  std::string s = format_ts(us / 1000);  // "...:SS.mmmZ"
  s.pop_back();
  char tail[8];
  std::snprintf(tail, sizeof tail, "%03lld", static_cast<long long>(us % 1000));
  return s + tail;
}

inline nlohmann::ordered_json function_metadata(const GenRecord& r, std::size_t i) {
  nlohmann::ordered_json m;
  m["event_type"] = "Log";
  m["function_id"] = "5c1e0c3e-0000-4000-8000-" + std::to_string(100000000000 + i % 7);
  m["level"] = r.status == "error" ? "error" : "log";
  m["execution_id"] = "exec-" + std::to_string(i);
  // The name only where the default (confirm-payment) would be wrong, and on some rows where
  // it is right, so that both paths are taken.
  if (r.fn != "confirm-payment" || i % 3 == 0) m["function_name"] = r.fn;
  return m;
}

struct ExportRowText {
  std::string id;
  std::int64_t micros = 0;
  std::string event_message;
  nlohmann::ordered_json metadata;
};

inline std::vector<ExportRowText> export_rows(const std::vector<const GenRecord*>& records) {
  std::vector<ExportRowText> out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const GenRecord& r = *records[i];
    std::string msg = original_fields(r, i).dump();
    if (i % 4 == 1) msg += "\n";  // console.log's line break, kept by some exports
    out.push_back({"d8f0e8a2-0000-4000-9000-" + std::to_string(100000000000 + i), micros(r, i),
                   std::move(msg), function_metadata(r, i)});
  }
  return out;
}

inline std::vector<const GenRecord*> records_of(const std::vector<GenLine>& lines) {
  std::vector<const GenRecord*> out;
  for (const auto& l : lines) {
    if (l.record) out.push_back(&*l.record);
  }
  return out;
}

inline std::string write_payedge(const std::vector<const GenRecord*>& records) {
  std::string s;
  for (std::size_t i = 0; i < records.size(); ++i) s += payedge_line(*records[i], i) + "\n";
  return s;
}

// Logs Explorer results as JSON lines: `metadata` as BigQuery returns it, a one-element array.
inline std::string write_json_lines(const std::vector<ExportRowText>& rows) {
  std::string s;
  for (const auto& row : rows) {
    nlohmann::ordered_json j;
    j["id"] = row.id;
    j["timestamp"] = row.micros;
    j["event_message"] = row.event_message;
    j["metadata"] = nlohmann::ordered_json::array({row.metadata});
    s += j.dump() + "\n";
  }
  return s;
}

// The same rows as one pretty-printed JSON array, newest first as the Explorer sorts them.
inline std::string write_json_array(const std::vector<ExportRowText>& rows) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    nlohmann::ordered_json j;
    j["event_message"] = it->event_message;
    j["id"] = it->id;
    j["metadata"] = nlohmann::ordered_json::array({it->metadata});
    j["timestamp"] = it->micros;
    arr.push_back(std::move(j));
  }
  return arr.dump(2);
}

// Log-drain rows: one object per line, `metadata` an object, the time as an ISO string
// without a zone on every other row.
inline std::string write_drain_rows(const std::vector<ExportRowText>& rows) {
  std::string s;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    nlohmann::ordered_json j;
    j["id"] = row.id;
    j["metadata"] = row.metadata;
    if (i % 2) {
      j["timestamp"] = iso_micros(row.micros);
    } else {
      j["timestamp"] = row.micros;
    }
    j["event_message"] = row.event_message;
    s += j.dump() + "\n";
  }
  return s;
}

// RFC 4180 as Papa.unparse writes it: quoted only when needed, quotes doubled, CRLF rows.
inline std::string csv_field(const std::string& v) {
  const bool quote = v.find_first_of(",\"\r\n") != std::string::npos ||
                     (!v.empty() && (v.front() == ' ' || v.back() == ' '));
  if (!quote) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The Logs Explorer's CSV download of the Edge Function query (its columns, plus `metadata`
// for the function's name). `iso`: the ClickHouse Explorer's zone-less ISO timestamps.
inline std::string write_csv(const std::vector<ExportRowText>& rows, bool iso) {
  std::string s = "id,timestamp,event_message,event_type,function_id,level,metadata\r\n";
  for (const auto& row : rows) {
    const std::string ts = iso ? iso_micros(row.micros) : std::to_string(row.micros);
    s += csv_field(row.id) + "," + csv_field(ts) + "," + csv_field(row.event_message) + "," +
         csv_field(row.metadata.value("event_type", "")) + "," +
         csv_field(row.metadata.value("function_id", "")) + "," +
         csv_field(row.metadata.value("level", "")) + "," + csv_field(row.metadata.dump()) + "\r\n";
  }
  return s;
}

// `journalctl -o json` of payedge's unit: MESSAGE holds payedge's own line.
inline std::string write_journald(const std::vector<const GenRecord*>& records) {
  std::string s;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const GenRecord& r = *records[i];
    nlohmann::ordered_json j;
    j["__CURSOR"] = "s=0b1c;i=" + std::to_string(i);
    j["__REALTIME_TIMESTAMP"] = std::to_string(micros(r, i) + 250);  // written a moment later
    j["__MONOTONIC_TIMESTAMP"] = std::to_string(1000000 + i);
    j["_SYSTEMD_UNIT"] = "payedge.service";
    j["SYSLOG_IDENTIFIER"] = "payedge";
    j["PRIORITY"] = "6";
    j["_PID"] = "4242";
    j["MESSAGE"] = payedge_line(r, i);
    s += j.dump() + "\n";
  }
  return s;
}

}  // namespace payedge::logs::testing
