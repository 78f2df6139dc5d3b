// `payedge watch` (the alert engine over a log: --replay FILE, --follow FILE, or stdin) and
// `payedge rules export --format prometheus`. Wiring only: the rules are in src/alert.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include "alert/engine.h"
#include "alert/notifier.h"
#include "alert/prometheus_rules.h"
#include "alert/switches.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "logs/input.h"
#include "logs/record_stream.h"
#include "store/store.h"

namespace payedge::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

struct WatchOptions {
  std::string replay, follow, config, store, format = "table", slack_url, alertmanager_url, lang;
  bool from_start = false;
};

// Log bytes → records (logs::RecordStream: the same framing and parser as `payedge logs`, so
// Supabase and journald exports too) → events → engine → notifier, counting what could not be
// read.
class Feeder {
 public:
  Feeder(alert::AlertEngine& engine, alert::Notifier& notifier)
      : engine_(engine),
        notifier_(notifier),
        stream_(wanted()),
        on_record_([this](logs::LineKind kind, const logs::LogRecord& r) {
          if (kind == logs::LineKind::kMalformed) {
            ++malformed_;
            return;
          }
          ++records_;
          notifier_.send(engine_.observe(alert::AlertEvent::from(r)));
        }) {}

  void bytes(std::string_view data) { stream_.feed(data, on_record_); }
  void end_of_input() { stream_.finish(on_record_); }
  void new_input() { stream_.reset(); }  // a followed file was rotated or truncated
  void idle(EpochMs now) { notifier_.send(engine_.advance(now)); }
  void report() const {
    for (const auto& w : stream_.warnings()) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::fprintf(stderr, "watch: %llu lines read", static_cast<unsigned long long>(records_));
    if (malformed_) {
      std::fprintf(stderr, ", skipped %llu malformed line%s",
                   static_cast<unsigned long long>(malformed_), malformed_ == 1 ? "" : "s");
    }
    std::fprintf(stderr, "\n");
  }

 private:
  static logs::FieldSet wanted() {
    logs::FieldSet f;
    using logs::Field;
    f.add(Field::kFn).add(Field::kStatus).add(Field::kErrorCode).add(Field::kCourseId);
    f.add(Field::kUserId);  // the mismatch rule counts distinct users
    f.add(Field::kIp).add(Field::kUa).add(Field::kErrorDetail);
    f.latency = f.http = f.toss = true;
    return f;
  }
  alert::AlertEngine& engine_;
  alert::Notifier& notifier_;
  logs::RecordStream stream_;
  logs::RecordStream::Callback on_record_;
  std::uint64_t records_ = 0, malformed_ = 0;
};

// A whole input (a file, compressed or not, or stdin), line by line.
Status read_all(const std::string& name, Feeder& feeder) {
  auto in = logs::InputFile::open(name);
  if (!in) return std::unexpected(in.error());
  auto reader = logs::StreamReader::open(*in);
  std::vector<char> block(1 << 20);
  while (!g_stop) {
    const std::size_t n = reader->read(block.data(), block.size());
    if (n == 0) break;
    feeder.bytes(std::string_view(block.data(), n));
  }
  feeder.end_of_input();
  if (!reader->problem().empty())
    return fail(ErrorCode::kInvalidRequest, name + ": " + reader->problem());
  return {};
}

