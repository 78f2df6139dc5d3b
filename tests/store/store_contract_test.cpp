// The Store contract, one suite run against both backends: SQLite (a temp file) and
// PostgreSQL (a fresh database on the test server). Same migrations, same behaviour.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "harness.h"
#include "obs/mask.h"
#include "store/sql_store.h"
#include "store/store.h"

namespace payedge::testing {
namespace {

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = GetParam() == "sqlite" ? "sqlite://" + dir_.file("store.db") : fresh_pg_database();
    // "postgresql_schema": the tables in a schema of their own ([store] schema), beside a
    // public schema that stays empty.
    schema_ = GetParam() == "postgresql_schema" ? "payedge" : "public";
    auto store = open_store(url_, 4, 5000, schema_);
    ASSERT_TRUE(store) << store.error().detail;
    store_ = std::move(*store);
    ASSERT_TRUE(store_->migrate());
    ASSERT_TRUE(store_->upsert_course(
        Course{"c1", "Course", 10000, std::nullopt, std::nullopt, std::nullopt, true}));
    Coupon once;
    once.code = "ONCE";
    once.kind = CouponKind::kFixed;
    once.value = 1000;
    once.max_redemptions = 1;
    ASSERT_TRUE(store_->upsert_coupon(once));
  }

  ConfirmAttempt attempt(const std::string& key, const std::string& order, const std::string& user,
                         std::optional<std::string> coupon = std::nullopt) {
    ConfirmAttempt a;
    a.payment_key = key;
    a.order_id = order;
    a.user_id = user;
    a.course_id = "c1";
    a.amount = coupon ? 9000 : 10000;
    a.coupon_code = coupon;
    a.fingerprint = "fp-" + key;
    a.idempotency_key = "idem-" + key;
    a.created_at = 1'800'000'000'000;
    a.lease_until = a.created_at + 30'000;
    a.expires_at = a.created_at + 86'400'000;
    return a;
  }

  Payment payment_for(const ConfirmAttempt& a) {
    Payment p;
    p.provider_tx_id = a.payment_key;
    p.order_id = a.order_id;
    p.user_id = a.user_id;
    p.course_id = a.course_id;
    p.amount = a.amount;
    p.coupon_code = a.coupon_code;
    p.method = "카드";
    p.approved_at = "2027-01-15T17:00:00+09:00";
    return p;
  }

  // Makes the next batch of the group commit hold `members` writes: a first write (started
  // by `start`) is held as a batch of its own until `members` more have queued behind it.
  // Returns once the first write's batch is taken; start the members then.
  class BatchFormer {
   public:
    BatchFormer(Store& store, size_t members) : sql_(dynamic_cast<SqlStore*>(&store)) {
      sql_->group_commit().set_test_hooks(
          [this](size_t) {
            std::lock_guard lock(mu_);
            ++queued_;
            cv_.notify_all();
          },
          [this, members](size_t n) {
            std::unique_lock lock(mu_);
            batches_.push_back(n);
            cv_.notify_all();
            if (batches_.size() == 1) cv_.wait(lock, [&] { return queued_ == members + 1; });
          });
    }
    ~BatchFormer() { sql_->group_commit().set_test_hooks(nullptr, nullptr); }
    void wait_first_batch_taken() {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !batches_.empty(); });
    }
    std::vector<size_t> batches() {
      std::lock_guard lock(mu_);
      return batches_;
    }
    GroupCommit::Stats stats() { return sql_->group_commit().stats(); }

   private:
    SqlStore* sql_;
    std::mutex mu_;
    std::condition_variable cv_;
    size_t queued_ = 0;
    std::vector<size_t> batches_;
  };

  TempDir dir_;
  std::string url_;
  std::string schema_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, MigrateTwiceIsHarmless) {
  EXPECT_TRUE(store_->migrate());
  auto flag = store_->find_flag("payments_enabled");
  ASSERT_TRUE(flag && *flag);
  EXPECT_EQ((*flag)->value, "on");
}

TEST_P(StoreContract, CoursesAndCouponsRoundTrip) {
  Course c{"c2", "둘째 강의", 49000, 39000, 1'700'000'000'000, 1'900'000'000'000, false};
  ASSERT_TRUE(store_->upsert_course(c));
  auto found = store_->find_course("c2");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->title, "둘째 강의");
  EXPECT_EQ((*found)->sale_price, 39000);
  EXPECT_EQ((*found)->sale_starts_at, 1'700'000'000'000);
  EXPECT_EQ((*found)->sale_ends_at, 1'900'000'000'000);
  EXPECT_FALSE((*found)->active);
  auto coupon = store_->find_coupon("ONCE");
  ASSERT_TRUE(coupon && *coupon);
  EXPECT_EQ((*coupon)->max_redemptions, 1);
  EXPECT_EQ((*coupon)->redemptions, 0);
  EXPECT_TRUE((*coupon)->active);
  EXPECT_FALSE(*store_->find_course("nope"));
}

