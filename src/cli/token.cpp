// `payedge token --user ID`: a development JWT for curl, signed with SUPABASE_JWT_SECRET.
#include "auth/jwt.h"
#include "cli/commands.h"
#include "config/config.h"

namespace payedge::cli {

void add_token(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("token", "Print a signed development JWT for a user");
  auto user = std::make_shared<std::string>();
  auto ttl = std::make_shared<int>(3600);
  auto count = std::make_shared<int>(0);
  cmd->add_option("--user", *user, "user id (the token's sub)")->required();
  cmd->add_option("--ttl", *ttl, "seconds until it expires")->check(CLI::Range(1, 30 * 24 * 3600));
  cmd->add_option("--count", *count, "print N tokens, for users ID-1 … ID-N (load tests)")
      ->check(CLI::Range(1, 10'000'000));
  cmd->callback([user, ttl, count] {
    const Secrets s = secrets_from_env();
    const EpochMs now = SystemClock::instance().now_ms();
    if (*count == 0) {
      std::printf("%s\n", sign_jwt(*user, s.jwt_secret, now, *ttl).c_str());
      return;
    }
    for (int i = 1; i <= *count; ++i) {
      std::printf("%s\n",
                  sign_jwt(*user + "-" + std::to_string(i), s.jwt_secret, now, *ttl).c_str());
    }
  });
}

}  // namespace payedge::cli
