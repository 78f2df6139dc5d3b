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
// gtest prints a parameter into ctest's test name: the name, not the struct's bytes.
void PrintTo(const BadLine& b, std::ostream* os) { *os << b.name; }

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
    [](const auto& p) { return std::string(p.param.name); });

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
  // Export rows: the line inside without ts or fn, the row's own keys of every type.
  for (const std::string& row : std::vector<std::string>{
           R"("timestamp":1795654923123456)", R"("timestamp":"1795654923123456")",
           R"("timestamp":"2026-11-26T01:02:03.123456")", R"("timestamp":"2026-11-26 01:02:03")",
           R"("timestamp":179574132312)", R"("timestamp":1.5e15)", R"("timestamp":null)",
           R"("timestamp":[1])",
           R"("timestamp":1795654923123456,"metadata":[{"function_name":"toss-webhook"}])",
           R"("timestamp":1795654923123456,"metadata":{"function_name":"bad name"})",
           R"("timestamp":1795654923123456,"metadata":[{"x":1},{"function_name":"a"}])",
           R"("timestamp":1795654923123456,"function_name":"refund","status":200)",
           R"("timestamp":1795654923123456,"status":200,"ts":7)",
           R"("__REALTIME_TIMESTAMP":"1795654923123456")"}) {
    for (const std::string& inner :
         {std::string(R"({\"status\":\"success\",\"latency_ms\":12})"),
          std::string(R"({\"fn\":null,\"status\":\"error\"})"), std::string(R"({ })"),
          std::string(R"({\"ts\":\"2026-11-26T01:02:03.123Z\"})"),
          std::string(R"({\"latency_ms\":\"x\"})"), std::string("booted")}) {
      expect_same_answer("{" + row + R"(,"event_message":")" + inner + "\"}");
      expect_same_answer("{" + row + R"(,"MESSAGE":")" + inner + "\"}");
    }
  }
  expect_same_answer(R"({"MESSAGE":[123,125],"__REALTIME_TIMESTAMP":"1795654923123456"})");
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

// --- Export rows: Supabase (Logs Explorer, log drains), journald, the CSV download ---

constexpr std::int64_t kRowMicros = 1795654923123456;  // 2026-11-26T01:02:03.123456Z
const EpochMs kRowMs = *parse_rfc3339("2026-11-26T01:02:03.123Z");

TEST(ExportRows, TheOriginalFunctionsLineTakesTheRowsTimeAndConfirmPayment) {
  RecordParser p(FieldSet::all());
  auto r = parse(p, R"({"id":"e1","timestamp":1795654923123456,"event_message":)"
                    R"("{\"request_id\":\"r-1\",\"status\":\"error\",)"
                    R"(\"error_code\":\"TOSS_API_ERROR\",\"latency_ms\":812,)"
                    R"(\"user_id\":\"u-1\",\"course_id\":\"c-1\"}\n",)"
                    R"("metadata":[{"event_type":"Log","function_id":"5c1e","level":"error"}]})");
  ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
  EXPECT_EQ(r.record.ts, kRowMs);  // the microseconds dropped, not rounded
  EXPECT_EQ(r.record.get_or(Field::kFn), "confirm-payment");
  EXPECT_EQ(r.record.get_or(Field::kStatus), "error");
  EXPECT_EQ(r.record.get_or(Field::kErrorCode), "TOSS_API_ERROR");
  EXPECT_EQ(r.record.get_or(Field::kRequestId), "r-1");
  EXPECT_EQ(r.record.latency_ms, 812.0);
  EXPECT_TRUE(r.record.wrapped);
  // Printed, it is a whole SPEC section 7 line.
  EXPECT_EQ(std::string(r.record.json),
            R"({"ts":"2026-11-26T01:02:03.123Z","fn":"confirm-payment","request_id":"r-1",)"
            R"("status":"error","error_code":"TOSS_API_ERROR","latency_ms":812,"user_id":"u-1",)"
            R"("course_id":"c-1"})");
}