TEST_P(StoreContract, AlertsAndAuditReadBackInTimeOrder) {
  const EpochMs t = 1'800'000'000'000;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(store_->record_alert(
        AlertRow{t + i * 1000, "rule-" + std::to_string(i), "firing", "s", R"({"k":"v"})"}));
  }
  auto newest = store_->list_alerts(t + 1000, 2);  // the newest two at or after t+1s
  ASSERT_TRUE(newest);
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].rule, "rule-2");
  EXPECT_EQ((*newest)[1].rule, "rule-3");
  EXPECT_EQ((*newest)[1].at, t + 3000);
  EXPECT_EQ((*newest)[1].labels, R"({"k":"v"})");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_->append_audit(
        AuditEntry{"kim", "act-" + std::to_string(i), "x", "why", "{}"}, t + i * 60'000));
  }
  auto audit = store_->audit_between(t + 60'000, t + 120'000, 10);  // [1 min, 2 min)
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].entry.action, "act-1");
  EXPECT_EQ((*audit)[0].entry.reason, "why");
  EXPECT_EQ((*audit)[0].at, t + 60'000);
  EXPECT_EQ(store_->audit_between(t, t + 200'000, 2)->size(), 2u);
}

TEST_P(StoreContract, FlagChangesAreAudited) {
  ASSERT_TRUE(
      store_->set_flag(Flag{"payments_enabled", "off", "incident", "kim", 1'800'000'000'000},
                       AuditEntry{"kim", "flag.set", "payments_enabled", "incident", "{}"}));
  EXPECT_EQ((*store_->find_flag("payments_enabled"))->value, "off");
  EXPECT_EQ((*store_->find_flag("payments_enabled"))->actor, "kim");
  ASSERT_TRUE(store_->set_course_active("c1", false,
                                        AuditEntry{"kim", "course.deactivate", "c1", "r", "{}"}));
  EXPECT_FALSE((*store_->find_course("c1"))->active);
  auto missing = store_->set_course_active(
      "nope", false, AuditEntry{"kim", "course.deactivate", "nope", "r", "{}"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kCourseNotFound);
}

TEST_P(StoreContract, CoursesAreListedById) {
  ASSERT_TRUE(store_->upsert_course(
      Course{"a0", "첫 강의", 5000, std::nullopt, std::nullopt, std::nullopt, false}));
  auto courses = store_->list_courses();
  ASSERT_TRUE(courses) << courses.error().detail;
  ASSERT_EQ(courses->size(), 2u);
  EXPECT_EQ((*courses)[0].id, "a0");
  EXPECT_EQ((*courses)[0].title, "첫 강의");
  EXPECT_FALSE((*courses)[0].active);
  EXPECT_EQ((*courses)[1].id, "c1");
  EXPECT_TRUE((*courses)[1].active);
  EXPECT_EQ((*courses)[1].list_price, 10000);
}

TEST_P(StoreContract, AuditIsListedNewestFirst) {
  auto empty = store_->list_audit(10);
  ASSERT_TRUE(empty) << empty.error().detail;
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(
      store_->append_audit(AuditEntry{"kim", "ops.test", "t1", "first", "{}"}, 1'800'000'000'000));
  ASSERT_TRUE(store_->set_flag(
      Flag{"payments_enabled", "off", "second", "lee", 1'800'000'001'000},
      AuditEntry{"lee", "flag.set", "payments_enabled", "second", R"({"to":"off"})"}));
  ASSERT_TRUE(
      store_->append_audit(AuditEntry{"park", "ops.test", "t3", "third", "{}"}, 1'800'000'002'000));
  auto all = store_->list_audit(10);
  ASSERT_TRUE(all) << all.error().detail;
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].entry.reason, "third");
  EXPECT_EQ((*all)[0].entry.actor, "park");
  EXPECT_EQ((*all)[0].at, 1'800'000'002'000);
  EXPECT_EQ((*all)[1].entry.action, "flag.set");
  EXPECT_EQ((*all)[1].entry.target, "payments_enabled");
  EXPECT_EQ((*all)[1].entry.details, R"({"to":"off"})");
  EXPECT_EQ((*all)[2].entry.reason, "first");
  EXPECT_GT((*all)[0].id, (*all)[1].id);
  auto newest = store_->list_audit(2);
  ASSERT_TRUE(newest);
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[1].entry.action, "flag.set");
}

TEST_P(StoreContract, BeginAttemptOutcomes) {
  // Every Result is checked before it is read: a store error fails the test, never crashes it.
  auto begin = [&](const ConfirmAttempt& a) -> std::optional<BeginOutcome> {
    auto r = store_->begin_attempt(a);
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
    if (!r) return std::nullopt;
    return r->outcome;
  };
  auto a = attempt("key-1", "order-0001", "u1");
  EXPECT_EQ(begin(a), BeginOutcome::kStarted);
  auto again = store_->begin_attempt(a);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, BeginOutcome::kExisting);
  ASSERT_TRUE(again->existing);
  EXPECT_EQ(again->existing->fingerprint, "fp-key-1");
  EXPECT_EQ(again->existing->state, AttemptState::kInProgress);
  EXPECT_EQ(begin(attempt("key-2", "order-0001", "u2")), BeginOutcome::kOrderTaken);
  EXPECT_EQ(begin(attempt("key-3", "order-0003", "u1")), BeginOutcome::kUserBusy);
  ASSERT_TRUE(
      store_->complete_attempt("key-1", payment_for(a), 200, R"({"ok":1})", 1'800'000'001'000, 1));
  EXPECT_EQ(begin(attempt("key-4", "order-0004", "u1")), BeginOutcome::kAlreadyEnrolled);
  auto done = store_->find_attempt("key-1");
  ASSERT_TRUE(done);
  ASSERT_TRUE(*done);
  EXPECT_EQ((*done)->state, AttemptState::kDone);
  EXPECT_EQ((*done)->response, R"({"ok":1})");
  auto payment = store_->find_payment("key-1");
  ASSERT_TRUE(payment);
  ASSERT_TRUE(*payment);
  EXPECT_EQ((*payment)->status, "DONE");
}

