// A bounded queue between threads: producers push without blocking (a full queue drops and
// counts), one consumer takes what is there, waiting at most a given time. close() lets the
// consumer take the rest and then stop. Used by the in-process alert engine (LiveAlerts) and
// the alert sinks, so that the request path never waits on a slow consumer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

namespace payedge {

template <class T>
class WorkQueue {
 public:
  enum class Overflow { kDropNewest, kDropOldest };

  explicit WorkQueue(std::size_t limit, Overflow overflow = Overflow::kDropNewest)
      : limit_(limit), overflow_(overflow) {}

  // False when the queue is closed or the item (kDropNewest) was dropped; with kDropOldest
  // the new item always goes in and the oldest one is dropped instead.
  bool push(T item) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      if (items_.size() >= limit_) {
        ++dropped_;
        if (overflow_ == Overflow::kDropNewest) return false;
        items_.pop_front();
      }
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
    return true;
  }

  // Moves every queued item into `out` (appended), waiting up to `timeout` while there is none.
  // Returns false once the queue is closed and everything has been taken: the consumer's last
  // batch comes with `true` and the next call tells it to stop.
  template <class Rep, class Period>
  bool take_all(std::deque<T>& out, std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return closed_ || woken_ || !items_.empty(); });
    woken_ = false;
    if (items_.empty()) return !closed_;
    for (auto& item : items_) out.push_back(std::move(item));
    items_.clear();
    return true;
  }

  // One item, waiting while there is none; false once closed and empty.
  bool take_one(T& out) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return false;
    out = std::move(items_.front());
    items_.pop_front();
    return true;
  }

  // Ends the consumer's current (or next) take_all wait even with nothing queued: for a
  // consumer that also answers something besides the items (a flush request).
  void wake() {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  std::uint64_t dropped() const {
    std::lock_guard lock(mu_);
    return dropped_;
  }
  // Drops what is queued (counted) and returns how many: a consumer giving up on its backlog.
  std::size_t discard() {
    std::lock_guard lock(mu_);
    const std::size_t n = items_.size();
    dropped_ += n;
    items_.clear();
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  std::size_t limit_;
  Overflow overflow_;
  bool closed_ = false;
  bool woken_ = false;
  std::uint64_t dropped_ = 0;
};

}  // namespace payedge
