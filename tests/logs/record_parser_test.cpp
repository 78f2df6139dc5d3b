// One line in, one record (or a reason it is malformed) out: plain and Supabase-wrapped
// lines, and every kind of bad line.
#include "logs/record_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace payedge::logs {
namespace {

// The parser needs readable padding after the line; a std::string with spare room gives it.
struct Parsed {
  LineKind kind;
  LogRecord record;
  std::string error;
  std::string storage;
};

Parsed parse(RecordParser& p, const std::string& line) {
  Parsed out;
  out.storage = line + std::string(kLinePadding, ' ');
  out.kind = p.parse(std::string_view(out.storage.data(), line.size()), out.record);
  out.error = p.error();
  return out;
}

TEST(RecordParser, ReadsThePlainLine) {
  RecordParser p(FieldSet::all());
  auto r = parse(p, R"({"ts":"2026-11-26T01:02:03.123Z","level":"warn","fn":"confirm-payment",)"
                    R"("request_id":"r-1","status":"error","error_code":"E_AMOUNT_MISMATCH",)"
                    R"("latency_ms":412,"http_status":400,"user_id":"u-1","course_id":"c-1",)"
                    R"("order_id":"o-1","payment_key":"tgen****1234","amount":44000,)"
                    R"("expected_amount":49000,"coupon_code":"SQL5000","toss_http_status":null,)"
                    R"("toss_code":null,"toss_latency_ms":null,"replayed":false,"ip":"1.2.3.4",)"
                    R"("ua":"curl/8","future_field":{"x":[1,2]}})");
  ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
  const LogRecord& rec = r.record;
  EXPECT_EQ(rec.ts, *parse_rfc3339("2026-11-26T01:02:03.123Z"));
  EXPECT_EQ(rec.get_or(Field::kFn), "confirm-payment");
  EXPECT_EQ(rec.get_or(Field::kStatus), "error");
  EXPECT_EQ(rec.get_or(Field::kErrorCode), "E_AMOUNT_MISMATCH");
  EXPECT_EQ(rec.get_or(Field::kUserId), "u-1");
  EXPECT_EQ(rec.get_or(Field::kCourseId), "c-1");
  EXPECT_EQ(rec.get_or(Field::kCouponCode), "SQL5000");
  EXPECT_FALSE(rec.get(Field::kTossCode).has_value());  // null
  EXPECT_EQ(rec.latency_ms, 412.0);
  EXPECT_EQ(rec.http_status, 400);
  EXPECT_EQ(rec.amount, 44000);
  EXPECT_EQ(rec.expected_amount, 49000);
  EXPECT_EQ(rec.replayed, false);
  EXPECT_FALSE(rec.toss_latency_ms.has_value());
  EXPECT_FALSE(rec.wrapped);
  EXPECT_EQ(rec.json.front(), '{');
  EXPECT_EQ(rec.json.back(), '}');
}

TEST(RecordParser, ReadsOnlyTheWantedFields) {
  FieldSet wanted;
  wanted.add(Field::kCourseId);
  RecordParser p(wanted);
  auto r = parse(p, R"({"ts":"2026-11-26T01:02:03.123Z","user_id":"u","course_id":"c"})");
  ASSERT_EQ(r.kind, LineKind::kRecord);
  EXPECT_EQ(r.record.get_or(Field::kCourseId), "c");
  EXPECT_FALSE(r.record.get(Field::kUserId).has_value());
}

TEST(RecordParser, UnwrapsASupabaseExportLine) {
  RecordParser p(FieldSet::all());
  auto r = parse(p, R"({"event_message":"{\"ts\":\"2026-11-26T01:02:03.123Z\",\"status\":)"
                    R"(\"error\",\"error_code\":\"TOSS_API_ERROR\",\"latency_ms\":3001}\n",)"
                    R"("id":"e1","timestamp":1795741323123000,"metadata":[{"level":"info"}]})");
  ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
  EXPECT_TRUE(r.record.wrapped);
  EXPECT_EQ(r.record.get_or(Field::kErrorCode), "TOSS_API_ERROR");
  EXPECT_EQ(r.record.latency_ms, 3001.0);
  EXPECT_EQ(std::string(r.record.json),
            R"({"ts":"2026-11-26T01:02:03.123Z","status":"error","error_code":"TOSS_API_ERROR",)"
            R"("latency_ms":3001})");
}

TEST(RecordParser, EventMessageFirstOrLastMakesNoDifference) {
  RecordParser p(FieldSet::all());
  auto r = parse(p, R"({"id":"e1","event_message":"{\"ts\":\"2026-11-26T01:02:03.123Z\"}"})");
  ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
  EXPECT_TRUE(r.record.wrapped);
}

TEST(RecordParser, BlankLinesAreNeitherRecordsNorMalformed) {
  RecordParser p(FieldSet::all());
  EXPECT_EQ(parse(p, "").kind, LineKind::kBlank);
  EXPECT_EQ(parse(p, "  \t\r").kind, LineKind::kBlank);
}

TEST(RecordParser, AcceptsCrlfAndRfc3339Offsets) {
  RecordParser p(FieldSet::all());
  auto r = parse(p, "{\"ts\":\"2026-11-26T10:02:03+09:00\",\"status\":\"success\"}\r");
  ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
  EXPECT_EQ(r.record.ts, *parse_rfc3339("2026-11-26T01:02:03Z"));
}

TEST(RecordParser, AcceptsIntegralFloatsForIntegerFields) {
  RecordParser p(FieldSet::all());
  auto r = parse(p, R"({"ts":"2026-11-26T01:02:03.123Z","amount":49000.0,"latency_ms":12.5})");
  ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
  EXPECT_EQ(r.record.amount, 49000);
  EXPECT_EQ(r.record.latency_ms, 12.5);
}

struct BadLine {
  const char* name;
  const char* line;
  const char* reason_contains;
};

class MalformedLine : public ::testing::TestWithParam<BadLine> {};

TEST_P(MalformedLine, IsCountedWithAReason) {
  // Whatever the query reads, a bad line is bad: the count must not depend on the command.
  for (const FieldSet& wanted : {FieldSet{}, FieldSet::all()}) {
    RecordParser p(wanted);
    auto r = parse(p, GetParam().line);
    EXPECT_EQ(r.kind, LineKind::kMalformed) << GetParam().line;
    EXPECT_NE(r.error.find(GetParam().reason_contains), std::string::npos) << r.error;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Lines, MalformedLine,
    ::testing::Values(
        BadLine{"truncated", R"({"ts":"2026-11-26T01:02:03.123Z","fn":"conf)", ""},
        BadLine{"unclosed_object", R"({"ts":"2026-11-26T01:02:03.123Z","fn":"x")", ""},
        BadLine{"not_json", "Listening on http://0.0.0.0:8000/", ""},
        BadLine{"array", "[1,2,3]", "not a JSON object"},
        BadLine{"latency_string", R"({"ts":"2026-11-26T01:02:03.123Z","latency_ms":"12ms"})",
                "latency_ms: wrong type"},
        BadLine{"status_number", R"({"ts":"2026-11-26T01:02:03.123Z","status":1})",
                "status: wrong type"},
        BadLine{"amount_fraction", R"({"ts":"2026-11-26T01:02:03.123Z","amount":1.5})",
                "amount: wrong type"},
        BadLine{"replayed_string", R"({"ts":"2026-11-26T01:02:03.123Z","replayed":"no"})",
                "replayed: wrong type"},
        BadLine{"no_ts", R"({"status":"success"})", "no ts"},
        BadLine{"ts_null", R"({"ts":null})", "ts: wrong type"},
        BadLine{"ts_not_a_date", R"({"ts":"2026-02-30T00:00:00.000Z"})", "RFC 3339"},
        BadLine{"trailing", R"({"ts":"2026-11-26T01:02:03.123Z"} {"ts":"x"})", "trailing"},
        BadLine{"extra_brace", R"({"ts":"2026-11-26T01:02:03.123Z"}})", "trailing"},
        BadLine{"event_message_text", R"x({"event_message":"booted (time: 31ms)"})x",
                "event_message"},
        BadLine{"event_message_bad_inner",
                R"({"event_message":"{\"ts\":\"2026-11-26T01:02:03.123Z\",\"latency_ms\":\"x\"}"})",
                "event_message: latency_ms: wrong type"}),
    [](const auto& info) { return std::string(info.param.name); });

// --- The fast path and the simdjson path read every line the same way ---

void expect_same_record(const LogRecord& a, const LogRecord& b) {
  EXPECT_EQ(a.ts, b.ts);
  for (std::size_t i = 0; i < kStringFieldCount; ++i) {
    EXPECT_EQ(a.str[i], b.str[i]) << field_name(static_cast<Field>(i));
  }
  EXPECT_EQ(a.latency_ms.has_value(), b.latency_ms.has_value());
  if (a.latency_ms && b.latency_ms) {
    EXPECT_EQ(std::signbit(*a.latency_ms), std::signbit(*b.latency_ms));
    EXPECT_EQ(*a.latency_ms, *b.latency_ms);
  }
  EXPECT_EQ(a.toss_latency_ms, b.toss_latency_ms);
  EXPECT_EQ(a.http_status, b.http_status);
  EXPECT_EQ(a.amount, b.amount);
  EXPECT_EQ(a.expected_amount, b.expected_amount);
  EXPECT_EQ(a.toss_http_status, b.toss_http_status);
  EXPECT_EQ(a.replayed, b.replayed);
  EXPECT_EQ(a.json, b.json);
  EXPECT_EQ(a.wrapped, b.wrapped);
}

std::vector<FieldSet> some_field_sets() {
  FieldSet latency;
  latency.latency = true;
  FieldSet top;
  top.add(Field::kCourseId).add(Field::kErrorCode);
  return {FieldSet{}, FieldSet::all(), latency, top};
}

// Every vector kernel this CPU has, so that the AVX2 and SSE2 ones are checked on a machine
// that would pick AVX-512.
std::vector<MaskKernel> kernels_here() {
  const MaskKernel before = mask_kernel();
  std::vector<MaskKernel> out;
  for (MaskKernel k : {MaskKernel::kAvx512, MaskKernel::kAvx2, MaskKernel::kPortable}) {
    if (use_mask_kernel(k)) out.push_back(k);
  }
  use_mask_kernel(before);
  return out;
}

// One line through both paths under several queries and every kernel; every difference is a
// failure.
void expect_same_answer(const std::string& line) {
  SCOPED_TRACE(line);
  static const std::vector<MaskKernel> kernels = kernels_here();
  const MaskKernel before = mask_kernel();
  for (MaskKernel k : kernels) {
    SCOPED_TRACE("kernel " + std::to_string(static_cast<int>(k)));
    use_mask_kernel(k);
    for (const FieldSet& wanted : some_field_sets()) {
      RecordParser fast(wanted, ParsePath::kFast);
      RecordParser slow(wanted, ParsePath::kSimdjsonOnly);
      const auto a = parse(fast, line);
      const auto b = parse(slow, line);
      ASSERT_EQ(a.kind, b.kind) << a.error << " | " << b.error;
      if (a.kind == LineKind::kRecord) {
        expect_same_record(a.record, b.record);
      } else if (a.kind == LineKind::kMalformed) {
        EXPECT_EQ(a.error, b.error);
      }
    }
  }
  use_mask_kernel(before);
}

constexpr const char* kTypicalLine =
    R"({"ts":"2026-11-26T01:02:03.123Z","level":"warn","fn":"confirm-payment",)"
    R"("request_id":"r-1","status":"error","error_code":"E_AMOUNT_MISMATCH",)"
    R"("latency_ms":412,"http_status":400,"user_id":"u-1","course_id":"c-1",)"
    R"("order_id":"o-1","payment_key":"tgen****1234","amount":44000,)"
    R"("expected_amount":49000,"coupon_code":"SQL5000","toss_http_status":null,)"
    R"("toss_code":null,"toss_latency_ms":12.75,"replayed":false,"ip":"1.2.3.4",)"
    R"("ua":"curl/8","toss_tries":1,"error_detail":"x"})";

TEST(ParsePaths, AgreeOnHandPickedLines) {
  const std::string ts = R"("ts":"2026-11-26T01:02:03.123Z")";
  for (const std::string& body : std::vector<std::string>{
           "",
           R"(,"amount":0)",
           R"(,"amount":-0)",
           R"(,"amount":01)",
           R"(,"amount":-)",
           R"(,"amount":1e3)",
           R"(,"amount":1000.0)",
           R"(,"amount":12345678)",
           R"(,"amount":123456789012345678)",
           R"(,"amount":1234567890123456789)",
           R"(,"amount":99999999999999999999)",
           R"(,"amount":-12)",
           R"(,"latency_ms":-0)",
           R"(,"latency_ms":0.1)",
           R"(,"latency_ms":1e400)",
           R"(,"latency_ms":1E+2)",
           R"(,"latency_ms":12.)",
           R"(,"latency_ms":.5)",
           R"(,"latency_ms":5e)",
           R"(,"latency_ms":123456789012345678901234567890)",
           R"(,"replayed":true)",
           R"(,"replayed":tru)",
           R"(,"replayed":nul)",
           R"(,"replayed":null)",
           R"(,"user_id":"a\"b")",
           R"(,"user_id":"a\u0041")",
           R"(,"user_id":"bad\x")",
           R"(,"ua":"bad\x")",
           R"(,"ua":"한국어")",
           "\t,\"ua\":\"x\"",
           R"( , "ua" : "x" )",
           R"(,"nested":{"a":[1,{"b":2}]})",
           R"(,"u":"\u00e9")",
           R"(,"fn":"a","fn":"b")",
           R"(,"fn":"a","fn":null)",
           R"(,"fn":null,"fn":"a")",
           R"(,"fn":"a","fn":1)",
           R"(,"ts":"2026-11-26T01:02:03+09:00")",
           R"(,"ts":"2026-11-26T01:02:03.1234Z")",
           R"(,"ts":"2026-12-26T01:02:03.12000000000073875763Z")",  // found by the fuzzer
           R"(,"event_message":null)",
           R"(,"event_message":5)",
           R"(,"t\u0073":1)",
           R"(,"other":tru)",
           R"(,"other":-)",
           R"(,"other":01)",
           R"(,)",
           R"(,,"a":1)",
           R"(,"a")",
           R"(,"a":)",
           R"(,"a" 1)",
           R"(,"a":1 "b":2)",
           R"(,"a":"x"y)",
           R"(,"toss_tries":1.5)",
           R"(,"http_status":"200")",
           R"(,"status":[])"}) {
    expect_same_answer("{" + ts + body + "}");
    expect_same_answer("{" + ts + body);          // truncated
    expect_same_answer("{" + ts + body + "}}");   // trailing brace
    expect_same_answer("{" + ts + body + "} x");  // trailing text
  }
  expect_same_answer(kTypicalLine);
  expect_same_answer("{}");
  expect_same_answer("{ }");
  expect_same_answer("{\"ts\":\"2026-11-26T01:02:03.123Z\"\x01}");
  expect_same_answer(R"({"event_message":"{\"ts\":\"2026-11-26T01:02:03.123Z\",\"amount\":5}\n"})");
  expect_same_answer(R"({"event_message":" {\"ts\":\"2026-11-26T01:02:03.123Z\"} ","id":1})");
}