// `tail -F`: new lines as they are written, across truncation and rotation; time passes by
// the wall clock while the file is quiet, so alerts resolve. Until SIGINT or SIGTERM.
Status follow(const std::string& path, bool from_start, Feeder& feeder) {
  std::FILE* f = nullptr;
  ino_t inode = 0;
  auto open_file = [&](bool at_end) {
    if (f) std::fclose(f);
    f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    struct stat st {};
    fstat(fileno(f), &st);
    inode = st.st_ino;
    if (at_end) std::fseek(f, 0, SEEK_END);
    return true;
  };
  if (!open_file(!from_start)) return fail(ErrorCode::kInvalidRequest, "cannot open " + path);
  char block[1 << 16];
  auto last_tick = std::chrono::steady_clock::now();
  while (!g_stop) {
    const std::size_t n = std::fread(block, 1, sizeof block, f);
    if (n > 0) {
      feeder.bytes(std::string_view(block, n));
      continue;
    }
    std::clearerr(f);
    struct stat now_st {};
    const bool gone = ::stat(path.c_str(), &now_st) != 0;
    if (!gone && (now_st.st_ino != inode || now_st.st_size < std::ftell(f))) {
      feeder.new_input();
      if (!open_file(false)) continue;  // rotated or truncated: read the new file from its start
    }
    if (std::chrono::steady_clock::now() - last_tick >= std::chrono::seconds(1)) {
      feeder.idle(SystemClock::instance().now_ms());
      last_tick = std::chrono::steady_clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (f) std::fclose(f);
  return {};
}

void run_watch(const WatchOptions& o, int& exit_code) {
  auto config = load_cli_config(o.config);
  if (!config) return print_error(config.error()), void(exit_code = 2);
  AlertsConfig& ac = config->alerts;
  // A URL given on the command line must work; one from the config or the environment only
  // warns when it cannot (below).
  for (const std::string* url : {&o.slack_url, &o.alertmanager_url}) {
    if (url->empty()) continue;
    if (auto ep = parse_http_url(*url); !ep) return print_error(ep.error()), void(exit_code = 2);
  }
  if (!o.slack_url.empty()) ac.slack_url = o.slack_url;
  if (!o.alertmanager_url.empty()) ac.alertmanager_url = o.alertmanager_url;
  const bool replay = !o.replay.empty();

  alert::Notifier notifier;
  notifier.add(
      std::make_unique<alert::PrintSink>(stdout, o.format == "json", cli_english(o.lang, *config)));
  std::unique_ptr<Store> store;
  std::unique_ptr<alert::StoreSwitches> switches;
  // A replay shows what would have happened; it changes nothing and notifies nobody.
  if (!replay) {
    if (!o.store.empty()) {
      auto opened = open_cli_store(o.store, *config);
      if (!opened) return print_error(opened.error()), void(exit_code = 1);
      store = std::move(*opened);
      switches = std::make_unique<alert::StoreSwitches>(*store, SystemClock::instance());
      notifier.add(std::make_unique<alert::StoreSink>(*store));
    }
    for (const auto& notice : alert::add_http_sinks(notifier, ac)) {
      std::fprintf(stderr, "%s\n", notice.c_str());
    }
  }
  alert::AlertEngine engine(ac, switches.get(),
                            replay ? "replay: nothing changed" : "no --store to act on");
  Feeder feeder(engine, notifier);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  Status st = !o.follow.empty() ? follow(o.follow, o.from_start, feeder)
                                : read_all(replay ? o.replay : "-", feeder);
  feeder.report();
  if (!st) return print_error(st.error()), void(exit_code = 1);
}

}  // namespace

void add_watch(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<WatchOptions>();
  auto* watch = app.add_subcommand(
      "watch", "The alert engine over a log: --follow FILE, --replay FILE, or stdin");
  auto* replay = watch->add_option("--replay", o->replay,
                                   "evaluate a past log (event time from ts); changes nothing");
  auto* follow_opt =
      watch->add_option("--follow", o->follow, "follow a growing log file, like tail -F");
  replay->excludes(follow_opt);
  watch->add_flag("--from-start", o->from_start, "with --follow: read what is already there first");
  watch->add_option("--format", o->format, "table|json")->check(CLI::IsMember({"table", "json"}));
  watch->add_option("--config", o->config, "payedge.toml ([alerts] thresholds and sinks)");
  watch
      ->add_option("--store", o->store,
                   "store URL: record alerts and flip the automatic switches (not in --replay)")
      ->check(store_url_check());
  watch->add_option("--slack-url", o->slack_url,
                    "Slack incoming webhook (default: SLACK_WEBHOOK_URL)");
  watch->add_option("--alertmanager-url", o->alertmanager_url, "Alertmanager base URL");
  watch->add_option("--lang", o->lang, "ko|en: the words of the printed alerts (default ko)")
      ->check(CLI::IsMember({"ko", "en"}));
  watch->callback([o, &exit_code] { run_watch(*o, exit_code); });

  auto* rules = app.add_subcommand("rules", "Alert rules");
  rules->require_subcommand(1);
  auto* exp = rules->add_subcommand("export", "The built-in rules for another alerting system");
  auto format = std::make_shared<std::string>("prometheus");
  auto config = std::make_shared<std::string>();
  exp->add_option("--format", *format, "prometheus")->check(CLI::IsMember({"prometheus"}));
  exp->add_option("--config", *config, "payedge.toml ([alerts] thresholds)");
  exp->callback([format, config, &exit_code] {
    auto c = load_cli_config(*config);
    if (!c) return print_error(c.error()), void(exit_code = 2);
    const std::string text = alert::prometheus_rules(c->alerts);
    std::fwrite(text.data(), 1, text.size(), stdout);
  });
}

}  // namespace payedge::cli