TEST(ExportRows, TheFunctionsNameComesFromTheRow) {
  RecordParser p(FieldSet::all());
  const std::string inner = R"("event_message":"{\"status\":\"success\"}")";
  for (const auto& [row, fn] : std::vector<std::pair<std::string, std::string>>{
           {R"("metadata":[{"function_name":"toss-webhook"}])", "toss-webhook"},
           {R"("metadata":{"level":"info","function_name":"payment-status"})", "payment-status"},
           {R"("function_name":"refund")", "refund"},
           {R"("metadata":[{"function_id":"5c1e0c3e-0000"}])", "confirm-payment"},
           {R"("metadata":{"function_name":"has space"})", "confirm-payment"},
           {R"("metadata":{"function_name":7})", "confirm-payment"},
           {R"("metadata":"text")", "confirm-payment"}}) {
    SCOPED_TRACE(row);
    auto r = parse(p, "{\"timestamp\":1795654923123456," + row + "," + inner + "}");
    ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
    EXPECT_EQ(r.record.get_or(Field::kFn), fn);
  }
  // A line that names its function keeps it, even null.
  auto own = parse(p, R"({"timestamp":1795654923123456,"function_name":"refund",)"
                      R"("event_message":"{\"fn\":\"toss-webhook\"}"})");
  ASSERT_EQ(own.kind, LineKind::kRecord) << own.error;
  EXPECT_EQ(own.record.get_or(Field::kFn), "toss-webhook");
  auto null_fn = parse(p, R"({"timestamp":1795654923123456,"event_message":"{\"fn\":null}"})");
  ASSERT_EQ(null_fn.kind, LineKind::kRecord) << null_fn.error;
  EXPECT_FALSE(null_fn.record.get(Field::kFn).has_value());
  EXPECT_EQ(std::string(null_fn.record.json), R"({"ts":"2026-11-26T01:02:03.123Z","fn":null})");
}

TEST(ExportRows, TimestampsInEveryFormTheExportsUse) {
  RecordParser p(FieldSet::all());
  for (const char* ts : {"1795654923123456", "\"1795654923123456\"",
                         "\"2026-11-26T01:02:03.123456\"", "\"2026-11-26 01:02:03.123\"",
                         "\"2026-11-26T01:02:03.123Z\"", "\"2026-11-26T10:02:03.123+09:00\""}) {
    SCOPED_TRACE(ts);
    auto r = parse(p, std::string(R"({"event_message":"{}","timestamp":)") + ts + "}");
    ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
    EXPECT_EQ(r.record.ts, kRowMs);
  }
  EXPECT_EQ(parse_export_timestamp("2026-11-26T01:02:03"), kRowMs - 123);
  EXPECT_EQ(parse_export_timestamp(std::to_string(kRowMicros)), kRowMs);
  // Milliseconds or seconds would be read decades off: refused.
  for (const char* bad : {"1795654923123", "1795654923", "17956549231234567", "-795654923123456",
                          "2026-11-26T25:00:00", "2026-11-26T01:02", "tomorrow", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_export_timestamp(bad).has_value());
  }
}

TEST(ExportRows, TheLinesOwnTsWinsOverTheRows) {
  RecordParser p(FieldSet::all());
  auto r = parse(p, R"({"timestamp":"not a time","event_message":)"
                    R"("{\"ts\":\"2026-11-26T01:02:03.123Z\",\"fn\":\"toss-webhook\"}"})");
  ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
  EXPECT_EQ(r.record.ts, kRowMs);
  EXPECT_EQ(std::string(r.record.json), R"({"ts":"2026-11-26T01:02:03.123Z","fn":"toss-webhook"})");
}

TEST(ExportRows, JournaldEntries) {
  RecordParser p(FieldSet::all());
  // payedge's own line in MESSAGE: read as it is.
  auto own = parse(p, R"({"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1795654999000000",)"
                      R"("_SYSTEMD_UNIT":"payedge.service","PRIORITY":"6","MESSAGE":)"
                      R"("{\"ts\":\"2026-11-26T01:02:03.123Z\",\"fn\":\"confirm-payment\",)"
                      R"(\"status\":\"success\",\"latency_ms\":40}"})");
  ASSERT_EQ(own.kind, LineKind::kRecord) << own.error;
  EXPECT_EQ(own.record.ts, kRowMs);
  EXPECT_EQ(own.record.latency_ms, 40.0);
  // A line without ts takes __REALTIME_TIMESTAMP.
  auto bare = parse(
      p, R"({"__REALTIME_TIMESTAMP":"1795654923123456","MESSAGE":"{\"status\":\"success\"}"})");
  ASSERT_EQ(bare.kind, LineKind::kRecord) << bare.error;
  EXPECT_EQ(bare.record.ts, kRowMs);
  // journald gives a MESSAGE with bytes it will not print (control bytes, invalid UTF-8) as an
  // array of its bytes: read as the bytes they are.
  auto bytes = parse(p, R"({"__REALTIME_TIMESTAMP":"1795654923123456","MESSAGE":)"
                        R"([123,34,115,116,97,116,117,115,34,58,34,111,107,34,125]})");
  ASSERT_EQ(bytes.kind, LineKind::kRecord) << bytes.error;
  EXPECT_EQ(bytes.record.ts, kRowMs);
  EXPECT_EQ(bytes.record.get_or(Field::kStatus), "ok");
  auto latin1 = parse(p, R"({"__REALTIME_TIMESTAMP":"1795654923123456","MESSAGE":)"
                         R"([123,34,117,97,34,58,34,233,34,125]})");
  EXPECT_EQ(latin1.kind, LineKind::kMalformed);
  EXPECT_EQ(latin1.error.rfind("MESSAGE: ", 0), 0u) << latin1.error;
  // Its own status lines are not log lines.
  auto text = parse(
      p, R"({"__REALTIME_TIMESTAMP":"1795654923123456","MESSAGE":"listening on 127.0.0.1:8080"})");
  EXPECT_EQ(text.kind, LineKind::kMalformed);
  EXPECT_NE(text.error.find("MESSAGE: "), std::string::npos) << text.error;
}