// Random edits of a typical line (a fixed seed, a bounded count): deletions, insertions of
// JSON's structural and awkward bytes, replacements. Both paths must agree on every one.
TEST(ParsePaths, AgreeOnMutatedLines) {
  const std::string base = kTypicalLine;
  const std::string alphabet =
      std::string("\"\\{}[],: \t0123456789-+.eEnultrf") + "\x01\xc3\xa9\x80";
  std::mt19937 rng(20261126);
  for (int i = 0; i < 3000; ++i) {
    std::string line = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !line.empty(); ++e) {
      const std::size_t at = rng() % line.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          line.erase(at, 1);
          break;
        case 1:
          line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          line[at] = c;
      }
    }
    expect_same_answer(line);
    if (::testing::Test::HasFailure()) break;  // one clear report, not thousands
  }
}

TEST(ParsePaths, ThePortableKernelIsAlwaysThere) {
  const MaskKernel before = mask_kernel();
  EXPECT_TRUE(use_mask_kernel(MaskKernel::kPortable));
  EXPECT_EQ(mask_kernel(), MaskKernel::kPortable);
  use_mask_kernel(before);
  EXPECT_EQ(mask_kernel(), before);
}

TEST(ParsePaths, TheFastPathReadsTheWritersLinesAndOnlyThose) {
  RecordParser p(FieldSet::all(), ParsePath::kFast);
  ASSERT_EQ(parse(p, kTypicalLine).kind, LineKind::kRecord);
  EXPECT_EQ(p.fast_reads(), 1u);
  // An escape, a nested value, a tab: simdjson's.
  ASSERT_EQ(parse(p, R"({"ts":"2026-11-26T01:02:03.123Z","ua":"a\"b"})").kind, LineKind::kRecord);
  ASSERT_EQ(parse(p, R"({"ts":"2026-11-26T01:02:03.123Z","x":{"y":1}})").kind, LineKind::kRecord);
  ASSERT_EQ(parse(p, "{\"ts\":\"2026-11-26T01:02:03.123Z\",\t\"a\":1}").kind, LineKind::kRecord);
  EXPECT_EQ(p.fast_reads(), 1u);
  // A Supabase wrapper is simdjson's, the line inside it the fast path's.
  ASSERT_EQ(parse(p, R"({"event_message":"{\"ts\":\"2026-11-26T01:02:03.123Z\"}"})").kind,
            LineKind::kRecord);
  EXPECT_EQ(p.fast_reads(), 2u);
  RecordParser slow(FieldSet::all(), ParsePath::kSimdjsonOnly);
  ASSERT_EQ(parse(slow, kTypicalLine).kind, LineKind::kRecord);
  EXPECT_EQ(slow.fast_reads(), 0u);
}

