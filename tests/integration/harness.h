// Black-box test harness: runs the real `payedge` binary as child processes, talks HTTP to
// them over loopback, and reads the SQLite file they write.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "store/sql.h"

namespace payedge::testing {

inline const std::string kTossSecret = "test_sk_integration_0001";
inline const std::string kJwtSecret = "integration-jwt-secret";
inline const std::string kWebhookSecret = "integration-webhook-secret-0001";
inline const std::string kAdminToken = "integration-admin-token-0123456789";

// A child process whose first stderr line is "listening on HOST:PORT" (or which just runs).
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {},
               std::string stdout_path = "/dev/null");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads stderr until the listening line; returns the port, or 0 if the process ended first.
  int wait_listening();
  void kill_hard();  // SIGKILL, as a crash
  int stop();        // SIGTERM, then wait; returns the exit status
  void terminate();  // SIGTERM only: the process drains while the test goes on
  int wait();        // waits for the end; returns the exit status
  pid_t pid() const { return pid_; }
  std::string stderr_rest();  // what it printed after the listening line (after it ended)

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string buffered_;
};

// Runs the binary to completion; returns {exit code, stdout, stderr}.
struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};
// `stdin_path`: a file to read as standard input ("" → /dev/null).
RunResult run_payedge(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {},
                      const std::string& stdin_path = "");

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// Plain HTTP to 127.0.0.1:port, or HTTPS when the port was registered with `use_tls_for_port`
// (the simulator of a TLS Stack), verifying its certificate against that CA file ("" : not
// verified — for a simulator that serves a certificate made to be refused).
HttpReply http_call(int port, const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {});
void use_tls_for_port(int port, const std::string& ca_file);
void forget_tls_port(int port);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A look into the service's database: a SQLite path, or a postgresql:// URL.
class Db {
 public:
  // `schema`: PostgreSQL's search_path ([store] schema), "" for public.
  explicit Db(const std::string& path_or_url, const std::string& schema = "");
  ~Db();
  std::vector<std::vector<std::string>> rows(const std::string& sql);
  std::string scalar(const std::string& sql);  // first column of the first row, "" if none
  long long count(const std::string& table, const std::string& where = "1=1");
  void exec(const std::string& sql);  // tests use it for setup only (e.g. flipping a flag)

 private:
  std::unique_ptr<SqlConnection> conn_;
};

// The PostgreSQL server that ctest's fixture started (scripts/pg-test-server.sh); a test
// that needs it fails with a clear message when it is not there.
std::string pg_server_url();
// A new, empty database on that server, for one test: its URL.
std::string fresh_pg_database();

// A confirm-payment body.
inline nlohmann::json body_for(const std::string& key, const std::string& order, long long amount,
                               const std::string& course, nlohmann::json coupon = nullptr) {
  return {{"paymentKey", key},
          {"orderId", order},
          {"amount", amount},
          {"courseId", course},
          {"couponCode", coupon}};
}

std::map<std::string, std::string> test_env();
// The simulator's Basic authorization for the test secret key (kTossSecret), for calls made
// to it directly, as a merchant's server would.
std::map<std::string, std::string> toss_basic_auth();
std::string token_for(const std::string& user, int ttl_s = 3600);
std::vector<nlohmann::json> read_json_lines(const std::string& path);

struct StackOptions {
  std::vector<std::string> sim_args{};
  // The simulator speaks TLS (`sim --tls-self-signed DIR`) and serve trusts its CA
  // (`serve --toss-ca DIR/ca.pem`): the way payedge talks to the real Toss. false: plain HTTP.
  bool tls = true;
  // TLS with certificates a test made: the simulator serves sim_cert_dir/{cert,key}.pem and serve
  // trusts toss_ca (both empty: the fresh --tls-self-signed pair). toss_host names the simulator
  // in serve's --toss-url.
  std::string sim_cert_dir{};
  std::string toss_ca{};
  std::string toss_host = "127.0.0.1";
  std::string config_toml{};              // extra payedge.toml for every serve instance
  int instances = 1;                      // serve processes sharing the one store
  bool postgres = false;                  // a fresh PostgreSQL database instead of a SQLite file
  std::string pg_schema{};                // [store] schema for every command ("": public)
  std::string pg_url{};                   // this PostgreSQL URL instead of a fresh database
  std::string admin_token = kAdminToken;  // PAYEDGE_ADMIN_TOKEN of serve ("": none)
};

// The simulator plus the service on a fresh SQLite file seeded with the sample catalogue.
class Stack {
 public:
  explicit Stack(StackOptions options = {});
  ~Stack();
  int sim_port() const { return sim_port_; }
  int api_port(size_t instance = 0) const { return api_ports_.at(instance); }
  Db& db() { return *db_; }
  const std::string& log_path() const { return log_path_; }
  const std::string& db_path() const { return db_path_; }
  std::string store_url() const { return store_url_; }
  std::string toss_url() const {
    return (options_.tls ? "https://" : "http://") + options_.toss_host + ":" +
           std::to_string(sim_port_);
  }
  // The CA file serve trusts for the simulator ("" without TLS).
  std::string toss_ca() const {
    return !options_.tls               ? ""
           : !options_.toss_ca.empty() ? options_.toss_ca
                                       : dir_.file("sim-tls/ca.pem");
  }
  TempDir& dir() { return dir_; }

  // A payment session at the simulator (the Toss payment window): returns the paymentKey.
  std::string new_session(const std::string& order_id, long long amount);
  // A purchase of course-sql (49,000) through the service: a session, then the confirm (200).
  std::string purchase(const std::string& order, const std::string& user = "user-1");
  // A payment made at Toss without the service (its answer never reached us): the paymentKey.
  std::string paid_at_toss_only(const std::string& order, long long amount);
  HttpReply confirm(const nlohmann::json& body, const std::string& user = "user-1",
                    const std::map<std::string, std::string>& extra_headers = {},
                    size_t instance = 0);
  nlohmann::json sim_stats();
  void set_faults(const nlohmann::json& faults);
  void restart_service(size_t instance = 0);
  void kill_service(size_t instance = 0);  // SIGKILL
  void stop_services();
  ChildProcess& service(size_t instance = 0) { return *services_.at(instance); }
  RunResult ops(std::vector<std::string> args);  // `payedge ops ...` against this stack

 private:
  void start_service(size_t instance);

  StackOptions options_;
  TempDir dir_;
  std::string db_path_;
  std::string log_path_;
  std::string config_path_;
  std::string store_url_;
  std::unique_ptr<ChildProcess> sim_;
  std::vector<std::unique_ptr<ChildProcess>> services_;
  std::vector<int> api_ports_;
  std::unique_ptr<Db> db_;
  int sim_port_ = 0;
};

// The sample catalogue, written as a seed file: course-cpp 99,000 on sale for 79,000,
// course-sql 49,000, course-ml 129,000 (sale ended), course-old inactive; coupons WELCOME10,
// SQL5000 (course-sql, 2 redemptions), SUMMER2026 (expired), ONCE (1 redemption).
std::string sample_seed_json();

// Polls `done` every 20 ms until it holds or `limit` passes: a wait on a condition (a
// background effect of what the service answered), bounded in time; never a timed assertion.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace payedge::testing
