// Per-client token buckets: `rate` tokens a second up to `burst`. Lives on the I/O thread
// (no lock); the table is bounded, and the oldest idle clients go first when it is full.
#pragma once

#include <string>
#include <unordered_map>

#include "core/time.h"

namespace payedge {

class RateLimiter {
 public:
  RateLimiter(double rate_per_s, int burst, size_t max_clients = 100'000)
      : rate_(rate_per_s), burst_(burst), max_clients_(max_clients) {}

  // True when `client` may go ahead now; otherwise `retry_after_s` says when to come back.
  bool allow(const std::string& client, EpochMs now, int* retry_after_s = nullptr);
  bool enabled() const { return rate_ > 0; }

 private:
  struct Bucket {
    double tokens;
    EpochMs updated;
  };
  void evict_idle(EpochMs now);

  double rate_;
  int burst_;
  size_t max_clients_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace payedge
