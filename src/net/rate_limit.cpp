#include "net/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace payedge {

bool RateLimiter::allow(const std::string& client, EpochMs now, int* retry_after_s) {
  if (rate_ <= 0) return true;
  if (buckets_.size() >= max_clients_ && !buckets_.contains(client)) evict_idle(now);
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{static_cast<double>(burst_), now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min<double>(burst_, b.tokens + (now - b.updated) * rate_ / 1000.0);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_s)
    *retry_after_s = std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
  return false;
}

void RateLimiter::evict_idle(EpochMs now) {
  // A full bucket is an idle client: forgetting it changes nothing for it.
  std::erase_if(buckets_, [&](const auto& kv) {
    return kv.second.tokens + (now - kv.second.updated) * rate_ / 1000.0 >= burst_;
  });
  if (buckets_.size() >= max_clients_) buckets_.clear();  // under a flood of new clients
}

}  // namespace payedge
