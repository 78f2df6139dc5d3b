// Which webhook secrets are in force (resolve_webhook_secrets): the stored rotation history
// (`ops secret rotate`, newest first) once there is one, else WEBHOOK_SECRET and
// WEBHOOK_SECRET_PREVIOUS from the environment.
#include <gtest/gtest.h>

#include "webhook/webhook_service.h"

namespace payedge {
namespace {

Secrets env_secrets(std::string current, std::string previous) {
  Secrets s;
  s.webhook_secret = std::move(current);
  s.webhook_secret_previous = std::move(previous);
  return s;
}

TEST(ResolveWebhookSecrets, WithoutARotationTheEnvironmentDecides) {
  const WebhookSecrets s = resolve_webhook_secrets({}, env_secrets("env-current", "env-previous"));
  EXPECT_EQ(s.current, "env-current");
  EXPECT_EQ(s.previous, "env-previous");
  EXPECT_EQ(s.previous_valid_until, 0);  // the environment's previous secret has no end
}

TEST(ResolveWebhookSecrets, WithoutARotationOrAPreviousSecretThereIsNoPrevious) {
  const WebhookSecrets s = resolve_webhook_secrets({}, env_secrets("env-current", ""));
  EXPECT_EQ(s.current, "env-current");
  EXPECT_EQ(s.previous, "");
}

TEST(ResolveWebhookSecrets, AStoredSecretOverridesTheEnvironment) {
  const std::vector<StoredSecret> stored = {{"stored-current", 1000, std::nullopt}};
  const WebhookSecrets s =
      resolve_webhook_secrets(stored, env_secrets("env-current", "env-previous"));
  EXPECT_EQ(s.current, "stored-current");
  // Once rotated, the environment's secrets are no longer accepted: only the history counts.
  EXPECT_EQ(s.previous, "");
  EXPECT_EQ(s.previous_valid_until, 0);
}

TEST(ResolveWebhookSecrets, TheSecretBeforeTheNewestIsThePreviousUntilItRetires) {
  const std::vector<StoredSecret> stored = {{"newest", 2000, std::nullopt},
                                            {"older", 1000, EpochMs{5000}}};
  const WebhookSecrets s = resolve_webhook_secrets(stored, env_secrets("env-current", ""));
  EXPECT_EQ(s.current, "newest");
  EXPECT_EQ(s.previous, "older");
  EXPECT_EQ(s.previous_valid_until, 5000);
}

TEST(ResolveWebhookSecrets, AnOlderSecretWithoutARetirementIsNotAccepted) {
  // A row without retire_at behind the newest one is not a grace period we granted.
  const std::vector<StoredSecret> stored = {{"newest", 2000, std::nullopt},
                                            {"older", 1000, std::nullopt}};
  const WebhookSecrets s = resolve_webhook_secrets(stored, env_secrets("", ""));
  EXPECT_EQ(s.current, "newest");
  EXPECT_EQ(s.previous, "");
  EXPECT_EQ(s.previous_valid_until, 0);
}

TEST(ResolveWebhookSecrets, OnlyTheTwoNewestCount) {
  const std::vector<StoredSecret> stored = {
      {"c", 3000, std::nullopt}, {"b", 2000, EpochMs{9000}}, {"a", 1000, EpochMs{4000}}};
  const WebhookSecrets s = resolve_webhook_secrets(stored, env_secrets("", ""));
  EXPECT_EQ(s.current, "c");
  EXPECT_EQ(s.previous, "b");
  EXPECT_EQ(s.previous_valid_until, 9000);
}

}  // namespace
}  // namespace payedge