TEST_P(StoreContract, CouponReservedOnBeginAndReleasedOnFailure) {
  auto a = attempt("key-c1", "order-c001", "u1", "ONCE");
  EXPECT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  EXPECT_EQ((*store_->find_coupon("ONCE"))->redemptions, 1);
  EXPECT_EQ(store_->begin_attempt(attempt("key-c2", "order-c002", "u2", "ONCE"))->outcome,
            BeginOutcome::kCouponExhausted);
  ASSERT_TRUE(store_->fail_attempt("key-c1", "E_TOSS_REJECTED", 402, "{}", 1'800'000'001'000, 1));
  EXPECT_EQ((*store_->find_coupon("ONCE"))->redemptions, 0);
  EXPECT_EQ((*store_->find_attempt("key-c1"))->state, AttemptState::kFailed);
  // Failing twice releases once.
  ASSERT_TRUE(store_->fail_attempt("key-c1", "E_TOSS_REJECTED", 402, "{}", 1'800'000'002'000, 1));
  EXPECT_EQ((*store_->find_coupon("ONCE"))->redemptions, 0);
  EXPECT_EQ(store_->begin_attempt(attempt("key-c3", "order-c003", "u3", "ONCE"))->outcome,
            BeginOutcome::kStarted);
}

TEST_P(StoreContract, LeasesAreClaimedOnlyWhenFreeUnlessBroken) {
  auto a = attempt("key-l1", "order-l001", "u1");
  ASSERT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  const EpochMs now = a.created_at + 1000;  // inside the owner's lease
  EXPECT_FALSE(*store_->claim_attempt("key-l1", now, now + 30'000));
  EXPECT_TRUE(*store_->claim_attempt("key-l1", now, now + 30'000, /*break_lease=*/true));
  ASSERT_TRUE(store_->release_attempt("key-l1", 2));
  EXPECT_TRUE(*store_->claim_attempt("key-l1", now, now + 30'000));
  EXPECT_EQ((*store_->find_attempt("key-l1"))->toss_calls, 2);
  auto open = store_->list_attempts(AttemptState::kInProgress, now + 60'000, 10);
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].payment_key, "key-l1");
}

// Issue 14: a dead instance's lease does not hold until it runs out. The owner is the
// registered instance that began (or last claimed) the attempt; it is dead once its heartbeat
// is older than its own staleness limit, or once it stopped cleanly.
TEST_P(StoreContract, ALeaseOfADeadInstanceIsFreeBeforeItRunsOut) {
  const EpochMs t0 = 1'800'000'000'000;
  InstanceRecord self{"inst-a", "host-a", 4242, "v-test", t0, t0, 0, std::nullopt};
  ASSERT_TRUE(store_->register_instance(self, 3'000));  // alive until t0 + 3 s
  auto a = attempt("key-d1", "order-d001", "u1");
  a.lease_until = t0 + 30'000;
  ASSERT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  EXPECT_EQ((*store_->find_attempt("key-d1"))->owner, "inst-a");

  auto instances = store_->list_instances();
  ASSERT_TRUE(instances);
  ASSERT_EQ(instances->size(), 1u);
  EXPECT_EQ((*instances)[0].instance_id, "inst-a");
  EXPECT_EQ((*instances)[0].host, "host-a");
  EXPECT_EQ((*instances)[0].pid, 4242);
  EXPECT_EQ((*instances)[0].version, "v-test");
  EXPECT_EQ((*instances)[0].alive_until, t0 + 3'000);
  EXPECT_TRUE((*instances)[0].alive(t0 + 2'999));
  EXPECT_FALSE((*instances)[0].alive(t0 + 3'000));

  // Another process (no instance of its own, like `ops reconcile`), on a second connection.
  auto other = open_store(url_, 2, 5000, GetParam() == "postgresql_schema" ? "payedge" : "public");
  ASSERT_TRUE(other) << other.error().detail;
  // While the owner is alive its lease holds, and nothing is an orphan.
  EXPECT_FALSE(*(*other)->claim_attempt("key-d1", t0 + 2'000, t0 + 32'000));
  EXPECT_TRUE((*other)->list_orphaned_attempts(t0 + 2'000, 10)->empty());
  // Its heartbeat went stale (t0 + 3 s) long before its lease runs out (t0 + 30 s).
  auto orphans = (*other)->list_orphaned_attempts(t0 + 3'000, 10);
  ASSERT_TRUE(orphans);
  ASSERT_EQ(orphans->size(), 1u);
  EXPECT_EQ((*orphans)[0].payment_key, "key-d1");
  EXPECT_TRUE(*(*other)->claim_attempt("key-d1", t0 + 3'000, t0 + 33'000));
  // The claimant has no instance: the attempt is its by lease alone now.
  EXPECT_EQ((*store_->find_attempt("key-d1"))->owner, "");
  EXPECT_FALSE(*store_->claim_attempt("key-d1", t0 + 4'000, t0 + 34'000));
  EXPECT_TRUE((*other)->list_orphaned_attempts(t0 + 4'000, 10)->empty());
}

TEST_P(StoreContract, AHeartbeatKeepsTheLeaseAndACleanStopFreesIt) {
  const EpochMs now = SystemClock::instance().now_ms();  // ping() writes the wall clock
  InstanceRecord self{"inst-b", "host-b", 77, "", now, now, 0, std::nullopt};
  ASSERT_TRUE(store_->register_instance(self, 60'000));
  auto a = attempt("key-h1", "order-h001", "u1");
  a.created_at = now;
  a.lease_until = now + 120'000;
  ASSERT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  ASSERT_TRUE(store_->ping());
  auto instances = store_->list_instances();
  ASSERT_TRUE(instances);
  ASSERT_EQ(instances->size(), 1u);
  EXPECT_GE((*instances)[0].heartbeat_at, now);
  EXPECT_GE((*instances)[0].alive_until, (*instances)[0].heartbeat_at + 60'000);
  EXPECT_FALSE(*store_->claim_attempt("key-h1", now + 1'000, now + 31'000));
  // Stopped cleanly: what it held is free at once, its lease notwithstanding.
  ASSERT_TRUE(store_->deregister_instance(now + 1'000));
  instances = store_->list_instances();
  ASSERT_TRUE(instances && (*instances)[0].stopped_at);
  EXPECT_FALSE((*instances)[0].alive(now + 1'000));
  EXPECT_EQ(store_->list_orphaned_attempts(now + 1'000, 10)->size(), 1u);
  EXPECT_TRUE(*store_->claim_attempt("key-h1", now + 1'000, now + 31'000));
  // A new instance of the same store takes over and owns what it claims.
  InstanceRecord next{"inst-c", "host-b", 78, "", now, now + 2'000, 0, std::nullopt};
  ASSERT_TRUE(store_->register_instance(next, 60'000));
  ASSERT_TRUE(store_->release_attempt("key-h1", 1));
  EXPECT_TRUE(*store_->claim_attempt("key-h1", now + 2'000, now + 32'000));
  EXPECT_EQ((*store_->find_attempt("key-h1"))->owner, "inst-c");
  EXPECT_EQ(store_->list_instances()->size(), 2u);
}

TEST_P(StoreContract, LocalViolationsSeeAPaymentWithoutEnrollment) {
  auto a = attempt("key-v1", "order-v001", "u1");
  ASSERT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  ASSERT_TRUE(store_->complete_attempt("key-v1", payment_for(a), 200, "{}", a.created_at, 1));
  EXPECT_TRUE(store_->local_violations()->empty());
  Db db(url_);
  db.exec("UPDATE enrollments SET status = 'CANCELLED' WHERE payment_key = 'key-v1'");
  auto v = store_->local_violations();
  ASSERT_TRUE(v);
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].kind, "missing_enrollment");
  EXPECT_EQ((*v)[0].payment_key, "key-v1");
}

TEST_P(StoreContract, InjectWritesPaymentEnrollmentAndAuditTogether) {
  Payment p = payment_for(attempt("key-i1", "order-i001", "u1"));
  p.source = "manual";
  AuditEntry audit{"ops", "payment.inject", "key-i1", "lost answer", R"({"force":false})"};
  auto r = store_->inject_payment(p, 1'800'000'000'000, audit);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(*r, InjectOutcome::kInjected);
  auto found = store_->find_payment_by_order("order-i001");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->provider_tx_id, "key-i1");
  EXPECT_EQ((*found)->source, "manual");
  auto e = store_->find_enrollment("key-i1");
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->status, "ACTIVE");
  EXPECT_EQ((*e)->user_id, "u1");
  EXPECT_TRUE(store_->local_violations()->empty());
  Db db(url_);
  // The audit table names the payment key masked (SPEC 11), like the log.
  EXPECT_EQ(db.count("audit_log", "action = 'payment.inject' AND target = '" +
                                      mask_payment_key("key-i1") +
                                      "' AND actor = 'ops' AND reason = 'lost answer'"),
            1);
  EXPECT_FALSE(*store_->forced_injection("key-i1"));
  EXPECT_FALSE(*store_->find_payment_by_order("order-none"));
  EXPECT_FALSE(*store_->find_enrollment("key-none"));
}

TEST_P(StoreContract, InjectRefusesDuplicatesOpenAttemptsAndEnrolledUsersWritingNothing) {
  Payment first = payment_for(attempt("key-i2", "order-i002", "u1"));
  first.source = "manual";
  ASSERT_EQ(*store_->inject_payment(first, 1'800'000'000'000,
                                    AuditEntry{"ops", "payment.inject", "key-i2", "r", "{}"}),
            InjectOutcome::kInjected);
  ASSERT_EQ(store_->begin_attempt(attempt("key-open", "order-open1", "u9"))->outcome,
            BeginOutcome::kStarted);
  struct Case {
    std::string key, order, user;
    InjectOutcome want;
  };
  const Case cases[] = {
      {"key-i2", "order-other", "u2", InjectOutcome::kKeyTaken},
      {"key-other", "order-i002", "u2", InjectOutcome::kOrderTaken},
      {"key-open", "order-x1", "u2", InjectOutcome::kAttemptOpen},
      {"key-x2", "order-open1", "u2", InjectOutcome::kAttemptOpen},
      {"key-x3", "order-x3", "u1", InjectOutcome::kAlreadyEnrolled},
  };
  for (const Case& c : cases) {
    Payment p = payment_for(attempt(c.key, c.order, c.user));
    p.source = "manual";
    auto r = store_->inject_payment(p, 1'800'000'000'000,
                                    AuditEntry{"ops", "payment.inject", c.key, "r", "{}"});
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(*r, c.want) << c.key << " " << c.order;
  }
  Db db(url_);
  EXPECT_EQ(db.count("payments"), 1);
  EXPECT_EQ(db.count("enrollments"), 1);
  EXPECT_EQ(db.count("audit_log"), 1);
}

TEST_P(StoreContract, ForcedInjectionIsKnownByItsAuditEntry) {
  Payment p = payment_for(attempt("key-f1", "order-f001", "u1"));
  p.source = "manual";
  p.method = "";
  p.approved_at = "";
  ASSERT_EQ(*store_->inject_payment(p, 1'800'000'000'000,
                                    AuditEntry{"ops", "payment.inject.force", "key-f1", "outside",
                                               R"({"force":true})"}),
            InjectOutcome::kInjected);
  EXPECT_TRUE(*store_->forced_injection("key-f1"));
  EXPECT_FALSE(*store_->forced_injection("key-f2"));
}

TEST_P(StoreContract, CancelPaymentMendsAHalfCancelledEnrollment) {
  auto a = attempt("key-h1", "order-h001", "u1");
  ASSERT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  ASSERT_TRUE(store_->complete_attempt("key-h1", payment_for(a), 200, "{}", a.created_at, 1));
  Db db(url_);
  db.exec("UPDATE payments SET status = 'CANCELED' WHERE provider_tx_id = 'key-h1'");
  AuditEntry audit{"ops", "enrollment.cancel", "key-h1", "half state", "{}"};
  auto changed = store_->cancel_payment("key-h1", "CANCELED", a.created_at, audit);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(*changed);
  EXPECT_EQ((*store_->find_enrollment("key-h1"))->status, "CANCELLED");
  EXPECT_FALSE(*store_->cancel_payment("key-h1", "CANCELED", a.created_at, audit));
  EXPECT_EQ(db.count("audit_log", "action = 'enrollment.cancel'"), 1);
  EXPECT_TRUE(store_->local_violations()->empty());
}

TEST_P(StoreContract, RacingAttemptsOnOneCouponReserveItOnce) {
  constexpr int kRacers = 8;
  std::vector<std::thread> threads;
  std::vector<BeginOutcome> outcomes(kRacers);
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      auto r = store_->begin_attempt(attempt("race-" + std::to_string(i),
                                             "order-r" + std::to_string(100 + i),
                                             "racer-" + std::to_string(i), "ONCE"));
      outcomes[static_cast<size_t>(i)] = r ? r->outcome : BeginOutcome::kExisting;
      EXPECT_TRUE(r) << (r ? "" : r.error().detail);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), BeginOutcome::kStarted), 1);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), BeginOutcome::kCouponExhausted),
            kRacers - 1);
  EXPECT_EQ((*store_->find_coupon("ONCE"))->redemptions, 1);
}

TEST_P(StoreContract, RacingDuplicatesOfOneKeyStartOnce) {
  constexpr int kRacers = 8;
  std::vector<std::thread> threads;
  std::vector<BeginOutcome> outcomes(kRacers);
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      auto r = store_->begin_attempt(attempt("dup-key", "order-dup1", "u1"));
      EXPECT_TRUE(r) << (r ? "" : r.error().detail);
      outcomes[static_cast<size_t>(i)] = r ? r->outcome : BeginOutcome::kOrderTaken;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), BeginOutcome::kStarted), 1);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), BeginOutcome::kExisting), kRacers - 1);
}

TEST_P(StoreContract, TablesLiveInTheConfiguredSchema) {
  if (GetParam() != "postgresql_schema") GTEST_SKIP() << "PostgreSQL with [store] schema only";
  Db db(url_);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                      "'public' AND table_name IN ('courses', 'payments', 'confirm_attempts')"),
            "0");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                      "'payedge' AND table_name IN ('courses', 'payments', 'confirm_attempts')"),
            "3");
  EXPECT_EQ(db.scalar("SELECT title FROM payedge.courses WHERE id = 'c1'"), "Course");
}

TEST(StoreOpen, SqliteRefusesASchemaAndPostgresRefusesTheTransactionPooler) {
  TempDir dir;
  auto sqlite = open_store("sqlite://" + dir.file("s.db"), 1, 1000, "payedge");
  ASSERT_FALSE(sqlite);
  EXPECT_NE(sqlite.error().detail.find("SQLite has no schemas"), std::string::npos);
  // Refused before any connection is tried (nothing listens there).
  auto pooled = open_store("postgresql://postgres.ref:pw@127.0.0.1:6543/postgres", 1, 1000);
  ASSERT_FALSE(pooled);
  EXPECT_NE(pooled.error().detail.find("transaction pooler"), std::string::npos);
  EXPECT_EQ(pooled.error().detail.find("pw"), std::string::npos);  // no password echoed
  auto kv = open_store("postgresql://127.0.0.1/db?port=6543", 1, 1000);
  ASSERT_FALSE(kv);
  EXPECT_NE(kv.error().detail.find("transaction pooler"), std::string::npos);
}

// A virtual-account payment waits for its deposit: PENDING enrollment, masked account and the
// deposit secret stored; a second purchase is refused while it waits.
Payment waiting_payment_for(const ConfirmAttempt& a) {
  Payment p;
  p.provider_tx_id = a.payment_key;
  p.order_id = a.order_id;
  p.user_id = a.user_id;
  p.course_id = a.course_id;
  p.amount = a.amount;
  p.coupon_code = a.coupon_code;
  p.status = "WAITING_FOR_DEPOSIT";
  p.method = "가상계좌";
  p.va_bank_code = "88";
  p.va_account_number = mask_account_number("X3790109057645");
  p.va_customer_name = "김토스";
  p.va_due_date = "2027-01-22T17:00:00+09:00";
  p.va_secret = "ps_secret_0001";
  return p;
}

TEST_P(StoreContract, AWaitingPaymentHasAPendingEnrollmentThatBlocksAnotherPurchase) {
  auto a = attempt("key-va1", "order-va01", "u1", "ONCE");
  ASSERT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  ASSERT_TRUE(store_->complete_attempt("key-va1", waiting_payment_for(a), 200, "{}",
                                       a.created_at + 1000, 1));
  auto p = store_->find_payment("key-va1");
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->status, "WAITING_FOR_DEPOSIT");
  EXPECT_EQ((*p)->va_bank_code, "88");
  EXPECT_EQ((*p)->va_account_number, "X379********45");
  EXPECT_EQ((*p)->va_customer_name, "김토스");
  EXPECT_EQ((*p)->va_due_date, "2027-01-22T17:00:00+09:00");
  EXPECT_EQ((*p)->va_secret, "ps_secret_0001");
  EXPECT_EQ((*store_->find_enrollment("key-va1"))->status, "PENDING");
  EXPECT_TRUE(store_->local_violations()->empty());
  EXPECT_EQ(store_->begin_attempt(attempt("key-va2", "order-va02", "u1"))->outcome,
            BeginOutcome::kDepositPending);
  auto waiting = store_->list_waiting_deposits(10);
  ASSERT_TRUE(waiting);
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ((*waiting)[0].provider_tx_id, "key-va1");
  // The database itself refuses a second live enrollment.
  Db db(url_);
  EXPECT_THROW(db.exec("INSERT INTO payments (provider_tx_id, order_id, user_id, course_id, "
                       "amount, status, source, created_at, updated_at) VALUES ('k9', 'o9', "
                       "'u1', 'c1', 1, 'DONE', 'manual', 'x', 'x'); INSERT INTO enrollments "
                       "(payment_key, user_id, course_id, status, created_at, updated_at) "
                       "VALUES ('k9', 'u1', 'c1', 'ACTIVE', 'x', 'x')"),
               std::exception);
}

TEST_P(StoreContract, TheDepositActivatesTheEnrollmentOnce) {
  auto a = attempt("key-va3", "order-va03", "u1");
  ASSERT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  ASSERT_TRUE(store_->complete_attempt("key-va3", waiting_payment_for(a), 200, "{}",
                                       a.created_at + 1000, 1));
  AuditEntry audit{"toss-webhook", "payment.deposit", "key-va3", "DEPOSIT_CALLBACK DONE",
                   R"({"source":"webhook"})"};
  auto settled =
      store_->settle_deposit("key-va3", "2027-01-16T09:00:00+09:00", a.created_at + 2000, audit);
  ASSERT_TRUE(settled) << settled.error().detail;
  EXPECT_TRUE(*settled);
  EXPECT_EQ((*store_->find_payment("key-va3"))->status, "DONE");
  EXPECT_EQ((*store_->find_payment("key-va3"))->approved_at, "2027-01-16T09:00:00+09:00");
  EXPECT_EQ((*store_->find_enrollment("key-va3"))->status, "ACTIVE");
  EXPECT_FALSE(*store_->settle_deposit("key-va3", "x", a.created_at + 3000, audit));
  EXPECT_FALSE(*store_->close_deposit("key-va3", "EXPIRED", a.created_at + 3000, audit));
  EXPECT_FALSE(*store_->settle_deposit("unknown", "x", a.created_at + 3000, audit));
  EXPECT_EQ(store_->list_audit(10)->size(), 1u);
  EXPECT_TRUE(store_->local_violations()->empty());
}

TEST_P(StoreContract, AnExpiredDepositCancelsTheEnrollmentAndReleasesTheCoupon) {
  auto a = attempt("key-va4", "order-va04", "u1", "ONCE");
  ASSERT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  ASSERT_TRUE(store_->complete_attempt("key-va4", waiting_payment_for(a), 200, "{}",
                                       a.created_at + 1000, 1));
  EXPECT_EQ((*store_->find_coupon("ONCE"))->redemptions, 1);
  AuditEntry audit{"reconciler", "payment.expire", "key-va4", "dueDate passed",
                   R"({"source":"reconcile"})"};
  EXPECT_FALSE(store_->close_deposit("key-va4", "DONE", a.created_at + 2000, audit));
  auto closed = store_->close_deposit("key-va4", "EXPIRED", a.created_at + 2000, audit);
  ASSERT_TRUE(closed) << closed.error().detail;
  EXPECT_TRUE(*closed);
  EXPECT_EQ((*store_->find_payment("key-va4"))->status, "EXPIRED");
  EXPECT_EQ((*store_->find_enrollment("key-va4"))->status, "CANCELLED");
  EXPECT_EQ((*store_->find_coupon("ONCE"))->redemptions, 0);
  EXPECT_FALSE(*store_->close_deposit("key-va4", "CANCELED", a.created_at + 3000, audit));
  EXPECT_EQ((*store_->find_coupon("ONCE"))->redemptions, 0);  // released once
  EXPECT_TRUE(store_->local_violations()->empty());
  // The user may buy again, and the coupon is free again.
  EXPECT_EQ(store_->begin_attempt(attempt("key-va5", "order-va05", "u1", "ONCE"))->outcome,
            BeginOutcome::kStarted);
}

TEST_P(StoreContract, AnAttemptMovesToItsNextIdempotencyKey) {
  auto a = attempt("key-k1", "order-k001", "u1");
  ASSERT_EQ(store_->begin_attempt(a)->outcome, BeginOutcome::kStarted);
  EXPECT_EQ((*store_->find_attempt("key-k1"))->key_seq, 0);
  EXPECT_EQ(*store_->advance_attempt_key("key-k1"), 1);
  EXPECT_EQ(*store_->advance_attempt_key("key-k1"), 2);
  EXPECT_EQ((*store_->find_attempt("key-k1"))->key_seq, 2);
  ASSERT_TRUE(store_->complete_attempt("key-k1", payment_for(a), 200, "{}", a.created_at, 1));
  EXPECT_FALSE(store_->advance_attempt_key("key-k1"));  // a settled attempt keeps its key
}

TEST_P(StoreContract, ManyWritersAtOnceAllCommitDurably) {
  constexpr int kThreads = 24;
  constexpr int kEach = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string n = std::to_string(t) + "-" + std::to_string(i);
        auto a = attempt("many-" + n, "order-many-" + n, "user-" + n);
        auto begun = store_->begin_attempt(a);
        if (!begun || begun->outcome != BeginOutcome::kStarted) {
          ++failures;
          continue;
        }
        if (!store_->complete_attempt(a.payment_key, payment_for(a), 200, "{}", a.created_at, 1))
          ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const auto stats = dynamic_cast<SqlStore&>(*store_).group_commit().stats();
  EXPECT_GE(stats.members, static_cast<unsigned long long>(2 * kThreads * kEach));
  // Durable: a new store on the same database sees every write.
  store_.reset();
  auto reopened = open_store(url_, 2, 5000, schema_);
  ASSERT_TRUE(reopened) << reopened.error().detail;
  auto counts = (*reopened)->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->payments, kThreads * kEach);
  EXPECT_EQ(counts->active_enrollments, kThreads * kEach);
  EXPECT_EQ(counts->open_attempts, 0);
  EXPECT_TRUE((*reopened)->local_violations()->empty());
}

TEST_P(StoreContract, OneBatchAnswersEachMemberWithItsOwnOutcome) {
  BatchFormer former(*store_, 4);
  std::thread first([&] {
    EXPECT_TRUE(store_->append_audit(AuditEntry{"t", "first", "x", "r", "{}"}, 1));
  });
  former.wait_first_batch_taken();
  // Two confirms of one order, a member that writes and then fails, and a plain write.
  std::optional<Result<BeginResult>> begun_a, begun_b;
  std::optional<Status> refused, audited;
  std::vector<std::thread> members;
  members.emplace_back(
      [&] { begun_a = store_->begin_attempt(attempt("same-a", "order-same", "ua")); });
  members.emplace_back(
      [&] { begun_b = store_->begin_attempt(attempt("same-b", "order-same", "ub")); });
  members.emplace_back([&] {
    refused = store_->apply_catalog(
        {Course{"fine", "ok", 1000, std::nullopt, std::nullopt, std::nullopt, true},
         Course{"bad", "negative", -1, std::nullopt, std::nullopt, std::nullopt, true}},
        {}, std::nullopt);
  });
  members.emplace_back([&] {
    audited = store_->append_audit(AuditEntry{"t", "member", "x", "r", "{}"}, 2);
  });
  for (auto& t : members) t.join();
  first.join();
  EXPECT_EQ(former.batches(), (std::vector<size_t>{1, 4}));
  ASSERT_TRUE(begun_a && *begun_a && begun_b && *begun_b);
  // They saw each other's writes: one started, the other found the order taken.
  std::vector<BeginOutcome> outcomes{(*begun_a)->outcome, (*begun_b)->outcome};
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), BeginOutcome::kStarted), 1);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), BeginOutcome::kOrderTaken), 1);
  // The failed member is answered its own error, and nothing of it was written.
  ASSERT_TRUE(refused);
  EXPECT_FALSE(*refused);
  EXPECT_FALSE(*store_->find_course("fine"));
  ASSERT_TRUE(audited);
  EXPECT_TRUE(*audited);
  EXPECT_EQ(former.stats().failed_commits, 0u);
  auto audit = store_->list_audit(10);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit->size(), 2u);
  EXPECT_TRUE(*store_->find_attempt_by_order("order-same"));
}

