#include "store/group_commit.h"

#include <exception>
#include <string>
#include <vector>

namespace payedge {
namespace {

constexpr const char* kSavepoint = "SAVEPOINT payedge_member";
constexpr const char* kRelease = "RELEASE SAVEPOINT payedge_member";
constexpr const char* kRollbackTo = "ROLLBACK TO SAVEPOINT payedge_member";

// A body that throws fails its own member, never the leader that runs it.
Status run_body(GroupCommit::Member& m, SqlConnection& c) {
  try {
    return m.body(c);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, std::string("store write: ") + e.what());
  }
}

// `m` alone in BEGIN … COMMIT, rolled back when its body or the COMMIT fails.
Status run_alone(GroupCommit::Member& m, SqlConnection& c, const SqlDialect& dialect) {
  if (auto st = c.exec(std::string(dialect.begin_write)); !st) return st;
  Status st = run_body(m, c);
  if (!st) {
    (void)c.exec("ROLLBACK");
    return st;
  }
  if (auto commit = c.exec("COMMIT"); !commit) {
    (void)c.exec("ROLLBACK");
    return commit;
  }
  return st;
}

}  // namespace

GroupCommit::GroupCommit(SqlDialect dialect, size_t max_batch)
    : dialect_(dialect), max_batch_(max_batch < 1 ? 1 : max_batch) {}

void GroupCommit::set_test_hooks(std::function<void(size_t)> on_queued,
                                 std::function<void(size_t)> on_batch) {
  std::lock_guard lock(mu_);
  on_queued_ = std::move(on_queued);
  on_batch_ = std::move(on_batch);
}

GroupCommit::Stats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool GroupCommit::commit_batch(SqlConnection& c, const SqlDialect& dialect,
                               std::span<Member* const> batch) {
  if (batch.size() == 1) {
    batch[0]->result = run_alone(*batch[0], c, dialect);
    return static_cast<bool>(batch[0]->result);
  }
  if (auto begun = c.exec(std::string(dialect.begin_write)); !begun) {
    // Nothing ran (e.g. another process held SQLite's write lock past the busy timeout):
    // every member gets that error at once rather than a busy timeout each.
    for (Member* m : batch) m->result = begun;
    return false;
  }
  std::vector<Status> results(batch.size());
  bool whole = true;
  for (size_t i = 0; whole && i < batch.size(); ++i) {
    if (!c.exec(kSavepoint)) {
      whole = false;
      break;
    }
    results[i] = run_body(*batch[i], c);
    if (results[i]) {
      whole = static_cast<bool>(c.exec(kRelease));
    } else {
      // Only this member's writes go; the transaction stays usable (PostgreSQL's aborted
      // state ends at the savepoint too). A failed rollback means the database dropped the
      // whole transaction (SQLite does on some I/O errors): the batch is lost.
      whole = c.exec(kRollbackTo) && c.exec(kRelease);
    }
  }
  if (whole && c.exec("COMMIT")) {
    for (size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(results[i]);
    return true;
  }
  (void)c.exec("ROLLBACK");
  // Nothing of the batch is written: each member again, alone, answered by its own commit.
  for (Member* m : batch) m->result = run_alone(*m, c, dialect);
  return false;
}

void GroupCommit::run(Member& member, const WithConnection& with_connection) {
  std::unique_lock lock(mu_);
  queue_.push_back(&member);
  if (on_queued_) on_queued_(queue_.size());
  while (!member.done) {
    if (committing_) {
      cv_.wait(lock, [&] { return member.done || !committing_; });
      continue;
    }
    // The leader: whatever is queued when it holds a connection goes into its batch.
    committing_ = true;
    lock.unlock();
    std::vector<Member*> batch;
    bool committed = true;
    with_connection([&](SqlConnection& c) {
      std::function<void(size_t)> on_batch;
      {
        std::lock_guard take(mu_);
        const size_t n = std::min(queue_.size(), max_batch_);
        batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        on_batch = on_batch_;
      }
      if (on_batch) on_batch(batch.size());
      committed = commit_batch(c, dialect_, batch);
    });
    lock.lock();
    for (Member* m : batch) m->done = true;
    if (!committed && batch.size() > 1) ++stats_.failed_commits;
    ++stats_.batches;
    stats_.members += batch.size();
    stats_.largest = std::max(stats_.largest, batch.size());
    committing_ = false;
    cv_.notify_all();
  }
}

}  // namespace payedge
