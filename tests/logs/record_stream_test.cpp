// logs::RecordStream (what `payedge watch` reads through): the same records whatever pieces the
// bytes come in, for lines, a JSON array and the Logs Explorer CSV, and a new framing after
// reset().
#include "logs/record_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace payedge::logs {
namespace {

struct Seen {
  std::vector<std::string> records;  // "ts status"
  int malformed = 0;
};

Seen read(RecordStream& stream, const std::string& input, std::size_t piece) {
  Seen seen;
  auto cb = [&](LineKind kind, const LogRecord& r) {
    if (kind == LineKind::kMalformed) {
      ++seen.malformed;
      return;
    }
    seen.records.push_back(std::to_string(r.ts) + " " + std::string(r.get_or(Field::kStatus)));
  };
  for (std::size_t at = 0; at < input.size(); at += piece) {
    stream.feed(std::string_view(input).substr(at, piece), cb);
  }
  stream.finish(cb);
  return seen;
}

FieldSet status_only() {
  FieldSet f;
  f.add(Field::kStatus);
  return f;
}

TEST(RecordStream, SameRecordsWhateverThePieces) {
  const std::string lines =
      "{\"ts\":\"2026-11-26T01:02:03.123Z\",\"status\":\"success\"}\n"
      "not json\n\n"
      "{\"timestamp\":1795654923123456,\"event_message\":\"{\\\"status\\\":\\\"error\\\"}\"}";
  const std::string array =
      "[\n {\"timestamp\":1795654923123456,\"event_message\":\"{\\\"status\\\":\\\"a\\\"}\"},\n"
      " {\"timestamp\":1795654923124456,\"event_message\":\"{\\\"status\\\":\\\"b\\\"}\"}\n]\n";
  const std::string csv =
      "id,timestamp,event_message\r\n"
      "1,1795654923123456,\"{\"\"status\"\":\r\n\"\"a\"\"}\"\r\n"
      "2,2026-11-26T01:02:03.124,\"{\"\"status\"\":\"\"b\"\"}\"\r\n"
      "3,1795654923125456,booted\r\n";
  for (const auto& [name, input, records, malformed] :
       std::vector<std::tuple<std::string, std::string, std::size_t, int>>{
           {"lines", lines, 2, 1}, {"array", array, 2, 0}, {"csv", csv, 2, 1}}) {
    SCOPED_TRACE(name);
    RecordStream whole(status_only());
    const Seen want = read(whole, input, input.size());
    EXPECT_EQ(want.records.size(), records);
    EXPECT_EQ(want.malformed, malformed);
    EXPECT_TRUE(whole.warnings().empty());
    for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{17}}) {
      RecordStream pieces(status_only());
      const Seen got = read(pieces, input, piece);
      EXPECT_EQ(got.records, want.records) << piece;
      EXPECT_EQ(got.malformed, want.malformed) << piece;
    }
  }
}

TEST(RecordStream, EachInputFindsItsOwnFramingAndCutInputsAreWarnedAbout) {
  RecordStream stream(status_only());
  Seen csv = read(stream, "timestamp,event_message\n1795654923123456,\"{\"\"status\"\":\"\"x", 64);
  EXPECT_EQ(csv.malformed, 1);
  ASSERT_EQ(stream.warnings().size(), 1u);
  Seen lines = read(stream, "{\"ts\":\"2026-11-26T01:02:03.123Z\",\"status\":\"ok\"}\n", 64);
  EXPECT_EQ(lines.records, std::vector<std::string>{"1795654923123 ok"});
  read(stream, "[{\"ts\":\"2026-11-26T01:02:03.123Z\"}", 64);
  ASSERT_EQ(stream.warnings().size(), 2u);
  EXPECT_NE(stream.warnings()[1].find("not closed"), std::string::npos);
}

}  // namespace
}  // namespace payedge::logs
