#include "alert/switches.h"

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace payedge::alert {

Status StoreSwitches::deactivate_course(const std::string& course_id, const std::string& reason) {
  auto found = store_.find_course(course_id);
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail(ErrorCode::kCourseNotFound, course_id);
  if (!(*found)->active) return {};  // already off: nothing to do, nothing to audit
  const nlohmann::json details = {{"from", true}, {"to", false}, {"automatic", true}};
  return store_.set_course_active(
      course_id, false,
      AuditEntry{kAlertActor, "course.deactivate", course_id, reason, details.dump()});
}

Status StoreSwitches::disable_payments(const std::string& reason) {
  auto before = store_.find_flag("payments_enabled");
  if (!before) return std::unexpected(before.error());
  const std::string old_value = *before ? (*before)->value : "(unset)";
  if (old_value == "off") return {};
  const nlohmann::json details = {{"from", old_value}, {"to", "off"}, {"automatic", true}};
  return store_.set_flag(
      Flag{"payments_enabled", "off", reason, kAlertActor, clock_.now_ms()},
      AuditEntry{kAlertActor, "flag.set", "payments_enabled", reason, details.dump()});
}

}  // namespace payedge::alert
