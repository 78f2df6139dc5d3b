#include "ops/switches.h"

#include <nlohmann/json.hpp>

#include "core/codec.h"
#include "ops/manual_ops.h"

namespace payedge {
namespace {

// The audit row's details: from and to, and how the change came.
nlohmann::json change_details(nlohmann::json from, nlohmann::json to, const SwitchActor& who) {
  nlohmann::json d = {{"from", std::move(from)}, {"to", std::move(to)}};
  if (!who.via.empty()) d["via"] = who.via;
  if (who.automatic) d["automatic"] = true;
  return d;
}

}  // namespace

Result<SwitchChange> Switches::set_flag(const std::string& name, const std::string& value,
                                        const SwitchActor& who, bool dry_run) {
  if (auto st = check_flag_value(name, value); !st) return std::unexpected(st.error());
  auto before = store_.find_flag(name);
  if (!before) return std::unexpected(before.error());
  SwitchChange change{*before ? (*before)->value : "(unset)", value, false};
  if (dry_run || (who.automatic && change.from == value)) return change;
  const auto details = change_details(change.from, value, who);
  auto st = store_.set_flag(Flag{name, value, who.reason, who.actor, clock_.now_ms()},
                            AuditEntry{who.actor, "flag.set", name, who.reason, details.dump()});
  if (!st) return std::unexpected(st.error());
  change.written = true;
  return change;
}

Result<SwitchChange> Switches::set_course_active(const std::string& course_id, bool active,
                                                 const SwitchActor& who, bool dry_run) {
  auto found = store_.find_course(course_id);
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail(ErrorCode::kCourseNotFound, course_id);
  const bool was = (*found)->active;
  SwitchChange change{was ? "true" : "false", active ? "true" : "false", false};
  if (dry_run || (who.automatic && was == active)) return change;
  const auto details = change_details(was, active, who);
  auto st = store_.set_course_active(
      course_id, active,
      AuditEntry{who.actor, active ? "course.activate" : "course.deactivate", course_id, who.reason,
                 details.dump()});
  if (!st) return std::unexpected(st.error());
  change.written = true;
  return change;
}

Result<SecretRotation> Switches::rotate_webhook_secret(const std::string& fresh, EpochMs grace_ms,
                                                       const std::string& configured_secret,
                                                       bool configured_from_env,
                                                       const SwitchActor& who, bool dry_run) {
  if (fresh.size() < 16 || fresh.find_first_of(" \t\r\n") != std::string::npos) {
    return fail(ErrorCode::kInvalidRequest,
                "the new secret must be at least 16 characters, no spaces");
  }
  auto stored = store_.webhook_secrets(1);
  if (!stored) return std::unexpected(stored.error());
  const std::string& current = stored->empty() ? configured_secret : (*stored)[0].secret;
  if (current == fresh) return fail(ErrorCode::kInvalidRequest, "that secret is already current");
  const EpochMs now = clock_.now_ms();
  SecretRotation out{sha256_hex(fresh).substr(0, 8), now + grace_ms, false};
  if (dry_run) return out;
  if (stored->empty() && configured_from_env) {
    // The environment's secret becomes the first stored one, so that it can be the previous.
    if (auto st = store_.add_webhook_secret(
            configured_secret, now, now,
            AuditEntry{who.actor, "secret.import", "WEBHOOK_SECRET", who.reason, "{}"});
        !st) {
      return std::unexpected(st.error());
    }
  }
  const nlohmann::json details = {{"new_secret_sha256_prefix", out.fingerprint},
                                  {"previous_valid_until", format_utc(out.previous_valid_until)}};
  if (auto st = store_.add_webhook_secret(
          fresh, now, out.previous_valid_until,
          AuditEntry{who.actor, "secret.rotate", "WEBHOOK_SECRET", who.reason, details.dump()});
      !st) {
    return std::unexpected(st.error());
  }
  out.written = true;
  return out;
}

}  // namespace payedge
