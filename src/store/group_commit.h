// Group commit: the write transactions of concurrent callers, batched into one database
// transaction and one commit (one fsync) by whichever caller arrives while no batch is being
// committed (the leader); the others (followers) wait for the batch that holds their write.
// Each member runs inside its own SAVEPOINT, so a member that fails is rolled back alone and
// answered with its own error. Nobody is answered before the COMMIT that holds their write
// returned; when that COMMIT fails, every member of the batch runs again alone, in its own
// transaction, so one poison member cannot fail the others. No timer: a lone writer commits
// at once, and batches grow only while a commit is in flight.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <span>

#include "store/sql.h"
#include "store/store.h"

namespace payedge {

class GroupCommit {
 public:
  // One caller's write: `body` runs inside the batch's transaction (the connection is the
  // leader's); `result` is its answer once `done`.
  struct Member {
    std::function<Status(SqlConnection&)> body;
    Status result;
    bool done = false;  // guarded by the GroupCommit's mutex
  };
  // Lends the leader a connection for one batch: calls its argument with it.
  using WithConnection = std::function<void(const std::function<void(SqlConnection&)>&)>;

  GroupCommit(SqlDialect dialect, size_t max_batch);

  // Blocks until `member` ran and its batch committed (or it failed); then member.result.
  void run(Member& member, const WithConnection& with_connection);

  // One batch on `c`: BEGIN, each member in its savepoint, COMMIT; one member alone is one
  // plain transaction. After a failed COMMIT (or a broken transaction) each member runs again
  // alone; a failed BEGIN is every member's error. Sets every member's result; returns
  // whether the batch committed as one.
  static bool commit_batch(SqlConnection& c, const SqlDialect& dialect,
                           std::span<Member* const> batch);

  // Test hooks, to form a batch on purpose: `on_queued` is called (under the lock) with the
  // queue length each time a member queues; `on_batch` by the leader (outside the lock) with
  // the size of the batch it took, before it runs it.
  void set_test_hooks(std::function<void(size_t)> on_queued, std::function<void(size_t)> on_batch);

  using Stats = CommitStats;
  Stats stats() const;

 private:
  SqlDialect dialect_;
  size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Member*> queue_;
  bool committing_ = false;
  std::function<void(size_t)> on_queued_;
  std::function<void(size_t)> on_batch_;
  Stats stats_;
};

}  // namespace payedge
