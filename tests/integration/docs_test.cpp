// docs/error-codes.md lists exactly the codes the binary can emit, and the source emits no
// code string outside the error table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "toss/toss_errors.h"

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> codes_in(const std::string& text, const std::regex& re) {
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    out.insert((*it)[1]);
  return out;
}

TEST(ErrorCodesDoc, ListsExactlyTheCodesOfTheBinary) {
  std::set<std::string> table;
  for (const auto& e : payedge::all_error_codes()) table.insert(std::string(e.name));
  const std::string doc = slurp(std::filesystem::path(PAYEDGE_SOURCE_DIR) / "docs/error-codes.md");
  ASSERT_FALSE(doc.empty());
  // Table rows of the doc start with "| `CODE` |".
  const auto documented = codes_in(doc, std::regex(R"(\n\|\s*`((?:E_|TOSS_)[A-Z_]+)`\s*\|)"));
  EXPECT_EQ(documented, table);
}

TEST(ErrorCodesDoc, SourceUsesNoCodeOutsideTheTable) {
  std::set<std::string> table;
  for (const auto& e : payedge::all_error_codes()) table.insert(std::string(e.name));
  const std::regex code_literal(R"re("((?:E_[A-Z][A-Z_]+)|TOSS_API_ERROR)")re");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           std::filesystem::path(PAYEDGE_SOURCE_DIR) / "src")) {
    if (!entry.is_regular_file()) continue;
    for (const auto& code : codes_in(slurp(entry.path()), code_literal)) {
      EXPECT_TRUE(table.contains(code)) << code << " in " << entry.path();
    }
  }
}

TEST(ErrorCodesDoc, TossClassTableEqualsTheCode) {
  const std::string doc = slurp(std::filesystem::path(PAYEDGE_SOURCE_DIR) / "docs/error-codes.md");
  const auto section = doc.find("## Toss's answers in three classes");
  ASSERT_NE(section, std::string::npos);
  const std::string text = doc.substr(section);
  const std::regex row(R"(\n\|\s*`([A-Z_]+)`\s*\|\s*(\d+)\s*\|\s*(transient|buyer|merchant)\s*\|)");
  std::set<std::string> documented, table;
  for (std::sregex_iterator it(text.begin(), text.end(), row), end; it != end; ++it)
    documented.insert((*it)[1].str() + " " + (*it)[2].str() + " " + (*it)[3].str());
  for (const auto& e : payedge::toss_error_table()) {
    table.insert(std::string(e.code) + " " + std::to_string(e.http_status) + " " +
                 std::string(payedge::to_string(e.answer_class)));
  }
  EXPECT_EQ(documented, table);
  // SPEC section 5's anchors.
  using payedge::TossAnswerClass;
  EXPECT_EQ(payedge::classify_toss_code("PROVIDER_ERROR"), TossAnswerClass::kTransient);
  EXPECT_EQ(payedge::classify_toss_code("FAILED_DB_PROCESSING"), TossAnswerClass::kTransient);
  EXPECT_EQ(payedge::classify_toss_code("SOME_NEW_CODE"), TossAnswerClass::kTransient);
  EXPECT_EQ(payedge::classify_toss_code("REJECT_CARD_PAYMENT"), TossAnswerClass::kBuyerRejection);
  for (auto code : {"UNAUTHORIZED_KEY", "INVALID_API_KEY", "INCORRECT_BASIC_AUTH_FORMAT",
                    "FORBIDDEN_REQUEST", "INVALID_IDEMPOTENCY_KEY"}) {
    EXPECT_EQ(payedge::classify_toss_code(code), TossAnswerClass::kMerchantMisconfiguration)
        << code;
  }
  EXPECT_EQ(payedge::classify_toss_answer(503, "REJECT_CARD_PAYMENT"), TossAnswerClass::kTransient);
  EXPECT_EQ(payedge::classify_toss_answer(429, ""), TossAnswerClass::kTransient);
  EXPECT_EQ(payedge::classify_toss_answer(401, ""), TossAnswerClass::kMerchantMisconfiguration);
  EXPECT_EQ(payedge::toss_http_status_for("PROVIDER_ERROR"), 400);
  EXPECT_EQ(payedge::toss_http_status_for("UNAUTHORIZED_KEY"), 401);
}

TEST(ErrorCodesDoc, HttpStatusesMatchTheSpec) {
  using payedge::ErrorCode;
  using payedge::info;
  EXPECT_EQ(info(ErrorCode::kInvalidRequest).http_status, 400);
  EXPECT_EQ(info(ErrorCode::kPayloadTooLarge).http_status, 413);
  EXPECT_EQ(info(ErrorCode::kUnauthorized).http_status, 401);
  EXPECT_EQ(info(ErrorCode::kCourseNotFound).http_status, 404);
  EXPECT_EQ(info(ErrorCode::kCourseInactive).http_status, 409);
  EXPECT_EQ(info(ErrorCode::kPaymentsDisabled).http_status, 503);
  EXPECT_EQ(info(ErrorCode::kCouponInvalid).http_status, 400);
  EXPECT_EQ(info(ErrorCode::kAmountMismatch).http_status, 400);
  EXPECT_EQ(info(ErrorCode::kAlreadyEnrolled).http_status, 409);
  EXPECT_EQ(info(ErrorCode::kIdempotencyConflict).http_status, 409);
  EXPECT_EQ(info(ErrorCode::kTossRejected).http_status, 402);
  EXPECT_EQ(info(ErrorCode::kTossApiError).http_status, 502);
  EXPECT_EQ(info(ErrorCode::kWebhookInvalidSig).http_status, 401);
  EXPECT_EQ(info(ErrorCode::kRateLimited).http_status, 429);
  EXPECT_EQ(info(ErrorCode::kInternal).http_status, 500);
  EXPECT_EQ(info(ErrorCode::kTossApiError).name, "TOSS_API_ERROR");
}

}  // namespace
