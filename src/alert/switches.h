// The switches the amount-mismatch alert flips (runbook 6), through the store: the same
// tables and audit entries as `payedge ops flag set` / `ops course deactivate`, with the actor
// "payedge-alert" (ops/switches does the writing). Nothing here turns a switch back on.
#pragma once

#include "alert/engine.h"
#include "core/time.h"

namespace payedge {
class Store;
}

namespace payedge::alert {

inline constexpr const char* kAlertActor = "payedge-alert";

class StoreSwitches final : public AlertActions {
 public:
  StoreSwitches(Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  Status deactivate_course(const std::string& course_id, const std::string& reason) override;
  Status disable_payments(const std::string& reason) override;

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace payedge::alert
