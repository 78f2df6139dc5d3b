// Counters read off the request log lines (the same lines the alert engine reads): confirms by
// outcome per course, webhook outcomes, reconciler actions and Toss answers by class. A
// LogSink in front of the real one feeds them, so the confirm flow, the webhook handler and the
// reconciler need no metrics code of their own.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "obs/request_log.h"

namespace payedge {

class LineMetrics {
 public:
  void observe(const RequestLog& line);
  // The catalogue's course ids: the only course_id label values besides "other" (the label
  // set stays bounded whatever a client sends). Read from the store at start and each scrape.
  void set_courses(const std::vector<std::string>& ids);
  // The amount-mismatch rule's window ([alerts] mismatch_window_s) for mismatch_users.
  void set_mismatch_window(EpochMs window_ms);
  // Distinct users with an E_AMOUNT_MISMATCH confirm in the last window before `now`: what the
  // in-process rule compares with mismatch_min_users (SPEC 9), which Prometheus cannot count
  // from counters. Bounded: at most kMaxMismatchUsers users are remembered; past that the
  // gauge says "at least that many", far above any mismatch_min_users.
  std::size_t mismatch_users(EpochMs now) const;
  static constexpr std::size_t kMaxMismatchUsers = 10'000;
  std::string render() const;

 private:
  std::string course_label(const std::string& course_id) const;

  mutable std::mutex mu_;
  std::set<std::string> courses_;
  std::map<std::pair<std::string, std::string>, unsigned long long> confirms_;  // course, outcome
  std::map<std::string, unsigned long long> webhooks_;                          // by reason
  std::map<std::string, unsigned long long> reconciler_;                        // by action
  std::map<std::string, unsigned long long> toss_classes_;
  EpochMs mismatch_window_ms_ = 600'000;
  mutable std::unordered_map<std::string, EpochMs> mismatch_last_;  // user → newest mismatch
};

// Counts each line into `metrics`, then hands it on.
class MetricsLogSink final : public LogSink {
 public:
  MetricsLogSink(LineMetrics& metrics, LogSink& next) : metrics_(metrics), next_(next) {}
  void write(const RequestLog& line) override {
    metrics_.observe(line);
    next_.write(line);
  }

 private:
  LineMetrics& metrics_;
  LogSink& next_;
};

// The store's state at scrape time (read on the store pool, never on the I/O thread).
struct StoreGauges {
  bool store_ok = false;
  bool payments_enabled = true;
  std::vector<std::pair<std::string, bool>> courses;  // id, active
  long long open_attempts = 0;
  long long pending_deposits = 0;
  // Group commit (in-process counters, present whether or not the store answered).
  unsigned long long commit_batches = 0;
  unsigned long long commit_members = 0;
  unsigned long long commit_failed = 0;
  size_t commit_largest = 0;
};
std::string render_store_gauges(const StoreGauges& g);

// payedge_build_info{version="…"} 1
std::string render_build_info();

}  // namespace payedge
