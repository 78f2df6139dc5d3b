// libFuzzer target: the log-line reader (plain lines and Supabase-wrapped ones) must never
// crash on any line, and always says record, blank or malformed.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "logs/record_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static payedge::logs::RecordParser parser(payedge::logs::FieldSet::all());
  // The scanner guarantees kLinePadding readable bytes after every line; so does this.
  std::vector<char> buffer(size + payedge::logs::kLinePadding, ' ');
  if (size) std::memcpy(buffer.data(), data, size);
  payedge::logs::LogRecord record;
  const auto kind = parser.parse(std::string_view(buffer.data(), size), record);
  if (kind != payedge::logs::LineKind::kRecord && kind != payedge::logs::LineKind::kBlank &&
      kind != payedge::logs::LineKind::kMalformed) {
    std::abort();
  }
  return 0;
}
