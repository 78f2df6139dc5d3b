#include "alert/switches.h"

#include "ops/switches.h"

namespace payedge::alert {

Status StoreSwitches::deactivate_course(const std::string& course_id, const std::string& reason) {
  // Already off: nothing to do, nothing to audit.
  auto change =
      Switches(store_, clock_).set_course_active(course_id, false, {kAlertActor, reason, "", true});
  if (!change) return std::unexpected(change.error());
  return {};
}

Status StoreSwitches::disable_payments(const std::string& reason) {
  auto change =
      Switches(store_, clock_).set_flag("payments_enabled", "off", {kAlertActor, reason, "", true});
  if (!change) return std::unexpected(change.error());
  return {};
}

}  // namespace payedge::alert
