// LiveAlerts (the engine inside `serve`) over a real SQLite store: an operator's "back on"
// written to audit_log by any process is seen by the engine, and the same old mismatches do
// not switch the course off again (SPEC 9; issue 16's 4.5-minute re-fire).
#include "alert/live.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/store.h"

namespace payedge::alert {
namespace {

constexpr EpochMs kT0 = 1'795'617'000'000;

struct NullSink final : LogSink {
  void write(const RequestLog&) override {}
};

class TempStore {
 public:
  TempStore() {
    dir_ = std::filesystem::temp_directory_path() /
           ("payedge-live-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_));
    std::filesystem::create_directories(dir_);
    auto s = open_store("sqlite://" + (dir_ / "s.db").string(), 2, 5000);
    if (!s) throw std::runtime_error(s.error().detail);
    store = std::move(*s);
    if (!store->migrate()) throw std::runtime_error("migrate");
  }
  ~TempStore() {
    store.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Store> store;

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
};

RequestLog mismatch_line(EpochMs ts, const std::string& user) {
  RequestLog l;
  l.ts = ts;
  l.fn = "confirm-payment";
  l.success = false;
  l.error_code = "E_AMOUNT_MISMATCH";
  l.http_status = 400;
  l.user_id = user;
  l.course_id = "c1";
  return l;
}

bool course_active(Store& s) { return (*s.find_course("c1"))->active; }

TEST(LiveAlerts, OperatorBackOnIsNotUndoneByTheSameOldMismatches) {
  TempStore ts;
  Store& store = *ts.store;
  ASSERT_TRUE(store.upsert_course(
      Course{"c1", "Course", 10000, std::nullopt, std::nullopt, std::nullopt, true}));
  // The store stamps audit rows with the wall clock: the engine's clock starts two minutes
  // before it, so the first wave is still inside the 10-minute window when the operator acts.
  const EpochMs t0 = SystemClock::instance().now_ms() - 120'000;
  FixedClock clock(t0);
  NullSink sink;
  AlertsConfig config;  // the defaults: 10 mismatches, 5 users
  LiveAlerts live(config, store, clock, sink, Notifier{});

  for (int u = 0; u < 12; ++u)
    live.write(mismatch_line(t0 + u * 1000, "buyer-" + std::to_string(u)));
  clock.set(t0 + 15'000);
  live.flush();
  ASSERT_FALSE(course_active(store));  // the price bug switched the course off

  // The operator turns it back on (as `ops course activate` does: audited, any process).
  ASSERT_TRUE(store.set_course_active(
      "c1", true, AuditEntry{"oncall", "course.activate", "c1", "price fixed", "{}"}));
  const EpochMs now = SystemClock::instance().now_ms();
  // A moment later one more mismatch: with the twelve old ones (still in the window) it would
  // fire again.
  live.write(mismatch_line(now + 1000, "buyer-late"));
  clock.set(now + 2000);
  live.flush();
  EXPECT_TRUE(course_active(store));
  auto rows = store.audit_between(t0, now + 600'000, 100);
  ASSERT_TRUE(rows);
  int automatic = 0;
  for (const auto& row : *rows) automatic += row.entry.actor == kAlertActor;
  EXPECT_EQ(automatic, 1);

  // A new wave after the change switches it off again.
  for (int u = 0; u < 12; ++u) {
    live.write(mismatch_line(now + 3000 + u * 1000, "new-" + std::to_string(u)));
  }
  clock.set(now + 20'000);
  live.flush();
  EXPECT_FALSE(course_active(store));
}

}  // namespace
}  // namespace payedge::alert
