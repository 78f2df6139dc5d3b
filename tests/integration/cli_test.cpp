// The CLI contracts of SPEC section 8 that need no server: exit codes, token, seed, price.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness.h"

namespace payedge::testing {
namespace {

using nlohmann::json;

TEST(Cli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run_payedge({}).exit_code, 2);
  EXPECT_EQ(run_payedge({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(run_payedge({"token"}).exit_code, 2);  // --user is required
  EXPECT_EQ(run_payedge({"--help"}).exit_code, 0);
}

// A Korean locale whatever the runner's (LC_ALL and LC_MESSAGES blanked).
const std::map<std::string, std::string> kKorean = {
    {"LANG", "ko_KR.UTF-8"}, {"LC_ALL", ""}, {"LC_MESSAGES", ""}};

bool has_hangul(const std::string& s) {
  // U+AC00..U+D7A3 in UTF-8 start with 0xEA..0xED.
  for (unsigned char c : s) {
    if (c >= 0xEA && c <= 0xED) return true;
  }
  return false;
}

// Every command's --help in Korean by default: every description line of every command and
// option (found by walking the "하위 명령" lists from the top), and the CLI11 labels; English
// with --lang en or an English locale.
TEST(Cli, HelpIsKoreanByDefaultForEveryCommand) {
  std::vector<std::vector<std::string>> todo = {{}};
  std::set<std::string> seen;
  int commands = 0;
  while (!todo.empty()) {
    auto path = todo.back();
    todo.pop_back();
    auto args = path;
    args.push_back("--help");
    auto r = run_payedge(args, kKorean);
    std::string name;
    for (const auto& p : path) name += p + " ";
    SCOPED_TRACE(name);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ++commands;
    EXPECT_NE(r.out.find("사용법:"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Usage"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Options:"), std::string::npos) << r.out;
    // One entry per option or command: CLI11 puts a description after a long name on the next
    // line, indented.
    std::vector<std::string> entries;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("          ", 0) == 0 && !entries.empty()) {
        entries.back() += line;
      } else {
        entries.push_back(line);
      }
    }
    bool in_subcommands = false;
    for (const std::string& line : entries) {
      if (line == "하위 명령:") {
        in_subcommands = true;
        continue;
      }
      if (line.empty() || line.back() == ':') {
        in_subcommands = false;
        continue;
      }
      if (line.rfind("  ", 0) != 0) continue;  // the description and usage lines
      // "  --flag TYPE   description" or "  name   description": the description is Korean.
      EXPECT_TRUE(has_hangul(line)) << "not translated: " << line;
      static const std::regex sub(R"(^  (\S+)\s)");
      std::smatch m;
      if (in_subcommands && std::regex_search(line, m, sub)) {
        auto next = path;
        next.push_back(m[1]);
        if (seen.insert(name + m[1].str()).second) todo.push_back(next);
      }
    }
  }
  EXPECT_GT(commands, 40);  // every command was reached
  auto en = run_payedge({"ops", "verify", "--help", "--lang", "en"}, kKorean);
  EXPECT_NE(en.out.find("Usage:"), std::string::npos) << en.out;
  EXPECT_NE(en.out.find("Cross-check the store against Toss"), std::string::npos) << en.out;
  auto locale =
      run_payedge({"ops", "verify", "--help"},
                  {{"LANG", "ko_KR.UTF-8"}, {"LC_ALL", ""}, {"LC_MESSAGES", "en_US.UTF-8"}});
  EXPECT_NE(locale.out.find("Cross-check the store against Toss"), std::string::npos) << locale.out;
  // --lang takes only ko or en.
  EXPECT_EQ(run_payedge({"ops", "verify", "--lang", "fr"}, kKorean).exit_code, 2);
}

TEST(Cli, SeedRefusesABadFileAndWritesNothing) {
  TempDir dir;
  std::ofstream(dir.file("bad.json"))
      << R"({"courses":[{"id":"a","list_price":1000},{"id":"b","list_price":-1}]})";
  auto r = run_payedge({"seed", dir.file("bad.json"), "--store", "sqlite://" + dir.file("db")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("courses[1]"), std::string::npos) << r.err;
  auto migrate = run_payedge({"migrate", "--store", "sqlite://" + dir.file("db")});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_EQ(Db(dir.file("db")).count("courses"), 0);
}

TEST(Cli, SeedAcceptsToml) {
  TempDir dir;
  std::ofstream(dir.file("seed.toml"))
      << "[[courses]]\nid = \"t1\"\ntitle = \"TOML\"\nlist_price = 12000\n"
         "[[coupons]]\ncode = \"T10\"\nkind = \"PERCENT\"\nvalue = 10\n";
  auto r = run_payedge({"seed", dir.file("seed.toml"), "--store", "sqlite://" + dir.file("db")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Db db(dir.file("db"));
  EXPECT_EQ(db.scalar("SELECT list_price FROM courses WHERE id = 't1'"), "12000");
  EXPECT_EQ(db.scalar("SELECT kind FROM coupons WHERE code = 'T10'"), "PERCENT");
}

TEST(Cli, PriceExplainJson) {
  TempDir dir;
  std::ofstream(dir.file("seed.json")) << sample_seed_json();
  const std::string store = "sqlite://" + dir.file("db");
  ASSERT_EQ(run_payedge({"seed", dir.file("seed.json"), "--store", store}).exit_code, 0);
  auto r = run_payedge({"price", "explain", "--course", "course-cpp", "--coupon", "WELCOME10",
                        "--store", store, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["course_id"], "course-cpp");
  EXPECT_EQ(j["list_price"], 99000);
  EXPECT_EQ(j["sale_price"], 79000);
  EXPECT_EQ(j["sale_active"], true);
  EXPECT_EQ(j["base"], 79000);
  EXPECT_EQ(j["coupon_code"], "WELCOME10");
  EXPECT_EQ(j["coupon_applied"], true);
  EXPECT_EQ(j["discount"], 7900);
  EXPECT_EQ(j["expected"], 71100);

  auto expired = run_payedge({"price", "explain", "--course", "course-ml", "--coupon", "SUMMER2026",
                              "--store", store, "--format", "json"});
  json e = json::parse(expired.out);
  EXPECT_EQ(e["sale_active"], false);
  EXPECT_EQ(e["coupon_applied"], false);
  EXPECT_EQ(e["coupon_error"], "expired");
  EXPECT_EQ(e["expected"], 129000);

  auto table = run_payedge({"price", "explain", "--course", "course-cpp", "--store", store});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("79000"), std::string::npos);
  EXPECT_EQ(run_payedge({"price", "explain", "--course", "nope", "--store", store}).exit_code, 1);
}

TEST(Cli, TokenIsAcceptedByTheService) {
  Stack stack;
  auto t = run_payedge({"token", "--user", "cli-user"}, test_env());
  ASSERT_EQ(t.exit_code, 0);
  std::string token = t.out.substr(0, t.out.find('\n'));
  auto r = http_call(stack.api_port(), "POST", "/functions/v1/confirm-payment",
                     json{{"paymentKey", "k-token-1"},
                          {"orderId", "order-token-1"},
                          {"amount", 1},
                          {"courseId", "course-nope"}}
                         .dump(),
                     {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(r.json()["error"]["code"],
            "E_COURSE_NOT_FOUND");  // authenticated, then refused on the course
}

TEST(Cli, DemoRunsAndStopsByItself) {
  TempDir dir;
  auto r = run_payedge({"demo", "--dir", dir.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("E_AMOUNT_MISMATCH"), std::string::npos);
  EXPECT_NE(r.out.find("replayed"), std::string::npos);
  Db db(dir.file("payedge.db"));
  // The confirm story pays twice and refunds one by webhook (step 9); the incident story's
  // buyers are paid after their retries. Every payment but the refunded one is enrolled.
  const auto payments = db.count("payments");
  EXPECT_GE(payments, 2);
  EXPECT_EQ(db.count("payments", "status = 'CANCELED'"), 1);
  EXPECT_EQ(db.count("enrollments", "status = 'ACTIVE'"), payments - 1);
  // The incident story (issue 16's "done when"): the 5xx burst fired its alert, the mismatch
  // wave switched a course off automatically, the on-call turned it back on, and the demo ends
  // with a postmortem written from the staged incident, its path printed.
  EXPECT_GE(db.count("alerts", "rule = 'toss_5xx_burst' AND state = 'firing'"), 1);
  EXPECT_GE(db.count("audit_log", "action = 'course.deactivate' AND actor = 'payedge-alert'"), 1)
      << r.out;
  EXPECT_GE(db.count("audit_log", "action = 'course.activate' AND actor = 'oncall-demo'"), 1);
  std::vector<std::string> postmortems;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("incidents"))) {
    const std::string name = e.path().filename().string();
    if (name.rfind("PM-", 0) == 0 && name.ends_with(".md")) postmortems.push_back(e.path());
  }
  ASSERT_EQ(postmortems.size(), 1u);
  EXPECT_NE(r.out.find(postmortems[0]), std::string::npos) << r.out;
}

}  // namespace
}  // namespace payedge::testing