TEST_P(StoreContract, AFailedCommitAnswersNoMemberSuccessAndRetriesEachAlone) {
  // A constraint checked only at COMMIT fails any transaction that holds an audit row with
  // the reason "poison": the batch's commit fails, then each member commits alone.
  Db db(url_, schema_ == "public" ? "" : schema_);
  if (GetParam() == "sqlite") {
    db.exec(
        "CREATE TABLE poison_parent (id INTEGER PRIMARY KEY); "
        "CREATE TABLE poison_child (parent INTEGER REFERENCES poison_parent (id) DEFERRABLE "
        "INITIALLY DEFERRED); "
        "CREATE TRIGGER poison AFTER INSERT ON audit_log WHEN NEW.reason = 'poison' "
        "BEGIN INSERT INTO poison_child VALUES (42); END");
  } else {
    db.exec(
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.reason = "
        "'poison' THEN RAISE EXCEPTION 'poisoned commit'; END IF; RETURN NULL; END $$");
    db.exec(
        "CREATE CONSTRAINT TRIGGER poison AFTER INSERT ON audit_log DEFERRABLE INITIALLY "
        "DEFERRED FOR EACH ROW EXECUTE FUNCTION poison()");
  }
  // Dropped before the store is (its hooks live in the store).
  std::optional<BatchFormer> former;
  former.emplace(*store_, 3);
  std::thread first([&] {
    EXPECT_TRUE(store_->append_audit(AuditEntry{"t", "first", "x", "r", "{}"}, 1));
  });
  former->wait_first_batch_taken();
  std::optional<Status> poisoned, audited;
  std::optional<Result<BeginResult>> begun;
  std::vector<std::thread> members;
  members.emplace_back([&] {
    poisoned = store_->set_flag(Flag{"payments_enabled", "off", "poison", "kim", 5},
                                AuditEntry{"kim", "flag.set", "payments_enabled", "poison", "{}"});
  });
  members.emplace_back(
      [&] { begun = store_->begin_attempt(attempt("key-p1", "order-p001", "u1")); });
  members.emplace_back([&] {
    audited = store_->append_audit(AuditEntry{"t", "member", "x", "fine", "{}"}, 2);
  });
  for (auto& t : members) t.join();
  first.join();
  EXPECT_EQ(former->batches(), (std::vector<size_t>{1, 3}));
  EXPECT_EQ(former->stats().failed_commits, 1u);
  ASSERT_TRUE(poisoned);
  EXPECT_FALSE(*poisoned);  // never success for a write that is not committed
  EXPECT_EQ((*store_->find_flag("payments_enabled"))->value, "on");
  ASSERT_TRUE(begun && *begun) << (begun && !*begun ? begun->error().detail : "");
  EXPECT_EQ((*begun)->outcome, BeginOutcome::kStarted);
  ASSERT_TRUE(audited);
  EXPECT_TRUE(*audited);
  // What was answered success is committed: a new store sees it.
  former.reset();
  store_.reset();
  auto reopened = open_store(url_, 1, 5000, schema_);
  ASSERT_TRUE(reopened) << reopened.error().detail;
  EXPECT_TRUE(*(*reopened)->find_attempt("key-p1"));
  EXPECT_EQ((*reopened)->list_audit(10)->size(), 2u);
}

