// The switches and secrets of runbook sections 4 and 6, in one place for every caller — the
// CLI (`ops flag set`, `ops course activate|deactivate`, `ops secret rotate`), the admin API
// and the alert engine's automatic toggles. Each change is checked, written together with its
// audit row in one store transaction, and reports what it changed.
#pragma once

#include <string>
#include <utility>

#include "core/error.h"
#include "core/time.h"
#include "store/store.h"

namespace payedge {

// Who changes a switch and why, as the audit row records it.
struct SwitchActor {
  SwitchActor(std::string who, std::string why, std::string through = "", bool alert = false)
      : actor(std::move(who)), reason(std::move(why)), via(std::move(through)), automatic(alert) {}
  std::string actor;
  std::string reason;
  std::string via;         // "admin-api" when the change came through the dashboard; else empty
  bool automatic = false;  // an alert's toggle: skipped (nothing written) when already so
};

// A flag's or a course's state before and after; `written` is false for a dry run and for an
// automatic change that found the switch already in place.
struct SwitchChange {
  std::string from;  // a flag's value ("(unset)" before its first change); "true"/"false"
  std::string to;
  bool written = false;
};

struct SecretRotation {
  std::string fingerprint;  // the first 8 hex digits of the new secret's SHA-256: names it
  EpochMs previous_valid_until = 0;
  bool written = false;
};

class Switches {
 public:
  Switches(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // payments_enabled (on|off) or payment_banner (text); any other name is refused.
  Result<SwitchChange> set_flag(const std::string& name, const std::string& value,
                                const SwitchActor& who, bool dry_run = false);
  // courses.active of an existing course (E_COURSE_NOT_FOUND otherwise).
  Result<SwitchChange> set_course_active(const std::string& course_id, bool active,
                                         const SwitchActor& who, bool dry_run = false);
  // Makes `fresh` (≥ 16 characters, no white space, not the current one) the current webhook
  // signing secret; the one before stays valid for `grace_ms`. Before the first rotation the
  // current secret is the configured one; when it came from the environment (WEBHOOK_SECRET,
  // not the development default) it is stored first, as the outgoing secret.
  Result<SecretRotation> rotate_webhook_secret(const std::string& fresh, EpochMs grace_ms,
                                               const std::string& configured_secret,
                                               bool configured_from_env, const SwitchActor& who,
                                               bool dry_run = false);

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace payedge