TEST(ParseLogTs, FastPathAgreesWithRfc3339) {
  for (const char* s : {"2026-11-26T01:02:03.123Z", "2024-02-29T23:59:59.999Z",
                        "1970-01-01T00:00:00.000Z", "2026-12-31T15:00:00.000Z"}) {
    SCOPED_TRACE(s);
    ASSERT_TRUE(parse_log_ts(s).has_value());
    EXPECT_EQ(parse_log_ts(s), parse_rfc3339(s));
  }
  EXPECT_FALSE(parse_log_ts("2025-02-29T00:00:00.000Z").has_value());
  EXPECT_FALSE(parse_log_ts("2026-13-01T00:00:00.000Z").has_value());
  EXPECT_FALSE(parse_log_ts("2026-11-26T24:00:00.000Z").has_value());
  EXPECT_FALSE(parse_log_ts("yesterday").has_value());
  // Near misses of the fixed form go the general way and agree with it.
  for (const char* s :
       {"2026-11-26T01:02:03.12xZ", "2026-11-26 01:02:03.123Z", "2026-11-26T01:02:03.123z",
        "2026/11/26T01:02:03.123Z", "2026-11-26T01:02:03,123Z", "2026-11-26T01:02:03.123+00:00"}) {
    SCOPED_TRACE(s);
    EXPECT_EQ(parse_log_ts(s), parse_rfc3339(s));
  }
}

}  // namespace
}  // namespace payedge::logs
