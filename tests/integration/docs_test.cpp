// docs/error-codes.md lists exactly the codes the binary can emit, and the source emits no
// code string outside the error table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"

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
