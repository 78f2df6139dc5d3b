// `payedge token --user ID [--alg HS256|ES256] [--keys DIR]`: a development JWT for curl, signed
// with SUPABASE_JWT_SECRET (HS256) or the key of `payedge token --init-keys DIR` (ES256).
#include <algorithm>

#include "auth/dev_keys.h"
#include "auth/jwt.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "config/config.h"

namespace payedge::cli {

void add_token(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("token", "Print a signed development JWT for a user");
  struct Opts {
    std::string user, alg = "HS256", keys = "dev-keys", init_keys;
    int ttl = 3600;
    int count = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* user = cmd->add_option("--user", o->user, "user id (the token's sub)");
  cmd->add_option("--ttl", o->ttl, "seconds until it expires")
      ->check(CLI::Range(1, 30 * 24 * 3600));
  cmd->add_option("--count", o->count, "print N tokens, for users ID-1 … ID-N (load tests)")
      ->check(CLI::Range(1, 10'000'000));
  cmd->add_option("--alg", o->alg, "HS256 (SUPABASE_JWT_SECRET) or ES256 (--keys)")
      ->check(CLI::IsMember({"HS256", "ES256"}));
  cmd->add_option("--keys", o->keys, "folder of `token --init-keys` (ES256)");
  auto* init = cmd->add_option("--init-keys", o->init_keys,
                               "write an ES256 key pair: DIR/private.pem and DIR/jwks.json (the "
                               "JWKS to give serve's [auth] jwks_file or sim --jwks)");
  init->excludes(user);
  cmd->callback([o, user, &exit_code] {
    if (!o->init_keys.empty()) {
      auto key = init_dev_keys(o->init_keys);
      if (!key) return print_error(key.error()), void(exit_code = 1);
      std::printf("kid %s\n%s/private.pem\n%s/jwks.json\n", key->kid.c_str(), o->init_keys.c_str(),
                  o->init_keys.c_str());
      return;
    }
    if (user->count() == 0) {
      std::fprintf(stderr, "error: --user is required (or --init-keys DIR)\n");
      exit_code = 2;
      return;
    }
    const EpochMs now = SystemClock::instance().now_ms();
    std::optional<SigningKey> key;
    if (o->alg == "ES256") {
      auto loaded = load_signing_key(o->keys);
      if (!loaded) return print_error(loaded.error()), void(exit_code = 1);
      key = std::move(*loaded);
    }
    const Secrets s = secrets_from_env();
    auto mint = [&](const std::string& sub) -> Result<std::string> {
      if (!key) return sign_jwt(sub, s.jwt_secret, now, o->ttl);
      return sign_jwt_with_key(dev_claims_json(sub, now, o->ttl), key->key.get(), key->kid);
    };
    const int n = std::max(o->count, 1);
    for (int i = 1; i <= n; ++i) {
      auto token = mint(o->count == 0 ? o->user : o->user + "-" + std::to_string(i));
      if (!token) return print_error(token.error()), void(exit_code = 1);
      std::printf("%s\n", token->c_str());
    }
  });
}

}  // namespace payedge::cli