TEST_P(StoreContract, ConfirmContextReadsWhatANewConfirmNeeds) {
  Coupon pct;
  pct.code = "PCT";
  pct.kind = CouponKind::kPercent;
  pct.value = 10;
  ASSERT_TRUE(store_->upsert_coupon(pct));
  auto ctx = store_->confirm_context("key-x1", "order-x001", "c1", std::string("PCT"));
  ASSERT_TRUE(ctx) << ctx.error().detail;
  EXPECT_FALSE(ctx->attempt);
  EXPECT_FALSE(ctx->attempt_by_order);
  ASSERT_TRUE(ctx->payments_flag);
  EXPECT_EQ(ctx->payments_flag->value, "on");
  ASSERT_TRUE(ctx->course);
  EXPECT_EQ(ctx->course->list_price, 10000);
  ASSERT_TRUE(ctx->coupon);
  EXPECT_EQ(ctx->coupon->value, 10);
  EXPECT_FALSE(store_->confirm_context("key-x1", "order-x001", "c1", std::nullopt)->coupon);
  EXPECT_FALSE(store_->confirm_context("key-x1", "order-x001", "nope", std::nullopt)->course);

  // A known key ends the look-ups; so does a known order.
  ASSERT_EQ(store_->begin_attempt(attempt("key-x1", "order-x001", "u1"))->outcome,
            BeginOutcome::kStarted);
  ctx = store_->confirm_context("key-x1", "order-x001", "c1", std::nullopt);
  ASSERT_TRUE(ctx && ctx->attempt);
  EXPECT_EQ(ctx->attempt->order_id, "order-x001");
  EXPECT_FALSE(ctx->course);
  ctx = store_->confirm_context("key-x2", "order-x001", "c1", std::nullopt);
  ASSERT_TRUE(ctx && !ctx->attempt && ctx->attempt_by_order);
  EXPECT_EQ(ctx->attempt_by_order->payment_key, "key-x1");

  // The switch applies to the next call: nothing is cached.
  ASSERT_TRUE(store_->set_flag(Flag{"payments_enabled", "off", "r", "kim", 1},
                               AuditEntry{"kim", "flag.set", "payments_enabled", "r", "{}"}));
  ctx = store_->confirm_context("key-x3", "order-x003", "c1", std::nullopt);
  ASSERT_TRUE(ctx && ctx->payments_flag);
  EXPECT_EQ(ctx->payments_flag->value, "off");
  EXPECT_FALSE(ctx->course);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract,
                         ::testing::Values("sqlite", "postgresql", "postgresql_schema"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace payedge::testing