TEST(ExportRows, ARowsOwnColumnsAreNotTheLinesFields) {
  // A drain row may carry its own `status` (a number) or `level` around the line.
  RecordParser p(FieldSet::all());
  auto r = parse(p, R"({"status":200,"level":"info","timestamp":1795654923123456,)"
                    R"("event_message":"{\"status\":\"success\",\"level\":\"warn\"}"})");
  ASSERT_EQ(r.kind, LineKind::kRecord) << r.error;
  EXPECT_EQ(r.record.get_or(Field::kStatus), "success");
  EXPECT_EQ(r.record.get_or(Field::kLevel), "warn");
  // Without a line inside, the wrong type is the answer.
  auto bad = parse(p, R"({"status":200,"timestamp":1795654923123456})");
  EXPECT_EQ(bad.kind, LineKind::kMalformed);
  EXPECT_EQ(bad.error, "status: wrong type");
}

INSTANTIATE_TEST_SUITE_P(
    Rows, MalformedLine,
    ::testing::Values(
        BadLine{"no_time_anywhere", R"({"id":"e1","event_message":"{\"status\":\"success\"}"})",
                "event_message: no ts field, and the row has no timestamp"},
        BadLine{"milliseconds",
                R"({"timestamp":1795654923123,"event_message":"{\"status\":\"success\"}"})",
                "timestamp: neither microseconds"},
        BadLine{"timestamp_object",
                R"({"timestamp":{"s":1},"event_message":"{\"status\":\"success\"}"})",
                "timestamp: neither microseconds"},
        BadLine{"inner_wrong_type",
                R"({"timestamp":1795654923123456,"event_message":"{\"latency_ms\":\"9ms\"}"})",
                "event_message: latency_ms: wrong type"},
        BadLine{"journald_not_json",
                R"({"__REALTIME_TIMESTAMP":"1795654923123456","MESSAGE":"started"})", "MESSAGE: "},
        BadLine{"metadata_broken",
                R"({"timestamp":1795654923123456,"metadata":[{"a":},"event_message":"{}"})", ""}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(ExportRows, CsvRowsAreReadLikeJsonRows) {
  RecordParser p(FieldSet::all());
  const std::string ts = std::to_string(kRowMicros);
  const std::string msg = R"({"status":"success","latency_ms":33})";
  const std::string meta = R"({"function_name":"toss-webhook","level":"log"})";
  LogRecord r;
  ASSERT_EQ(p.parse_row({ts, msg, std::nullopt, std::nullopt}, r), LineKind::kRecord) << p.error();
  EXPECT_EQ(r.ts, kRowMs);
  EXPECT_EQ(r.get_or(Field::kFn), "confirm-payment");
  EXPECT_EQ(r.latency_ms, 33.0);
  ASSERT_EQ(p.parse_row({ts, msg, meta, std::nullopt}, r), LineKind::kRecord) << p.error();
  EXPECT_EQ(r.get_or(Field::kFn), "toss-webhook");
  ASSERT_EQ(p.parse_row({"2026-11-26T01:02:03.123456", msg, "not json", std::nullopt}, r),
            LineKind::kRecord);
  EXPECT_EQ(r.ts, kRowMs);
  EXPECT_EQ(r.get_or(Field::kFn), "confirm-payment");  // metadata never makes a row bad
  EXPECT_EQ(p.parse_row({ts, std::nullopt, std::nullopt, std::nullopt}, r), LineKind::kMalformed);
  EXPECT_NE(p.error().find("no event_message"), std::string::npos);
  EXPECT_EQ(p.parse_row({std::nullopt, msg, std::nullopt, std::nullopt}, r), LineKind::kMalformed);
  EXPECT_EQ(p.parse_row({"", msg, std::nullopt, std::nullopt}, r), LineKind::kMalformed);
  EXPECT_EQ(p.parse_row({ts, "", std::nullopt, std::nullopt}, r), LineKind::kMalformed);
}

TEST(ExportRows, ThePayedgeLineStaysOnTheFastPath) {
  // Only the row around it is simdjson's; the lines inside are read by the fast path.
  RecordParser p(FieldSet::all(), ParsePath::kFast);
  ASSERT_EQ(
      parse(p, R"({"timestamp":1795654923123456,"event_message":"{\"status\":\"success\"}"})").kind,
      LineKind::kRecord);
  EXPECT_EQ(p.fast_reads(), 1u);
}

}  // namespace
}  // namespace payedge::logs
