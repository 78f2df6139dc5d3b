// `payedge token --user ID`: a development JWT for curl, signed with SUPABASE_JWT_SECRET.
#include "auth/jwt.h"
#include "cli/commands.h"
#include "config/config.h"

namespace payedge::cli {

void add_token(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("token", "Print a signed development JWT for a user");
  auto user = std::make_shared<std::string>();
  auto ttl = std::make_shared<int>(3600);
  cmd->add_option("--user", *user, "user id (the token's sub)")->required();
  cmd->add_option("--ttl", *ttl, "seconds until it expires")->check(CLI::Range(1, 30 * 24 * 3600));
  cmd->callback([user, ttl] {
    const Secrets s = secrets_from_env();
    std::printf("%s\n",
                sign_jwt(*user, s.jwt_secret, SystemClock::instance().now_ms(), *ttl).c_str());
  });
}

}  // namespace payedge::cli
